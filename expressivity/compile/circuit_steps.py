"""One gate per position: the fixed-depth layers shared by the chain-of-thought and masked-diffusion
circuit modes (docs/routes.md).

Both modes evaluate the literal form of a circuit (`circuits.literal_form`) with a fixed-depth model and
no loops: each *gate row* computes one node from the 0/1 tokens of its sources. In chain of thought
(`circuit_cot`) the row computing node t is the last position when node t is next, and the node's
value becomes the next generated token; in masked diffusion (`circuit_mdm`) node t has a position of
its own, which holds MASK until its value is written there.

Slots [ours]. Every node v becomes D *slots*, D the largest number of distinct literals of a node:

1. literals on the constant FALSE are dropped (a negated one, i.e. TRUE, lowers t by its weight); the
   others are merged into distinct literals (source, negated) with weights w (multiplicities);
2. t is clamped to [0, W + 1] (W the total weight): below 0 the node is always true, above W never;
3. slot k holds the k-th distinct literal: its source, its negation and its weight in binary (B bits);
   a slot a node does not use holds FALSE with weight 0.

So v is true iff count = sum_k w_k l_k >= t (l_k the literal's value), i.e. iff M = count/S exceeds
T = (t - 1/2)/S, S = D 2^B a scale that keeps the cells in [0, 1]; count is an integer, so M != T.

Tokens. The circuit's wiring is in a fixed tail: one *proxy* per input (it carries the input's code id
and fetches its bit) and one *description* per node (which the gate row fetches). Each source has a
code id (gadgets.code_ids: rational unit vectors); the token that holds a source's value carries its
id: BOS for FALSE (its value is 0), the proxies for the inputs, and for a node the token where the
mode writes its value, which learns the id from the description its own row fetches.

Layers (all in the prefix; no loops; the describe and retrieve heads use the mode's mask):
1. a uniform causal head averages the BOS spin: 1/(i+1) at row i, which gives the position hash
   (1/(i+1), 1, -1/(i+1), -1) (read phi(1/(i+1))) and the comparison group (1/(i+1), 1/(i+1), y, y),
   y = 2/(2R + 1), whose spin says whether the row is before R, the first gate row;
2. describe: a gate row i matches its position hash with the `for_row` hash of its node's
   description (G3) and copies the id its own token carries, each slot's source id, negation spin and
   weight-bit spins, and the threshold's bit spins, which add (t - 1/2)/S to T (a linear copy of
   spins: sum_b 2^b (bit_b - 1/2) = t - (2^B - 1)/2, the rest is embedded). A score term 8 e_i b_j (e
   the before-R spin, b the BOS spin; G4) sends every row before R to BOS, whose description is
   FALSE in every slot with weight 0 and threshold bits 0, and keeps gate rows off BOS. The same
   layer's `read input` head lets each proxy fetch its input bit (position hash against the hash of
   the input's position; every other row reads BOS, which adds 0);
3. per slot a head matches the copied source id with the id of every token and copies that token's
   value spin into `got` (an unused slot reads BOS); one FFN (G9 tables, stacked) adds
   2^b [l_k and bit b of w_k]/S to M, l_k = got_k XOR negated_k. The masked-diffusion mode also counts
   masked sources into a second comparison group (sum over slots of (m - 1/2)/D against
   (1/2)/D - 1/2: some source is MASK);
4. a table FFN turns the comparison spins into the cells the unembedding reads.

Everything stored is rational: position hashes are only read (their readings, with square roots, live
in the views), and every copy is of ids and spins, which read as themselves.

Rows before R look up BOS in every slot, so what they compute in the gate cells is a constant that
nothing reads; no answer is read from them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from circuits.ir import Circuit
from circuits.literal_form import FALSE, LiteralCircuit, literal_form, literal_form_size
from circuits.serial import circuit_to_dict
from expressivity.compile import gadgets as g
from expressivity.compile.program import Group, Program
from expressivity.inputs import FixedLength
from expressivity.model import FFN, Head, Layer, Model, ModelError, View

HALF = Fraction(1, 2)
RESTRICT = 8
"""Score weight of the BOS term of the describe head: it moves scores by +-2, more than the spread of
a product of two unit vectors (at most 2)."""

Slot = tuple[str, bool, int]  # (source, negated, weight)


@dataclass(frozen=True)
class SlotForm:
    """Every node as `distinct` slots with weights of at most `weight_bits` bits, and its clamped
    threshold (module docstring)."""

    distinct: int
    weight_bits: int
    threshold_bits: int
    slots: dict[str, tuple[Slot, ...]]
    threshold: dict[str, int]

    @property
    def scale(self) -> int:
        """S = D 2^B: count/S and (t - 1/2)/S lie in [0, 1]."""
        return self.distinct * 2**self.weight_bits


def slot_form(form: LiteralCircuit) -> SlotForm:
    """Steps 1-3 of the module docstring for every node of `form`."""
    merged: dict[str, list[Slot]] = {}
    clamped: dict[str, int] = {}
    for node in form.nodes:
        counts = Counter(form.literals[node])
        threshold = form.threshold[node] - counts.pop((FALSE, True), 0)
        counts.pop((FALSE, False), None)
        clamped[node] = min(max(threshold, 0), sum(counts.values()) + 1)
        merged[node] = [(source, negated, weight) for (source, negated), weight in counts.items()]
    distinct = max((len(lits) for lits in merged.values()), default=0) or 1
    weight_bits = max((w.bit_length() for lits in merged.values() for *_, w in lits), default=1)
    threshold_bits = max((t.bit_length() for t in clamped.values()), default=1) or 1
    slots = {
        node: tuple(lits + [(FALSE, False, 0)] * (distinct - len(lits))) for node, lits in merged.items()
    }
    return SlotForm(distinct, weight_bits, threshold_bits, slots, clamped)


def checked_slot_form(form: LiteralCircuit, max_slots: int) -> SlotForm:
    """`slot_form(form)`, refused (a ModelError naming the sizes) when it has more than `max_slots`
    slots: each slot is one head at every step."""
    slots = slot_form(form)
    if slots.distinct > max_slots:
        raise ModelError(
            f"circuit {form.name!r} has a node with {slots.distinct} distinct literals: as many heads, "
            f"more than {max_slots}"
        )
    return slots


def hash_cells(group: Group, position: int) -> dict[str, Fraction]:
    """(x, 1, -x, -1) with x = 1/(position + 1): the position hash a row learns in layer 1."""
    x = Fraction(1, position + 1)
    return dict(zip(group, (x, Fraction(1), -x, Fraction(-1)), strict=True))


class GateCells:
    """The residual groups of the gate rows, allocated in reading order; `id_width` cells per code id."""

    def __init__(self, program: Program, form: SlotForm, id_width: int, pending: bool) -> None:
        group = program.group
        self.bos = group("is_bos", 4)
        self.input_bit = group("input_bit", 4)
        self.value = group("value", 4)
        self.position = group("position_hash", 4)
        self.wanted = group("wanted_position", 4)
        self.early = group("before_gates", 4)  # (1/(i+1), 1/(i+1), y, y)
        self.for_row = group("for_row", 4)
        self.id = group("id", id_width)
        self.described_id = group("describe_id", id_width)
        self.described_src = [group(f"describe_src{k}", id_width) for k in range(form.distinct)]
        self.described_neg = [group(f"describe_neg{k}", 4) for k in range(form.distinct)]
        self.described_weight = [
            [group(f"describe_weight{k}_bit{b}", 4) for b in range(form.weight_bits)]
            for k in range(form.distinct)
        ]
        self.described_threshold = [
            group(f"describe_threshold_bit{b}", 4) for b in range(form.threshold_bits)
        ]
        self.src = [group(f"src{k}", id_width) for k in range(form.distinct)]
        self.neg = [group(f"negated{k}", 4) for k in range(form.distinct)]
        self.weight = [
            [group(f"weight{k}_bit{b}", 4) for b in range(form.weight_bits)] for k in range(form.distinct)
        ]
        self.got = [group(f"got{k}", 4) for k in range(form.distinct)]
        self.compare = group("compare", 4)  # (M, M, T, T)
        self.is_mask: Group = group("is_mask", 4) if pending else ()
        self.pending = group("pending", 4) if pending else None  # (P, P, tau, tau)


@dataclass(frozen=True)
class GateLayout:
    """Where a mode puts things: `first_row` R; per node, the row computing it and the id (an index of
    `ids`) that row's own token carries (None: none); the code-id index of every source (FALSE, inputs,
    nodes); and the heads' mask."""

    first_row: int
    row_of: dict[str, int]
    carried: dict[str, str | None]
    mask: str


