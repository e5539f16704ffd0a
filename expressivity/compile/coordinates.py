"""Padding coordinates (G6 + G8, docs/theory.md): every region token learns the base-B digits of its
rank, as layer-norm hashes, with causal heads only and rational cells throughout.

Statement. Let the region tokens (e.g. the padding) be numbered c = 1, 2, ... in order, and let B >= 1
be the number of base tokens (all before the region). Write c - 1 = sum_r d_r B^(k-1-r) with
0 <= d_r < B for r >= 1 (the top digit d_0 unbounded). After 2k causal layers (1 layer when k = 1) the
r-th digit group of every region token reads exactly phi(d_r) = (d, 1, -d, -1)/sqrt(2 d^2 + 2).

Construction [ours]. Let P = i + 1 be the number of positions a causal head sees at position i. Uniform
heads (G1) give counts over P, so every cell below is a rational number "count / P", and a hash group
(u, v, -u, -v) built from two of them reads phi(u/v) with the P cancelled (scale invariance).

- Level 0: a = c/P (region count), b = B/P (base count), f = 1/P (BOS count, made 0 at BOS by its
  embedding, so that hash groups read 0 at BOS). H0 = (a, f) reads phi(c).
- Runs. q_t = floor((c-1)/B^t); F_t marks the region tokens that start a run of equal q_t (F_0 = every
  region token). Then Q_t = (#F_t tokens <= i)/P = (q_t + 1)/P.
- Divisibility (mark_t = [B | q_t]). The query (Q_t - f + b, b) reads phi((q_t + B)/B); the keys are H0 =
  phi(c_j). A region token with c_j = q_t/B + 1 <= c exists iff B divides q_t. Score terms put BOS (whose
  H0 reads 0) exactly 1 above every region token that does not match, and level with one that matches:
  score(BOS) = 1/2, score(region j) = phi(x) . phi(c_j) - 1/2 <= 1/2 with equality iff c_j = x,
  score(other) <= -3/2. The mean of the BOS spin over the tie set is 1/2 (no match) or 0 (match, the
  tie set is BOS and one region token), a rational bit with no tolerance.
- F_{t+1} = F_t and mark_t (G9); Q_{t+1} by a uniform head; the group (Q_{t+1} - f, f) reads phi(q_{t+1}).
- Digit (G8, counting within the block). A head with query and key phi(q_{t+1}), restricted to region
  tokens (G4), ties exactly on the region tokens j <= i with the same q_{t+1}; among them d_t + 1 are F_t
  run starts and exactly 1 is an F_{t+1} block start. With means m_t, m_{t+1} of those indicators over the
  tie set (T members): (m_t - m_{t+1}, m_{t+1}) = (d_t/T, 1/T) reads phi(q_t mod B) = phi(d_{k-1-t}).
- The top digit d_0 = q_{k-1} reads from (Q_{k-1} - f, f).

Layers: 1 (counts), then per level t = 0..k-2 a mark layer (with the previous level's digit head) and a
count layer, then the last digit head: 2k layers for k >= 2. Width 20k - 12 cells (8 when k = 1).

Non-region tokens. Every cell written here is rational at every position (means of rational spins), so
no norm group ever needs a nested radical. At non-region tokens the digit groups hold meaningless
rationals (at BOS they are 0 and read 0); callers must restrict attention to region tokens (G4).
Requirements: BOS is neither a region nor a base token, and base tokens stand before all region tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from expressivity.compile.gadgets import HALF, match_head, spin_cells, spin_writes, table_ffn, uniform_head
from expressivity.compile.program import Group, Program
from expressivity.model import Head, Layer, ModelError

# Score weights of the divisibility head (see the module docstring): with the constant spin 1/2 on the
# query side, region keys gain REGION_WEIGHT/4 and BOS gains BOS_WEIGHT/4 (others lose both): BOS (hash
# part 0) scores 1/2, a region key phi(x).phi(c_j) - 1/2 (level with BOS iff the hash part is 1), others
# at most -3/2.
REGION_WEIGHT = 4
BOS_WEIGHT = 6
# Restriction of the digit heads to region tokens (G4). At a region query the query token itself matches
# exactly (hash part 1), so any positive weight keeps other kinds out; 8 leaves them 4 below.
RESTRICT_WEIGHT = 8


class _CountCells:
    """Cells that are linear combinations of causal counts over P: cell = sum_s w_s * count_s(<= i)/P.

    Each source s is a spin group; one uniform head per source writes w_s * (count_s/P - 1/2), and the
    embedding starts every cell at sum_s w_s/2. The source "bos" is the BOS count 1/P; the BOS row starts
    w_bos lower, so every such cell is 0 at BOS (no other source counts BOS)."""

    def __init__(self, program: Program, name: str, sources: Mapping[str, Group]) -> None:
        self.program = program
        self.name = name
        self.sources = dict(sources)
        self.weights: dict[str, dict[str, int]] = {source: {} for source in sources}

    def add_source(self, source: str, group: Group) -> None:
        self.sources[source] = group
        self.weights[source] = {}

    def hash_group(self, label: str, numerator: Mapping[str, int], denominator: Mapping[str, int]) -> Group:
        """A group (u, v, -u, -v) with u = numerator . counts/P, v = denominator . counts/P: it reads
        phi(u/v) wherever v > 0, and 0 at BOS."""
        group = self.program.group(f"{self.name}.{label}", 4)
        for cell, combination, sign in zip(group, (numerator, denominator) * 2, (1, 1, -1, -1), strict=True):
            for source, weight in combination.items():
                self.weights[source][cell] = sign * weight
            start = sum(Fraction(sign * w) for w in combination.values()) * HALF
            self.program.set_all({cell: start})
            self.program.set("BOS", {cell: start - sign * combination.get("bos", 0)})
        return group

    def head(self, source: str) -> Head:
        """The uniform causal head of one source, writing into every cell that counts it."""
        return uniform_head(f"{self.name}.count_{source}", self.sources[source], self.weights[source])


def digit_hashes(
    program: Program, name: str, *, region: Group, digits: int, base: Group | None = None
) -> tuple[list[Layer], tuple[Group, ...]]:
    """The layers that give every region token the base-B digits of (its rank - 1) as hash groups.

    Returns (layers to append in order, digit groups most significant first); each group reads exactly
    phi(d_r) at region tokens (see the module docstring for the construction and what other tokens
    hold). `region` and `base` are spin groups (`spin_cells`) with bit 1 on region / base tokens; `base`
    may be None only when digits == 1. All heads are causal; every label and sublayer name starts with
    `name`.
    """
    _check_arguments(program, name, region, digits, base)
    bos = program.group(f"{name}.bos", 4)
    program.set_all(spin_cells(bos, 0))
    program.set("BOS", spin_cells(bos, 1))
    counts = _CountCells(program, name, {"bos": bos, "region": region})
    if digits == 1:
        top = counts.hash_group("digit0", {"region": 1, "bos": -1}, {"bos": 1})
        return [Layer(heads=[counts.head("region"), counts.head("bos")])], (top,)
    assert base is not None
    one = program.group(f"{name}.one", 4)
    program.set_all(spin_cells(one, 1))
    counts.add_source("base", base)
    rank = counts.hash_group("rank", {"region": 1}, {"bos": 1})
    runs = [region]
    queries = [counts.hash_group("divisor_query0", {"region": 1, "bos": -1, "base": 1}, {"base": 1})]
    layers: list[Layer] = []
    low_digits: list[Group] = []
    pending_digit_head: Head | None = None
    for t in range(digits - 1):
        mark = program.group(f"{name}.mark{t}", 4)
        program.set_all(spin_cells(mark, 1))
        starts = program.group(f"{name}.run{t + 1}", 4)
        program.set_all(spin_cells(starts, 0))
        mark_head = match_head(
            f"{name}.divides{t}",
            query=queries[t],
            key=rank,
            values=spin_writes(mark, {bos[0]: -2}),
            reads=[one, region, bos],
            mask="causal",
            score_terms=[(one[0], region[0], REGION_WEIGHT), (one[0], bos[0], BOS_WEIGHT)],
        )
        start_ffn = table_ffn(
            f"{name}.run_start{t + 1}",
            [runs[t], mark],
            lambda bits, cells=starts: dict(zip(cells, (1, 1, -1, -1), strict=True)) if all(bits) else {},
            list(starts),
        )
        heads = [mark_head] if pending_digit_head is None else [mark_head, pending_digit_head]
        layers.append(Layer(heads=heads, ffns=[start_ffn]))
        source = f"run{t + 1}"
        counts.add_source(source, starts)
        block = counts.hash_group(f"quotient{t + 1}", {source: 1, "bos": -1}, {"bos": 1})
        if t + 1 < digits - 1:
            queries.append(
                counts.hash_group(f"divisor_query{t + 1}", {source: 1, "bos": -1, "base": 1}, {"base": 1})
            )
        layers.append(Layer(heads=[counts.head(source)]))
        digit = program.group(f"{name}.digit{digits - 1 - t}", 4)
        program.set_all(dict(zip(digit, (0, HALF, 0, -HALF), strict=True)))
        low_digits.append(digit)
        pending_digit_head = _block_digit_head(
            f"{name}.digit_head{t}", block, digit, runs[t], starts, region, one
        )
        runs.append(starts)
    layers.append(Layer(heads=[pending_digit_head]))
    first = Layer(heads=[counts.head(source) for source in ("region", "base", "bos")])
    return [first, *layers], (block, *reversed(low_digits))


def _block_digit_head(
    name: str, block: Group, digit: Group, runs: Group, starts: Group, region: Group, one: Group
) -> Head:
    """Counting within the block: query = key = phi(q_{t+1}) on region tokens; the digit group gets
    (m_t - m_{t+1}, m_{t+1}) from the means of the run-start spins (the -1/2 offsets cancel in the first
    cell; the embedding supplies +1/2 in the second)."""
    x = {runs[0]: 1, starts[0]: -1}
    y = {starts[0]: 1}
    values = dict(zip(digit, (x, y, _negated(x), _negated(y)), strict=True))
    return match_head(
        name,
        query=block,
        key=block,
        values=values,
        reads=[region, one, runs, starts],
        mask="causal",
        score_terms=[(one[0], region[0], RESTRICT_WEIGHT)],
    )


def _negated(row: Mapping[str, int]) -> dict[str, int]:
    return {cell: -w for cell, w in row.items()}


def _check_arguments(program: Program, name: str, region: Group, digits: int, base: Group | None) -> None:
    where = f"digit_hashes {name!r}"
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ModelError(f"{where}: digits must be a positive integer, got {digits!r}")
    if len(region) != 4:
        raise ModelError(f"{where}: region must be a 4-cell spin group, got {len(region)} cells")
    if digits > 1 and base is None:
        raise ModelError(f"{where}: {digits} digits need a base group (the base-B tokens)")
    if base is not None and len(base) != 4:
        raise ModelError(f"{where}: base must be a 4-cell spin group, got {len(base)} cells")
    at_bos = program.embedding()["BOS"]
    for role, group in (("region", region), ("base", base)):
        if group is not None and at_bos.get(group[0], -HALF) > 0:
            raise ModelError(f"{where}: BOS must not be a {role} token (its {role} spin is set)")
