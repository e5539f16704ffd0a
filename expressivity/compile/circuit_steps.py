"""One gate per position: the fixed-depth layers shared by the chain-of-thought and masked-diffusion
circuit modes (docs/routes.md).

Both modes evaluate the literal form of a circuit (`circuits.literal_form`) with a fixed-depth model and
no loops: each *gate row* computes one node from the 0/1 tokens of its sources. In chain of thought
(`circuit_cot`) the row computing node t is the last position when node t is next, and the node's
value becomes the next generated token; in masked diffusion (`circuit_mdm`) node t has a position of
its own, which holds MASK until its value is written there.

Thresholds as fixed-weight slots [ours]. Every node v is rewritten so that all nodes compare against
one threshold theta with the same slots:

1. literals on the constant FALSE are dropped (a negated one, i.e. TRUE, lowers t by its weight), the
   others are merged into distinct literals (source, negated) with weights w (multiplicities);
2. t is clamped to [0, W + 1] (W the total weight): below 0 the node is always true, above W never;
3. a TRUE literal of weight theta - t is added, theta the largest clamped threshold, so that
   count + (theta - t) >= theta iff count >= t;
4. distinct literal k of weight w occupies the slots (k, b) for the bits b of w (weight 2^b each); a
   slot a node does not use holds the literal FALSE. With D distinct literals and B bits at most,
   there are K = D * B slots, the same for every node.

So with C = sum over slots of 2^b = D (2^B - 1), a node is true iff M = sum_slots 2^b (l - 1/2)/C, which
is count'/C - 1/2, exceeds T = (theta - 1/2)/C - 1/2, a constant; count' is an integer, so M != T.

Tokens. The circuit's wiring is in a fixed tail of *description* tokens, one per node, which the gate
rows fetch; the values are read from the 0/1 tokens: input j at position j, the token that holds node
t's value (where the mode puts it), and BOS for FALSE (BOS holds the bit 0).

Layers (all in the prefix; no loops; heads `mask` = causal or unmasked, as the mode says):
1. a uniform causal head averages the BOS spin: 1/(i+1) at row i, which gives the position hash
   (1/(i+1), 1, -1/(i+1), -1) (read phi(1/(i+1))) and the comparison group (1/(i+1), 1/(i+1), y, y),
   y = 2/(2R + 1), whose spin says whether the row is before R, the first gate row;
2. describe: a gate row i matches its position hash with the `for_row` hash of node t's description
   (G3) and copies, per slot, the source's position hash and the negation spin. A score term
   8 e_i b_j (e the before-R spin, b the BOS spin; G4) sends every row before R to BOS, whose
   description is all zeros, and keeps every gate row off BOS: rows that compute nothing copy 0;
3. per slot a head matches the copied hash with the position hash of every token and copies that
   token's bit spin into `got`; one FFN (a G9 table per slot, stacked) adds 2^b (l - 1/2)/C with
   l = got XOR negated into M. The masked-diffusion mode also counts masked sources into a second
   comparison group (sum over slots of (m - 1/2)/K against (1/2)/K - 1/2: some source is MASK);
4. a table FFN turns the comparison spins into the cells the unembedding reads.

Rows that are not gate rows compute garbage in the gate cells, but always rational values (their
descriptions are zero), and no answer is read from them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from circuits.literal_form import FALSE, LiteralCircuit
from expressivity.compile import gadgets as g
from expressivity.compile.program import Group, Program
from expressivity.model import FFN, Head, Layer, Model, ModelError, View

HALF = Fraction(1, 2)
RESTRICT = 8
"""Score weight of the BOS term of the describe head: it moves scores by +-2, more than the spread of
a product of two unit vectors (at most 2)."""

Slot = tuple[str, bool]  # (source, negated)


@dataclass(frozen=True)
class SlotForm:
    """Every node as K = D * B fixed-weight slots against one threshold theta (module docstring)."""

    distinct: int
    bits: int
    theta: int
    slots: dict[str, tuple[Slot, ...]]

    @property
    def count(self) -> int:
        return self.distinct * self.bits

    def weight(self, slot: int) -> int:
        return 2 ** (slot % self.bits)

    @property
    def total(self) -> int:
        return self.distinct * (2**self.bits - 1)


def slot_form(form: LiteralCircuit) -> SlotForm:
    """Steps 1-4 of the module docstring for every node of `form`."""
    merged: dict[str, list[tuple[Slot, int]]] = {}
    clamped: dict[str, int] = {}
    for node in form.nodes:
        counts = Counter(form.literals[node])
        threshold = form.threshold[node] - counts.pop((FALSE, True), 0)
        counts.pop((FALSE, False), None)
        total = sum(counts.values())
        clamped[node] = min(max(threshold, 0), total + 1)
        merged[node] = list(counts.items())
    theta = max(clamped.values(), default=0)
    for node in form.nodes:
        if theta > clamped[node]:
            merged[node].append(((FALSE, True), theta - clamped[node]))
    distinct = max((len(lits) for lits in merged.values()), default=0) or 1
    bits = max((w.bit_length() for lits in merged.values() for _, w in lits), default=1)
    slots = {}
    for node, lits in merged.items():
        row: list[Slot] = []
        for k in range(distinct):
            literal, weight = lits[k] if k < len(lits) else ((FALSE, False), 0)
            row += [literal if weight >> b & 1 else (FALSE, False) for b in range(bits)]
        slots[node] = tuple(row)
    return SlotForm(distinct, bits, theta, slots)


def checked_slot_form(form: LiteralCircuit, max_slots: int) -> SlotForm:
    """`slot_form(form)`, refused (a ModelError naming the sizes) when it has more than `max_slots`
    slots: each slot is one head at every step."""
    slots = slot_form(form)
    if slots.count > max_slots:
        raise ModelError(
            f"circuit {form.name!r} needs {slots.count} slots ({slots.distinct} distinct literals x "
            f"{slots.bits} weight bits), one head each, more than {max_slots}"
        )
    return slots


def hash_cells(group: Group, position: int) -> dict[str, Fraction]:
    """(x, 1, -x, -1) with x = 1/(position + 1): the position hash a row learns in layer 1."""
    x = Fraction(1, position + 1)
    return dict(zip(group, (x, Fraction(1), -x, Fraction(-1)), strict=True))


class GateCells:
    """The residual groups of the gate rows, allocated in reading order."""

    def __init__(self, program: Program, slots: int, pending: bool) -> None:
        group = program.group
        self.bos = group("is_bos", 4)
        self.bit = group("bit_spin", 4)
        self.position = group("position_hash", 4)
        self.early = group("before_gates", 4)  # (1/(i+1), 1/(i+1), y, y)
        self.for_row = group("for_row", 4)
        self.described_src = [group(f"describe_src{k}", 4) for k in range(slots)]
        self.described_neg = [group(f"describe_neg{k}", 4) for k in range(slots)]
        self.src = [group(f"src{k}", 4) for k in range(slots)]
        self.neg = [group(f"negated{k}", 4) for k in range(slots)]
        self.got = [group(f"got{k}", 4) for k in range(slots)]
        self.compare = group("compare", 4)  # (M, M, T, T)
        self.is_mask = group("is_mask", 4) if pending else None
        self.pending = group("pending", 4) if pending else None  # (P, P, tau, tau)


@dataclass(frozen=True)
class GateLayout:
    """Where a mode puts things: `first_row` R, the row computing each node, the position of the token
    holding each source's value (FALSE at BOS), and the heads' mask."""

    first_row: int
    row_of: dict[str, int]
    value_at: dict[str, int]
    mask: str


def embed(program: Program, cells: GateCells, form: SlotForm, layout: GateLayout) -> None:
    """The embedding every kind starts from, BOS and "1"; `describe` adds the descriptions."""
    y = Fraction(2, 2 * layout.first_row + 1)
    T = (form.theta - HALF) / form.total - HALF
    base = {
        **g.spin_cells(cells.bos, 0),
        **g.spin_cells(cells.bit, 0),
        **dict(zip(cells.position, (HALF, 1, -HALF, -1), strict=True)),
        **dict(zip(cells.early, (HALF, HALF, y, y), strict=True)),
        **hash_cells(cells.for_row, 0),
        cells.compare[2]: T,
        cells.compare[3]: T,
    }
    if cells.pending is not None and cells.is_mask is not None:
        tau = HALF / form.count - HALF
        base.update({**g.spin_cells(cells.is_mask, 0), cells.pending[2]: tau, cells.pending[3]: tau})
    program.set_all(base)
    program.set("BOS", g.spin_cells(cells.bos, 1))
    program.set("1", g.spin_cells(cells.bit, 1))


def describe(program: Program, cells: GateCells, form: SlotForm, layout: GateLayout, node: str) -> str:
    """Declare the description token kind of `node` and return it."""
    kind = f"gate {node}"
    program.add_kind(kind)
    values = hash_cells(cells.for_row, layout.row_of[node])
    for k, (source, negated) in enumerate(form.slots[node]):
        values.update(hash_cells(cells.described_src[k], layout.value_at[source]))
        values.update(g.spin_cells(cells.described_neg[k], int(negated)))
    program.set(kind, values)
    return kind


def gate_layers(cells: GateCells, form: SlotForm, layout: GateLayout, decide: FFN) -> list[Layer]:
    """Layers 1-4 of the module docstring; `decide` is the mode's last FFN (layer 4)."""
    count = g.uniform_head(
        "count BOS",
        cells.bos,
        {cells.position[0]: 1, cells.position[2]: -1, cells.early[0]: 1, cells.early[1]: 1},
    )
    copies: dict[str, dict[str, Fraction]] = {}
    for k in range(form.count):
        for into, source in ((cells.src[k], cells.described_src[k]), (cells.neg[k], cells.described_neg[k])):
            copies.update({cell: {read: Fraction(1)} for cell, read in zip(into, source, strict=True)})
    describe_head = g.match_head(
        "describe",
        cells.position,
        cells.for_row,
        copies,
        reads=[cells.early, cells.bos, *cells.described_src, *cells.described_neg],
        mask=layout.mask,
        score_terms=[(cells.early[0], cells.bos[0], RESTRICT)],
    )
    return [
        Layer(heads=[count]),
        Layer(heads=[describe_head]),
        Layer(
            heads=[_retrieve(cells, form, k, layout.mask) for k in range(form.count)],
            ffns=[_literals(cells, form)],
        ),
        Layer(ffns=[decide]),
    ]