def code_ids(form: LiteralCircuit) -> tuple[int, dict[str, tuple[Fraction, ...]]]:
    """(width, the code id of every source): FALSE, the inputs and the nodes (gadgets.code_ids)."""
    sources = [FALSE, *form.inputs, *form.nodes]
    width = g.code_width(len(sources))
    return width, dict(zip(sources, g.code_ids(len(sources), width), strict=True))


def embed(program: Program, cells: GateCells, form: SlotForm, layout: GateLayout, ids: dict) -> None:
    """The embedding every kind starts from, BOS, "1" and the input proxies; `describe` adds the
    descriptions."""
    y = Fraction(2, 2 * layout.first_row + 1)
    # T = (t - 1/2)/S once the description adds sum_b 2^b (bit_b - 1/2)/S = (t - (2^B - 1)/2)/S
    T = (Fraction(2**form.threshold_bits - 1, 2) - HALF) / form.scale
    base = {
        **g.spin_cells(cells.bos, 0),
        **g.spin_cells(cells.input_bit, 0),
        **g.spin_cells(cells.value, 0),
        **dict(zip(cells.position, (HALF, 1, -HALF, -1), strict=True)),
        **hash_cells(cells.wanted, 0),
        **dict(zip(cells.early, (HALF, HALF, y, y), strict=True)),
        **hash_cells(cells.for_row, 0),
        cells.compare[2]: T,
        cells.compare[3]: T,
    }
    if cells.pending is not None:
        tau = HALF / form.distinct - HALF
        base.update({**g.spin_cells(cells.is_mask, 0), cells.pending[2]: tau, cells.pending[3]: tau})
    program.set_all(base)
    # BOS holds the value of FALSE; its input_bit is 0 (not a spin), so a row that reads the input
    # at BOS (every row but a proxy) adds nothing. Its description names FALSE in every slot, so the
    # rows before R look up BOS alone (one token, not an average over the whole sequence).
    program.set(
        "BOS",
        {
            **g.spin_cells(cells.bos, 1),
            **dict.fromkeys(cells.input_bit, Fraction(0)),
            **dict(zip(cells.id, ids[FALSE], strict=True)),
            **{cell: x for group in cells.described_src for cell, x in zip(group, ids[FALSE], strict=True)},
        },
    )
    program.set("1", {**g.spin_cells(cells.input_bit, 1), **g.spin_cells(cells.value, 1)})


