"""Circuit -> padded looped transformer: a per-circuit (non-uniform) evaluator (docs/routes.md).

The model evaluates ONE circuit, for its one input length: the circuit's wiring is carried by per-gate
token kinds in the tail, and the loop count is fixed at compile time to the circuit's depth. Its input
format (`expressivity.inputs.FixedLength`) refuses a word of any other length before the run. A circuit
family therefore gives a separate model for every n; the uniform route, one model for every n with
c * ceil(log2 n)^d loops, is `expressivity.compile.iterated.compile_program`. This module builds the
looped mode (`mode="loop"`, the default); `compile_circuit` also builds the chain-of-thought and
masked-diffusion modes of the same circuit (`circuit_cot`, `circuit_mdm`).

Tokens [ours, a layout where every read looks back, so one ordering serves both masking modes]:

    BOS, x_1 .. x_n (the input bits, alphabet {0, 1}), then the tail:
    one proxy per input, then for every node v of the literal form in topological order: one wire
    token per literal of v (a literal read k times has k wire tokens: weights are multiplicities), then
    the token of v itself.

Every token holds code ids (gadgets.code_ids: entries +-1/2, unit norm, mean 0) in four groups: `id`
(what a fetch matches: nodes and proxies have their own id), `self` (what a gather matches: a node's own
id), `src` (a wire's source) and `dst` (a wire's node); tokens with nothing to match point at BOS, which
answers every such query with constants. Bits are spins (s = b - 1/2 in a 4-cell group that layer norm reads
exactly); `state` is the current bit of a node or proxy, `literal` the current value of a wire's literal.

Prefix (causal heads):
1. a uniform head averages the BOS spin: (1 - i)/(2(i+1)) at position i; added to the embedded
   (1/2, 1, -1/2, -1) it gives the hash group (1/(i+1), 1, -1/(i+1), -1), read phi(1/(i+1));
2. the proxy of input i matches that hash with its own embedded psi(1/(i+1)) (G3) and copies the input
   bit into its state; every other token copies BOS's bit 0;
3. every wire fetches the state of its source and stores its literal (step 2 of the loop below).

Loop body, repeated depth(C) times (two layers):
1. gather: node v averages the literal spins of its wire tokens (query self, key dst: the tie set is
   exactly v's wires): M = count/f - 1/2 for f wires of which `count` are true. With
   T_v = (t_v - 1/2)/f - 1/2 embedded, the comparison group (M, M, T_v, T_v) reads the spin of
   [count >= t_v] (count is an integer, so M != T_v), and an FFN overwrites v's state by new - old (G10).
2. ungather (the same head with the value negated) erases M; fetch: every wire reads its source's state
   (query src, key id) into `fetched`; an FFN writes literal = fetched XOR negated as new - old and erases
   `fetched`.
Both FFNs are Boolean tables (G9) gated by the token's role, so tokens that are not nodes (not wires)
never change their state (literal). After iteration t every node of depth <= t holds its value, and
further iterations change nothing; `scratch` (M and `fetched`) is exactly 0 after each iteration.

Suffix: an FFN writes `bit` = b and `not_bit` = 1 - b from the state; each named output is a tap on the
token of its source, reading `not_bit` for a negated output.

Masks: `causal=False` (mixed) makes gather, ungather and fetch unmasked; `causal=True` makes them causal.
The layout already puts every wire after its source and every node after its wires, so both modes
compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from circuits.evaluation import evaluate
from circuits.ir import Circuit
from circuits.literal_form import FALSE, LiteralCircuit, literal_form, literal_form_size
from circuits.serial import circuit_to_dict
from expressivity.compile import gadgets as g
from expressivity.compile.program import Program
from expressivity.inputs import FixedLength
from expressivity.model import Head, Layer, LoopCount, Model, ModelError, OutputTap
from expressivity.simulator import Simulator

HALF = Fraction(1, 2)
# Reserved unit ids; nodes and proxies take ids from _FIRST_NODE_ID on.
_BOS_ID, _WIRE_ID, _INPUT_ID, _NOWHERE_ID, _FIRST_NODE_ID = range(5)


@dataclass(frozen=True)
class CompiledCircuit:
    """A compiled circuit: the model, the literal form it evaluates, and the input/output names."""

    model: Model
    form: LiteralCircuit

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.form.inputs

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.form.outputs)

    @cached_property
    def simulator(self) -> Simulator:
        return Simulator(self.model)

    def run(self, bits, backend: str = "exact", **options) -> dict[str, int]:
        """Output bits by name on one input vector (bits in the circuit's input order). A chain-of-thought
        or masked-diffusion model is run by generation or denoising (`expressivity.decoding`); `options`
        go to the simulator's run (loop mode) or to `run_decoder` (max_steps)."""
        word = input_word(self.form.inputs, bits)
        if "run" in self.model.metadata:
            from expressivity.decoding import run_decoder

            return run_decoder(self.model, word, backend, simulator=self.simulator, **options).outputs
        return self.simulator.run(word, backend, **options).outputs


def input_word(inputs: tuple[str, ...], bits) -> str:
    """The model's input word for a bit vector given in input order ('0'/'1' characters)."""
    bits = [int(b) for b in bits]
    if len(bits) != len(inputs):
        raise ModelError(f"the circuit has {len(inputs)} inputs, got {len(bits)} bits")
    if any(b not in (0, 1) for b in bits):
        raise ModelError(f"input bits must be 0 or 1, got {bits}")
    return "".join(map(str, bits))


class _Cells:
    """The residual groups of the evaluator (module docstring), allocated in reading order; the four
    id groups have `id_width` cells (code ids, gadgets.code_ids)."""

    def __init__(self, program: Program, id_width: int) -> None:
        group = program.group
        self.bos = group("is_bos", 4)
        self.input_bit = group("input_bit", 4)
        self.position = group("position_hash", 4)
        self.wanted = group("wanted_position", 4)
        self.id, self.self, self.src, self.dst = (group(n, id_width) for n in ("id", "self", "src", "dst"))
        self.is_node, self.is_wire, self.negated = (group(n, 4) for n in ("is_node", "is_wire", "negated"))
        self.state = group("state", 4)
        self.literal = group("literal", 4)
        self.fetched = group("fetched", 4)
        self.compare = group("compare", 4)  # (M, M, T, T)
        self.bit = program.cell("bit")
        self.not_bit = program.cell("not_bit")


def _position_hash(position: int) -> dict[int, Fraction]:
    z = Fraction(1, position + 1)
    return {0: z, 1: Fraction(1), 2: -z, 3: Fraction(-1)}


def _hash_cells(group: tuple[str, ...], position: int) -> dict[str, Fraction]:
    return {group[r]: v for r, v in _position_hash(position).items()}


MODES = ("loop", "cot", "mdm")


def compile_circuit(
    circuit: Circuit,
    causal: bool = False,
    check: bool = True,
    max_tokens: int = 1_000_000,
    mode: str = "loop",
) -> CompiledCircuit:
    """Compile `circuit` (any gate types; through the literal form) into a looped model with loop count
    depth(literal form). With `check`, run the all-zero and all-one inputs exactly and compare with the
    circuit evaluator (a ModelError on a mismatch); that costs two runs, about 2 s each for c6288.

    `mode="cot"` gives instead a fixed-depth causal model run by generation, one token per node of the
    literal form (`circuit_cot`); `mode="mdm"` a fixed-depth model run by denoising, depth(literal form)
    steps (`circuit_mdm`, unmasked heads, or causal ones with `causal=True`). Both are checked the same
    way.

    Weights are multiplicities: a literal of weight w has |w| wire tokens, so a circuit with weights
    2^k (e.g. iterated addition) grows with the weights. A model of more than `max_tokens` tail tokens
    is refused with a ModelError before anything is built: the count comes from the weights alone
    (`literal_form_size`), so a weight of 2^40 costs no memory."""
    if mode != "loop":
        return _decoding_mode(circuit, causal, check, max_tokens, mode)
    size = literal_form_size(circuit)
    tokens = len(circuit.inputs) + size.nodes + size.literals
    if tokens > max_tokens:
        raise ModelError(
            f"circuit {circuit.name!r} would need {tokens} tokens ({size.literals} wire tokens: a literal "
            f"of weight w takes |w| of them; gate {size.heaviest!r} alone takes {size.heaviest_literals}), "
            f"more than max_tokens={max_tokens} (compile_circuit's max_tokens argument raises the limit)"
        )
    form = literal_form(circuit, max_literals=size.literals)
    n = len(form.inputs)
    program = Program("01")
    id_width = g.code_width(_FIRST_NODE_ID + n + len(form.nodes))
    codes = g.code_ids(_FIRST_NODE_ID + n + len(form.nodes), id_width)
    cells = _Cells(program, id_width)
    ids = {FALSE: _BOS_ID}
    tail: list[str] = []
    positions: dict[str, int] = {}

    def token(kind: str, values: dict[str, Fraction]) -> None:
        program.add_kind(kind)
        program.set(kind, values)
        positions[kind] = 1 + n + len(tail)
        tail.append(kind)

    def point(group: tuple[str, ...], index: int) -> dict[str, Fraction]:
        return dict(zip(group, codes[index], strict=True))

    base = {
        **g.spin_cells(cells.bos, 0),
        **g.spin_cells(cells.input_bit, 0),
        # the BOS count adds (1 - i)/(2(i + 1)) to position_hash[0], making it 1/(i + 1)
        **dict(zip(cells.position, (HALF, 1, -HALF, -1), strict=True)),
        **_hash_cells(cells.wanted, 0),
        **point(cells.id, _INPUT_ID),
        **point(cells.self, _BOS_ID),
        **point(cells.src, _BOS_ID),
        **point(cells.dst, _NOWHERE_ID),
        **g.spin_cells(cells.is_node, 0),
        **g.spin_cells(cells.is_wire, 0),
        **g.spin_cells(cells.negated, 0),
        **g.spin_cells(cells.literal, 0),
        cells.compare[2]: Fraction(0),
        cells.compare[3]: Fraction(0),
    }
    program.set_all(base)
    program.set(
        "BOS", {**g.spin_cells(cells.bos, 1), **point(cells.id, _BOS_ID), **point(cells.dst, _BOS_ID)}
    )
    program.set("1", g.spin_cells(cells.input_bit, 1))
    for index, name in enumerate(form.inputs):
        ids[name] = _FIRST_NODE_ID + index
        token(f"input {name}", {**_hash_cells(cells.wanted, index + 1), **point(cells.id, ids[name])})
    for node in form.nodes:
        ids[node] = _FIRST_NODE_ID + len(ids) - 1
        lits = form.literals[node]
        for number, (source, negated) in enumerate(lits):
            token(
                f"wire {source}->{node} #{number}",
                {
                    **point(cells.id, _WIRE_ID),
                    **point(cells.src, ids[source]),
                    **point(cells.dst, ids[node]),
                    **g.spin_cells(cells.is_wire, 1),
                    **g.spin_cells(cells.negated, int(negated)),
                },
            )
        level = (Fraction(form.threshold[node]) - HALF) / len(lits) - HALF
        token(
            f"node {node}",
            {
                **point(cells.id, ids[node]),
                **point(cells.self, ids[node]),
                **g.spin_cells(cells.is_node, 1),
                cells.compare[2]: level,
                cells.compare[3]: level,
            },
        )
    mask = "causal" if causal else "unmasked"
    prefix = [
        Layer(heads=[g.uniform_head("count BOS", cells.bos, {cells.position[0]: 1, cells.position[2]: -1})]),
        Layer(
            heads=[
                g.match_head(
                    "read input",
                    cells.wanted,
                    cells.position,
                    g.spin_writes(cells.state, {cells.input_bit[0]: 1}),
                    reads=[cells.input_bit],
                    mask="causal",
                )
            ]
        ),
        Layer(
            heads=[_fetch("fetch (initial)", cells, mask)], ffns=[_literal_ffn("literal (initial)", cells)]
        ),
    ]
    block = [
        Layer(heads=[_gather("gather", cells, mask, 1)], ffns=[_update_ffn(cells)]),
        Layer(
            heads=[_gather("ungather", cells, mask, -1), _fetch("fetch", cells, mask)],
            ffns=[_literal_ffn("literal", cells)],
        ),
    ]
    suffix = [Layer(ffns=[_readout_ffn(cells)])]
    outputs = [
        OutputTap(
            name,
            0 if source == FALSE else positions[_kind_of(form, source)],
            cells.not_bit if negated else cells.bit,
        )
        for name, (source, negated) in form.outputs
    ]
    depth = form.depth
    model = program.model(
        prefix=prefix,
        block=block,
        suffix=suffix,
        loops=LoopCount(value=depth, fixed=True),
        outputs=outputs,
        scratch=[*cells.fetched, cells.compare[0], cells.compare[1]],
        tail=tail,
        name=circuit.name,
        input_format=FixedLength(n),
        metadata={
            "route": "circuit",
            "mode": "causal" if causal else "mixed",
            "inputs": list(form.inputs),
            "outputs": [name for name, _ in form.outputs],
            "depth": depth,
            "circuit": circuit_to_dict(circuit),
        },
    )
    compiled = CompiledCircuit(model, form)
    if check:
        self_check(compiled, circuit)
    return compiled


def _decoding_mode(
    circuit: Circuit, causal: bool, check: bool, max_tokens: int, mode: str
) -> CompiledCircuit:
    """The chain-of-thought or masked-diffusion model of `circuit` (compile_circuit's `mode`)."""
    if mode == "cot":
        from expressivity.compile.circuit_cot import build

        model = build(circuit, max_tokens)
    elif mode == "mdm":
        from expressivity.compile.circuit_mdm import build as build_mdm

        model = build_mdm(circuit, max_tokens, causal)
    else:
        raise ModelError(f"unknown circuit mode {mode!r}; the modes are {', '.join(MODES)}")
    compiled = CompiledCircuit(model, literal_form(circuit))
    if check:
        self_check(compiled, circuit)
    return compiled


def _kind_of(form: LiteralCircuit, source: str) -> str:
    return f"input {source}" if source in form.inputs else f"node {source}"


def _gather(name: str, cells: _Cells, mask: str, sign: int) -> Head:
    """Mean of the literal spins over a node's wires, written (times sign) into M, M."""
    return g.match_head(
        name,
        cells.self,
        cells.dst,
        {cells.compare[0]: {cells.literal[0]: sign}, cells.compare[1]: {cells.literal[0]: sign}},
        reads=[cells.literal],
        mask=mask,
    )


def _fetch(name: str, cells: _Cells, mask: str) -> Head:
    """A wire reads the state spin of its source into `fetched`."""
    return g.match_head(
        name,
        cells.src,
        cells.id,
        g.spin_writes(cells.fetched, {cells.state[0]: 1}),
        reads=[cells.state],
        mask=mask,
    )


def _update_ffn(cells: _Cells):
    """state <- [M > T] on nodes (new - old); nothing elsewhere."""

    def table(bits: tuple[int, ...]) -> dict[str, Fraction]:
        above, is_node, old = bits
        return g.spin_values(cells.state, Fraction(above - old)) if is_node else {}

    return g.table_ffn("update", [cells.compare, cells.is_node, cells.state], table, cells.state)


def _literal_ffn(name: str, cells: _Cells):
    """literal <- fetched XOR negated on wires (new - old); fetched <- 0 everywhere."""

    def table(bits: tuple[int, ...]) -> dict[str, Fraction]:
        fetched, negated, is_wire, old = bits
        delta = g.spin_values(cells.fetched, -(Fraction(fetched) - HALF))
        if is_wire:
            delta.update(g.spin_values(cells.literal, Fraction((fetched ^ negated) - old)))
        return delta

    inputs = [cells.fetched, cells.negated, cells.is_wire, cells.literal]
    return g.table_ffn(name, inputs, table, [*cells.fetched, *cells.literal])


def _readout_ffn(cells: _Cells):
    return g.table_ffn(
        "readout",
        [cells.state],
        lambda bits: {cells.bit: bits[0], cells.not_bit: 1 - bits[0]},
        [cells.bit, cells.not_bit],
    )


def self_check(compiled: CompiledCircuit, circuit: Circuit) -> None:
    """Run the all-zero and all-one inputs exactly and compare with the circuit evaluator (a ModelError
    on a mismatch): what `compile_circuit(check=True)` does; the CLI calls it after its size check."""
    for bit in (0, 1):
        bits = [bit] * len(circuit.inputs)
        got, want = compiled.run(bits), evaluate(circuit, bits)
        if got != want:
            raise ModelError(
                f"compiled {circuit.name!r} disagrees with the circuit on {bits}: {got} != {want}"
            )
