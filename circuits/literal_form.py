"""Circuits as counts of true literals: the form the transformer's loop evaluates.

A `LiteralCircuit` has sources (the inputs, and the constant-false source `FALSE`) and nodes; node v is
true iff at least `threshold[v]` of its literals are true, where a literal is (source net, negated) and
a net may appear several times (a multiplicity). `literal_form` derives it from any circuit:

1. `to_threshold` makes every gate a threshold gate [sum_i w_i x_i >= t] with integer weights.
2. Negative weights become complemented literals: w x = -|w| + |w| (1 - x) for w < 0, so
   [sum w_i x_i >= t] = [sum_{w_i > 0} w_i x_i + sum_{w_i < 0} |w_i| (1 - x_i) >= t + sum_{w_i < 0} |w_i|]:
   every weight is a positive multiplicity and the threshold moves by the total negative weight.
3. Unary gates that copy or negate a net ([x >= 1] and [-x >= 0]) are folded into the literals that read
   them (negations compose), so NOT and BUF cost no depth. Such a gate stays a node only when an output
   reads it, and constants become literals of FALSE (CONST 1 is the negated literal).
4. A node left with no literal (all weights 0) reads FALSE once, which changes no count.

`depth` is then the number of rounds of "every node recomputes from its literals" after which every
node is right: 0 for sources, 1 + the largest depth among a node's literal sources.

Size. A gate of weights w becomes sum_i |w_i| literals, so weights such as 2^40 would take more memory
than any machine has. `literal_form_size` counts the nodes and literals arithmetically, from the gates'
kinds, fan-ins and weights alone, and `literal_form` refuses (a `CircuitError` naming the heaviest gate)
a form of more than `max_literals` literals before building any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from circuits.errors import CircuitError
from circuits.ir import Circuit, Gate, Op
from circuits.lower_threshold import to_threshold

FALSE = "<false>"

Literal = tuple[str, bool]
MAX_LITERALS = 10_000_000
"""Default cap on the literals of a literal form (about 80 bytes each once built)."""


@dataclass(frozen=True)
class LiteralCircuit:
    """Sources, then nodes in topological order, each with its literals and threshold; outputs map an
    output name to a literal."""

    inputs: tuple[str, ...]
    nodes: tuple[str, ...]
    literals: dict[str, tuple[Literal, ...]]
    threshold: dict[str, int]
    outputs: tuple[tuple[str, Literal], ...]
    name: str = "circuit"

    def levels(self) -> dict[str, int]:
        level = {FALSE: 0, **dict.fromkeys(self.inputs, 0)}
        for node in self.nodes:
            level[node] = 1 + max(level[source] for source, _ in self.literals[node])
        return level

    @property
    def depth(self) -> int:
        return max(self.levels().values(), default=0)

    @property
    def wire_count(self) -> int:
        return sum(len(lits) for lits in self.literals.values())

    def evaluate(self, bits: tuple[int, ...] | list[int]) -> dict[str, int]:
        """Output values on one input vector (the inputs in order), by counting true literals."""
        value = {FALSE: 0, **dict(zip(self.inputs, (int(b) for b in bits), strict=True))}
        for node in self.nodes:
            count = sum(value[source] ^ negated for source, negated in self.literals[node])
            value[node] = int(count >= self.threshold[node])
        return {name: value[source] ^ negated for name, (source, negated) in self.outputs}


def _unary_kind(weights: tuple[int, ...], threshold: int) -> bool | None:
    """False for a copy [x >= 1], True for a negation [-x >= 0], None for any other gate."""
    if weights == (1,) and threshold == 1:
        return False
    if weights == (-1,) and threshold == 0:
        return True
    return None


@dataclass(frozen=True)
class LiteralFormSize:
    """What `literal_form` would build: `nodes` and `literals` in all, and the gate of the source circuit
    whose nodes take the most literals (`heaviest`, with `heaviest_literals` of them; '' and 0 if none)."""

    nodes: int
    literals: int
    heaviest: str
    heaviest_literals: int


def _gate_size(gate: Gate, is_output: bool) -> tuple[int, int]:
    """(nodes, literals) that one source gate becomes, following `to_threshold` and the folding rules.

    A one-input gate of any kind lowers to a copy [x >= 1] or a negation [-x >= 0] and is folded unless
    an output reads it; XOR_k and XNOR_k (k >= 2) get floor(k/2) helpers of k literals each, and the gate
    itself reads the k inputs and the helpers (each helper once, with weight -+2, so twice).
    """
    k = len(gate.fanin)
    if gate.op in (Op.INPUT, Op.CONST):
        return 0, 0
    if gate.op is Op.THRESHOLD:
        if _unary_kind(gate.weights, gate.threshold) is not None and not is_output:
            return 0, 0
        return 1, max(1, sum(abs(weight) for weight in gate.weights))
    if k == 1:
        return (1, 1) if is_output else (0, 0)
    if gate.op in (Op.XOR, Op.XNOR):
        helpers = k // 2
        return 1 + helpers, helpers * k + k + 2 * helpers
    return 1, k


def literal_form_size(circuit: Circuit) -> LiteralFormSize:
    """The size of `literal_form(circuit)`, computed without building it (module docstring)."""
    output_nets = set(circuit.output_nets)
    nodes = literals = heaviest_literals = 0
    heaviest = ""
    for gate in circuit.gates:
        gate_nodes, gate_literals = _gate_size(gate, gate.name in output_nets)
        nodes += gate_nodes
        literals += gate_literals
        if gate_literals > heaviest_literals:
            heaviest, heaviest_literals = gate.name, gate_literals
    return LiteralFormSize(nodes, literals, heaviest, heaviest_literals)


def literal_form(circuit: Circuit, max_literals: int = MAX_LITERALS) -> LiteralCircuit:
    """The literal form of `circuit` (module docstring); it computes the same outputs.

    A form of more than `max_literals` literals is refused with a CircuitError before it is built.
    """
    size = literal_form_size(circuit)
    if size.literals > max_literals:
        raise CircuitError(
            f"the literal form of {circuit.name!r} would have {size.literals} literals, more than "
            f"max_literals={max_literals}; gate {size.heaviest!r} alone takes {size.heaviest_literals} "
            "(a weight w is |w| literals)"
        )
    lowered = to_threshold(circuit)
    output_nets = set(lowered.output_nets)
    resolved: dict[str, Literal] = {}
    inputs: list[str] = []
    nodes: list[str] = []
    literals: dict[str, tuple[Literal, ...]] = {}
    threshold: dict[str, int] = {}

    def literal(net: str, negated: bool = False) -> Literal:
        source, flip = resolved[net]
        return source, flip ^ negated

    for gate in lowered.gates:
        if gate.op is Op.INPUT:
            inputs.append(gate.name)
            resolved[gate.name] = (gate.name, False)
            continue
        if gate.op is Op.CONST:
            resolved[gate.name] = (FALSE, bool(gate.value))
            continue
        unary = _unary_kind(gate.weights, gate.threshold)
        if unary is not None and gate.name not in output_nets:
            resolved[gate.name] = literal(gate.fanin[0], unary)
            continue
        lits: list[Literal] = []
        t = gate.threshold
        for net, weight in zip(gate.fanin, gate.weights, strict=True):
            lits.extend([literal(net, weight < 0)] * abs(weight))
            t += max(0, -weight)
        nodes.append(gate.name)
        literals[gate.name] = tuple(lits) or ((FALSE, False),)
        threshold[gate.name] = t
        resolved[gate.name] = (gate.name, False)
    outputs = tuple((name, literal(net)) for name, net in lowered.outputs)
    return LiteralCircuit(tuple(inputs), tuple(nodes), literals, threshold, outputs, circuit.name)