def proxy(program: Program, cells: GateCells, ids: dict, name: str, position: int) -> str:
    """Declare the proxy token kind of the input `name` read at `position`, and return it: it fetches
    that input's bit into `value` and carries the input's id."""
    kind = f"input {name}"
    program.add_kind(kind)
    program.set(
        kind,
        {
            **hash_cells(cells.wanted, position),
            **dict.fromkeys(cells.value, Fraction(0)),
            **dict(zip(cells.id, ids[name], strict=True)),
        },
    )
    return kind


def describe(
    program: Program, cells: GateCells, form: SlotForm, layout: GateLayout, ids: dict, node: str
) -> str:
    """Declare the description token kind of `node` and return it."""
    kind = f"gate {node}"
    program.add_kind(kind)
    values = hash_cells(cells.for_row, layout.row_of[node])
    carried = layout.carried[node]
    if carried is not None:
        values.update(zip(cells.described_id, ids[carried], strict=True))
    for k, (source, negated, weight) in enumerate(form.slots[node]):
        values.update(zip(cells.described_src[k], ids[source], strict=True))
        values.update(g.spin_cells(cells.described_neg[k], int(negated)))
        for b, group in enumerate(cells.described_weight[k]):
            values.update(g.spin_cells(group, weight >> b & 1))
    for b, group in enumerate(cells.described_threshold):
        values.update(g.spin_cells(group, form.threshold[node] >> b & 1))
    program.set(kind, values)
    return kind