def _retrieve(cells: GateCells, form: SlotForm, k: int, mask: str) -> Head:
    """Slot k: the bit spin of the token at the copied position into got_k (and, in masked diffusion,
    (m - 1/2)/K into the pending comparison, m = 1 for a MASK token)."""
    values = g.spin_writes(cells.got[k], {cells.bit[0]: 1})
    reads = [cells.bit]
    if cells.pending is not None and cells.is_mask is not None:
        share = Fraction(1, form.count)
        values.update(
            {cells.pending[0]: {cells.is_mask[0]: share}, cells.pending[1]: {cells.is_mask[0]: share}}
        )
        reads.append(cells.is_mask)
    return g.match_head(f"retrieve {k}", cells.src[k], cells.position, values, reads=reads, mask=mask)


def _literals(cells: GateCells, form: SlotForm) -> FFN:
    """M += 2^b (got XOR negated - 1/2)/C for every slot: one G9 table per slot, stacked into one FFN."""
    tables = []
    for k in range(form.count):
        share = Fraction(form.weight(k), form.total)

        def table(bits: tuple[int, ...], share: Fraction = share) -> dict[str, Fraction]:
            literal = bits[0] ^ bits[1]
            return {cells.compare[0]: share * (literal - HALF), cells.compare[1]: share * (literal - HALF)}

        tables.append(g.table_ffn(f"slot {k}", [cells.got[k], cells.neg[k]], table, list(cells.compare[:2])))
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


def assemble(
    program: Program,
    layers: Sequence[Layer],
    symbols: Sequence[str],
    unembedding: Sequence[dict[str, int]],
    tail: Sequence[str],
    name: str,
    metadata: dict[str, object],
) -> Model:
    """The fixed-depth model (every layer in the prefix, no loops) with its own output symbols."""
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
