"""The circuit IR: an immutable, topologically ordered DAG of Boolean and threshold gates.

A `Circuit` is a tuple of `Gate`s in which every gate's fan-in nets are defined earlier (inputs first
or interleaved, as a file gives them), plus named outputs, each pointing at a net. Gate semantics, for
fan-in bits x_1..x_k:

- INPUT: a primary input (no fan-in); CONST: the constant `value` (0 or 1, no fan-in);
- BUF: x_1; NOT: 1 - x_1 (fan-in exactly 1);
- AND / OR / NAND / NOR: the usual, any fan-in >= 1;
- XOR: x_1 + ... + x_k mod 2; XNOR: its negation (any fan-in >= 1);
- MAJ: 1 iff sum x_i > k/2 (strict majority; for even k a tie gives 0);
- THRESHOLD(weights w, threshold t): 1 iff sum w_i x_i >= t, with integer w_i (possibly negative)
  and integer t.

The IR is the reference world: it knows nothing of transformers (this package never imports
`expressivity`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from circuits.errors import CircuitError


class Op(str, Enum):
    """Gate kinds. The value is the upper-case name used in files and messages."""

    INPUT = "INPUT"
    CONST = "CONST"
    BUF = "BUF"
    NOT = "NOT"
    AND = "AND"
    OR = "OR"
    NAND = "NAND"
    NOR = "NOR"
    XOR = "XOR"
    XNOR = "XNOR"
    MAJ = "MAJ"
    THRESHOLD = "THRESHOLD"


UNARY_OPS = frozenset({Op.BUF, Op.NOT})
SOURCE_OPS = frozenset({Op.INPUT, Op.CONST})


@dataclass(frozen=True)
class Gate:
    """One named net and the gate that drives it.

    `weights` and `threshold` are used by THRESHOLD only, `value` by CONST only; they must be left at
    their defaults for every other kind.
    """

    name: str
    op: Op
    fanin: tuple[str, ...] = ()
    weights: tuple[int, ...] | None = None
    threshold: int | None = None
    value: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", Op(self.op))
        object.__setattr__(self, "fanin", tuple(self.fanin))
        if self.weights is not None:
            object.__setattr__(self, "weights", tuple(int(w) for w in self.weights))
        where = f"gate {self.name!r} ({self.op.value})"
        if not isinstance(self.name, str) or not self.name:
            raise CircuitError(f"gate names must be non-empty strings, got {self.name!r}")
        if self.op in SOURCE_OPS:
            if self.fanin:
                raise CircuitError(f"{where} takes no fan-in, got {len(self.fanin)}")
        elif not self.fanin:
            raise CircuitError(f"{where} needs at least one fan-in net")
        if self.op in UNARY_OPS and len(self.fanin) != 1:
            raise CircuitError(f"{where} takes exactly one fan-in net, got {len(self.fanin)}")
        if self.op is Op.CONST:
            if self.value not in (0, 1):
                raise CircuitError(f"{where} needs value 0 or 1, got {self.value!r}")
        elif self.value is not None:
            raise CircuitError(f"{where} cannot carry a constant value")
        if self.op is Op.THRESHOLD:
            if self.weights is None or self.threshold is None:
                raise CircuitError(f"{where} needs integer weights and a threshold")
            if len(self.weights) != len(self.fanin):
                raise CircuitError(
                    f"{where} has {len(self.fanin)} fan-in nets but {len(self.weights)} weights"
                )
            object.__setattr__(self, "threshold", int(self.threshold))
        elif self.weights is not None or self.threshold is not None:
            raise CircuitError(f"{where} cannot carry weights or a threshold")


@dataclass(frozen=True)
class Circuit:
    """An immutable, topologically ordered circuit with named outputs.

    `gates` lists every net (INPUT gates included) so that each gate's fan-in is defined before it.
    `outputs` is a tuple of (output name, net name) pairs in output order; several outputs may read the
    same net, and an output may read an input or a constant directly.
    Construction checks all of this and raises `CircuitError` naming the offending gate or net.
    """

    gates: tuple[Gate, ...]
    outputs: tuple[tuple[str, str], ...]
    name: str = "circuit"
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        gates: Iterable[Gate],
        outputs: Iterable[tuple[str, str]] | Mapping[str, str],
        name: str = "circuit",
    ) -> None:
        gates = tuple(gates)
        if isinstance(outputs, Mapping):
            outputs = outputs.items()
        outputs = tuple((str(o), str(n)) for o, n in outputs)
        index: dict[str, int] = {}
        for position, gate in enumerate(gates):
            if not isinstance(gate, Gate):
                raise CircuitError(f"gate #{position} is {type(gate).__name__}, not a Gate")
            if gate.name in index:
                raise CircuitError(f"net {gate.name!r} is defined twice")
            for source in gate.fanin:
                if source not in index:
                    raise CircuitError(
                        f"gate {gate.name!r} reads net {source!r}, which is not defined before it"
                    )
            index[gate.name] = position
        seen_outputs: set[str] = set()
        for out_name, net in outputs:
            if out_name in seen_outputs:
                raise CircuitError(f"output {out_name!r} is declared twice")
            seen_outputs.add(out_name)
            if net not in index:
                raise CircuitError(f"output {out_name!r} reads undefined net {net!r}")
        object.__setattr__(self, "gates", gates)
        object.__setattr__(self, "outputs", outputs)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_index", index)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the INPUT nets, in circuit order (the order input bits are given in)."""
        return tuple(g.name for g in self.gates if g.op is Op.INPUT)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o for o, _ in self.outputs)

    @property
    def output_nets(self) -> tuple[str, ...]:
        return tuple(n for _, n in self.outputs)

    def gate(self, name: str) -> Gate:
        try:
            return self.gates[self._index[name]]
        except KeyError:
            raise CircuitError(f"no net named {name!r}") from None

    def index(self, name: str) -> int:
        """Position of net `name` in `gates`."""
        try:
            return self._index[name]
        except KeyError:
            raise CircuitError(f"no net named {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __len__(self) -> int:
        return len(self.gates)


class CircuitBuilder:
    """Builds a `Circuit` gate by gate.

    >>> b = CircuitBuilder()
    >>> x, y = b.input("x"), b.input("y")
    >>> b.output(b.gate(Op.AND, x, y), "both")
    'both'
    >>> b.build().outputs
    (('both', 'g0'),)

    Methods return the new net's name, so calls compose. Unnamed gates get fresh names `g0, g1, ...`.
    """

    def __init__(self, name: str = "circuit") -> None:
        self.name = name
        self._gates: list[Gate] = []
        self._names: set[str] = set()
        self._outputs: list[tuple[str, str]] = []
        self._fresh = 0

    def _fresh_name(self) -> str:
        while f"g{self._fresh}" in self._names:
            self._fresh += 1
        name = f"g{self._fresh}"
        self._fresh += 1
        return name

    def add(self, gate: Gate) -> str:
        if gate.name in self._names:
            raise CircuitError(f"net {gate.name!r} is defined twice")
        missing = [s for s in gate.fanin if s not in self._names]
        if missing:
            raise CircuitError(f"gate {gate.name!r} reads undefined net {missing[0]!r}")
        self._gates.append(gate)
        self._names.add(gate.name)
        return gate.name

    def input(self, name: str | None = None) -> str:
        return self.add(Gate(name or self._fresh_name(), Op.INPUT))

    def const(self, value: int, name: str | None = None) -> str:
        return self.add(Gate(name or self._fresh_name(), Op.CONST, value=int(value)))

    def gate(self, op: Op | str, *fanin: str, name: str | None = None) -> str:
        return self.add(Gate(name or self._fresh_name(), Op(op), tuple(fanin)))

    def threshold(self, fanin: Sequence[str], weights: Sequence[int], t: int, name: str | None = None) -> str:
        return self.add(Gate(name or self._fresh_name(), Op.THRESHOLD, tuple(fanin), tuple(weights), int(t)))

    def output(self, net: str, name: str | None = None) -> str:
        out = name or net
        self._outputs.append((out, net))
        return out

    def build(self) -> Circuit:
        return Circuit(self._gates, self._outputs, name=self.name)