def gate_layers(cells: GateCells, form: SlotForm, layout: GateLayout, decide: FFN) -> list[Layer]:
    """Layers 1-4 of the module docstring; `decide` is the mode's last FFN (layer 4)."""
    count = g.uniform_head(
        "count BOS",
        cells.bos,
        {cells.position[0]: 1, cells.position[2]: -1, cells.early[0]: 1, cells.early[1]: 1},
    )
    read_input = g.match_head(
        "read input",
        cells.wanted,
        cells.position,
        g.spin_writes(cells.value, {cells.input_bit[0]: 1}),
        reads=[cells.input_bit],
        mask="causal",
    )
    pairs = [(cells.id, cells.described_id)]
    for k in range(form.distinct):
        pairs += [(cells.src[k], cells.described_src[k]), (cells.neg[k], cells.described_neg[k])]
        pairs += list(zip(cells.weight[k], cells.described_weight[k], strict=True))
    copies = {
        cell: {read: Fraction(1)} for into, source in pairs for cell, read in zip(into, source, strict=True)
    }
    threshold = {group[0]: Fraction(2**b, form.scale) for b, group in enumerate(cells.described_threshold)}
    copies.update(dict.fromkeys(cells.compare[2:], threshold))
    reads = [cells.early, cells.bos, *(source for _, source in pairs), *cells.described_threshold]
    describe_head = g.match_head(
        "describe",
        cells.position,
        cells.for_row,
        copies,
        reads=reads,
        mask=layout.mask,
        score_terms=[(cells.early[0], cells.bos[0], RESTRICT)],
    )
    return [
        Layer(heads=[count]),
        Layer(heads=[describe_head, read_input]),
        Layer(
            heads=[_retrieve(cells, form, k, layout.mask) for k in range(form.distinct)],
            ffns=[_literals(cells, form)],
        ),
        Layer(ffns=[decide]),
    ]


def _retrieve(cells: GateCells, form: SlotForm, k: int, mask: str) -> Head:
    """Slot k: the value spin of the token whose id is the copied source id, into got_k (and, in masked
    diffusion, (m - 1/2)/D into the pending comparison, m = 1 for a MASK token)."""
    values = g.spin_writes(cells.got[k], {cells.value[0]: 1})
    reads = [cells.value]
    if cells.pending is not None:
        share = Fraction(1, form.distinct)
        values.update(
            {cells.pending[0]: {cells.is_mask[0]: share}, cells.pending[1]: {cells.is_mask[0]: share}}
        )
        reads.append(cells.is_mask)
    return g.match_head(f"retrieve {k}", cells.src[k], cells.id, values, reads=reads, mask=mask)


def _literals(cells: GateCells, form: SlotForm) -> FFN:
    """M += 2^b [l_k and bit b of w_k]/S for every slot k and bit b, l_k = got_k XOR negated_k: one G9
    table per (k, b), stacked into one FFN."""
    tables = []
    for k in range(form.distinct):
        for b, weight_bit in enumerate(cells.weight[k]):
            share = Fraction(2**b, form.scale)

            def table(bits: tuple[int, ...], share: Fraction = share) -> dict[str, Fraction]:
                got, negated, on = bits
                return dict.fromkeys(cells.compare[:2], share * ((got ^ negated) & on))

            inputs = [cells.got[k], cells.neg[k], weight_bit]
            tables.append(g.table_ffn(f"slot {k} bit {b}", inputs, table, list(cells.compare[:2])))
    return stack_ffns("literals", tables)


