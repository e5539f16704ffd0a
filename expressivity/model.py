"""The transformer model of docs/semantics.md: labelled residual stream, masked pre-norm views, AHAT heads.

A `Model` is pure data (exact rationals), validated at construction; the simulator runs it on any
backend. The sequence is `BOS w_1 .. w_n PAD^t(n)` (plus any extra token kinds a construction adds
through `Sequence` builders later); the residual of position i starts as E(token_i), then every
sublayer reads its own *view* -- the concatenation of N(h_i[G]) over its norm groups G, with
N(x) = (x - mean x) / ||x - mean x|| and N(0) = 0 -- and adds its output to labelled coordinates.
Layers come in stages run one after the other, each r_s(n) times with the same weights; prefix, block
(r(n) times), suffix is the three-stage case. A looped stage may declare timestep cells that the simulator
sets to psi(t) before its iteration t.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Integral

from expressivity.inputs import ANY_WORD, InputFormat

MASKS = ("causal", "strict", "unmasked")
NORMS = ("layer", "rms")

Rational = Fraction | int | str
MatrixLike = Sequence[Sequence[Rational]] | Sequence[Mapping[str, Rational]]


def _integer_root(value: int, root: int) -> int:
    """floor(value^(1/root)) for value >= 0, exactly."""
    low, high = 0, 1
    while high**root <= value:
        high *= 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if middle**root <= value else (low, middle)
    return low


class ModelError(ValueError):
    """An inconsistent model; the message names the part (layer, head, matrix, label)."""


class InputError(ValueError):
    """A word the model cannot read: a symbol outside its alphabet, or a word outside its input format."""


def to_fraction(value: Rational, where: str) -> Fraction:
    if type(value) is Fraction:
        return value
    if isinstance(value, float | bool):
        # A float is already rounded (0.1 is not 1/10): weights are exact, so write "1/10" or Fraction(1, 10).
        kind = type(value).__name__
        raise ModelError(f'{where}: {value!r} is a {kind}, not an exact rational (write it as "p/q")')
    try:
        return Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise ModelError(f"{where}: {value!r} is not an exact rational") from None


def _matrix(rows: MatrixLike, columns: Sequence[str], where: str) -> tuple[tuple[Fraction, ...], ...]:
    """A rational matrix given densely (lists) or sparsely (one {column label: value} per row)."""
    out = []
    position = {label: k for k, label in enumerate(columns)}
    for r, row in enumerate(rows):
        if isinstance(row, Mapping):
            dense = [Fraction(0)] * len(columns)
            for label, value in row.items():
                if label not in position:
                    raise ModelError(f"{where} row {r}: unknown column {label!r}")
                dense[position[label]] = to_fraction(value, f"{where} row {r} column {label!r}")
        else:
            if len(row) != len(columns):
                raise ModelError(f"{where} row {r}: {len(row)} entries, expected {len(columns)}")
            dense = [to_fraction(v, f"{where} row {r}") for v in row]
        out.append(tuple(dense))
    return tuple(out)


def _vector(values: Sequence[Rational] | None, size: int, where: str) -> tuple[Fraction, ...]:
    if values is None:
        return (Fraction(0),) * size
    if len(values) != size:
        raise ModelError(f"{where}: {len(values)} entries, expected {size}")
    return tuple(to_fraction(v, where) for v in values)


@dataclass(frozen=True)
class View:
    """What a sublayer reads: norm groups of residual labels, normalised separately and concatenated.

    `norm` is "layer" (centre, then scale to unit length) or "rms" (scale only). Sublayers never read h
    raw (docs/semantics.md): a one-cell group under "layer" always reads 0, under "rms" it reads sign(x).
    """

    groups: tuple[tuple[str, ...], ...]
    norm: str = "layer"

    def __init__(self, groups: Iterable[Iterable[str]], norm: str = "layer") -> None:
        object.__setattr__(self, "groups", tuple(tuple(g) for g in groups))
        object.__setattr__(self, "norm", norm)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(label for group in self.groups for label in group)

    def validate(self, labels: set[str], where: str) -> None:
        if self.norm not in NORMS:
            raise ModelError(f"{where}: norm must be one of {NORMS}, got {self.norm!r}")
        if not self.groups:
            raise ModelError(f"{where}: a view needs at least one norm group")
        seen: set[str] = set()
        for k, group in enumerate(self.groups):
            if not group:
                raise ModelError(f"{where}: norm group {k} is empty")
            for label in group:
                if label not in labels:
                    raise ModelError(f"{where}: norm group {k} reads unknown coordinate {label!r}")
                if label in seen:
                    raise ModelError(f"{where}: coordinate {label!r} is in two norm groups")
                seen.add(label)


@dataclass(frozen=True)
class Head:
    """One AHAT head: scores q_i . k_j with q = Q z_i, k = K z_j; output = mean of V z_j over the tie
    set, added to the residual coordinates `writes` (row r of V writes to writes[r])."""

    name: str
    view: View
    query: tuple[tuple[Fraction, ...], ...]
    key: tuple[tuple[Fraction, ...], ...]
    value: tuple[tuple[Fraction, ...], ...]
    writes: tuple[str, ...]
    mask: str = "causal"

    def __init__(
        self,
        name: str,
        view: View,
        query: MatrixLike,
        key: MatrixLike,
        value: MatrixLike,
        writes: Sequence[str],
        mask: str = "causal",
    ) -> None:
        where = f"head {name!r}"
        cols = view.columns
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "view", view)
        object.__setattr__(self, "query", _matrix(query, cols, f"{where} query"))
        object.__setattr__(self, "key", _matrix(key, cols, f"{where} key"))
        object.__setattr__(self, "value", _matrix(value, cols, f"{where} value"))
        object.__setattr__(self, "writes", tuple(writes))
        object.__setattr__(self, "mask", mask)
        if mask not in MASKS:
            raise ModelError(f"{where}: mask must be one of {MASKS}, got {mask!r}")
        if len(self.query) != len(self.key):
            raise ModelError(f"{where}: query has {len(self.query)} rows but key has {len(self.key)}")
        if len(self.value) != len(self.writes):
            raise ModelError(
                f"{where}: value has {len(self.value)} rows but writes {len(self.writes)} labels"
            )

    @property
    def is_uniform(self) -> bool:
        """Q = 0 or K = 0: every score is 0, so the tie set is the whole visible set."""
        return not any(any(row) for row in self.query) or not any(any(row) for row in self.key)


@dataclass(frozen=True)
class FFN:
    """delta = W2 ReLU(W1 z + b1) + b2, added to the coordinates `writes`."""

    name: str
    view: View
    w1: tuple[tuple[Fraction, ...], ...]
    b1: tuple[Fraction, ...]
    w2: tuple[tuple[Fraction, ...], ...]
    b2: tuple[Fraction, ...]
    writes: tuple[str, ...]

    def __init__(
        self,
        name: str,
        view: View,
        w1: MatrixLike,
        w2: Sequence[Sequence[Rational]],
        writes: Sequence[str],
        b1: Sequence[Rational] | None = None,
        b2: Sequence[Rational] | None = None,
    ) -> None:
        where = f"ffn {name!r}"
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "view", view)
        object.__setattr__(self, "w1", _matrix(w1, view.columns, f"{where} w1"))
        hidden = [f"h{k}" for k in range(len(self.w1))]
        object.__setattr__(self, "w2", _matrix(w2, hidden, f"{where} w2"))
        object.__setattr__(self, "b1", _vector(b1, len(self.w1), f"{where} b1"))
        object.__setattr__(self, "writes", tuple(writes))
        object.__setattr__(self, "b2", _vector(b2, len(self.writes), f"{where} b2"))
        if len(self.w2) != len(self.writes):
            raise ModelError(f"{where}: w2 has {len(self.w2)} rows but writes {len(self.writes)} labels")


@dataclass(frozen=True)
class Layer:
    """Attention heads (run in parallel on the same residual), then feed-forward sublayers (also in
    parallel, reading the residual after the heads)."""

    heads: tuple[Head, ...] = ()
    ffns: tuple[FFN, ...] = ()

    def __init__(self, heads: Iterable[Head] = (), ffns: Iterable[FFN] = ()) -> None:
        object.__setattr__(self, "heads", tuple(heads))
        object.__setattr__(self, "ffns", tuple(ffns))


@dataclass(frozen=True)
class LoopCount:
    """r(n) = value + coefficient * ceil(log2 n)^power  (ceil(log2 n) taken as 0 for n <= 1).

    A constant r is `LoopCount(value=r)`; the TC^d schedule c*ceil(log2 n)^d is
    `LoopCount(coefficient=c, power=d)`; a number fixed at compile time (a circuit's depth) is a
    constant with `fixed=True`, which only records where it came from.
    """

    value: int | None = None  # None: 1 for a constant, 0 when there is a log term (as documented above)
    coefficient: int = 0
    power: int = 0
    fixed: bool = False

    def __post_init__(self) -> None:
        if self.value is None:
            object.__setattr__(self, "value", 0 if self.coefficient else 1)
        for name in ("value", "coefficient", "power"):
            part = getattr(self, name)
            if isinstance(part, bool) or not isinstance(part, Integral) or part < 0:
                raise ModelError(f"loop count: {name} must be a non-negative integer, got {part!r}")

    def __call__(self, n: int) -> int:
        log_term = (n - 1).bit_length() if n > 1 else 0  # ceil(log2 n), exact for every n
        return self.value + self.coefficient * log_term**self.power

    def describe(self) -> str:
        parts = [str(self.value)] if self.value or not self.coefficient else []
        if self.coefficient:
            parts.append(f"{self.coefficient}*ceil(log2 n)^{self.power}")
        return " + ".join(parts) + (" (fixed)" if self.fixed else "")


@dataclass(frozen=True)
class Padding:
    """t(n) = sum_k coefficients[k] * n^k, non-negative integer coefficients."""

    coefficients: tuple[int, ...] = ()

    def __init__(self, coefficients: Iterable[int] = ()) -> None:
        coefficients = tuple(coefficients)
        for k, c in enumerate(coefficients):
            if isinstance(c, bool) or not isinstance(c, Integral):
                raise ModelError(f"padding coefficient {k} must be an integer, got {c!r}")
        coefficients = tuple(int(c) for c in coefficients)
        if any(c < 0 for c in coefficients):
            raise ModelError(f"padding coefficients must be non-negative, got {coefficients}")
        object.__setattr__(self, "coefficients", coefficients)

    def __call__(self, n: int) -> int:
        return sum(c * n**k for k, c in enumerate(self.coefficients))

    def describe(self) -> str:
        terms = [f"{c}" if k == 0 else f"{c}*n^{k}" for k, c in enumerate(self.coefficients) if c]
        return " + ".join(terms) or "0"


TIMESTEP_ENCODINGS = ("parity", "index")
THREE_STAGES = ("prefix", "block", "suffix")


@dataclass(frozen=True)
class Timestep:
    """Four reserved cells a looped stage reads its iteration index t (0, 1, .., r - 1) from.

    Before iteration t the simulator SETS the cells, at every position, to psi(t) (docs/semantics.md):

    - "parity": psi(t) = (b - 1/2) * (1, 1, -1, -1) with b = t mod 2, a spin group: its layer-norm
      reading is (1/2, 1/2, -1/2, -1/2) for odd t and its negation for even t;
    - "index": psi(t) = (1/(t + 1), 1, -1/(t + 1), -1), the key of digit t that hash joins match on.

    Every value is a rational in [-1, 1], the same at every position, so fixed:p rounds it identically
    everywhere and every tie stays exact. No sublayer may write the cells.
    """

    encoding: str
    labels: tuple[str, ...]

    def __init__(self, encoding: str, labels: Iterable[str]) -> None:
        object.__setattr__(self, "encoding", encoding)
        object.__setattr__(self, "labels", tuple(labels))
        if encoding not in TIMESTEP_ENCODINGS:
            raise ModelError(f"timestep: encoding must be one of {TIMESTEP_ENCODINGS}, got {encoding!r}")
        if len(self.labels) != 4:
            raise ModelError(f"timestep {encoding!r}: needs 4 cells, got {len(self.labels)}")

    def values(self, t: int) -> tuple[Fraction, ...]:
        """psi(t), one value per cell."""
        if self.encoding == "parity":
            x = Fraction(t % 2) - Fraction(1, 2)
            return (x, x, -x, -x)
        key = Fraction(1, t + 1)
        return (key, Fraction(1), -key, Fraction(-1))


@dataclass(frozen=True)
class Stage:
    """Layers run `loops`(s) times in a row with the same weights; `timestep` cells (if any) are set to
    psi(t) before iteration t."""

    name: str
    layers: tuple[Layer, ...] = ()
    loops: LoopCount = field(default_factory=lambda: LoopCount(value=1))
    timestep: tuple[Timestep, ...] = ()

    def __init__(
        self,
        name: str,
        layers: Iterable[Layer] = (),
        loops: LoopCount | None = None,
        timestep: Iterable[Timestep] = (),
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "layers", tuple(layers))
        object.__setattr__(self, "loops", loops or LoopCount(value=1))
        object.__setattr__(self, "timestep", tuple(timestep))
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ModelError(f"stage name must be an identifier (letters, digits, _), got {name!r}")
        if not isinstance(self.loops, LoopCount):
            raise ModelError(f"stage {name!r}: loops must be a LoopCount, got {self.loops!r}")

    @property
    def timestep_labels(self) -> tuple[str, ...]:
        return tuple(label for cells in self.timestep for label in cells.labels)


@dataclass(frozen=True)
class OutputTap:
    """A named output bit read from coordinate `label` at `position` (negative counts from the end);
    the bit is 1 iff the exact value there exceeds 1/2."""

    name: str
    position: int
    label: str


@dataclass(frozen=True)
class Model:
    """A complete model: vocabulary, labelled residual, embedding, layers, loop count, padding, readout.

    `embedding[kind]` maps residual labels to values (absent labels are 0); kinds are "BOS", "PAD",
    each alphabet symbol, and any `extra_kinds`. The unembedding maps the last position's residual to
    `symbols` (argmax; an exact tie goes to the earlier symbol); a model that accepts or rejects uses
    symbols ("reject", "accept"). `scratch` names coordinates that must be exactly 0 after every loop
    iteration of every looped stage. `input_format` says which words the model is defined on
    (expressivity.inputs); `tokens` refuses any other word.

    The layers are `stages`, run in order. The keywords prefix, block, suffix and loops build (or, next
    to `stages`, edit) the three-stage form: stages "prefix" (once), "block" (r(n) times), "suffix"
    (once); `model.prefix`, `.block`, `.suffix` and `.loops` read that form back and refuse any other.
    """

    alphabet: tuple[str, ...]
    labels: tuple[str, ...]
    embedding: Mapping[str, Mapping[str, Fraction]]
    stages: tuple[Stage, ...] = ()
    padding: Padding = field(default_factory=Padding)
    symbols: tuple[str, ...] = ("reject", "accept")
    unembedding: tuple[tuple[Fraction, ...], ...] = ()
    outputs: tuple[OutputTap, ...] = ()
    scratch: tuple[str, ...] = ()
    extra_kinds: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    name: str = "model"
    metadata: Mapping[str, object] = field(default_factory=dict)
    size_root: int = 1
    input_format: InputFormat = ANY_WORD

    def __init__(
        self,
        alphabet: Iterable[str],
        labels: Iterable[str],
        embedding: Mapping[str, Mapping[str, Rational]],
        prefix: Iterable[Layer] | None = None,
        block: Iterable[Layer] | None = None,
        suffix: Iterable[Layer] | None = None,
        loops: LoopCount | None = None,
        padding: Padding | None = None,
        symbols: Iterable[str] = ("reject", "accept"),
        unembedding: MatrixLike = (),
        outputs: Iterable[OutputTap] = (),
        scratch: Iterable[str] = (),
        extra_kinds: Iterable[str] = (),
        tail: Iterable[str] = (),
        name: str = "model",
        metadata: Mapping[str, object] | None = None,
        size_root: int = 1,
        stages: Iterable[Stage] | None = None,
        input_format: InputFormat | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "alphabet", tuple(alphabet))
        set_(self, "labels", tuple(labels))
        set_(self, "stages", _stages(stages, {"prefix": prefix, "block": block, "suffix": suffix}, loops))
        set_(self, "padding", padding or Padding())
        set_(self, "symbols", tuple(symbols))
        set_(self, "outputs", tuple(outputs))
        set_(self, "scratch", tuple(scratch))
        set_(self, "extra_kinds", tuple(extra_kinds))
        set_(self, "tail", tuple(tail))
        set_(self, "name", name)
        set_(self, "metadata", dict(metadata or {}))
        if isinstance(size_root, bool) or not isinstance(size_root, Integral) or size_root < 1:
            raise ModelError(f"size_root must be a positive integer, got {size_root!r}")
        set_(self, "size_root", int(size_root))
        if input_format is not None and not isinstance(input_format, InputFormat):
            raise ModelError(f"input_format must be an expressivity.inputs format, got {input_format!r}")
        set_(self, "input_format", input_format or ANY_WORD)
        self._validate_vocabulary()
        set_(self, "embedding", self._embedding(embedding))
        set_(self, "unembedding", _matrix(unembedding, self.labels, "unembedding"))
        self._validate()

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("BOS", *self.alphabet, "PAD", *self.extra_kinds)

    @property
    def width(self) -> int:
        return len(self.labels)

    def sections(self) -> tuple[tuple[str, tuple[Layer, ...]], ...]:
        """(stage name, its layers) for every stage, in order."""
        return tuple((stage.name, stage.layers) for stage in self.stages)

    @property
    def is_three_stage(self) -> bool:
        """True for the prefix (once), block (looped), suffix (once) form, timestep cells only in block."""
        return _is_three_stage(self.stages)

    def _three_stages(self, part: str) -> tuple[Stage, Stage, Stage]:
        if not self.is_three_stage:
            names = ", ".join(stage.name for stage in self.stages)
            raise ModelError(
                f"model {self.name!r} has the stages [{names}]; .{part} exists only for the three-stage "
                "form prefix, block, suffix (read .stages instead)"
            )
        return self.stages  # type: ignore[return-value]

    @property
    def prefix(self) -> tuple[Layer, ...]:
        return self._three_stages("prefix")[0].layers

    @property
    def block(self) -> tuple[Layer, ...]:
        return self._three_stages("block")[1].layers

    @property
    def suffix(self) -> tuple[Layer, ...]:
        return self._three_stages("suffix")[2].layers

    @property
    def loops(self) -> LoopCount:
        """r(n) of the block of a three-stage model."""
        return self._three_stages("loops")[1].loops

    @property
    def timestep_labels(self) -> tuple[str, ...]:
        return tuple(label for stage in self.stages for label in stage.timestep_labels)

    def is_looped(self, stage: Stage) -> bool:
        """A stage is a loop (its steps carry the iteration index and the scratch cells are checked after
        each iteration) unless its count is the plain constant 1; the block of the three-stage form is
        always a loop."""
        return stage.loops != LoopCount(value=1) or (self.is_three_stage and stage.name == "block")

    def size(self, length: int) -> int:
        """The size parameter s of a word of `length` symbols, which t and r are polynomials in:
        s = floor(length^(1/size_root)). It is the length itself unless a construction reads a
        structured input (a graph on s vertices given by s^2 + s symbols has size_root = 2)."""
        return _integer_root(length, self.size_root)

    def sequence_length(self, n: int) -> int:
        """N = 1 + n + t(s) + len(tail), s = size(n)."""
        return 1 + n + self.padding(self.size(n)) + len(self.tail)

    def tokens(self, word: str) -> list[str]:
        """The token kinds of the run on `word`; raises InputError for a symbol outside the alphabet or
        a word outside the input format."""
        for position, symbol in enumerate(word, start=1):
            if symbol not in self.alphabet:
                raise InputError(
                    f"symbol {symbol!r} at input position {position} is not in the alphabet "
                    f"{{{', '.join(self.alphabet)}}}"
                )
        mismatch = self.input_format.mismatch(word)
        if mismatch is not None:
            raise InputError(mismatch)
        return ["BOS", *word, *["PAD"] * self.padding(self.size(len(word))), *self.tail]

    def _validate_vocabulary(self) -> None:
        if len(set(self.labels)) != len(self.labels):
            dup = next(label for label in self.labels if self.labels.count(label) > 1)
            raise ModelError(f"residual coordinate {dup!r} is declared twice")
        for symbol in self.alphabet:
            if not isinstance(symbol, str) or len(symbol) != 1:
                raise ModelError(f"alphabet symbols must be single characters, got {symbol!r}")
        if len(set(self.kinds)) != len(self.kinds):
            raise ModelError(f"token kinds overlap: {self.kinds}")
        extra = set(self.extra_kinds)
        for kind in self.tail:
            if kind not in extra:
                raise ModelError(f"tail token {kind!r} is not one of the extra kinds {self.extra_kinds}")
        inconsistency = self.input_format.inconsistency(self.alphabet, self.size_root)
        if inconsistency is not None:
            raise ModelError(inconsistency)

    def _embedding(self, embedding: Mapping[str, Mapping[str, Rational]]) -> dict[str, dict[str, Fraction]]:
        out: dict[str, dict[str, Fraction]] = {}
        labels, kinds = set(self.labels), set(self.kinds)
        for kind, row in embedding.items():
            if kind not in kinds:
                raise ModelError(f"embedding: unknown token kind {kind!r} (kinds are {self.kinds})")
            for label in row:
                if label not in labels:
                    raise ModelError(f"embedding of {kind!r}: unknown coordinate {label!r}")
            where = f"embedding of {kind!r}"
            values = {
                label: v if type(v) is Fraction else to_fraction(v, f"{where} at {label!r}")
                for label, v in row.items()
            }
            # Absent means 0; dropping explicit zeros gives one form per model (a JSON round trip is equal).
            out[kind] = {label: v for label, v in values.items() if v}
        return out

    def _validate(self) -> None:
        labels = set(self.labels)
        names: set[str] = set()
        self._validate_stages(labels)
        timestep = set(self.timestep_labels)
        for section, layers in self.sections():
            for index, layer in enumerate(layers):
                where = f"{section} layer {index}"
                for sub in (*layer.heads, *layer.ffns):
                    kind = "head" if isinstance(sub, Head) else "ffn"
                    place = f"{where} {kind} {sub.name!r}"
                    if sub.name in names:
                        raise ModelError(f"{place}: the name {sub.name!r} is used twice")
                    names.add(sub.name)
                    sub.view.validate(labels, place)
                    for label in sub.writes:
                        if label not in labels:
                            raise ModelError(f"{place}: writes unknown coordinate {label!r}")
                        if label in timestep:
                            raise ModelError(f"{place}: writes the timestep coordinate {label!r}")
                    if len(set(sub.writes)) != len(sub.writes):
                        raise ModelError(f"{place}: writes a coordinate twice")
        if self.unembedding and len(self.unembedding) != len(self.symbols):
            raise ModelError(
                f"unembedding has {len(self.unembedding)} rows but there are {len(self.symbols)} symbols"
            )
        for tap in self.outputs:
            if tap.label not in labels:
                raise ModelError(f"output {tap.name!r} reads unknown coordinate {tap.label!r}")
        for label in self.scratch:
            if label not in labels:
                raise ModelError(f"scratch coordinate {label!r} is not a residual coordinate")

    def run(self, word: str, backend: str = "exact", **options):
        """Run on one word (a convenience for `expressivity.run`); returns the Trace."""
        from expressivity.simulator import Simulator

        return Simulator(self).run(word, backend, **options)

    def run_batch(self, words, backend: str = "exact", **options):
        """Run on many words of one length in one pass (see `Simulator.run_batch`); one Trace per word."""
        from expressivity.simulator import Simulator

        return Simulator(self).run_batch(words, backend, **options)

    def layer_count(self, n: int) -> int:
        """Layers run at input length n: the sum over stages of r_stage(s) * (its layers), s = size(n)."""
        s = self.size(n)
        return sum(stage.loops(s) * len(stage.layers) for stage in self.stages)

    def sublayer_count(self, n: int) -> int:
        """Heads plus FFNs run at input length n (the work, where layer_count is the depth)."""
        s = self.size(n)
        width = [sum(len(layer.heads) + len(layer.ffns) for layer in stage.layers) for stage in self.stages]
        return sum(stage.loops(s) * w for stage, w in zip(self.stages, width, strict=True))

    def _validate_stages(self, labels: set[str]) -> None:
        for stage in self.stages:
            if not isinstance(stage, Stage):
                raise ModelError(f"stages: expected Stage objects, got {stage!r}")
        names = [stage.name for stage in self.stages]
        for stage in self.stages:
            if names.count(stage.name) > 1:
                raise ModelError(f"stage {stage.name!r}: the name is used twice")
        declared: set[str] = set()
        for stage in self.stages:
            for label in stage.timestep_labels:
                where = f"stage {stage.name!r} timestep"
                if label not in labels:
                    raise ModelError(f"{where}: unknown coordinate {label!r}")
                if label in declared:
                    raise ModelError(f"{where}: coordinate {label!r} is declared as a timestep cell twice")
                if label in self.scratch:
                    raise ModelError(f"{where}: coordinate {label!r} is also a scratch coordinate")
                for kind, row in self.embedding.items():
                    if label in row:
                        raise ModelError(f"{where}: the embedding of {kind!r} sets {label!r} (must be 0)")
                declared.add(label)

    def parameter_count(self) -> int:
        count = sum(len(row) for row in self.embedding.values()) + len(self.unembedding) * self.width
        for _, layers in self.sections():
            for layer in layers:
                for head in layer.heads:
                    count += sum(len(m) * len(head.view.columns) for m in (head.query, head.key, head.value))
                for ffn in layer.ffns:
                    count += len(ffn.w1) * (len(ffn.view.columns) + 1) + len(ffn.w2) * (len(ffn.w1) + 1)
        return count


def _is_three_stage(stages: Sequence[Stage]) -> bool:
    once = LoopCount(value=1)
    return (
        tuple(stage.name for stage in stages) == THREE_STAGES
        and stages[0].loops == once
        and stages[2].loops == once
        and not stages[0].timestep
        and not stages[2].timestep
    )


def _stages(
    stages: Iterable[Stage] | None,
    parts: Mapping[str, Iterable[Layer] | None],
    loops: LoopCount | None,
) -> tuple[Stage, ...]:
    """The stages of a model from `stages` and/or the three-stage keywords (which edit `stages` when both
    are given, as dataclasses.replace(model, loops=...) does)."""
    given = {name: layers for name, layers in parts.items() if layers is not None}
    if stages is None:
        block = Stage("block", given.get("block", ()), loops or LoopCount(value=1))
        return (Stage("prefix", given.get("prefix", ())), block, Stage("suffix", given.get("suffix", ())))
    stages = tuple(stages)
    if not given and loops is None:
        return stages
    if not _is_three_stage(stages):
        edited = ", ".join([*given, *(["loops"] if loops is not None else [])])
        raise ModelError(f"{edited}: these keywords edit only the three-stage form prefix, block, suffix")
    prefix, block, suffix = stages
    return (
        Stage("prefix", given.get("prefix", prefix.layers)),
        Stage("block", given.get("block", block.layers), loops or block.loops, block.timestep),
        Stage("suffix", given.get("suffix", suffix.layers)),
    )