def stack_ffns(name: str, ffns: Sequence[FFN]) -> FFN:
    """One FFN whose hidden units are those of `ffns` side by side (their views have disjoint groups
    or equal ones): it adds the sum of their outputs."""
    groups: list[tuple[str, ...]] = []
    writes: list[str] = []
    for ffn in ffns:
        groups += [group for group in ffn.view.groups if group not in groups]
        writes += [label for label in ffn.writes if label not in writes]
    w1: list[dict[str, Fraction]] = []
    b1: list[Fraction] = []
    w2: list[list[Fraction]] = [[] for _ in writes]
    for ffn in ffns:
        columns = ffn.view.columns
        w1 += [{c: x for c, x in zip(columns, row, strict=True) if x} for row in ffn.w1]
        b1 += list(ffn.b1)
        for r, label in enumerate(writes):
            row = ffn.w2[ffn.writes.index(label)] if label in ffn.writes else (Fraction(0),) * len(ffn.w1)
            w2[r] += list(row)
    if any(ffn.b2 != (0,) * len(ffn.b2) for ffn in ffns):
        raise ModelError(f"ffn {name!r}: stacking needs FFNs without an output bias")
    return FFN(name, View(groups), w1=w1, b1=b1, w2=w2, writes=writes)


def literal_and_slot_forms(
    circuit: Circuit, max_tokens: int, max_slots: int
) -> tuple[LiteralCircuit, SlotForm]:
    """The literal form of `circuit` and its slot form, after refusing (before building anything) a
    circuit whose sequence of 1 + 2 * inputs + 2 * nodes positions exceeds `max_tokens`."""
    size = literal_form_size(circuit)
    positions = 1 + 2 * len(circuit.inputs) + 2 * size.nodes
    if positions > max_tokens:
        raise ModelError(
            f"circuit {circuit.name!r} would need {positions} positions, more than max_tokens={max_tokens}"
        )
    form = literal_form(circuit)
    return form, checked_slot_form(form, max_slots)


def route_metadata(
    circuit: Circuit, form: LiteralCircuit, read: list[list], **run: object
) -> dict[str, object]:
    """What a decoding circuit model stores: the route, how it is run (`run`: mode, run, steps, ...),
    where outputs are read, and the circuit itself for `verify`."""
    return {
        "route": "circuit",
        **run,
        "read": read,
        "inputs": list(form.inputs),
        "outputs": [name for name, _ in form.outputs],
        "depth": form.depth,
        "size": len(form.nodes),
        "circuit": circuit_to_dict(circuit),
    }


def output_reads(form: LiteralCircuit, first_node: int) -> list[list]:
    """Where each output is read: [name, position of its source (None for FALSE), negated], with input
    j at position 1 + j and node t at position first_node + t."""
    position = {
        **{name: 1 + j for j, name in enumerate(form.inputs)},
        **{node: first_node + t for t, node in enumerate(form.nodes)},
    }
    return [
        [name, None if source == FALSE else position[source], negated]
        for name, (source, negated) in form.outputs
    ]


def assemble(
    program: Program,
    layers: Sequence[Layer],
    symbols: Sequence[str],
    unembedding: Sequence[dict[str, int]],
    tail: Sequence[str],
    name: str,
    metadata: dict[str, object],
) -> Model:
    """The fixed-depth model (every layer in the prefix, no loops) with its own output symbols; it reads
    words of exactly as many symbols as the circuit has inputs."""
    return Model(
        alphabet=program.alphabet,
        labels=program.labels,
        embedding=program.embedding(),
        prefix=layers,
        symbols=symbols,
        unembedding=unembedding,
        extra_kinds=program.extra_kinds,
        tail=tail,
        name=name,
        metadata=metadata,
        input_format=FixedLength(len(metadata["inputs"])),
    )


def decide_ffn(
    cells: GateCells, outputs: Callable[[int, int], dict[str, Fraction]], writes: Sequence[str]
) -> FFN:
    """Layer 4: a G9 table of the comparison spin (and the pending spin in masked diffusion); `outputs`
    maps (above, pending) to the cells the unembedding reads."""
    inputs = [cells.compare] if cells.pending is None else [cells.compare, cells.pending]
    return g.table_ffn(
        "decide", inputs, lambda bits: outputs(bits[0], bits[1] if len(bits) > 1 else 0), writes
    )
