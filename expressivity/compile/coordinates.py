"""Padding coordinates: every region token learns the base-B digits of its rank as canonical keys, with
causal heads only, rational cells throughout, and every tie exact under p-bit rounding.

Statement. Let the region tokens (e.g. the padding) be numbered c = 1, 2, ... in order, and let B >= 1
be the number of base tokens (all before the region). Write c - 1 = sum_r d_r B^(k-1-r) with
0 <= d_r < B for r >= 1 (the top digit d_0 unbounded). After the layers returned here, the r-th digit
group of every region token holds key(d_r) = (x, 1, -x, -1) with x = 1/(d_r + 1); it reads
phi(1/(d + 1)), phi(z) = (z, 1, -z, -1)/sqrt(2 z^2 + 2) (docs/theory.md).

Canonical values (docs/backends.md, fixed:p). Every x written here is the mean of a spin over one tie
set, so under fixed:p it is rounded once from an exact rational and depends on that rational alone: two
tokens whose x are equal rationals hold bit-identical cells and read bit-identical keys, whatever their
positions. Equal keys therefore tie exactly where the exact semantics ties; different values 1/w differ
by at least 1/N^2, which p = c log2 N bits keep apart (proofs_as_code/rounding_margins.py). Tie sets
are only ever chosen by spins (exact) or by equality of canonical keys: no tie depends on a rounding.

Construction [ours]. Heads are causal; "X < i" means strict mask. A head restricted to a set averages
a value over exactly that set (score terms on spins; `role_head` lets the set depend on a spin of the
querying token).

- rank: mean of the BOS spin over BOS + region < i: x = 1/c (k = 1: this is the digit). first =
  [x = 1] on region tokens.
- Run starts F_t: region tokens with B^t | c - 1 (F_0 = region); q_t = #(F_t tokens < i) at an F_t
  token. B | q_t is decided by a *collision*: the querying F_t token writes r = B/(B + q_t) (mean over
  base + F_t < i of a value marking base) into a key group G, candidate tokens write 1/w (a tie set of
  w tokens, one marked), and r = 1/w for an integer w iff B | q_t (w = 1 + q_t/B). A join of G with
  itself ties the querier with itself and with every candidate holding the same value, bit for bit;
  the mean of the querier's role spin is 1/2 alone and <= 0 with a candidate. Candidates must exist for
  every w that can occur:
  - level t >= 1: the region tokens that are not F_t tokens, w - 1 = #(such tokens < j) (for B >= 2 at
    least q_t (B^t - 1) >= q_t/B of them stand before the querier);
  - level 0 (every region token queries): phase 0 uses the base tokens (w = their rank, covering
    c - 1 < B^2); phase s >= 2 uses the early region tokens E_s = [c - 1 < B^s] (w = c) as candidates
    for the late ones (covering B^s <= c - 1 < B^(s+1)). E_s is a comparison of canonical values at
    one token: B/(B + c - 1) > 1/(1 + B^(s-1)) iff c - 1 < B^s (the right side is a mean over BOS and
    a set of B^(s-1) tokens: the base, then E_(s-1)).
  With B = 1 every q is divisible (the comparison 1/(1 + B) = 1/2 detects it).
- Block id of level t (1 <= t <= k - 2): mean of the BOS spin over BOS + F_t <= i, x = 1/(q_t + 2).
  The top digit d_0 = q_(k-1): mean of `first` over F_(k-1) <= i, x = 1/(q + 1); it is also the block
  id of level k - 1.
- Digit d of level t (counting within a block): join block id_(t+1) with itself, restricted to F_t
  tokens: the tie set is the F_t tokens j <= i with the same q_(t+1), d + 1 of them, exactly one an
  F_(t+1) token, and the mean of the F_(t+1) spin gives x = 1/(d + 1).

`phases` (default k - 1) bounds the level-0 phases: the region may hold up to B^(phases + 1) tokens
(B >= 2). Non-region tokens hold meaningless rationals in the digit groups; callers must restrict
attention to region tokens. Requirements: BOS is neither a region nor a base token, and base tokens
stand before all region tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from expressivity.compile.gadgets import (
    HALF,
    Axis,
    decision_ffn,
    linear_ffn,
    spin_cells,
    spin_values,
    zero_digit_ffn,
)
from expressivity.compile.program import Group, Program
from expressivity.model import FFN, Head, Layer, ModelError, Rational, View

RESTRICT_WEIGHT = 8
"""Score weight of the restriction terms: members of a head's set outscore every other token by at
least RESTRICT_WEIGHT/2 = 4 > 2, the most a key part of unit vectors can vary."""


def key_cells(group: Group, offset: Fraction = HALF) -> dict[str, Fraction]:
    """The embedding (offset, 1, -offset, -1) of a key group: adding y to cell 0 and -y to cell 2 leaves
    key(offset + y)."""
    return dict(zip(group, (offset, Fraction(1), -offset, Fraction(-1)), strict=True))


def _unique(groups: Sequence[Group]) -> list[Group]:
    out: list[Group] = []
    for group in groups:
        if group not in out:
            out.append(group)
    return out


def role_head(
    name: str,
    one: Group,
    role: Group,
    spins: Sequence[Group],
    querier: Sequence[int],
    other: Sequence[int],
    values: Mapping[str, Mapping[str, Rational]],
    mask: str,
    pairs: Sequence[tuple[Group, Group]] = (),
    reads: Sequence[Group] = (),
) -> Head:
    """A head whose score is sum over `pairs` of reading(Q) . reading(K) plus
    RESTRICT_WEIGHT * sum_k alpha_k * spin_k(j), where alpha = `querier` at tokens whose `role` spin is
    set and `other` elsewhere (the query side is D + 2 s u with D = (querier + other)/2, u = (querier -
    other)/2 and s = +-1/2 the role spin): the tie set can depend on what the querying token is."""
    query_rows, key_rows = [], []
    for q, k in pairs:
        query_rows += [{cell: 1} for cell in q]
        key_rows += [{cell: 1} for cell in k]
    for spin, a, b in zip(spins, querier, other, strict=True):
        middle, half_gap = Fraction(a + b, 2), Fraction(a - b, 2)
        row = {one[0]: 2 * RESTRICT_WEIGHT * middle}
        row[role[0]] = row.get(role[0], 0) + 2 * RESTRICT_WEIGHT * half_gap
        query_rows.append(row)
        key_rows.append({spin[0]: 1})
    groups = _unique([*(g for pair in pairs for g in pair), one, role, *spins, *reads])
    return Head(
        name,
        View(groups),
        query=query_rows,
        key=key_rows,
        value=[dict(row) for row in values.values()],
        writes=list(values),
        mask=mask,
    )


def restricted_head(
    name: str,
    one: Group,
    spins: Sequence[Group],
    weights: Sequence[int],
    values: Mapping[str, Mapping[str, Rational]],
    mask: str,
    pairs: Sequence[tuple[Group, Group]] = (),
    reads: Sequence[Group] = (),
) -> Head:
    """`role_head` with the same restriction for every querying token (alpha = `weights`)."""
    return role_head(name, one, one, spins, weights, weights, values, mask, pairs, reads)


def mean_into_key(group: Group, value: Mapping[str, Rational]) -> dict[str, dict[str, Rational]]:
    """Value rows adding the mean of the linear form `value` to cell 0 of a key group and its negation to
    cell 2."""
    return {group[0]: dict(value), group[2]: {cell: -Fraction(w) for cell, w in value.items()}}


class _Schedule:
    """Sublayers placed as early as their inputs allow: a head reads what earlier layers wrote, an FFN
    also what the heads of its own layer wrote."""

    def __init__(self) -> None:
        self.heads: list[list[Head]] = []
        self.ffns: list[list[FFN]] = []
        self.ready: dict[str, tuple[int, bool]] = {}

    def _layer(self, needs: Sequence[str], is_ffn: bool) -> int:
        layer = 0
        for need in needs:
            if need not in self.ready:  # embedded, or written by an earlier call's layers
                continue
            at, by_ffn = self.ready[need]
            layer = max(layer, at + (1 if by_ffn or not is_ffn else 0))
        while len(self.heads) <= layer:
            self.heads.append([])
            self.ffns.append([])
        return layer

    def head(self, head: Head, makes: str, needs: Sequence[str] = ()) -> None:
        layer = self._layer(needs, False)
        self.heads[layer].append(head)
        self.ready[makes] = (layer, False)

    def ffn(self, ffn: FFN, makes: str, needs: Sequence[str] = ()) -> None:
        layer = self._layer(needs, True)
        self.ffns[layer].append(ffn)
        self.ready[makes] = (layer, True)

    def layers(self) -> list[Layer]:
        return [Layer(heads=h, ffns=f) for h, f in zip(self.heads, self.ffns, strict=True)]


class _Coordinates:
    """The cells and sublayers of one `digit_hashes` call (module docstring)."""

    def __init__(self, program: Program, name: str, region: Group, base: Group | None) -> None:
        self.program, self.name, self.region, self.base = program, name, region, base
        self.schedule = _Schedule()
        self.bos = self.spin("bos", 0)
        program.set("BOS", spin_cells(self.bos, 1))
        self.one = self.spin("one", 1)

    def spin(self, label: str, bit: int) -> Group:
        group = self.program.group(f"{self.name}.{label}", 4)
        self.program.set_all(spin_cells(group, bit))
        return group

    def key(self, label: str, offset: Fraction = HALF) -> Group:
        group = self.program.group(f"{self.name}.{label}", 4)
        self.program.set_all(key_cells(group, offset))
        return group

    def count(
        self, label: str, members: Sequence[Group], marked: Group, mask: str, join: Group | None = None
    ) -> Group:
        """key(1/(D + 1)) from the mean of the `marked` spin over the members' tokens (D + 1 of them, one
        marked), joined on `join` with itself when given."""
        group = self.key(label)
        pairs = [(join, join)] if join else []
        head = restricted_head(
            f"{self.name}.{label}",
            self.one,
            members,
            [1] * len(members),
            mean_into_key(group, {marked[0]: 1}),
            mask,
            pairs,
            reads=[marked],
        )
        self.schedule.head(
            head, group[0], [m[0] for m in members] + [marked[0]] + ([join[0]] if join else [])
        )
        return group


def digit_hashes(
    program: Program,
    name: str,
    *,
    region: Group,
    digits: int,
    base: Group | None = None,
    phases: int | None = None,
) -> tuple[list[Layer], tuple[Group, ...]]:
    """The layers that give every region token the base-B digits of (its rank - 1) as key groups.

    Returns (layers to append in order, digit groups most significant first); the group of digit d holds
    key(d) = (1/(d+1), 1, -1/(d+1), -1) at region tokens, bit-identical for equal digits under fixed:p
    (module docstring). `region` and `base` are spin groups (`spin_cells`) with bit 1 on region / base
    tokens; `base` may be None only when digits == 1. `phases` (default digits - 1): the region holds at
    most B^(phases + 1) tokens when B >= 2. All heads are causal; every label and sublayer name starts
    with `name`.
    """
    _check_arguments(program, name, region, digits, base)
    built = _Coordinates(program, name, region, base)
    rank = built.count("rank", [built.bos, region], built.bos, "strict")
    if digits == 1:
        return built.schedule.layers(), (rank,)
    first = built.spin("first", 0)
    built.schedule.ffn(zero_digit_ffn(f"{name}.first", rank, region, first), first[0], [rank[0]])
    single = _single_base(built)
    starts = [region, _level_zero(built, digits - 1 if phases is None else phases, single)]
    for t in range(1, digits - 1):
        starts.append(_next_level(built, t, starts[t], single))
    top = built.count("digit0", [starts[-1]], first, "causal")
    low: list[Group] = []
    block = top
    for t in range(digits - 2, -1, -1):
        if t < digits - 2:
            block = built.count(f"block{t + 1}", [built.bos, starts[t + 1]], built.bos, "causal")
        low.append(built.count(f"digit{digits - 1 - t}", [starts[t]], starts[t + 1], "causal", join=block))
    return built.schedule.layers(), (top, *low)


# Restrictions (alpha for the querying role, alpha for every other token) of the collision key heads,
# see `role_head`, and the value each key token contributes (module docstring).
# Level 0, phase 0, spins (BOS, base, region): region tokens average over base + region < i, others
# over BOS + base < j; values 1/2 on base, -1/2 on region, 3/2 on BOS (-s_base - 2 s_region), and a
# role offset (+1/2 for region, -1/2 else) from an FFN: G = B/(B + c - 1) or 1/v.
_PHASE0 = ((-1, 1, 1), (1, 1, -1))
# Level 0, phase s >= 2, spins (BOS, base, region, E_s): late region tokens over base + region < i,
# others over BOS + E_s < j; values 1/2 on BOS and base, -1/2 on region (-s_region), offset 1/2.
_PHASE = ((-1, 1, 1, 0), (1, -1, 0, 1))
# Level t >= 1, spins (BOS, base, region, F_t): F_t tokens over base + F_t < i, others over
# BOS + (region and not F_t) < j; values and offset as for phase s.
_LEVEL = ((-1, 1, 0, 1), (1, -1, 1, -1))


def _collision(
    built: _Coordinates,
    label: str,
    role: Group,
    spins: list[Group],
    restriction: tuple[tuple[int, ...], tuple[int, ...]],
    value: dict[str, int],
    offset: Fraction,
    role_offset: bool = False,
) -> Group:
    """The key group G (role head, module docstring) and the join of G with itself. Returns the spin
    group (m, m, -m, -m), m = (mean of the role spin over the join's tie set) - 1/4: it reads +1/2 when
    the querier ties alone, -1/2 when some candidate holds its value bit for bit. `role_offset` adds the
    role spin (+-1/2) to G's value by an FFN."""
    key = built.key(f"{label}.key", offset)
    if role_offset:
        shift = linear_ffn(
            f"{built.name}.{label}.offset", [role], {key[0]: {role[0]: 1}, key[2]: {role[0]: -1}}
        )
        built.schedule.ffn(shift, f"{key[0]}.offset")
    querier, other = restriction
    head = role_head(
        f"{built.name}.{label}.key",
        built.one,
        role,
        spins,
        querier,
        other,
        mean_into_key(key, value),
        "strict",
    )
    built.schedule.head(head, key[0], [spin[0] for spin in spins] + [role[0]])
    alone = built.program.group(f"{built.name}.{label}.alone", 4)
    built.program.set_all(spin_values(alone, Fraction(-1, 4)))
    join = restricted_head(
        f"{built.name}.{label}.join",
        built.one,
        [],
        [],
        {cell: {role[0]: sign} for cell, sign in zip(alone, (1, 1, -1, -1), strict=True)},
        "causal",
        pairs=[(key, key)],
        reads=[role],
    )
    built.schedule.head(join, alone[0], [key[0], f"{key[0]}.offset"])
    return alone


def _single_base(built: _Coordinates) -> Group:
    """The comparison group (t, t, 1/2, 1/2), t = 1/(1 + B) (BOS + base <= i, BOS marked): it reads 0
    iff B = 1 (and -1/2 otherwise, at tokens after the base)."""
    assert built.base is not None
    group = built.program.group(f"{built.name}.single_base", 4)
    built.program.set_all(dict.fromkeys(group, HALF))
    head = restricted_head(
        f"{built.name}.single_base",
        built.one,
        [built.bos, built.base],
        [1, 1],
        {group[0]: {built.bos[0]: 1}, group[1]: {built.bos[0]: 1}},
        "causal",
    )
    built.schedule.head(head, group[0])
    return group


def _ratio_compare(built: _Coordinates, label: str, members: list[Group], needs: list[str]) -> Group:
    """The comparison group (r, r, t, t): r = B/(B + c - 1) (base + region < i, base marked) and
    t = 1/(1 + |members|) (BOS + members <= i, BOS marked); it reads sign(r - t)."""
    assert built.base is not None
    group = built.program.group(f"{built.name}.{label}", 4)
    built.program.set_all(dict.fromkeys(group, HALF))
    one, bos, base, region = built.one, built.bos, built.base, built.region
    ratio = restricted_head(
        f"{built.name}.{label}.ratio",
        one,
        [base, region],
        [1, 1],
        {group[0]: {base[0]: 1}, group[1]: {base[0]: 1}},
        "strict",
        reads=[base],
    )
    count = restricted_head(
        f"{built.name}.{label}.count",
        one,
        [bos, *members],
        [1] * (1 + len(members)),
        {group[2]: {bos[0]: 1}, group[3]: {bos[0]: 1}},
        "causal",
    )
    built.schedule.head(ratio, f"{group[0]}.ratio")
    built.schedule.head(count, f"{group[0]}.count", needs)
    return group


def _level_zero(built: _Coordinates, phases: int, single: Group) -> Group:
    """F_1 = region and (a collision in some phase, or B = 1)."""
    assert built.base is not None
    name = built.name
    bos, base, region = built.bos, built.base, built.region
    tests = [
        (
            region,
            _collision(
                built,
                "phase0",
                region,
                [bos, base, region],
                _PHASE0,
                {base[0]: -1, region[0]: -2},
                Fraction(0),
                role_offset=True,
            ),
        )
    ]
    previous: Group | None = None
    for s in range(2, phases + 1):
        members = [base] if previous is None else [previous]
        compare = _ratio_compare(built, f"threshold{s}", members, [] if previous is None else [previous[0]])
        early, late = built.spin(f"early{s}", 0), built.spin(f"late{s}", 0)
        axes = [Axis.spin(region), Axis.order(compare)] + ([Axis.spin(previous)] if previous else [])

        def table(values, early=early, late=late):
            inside, order, *before = values
            if not inside:
                return {}
            return spin_values(early, 1) if order == 1 or before == [1] else spin_values(late, 1)

        needs = [compare[0] + ".ratio", compare[0] + ".count", *([previous[0]] if previous else [])]
        built.schedule.ffn(decision_ffn(f"{name}.early{s}", axes, table, [*early, *late]), early[0], needs)
        built.schedule.ready[late[0]] = built.schedule.ready[early[0]]
        tests.append(
            (
                late,
                _collision(
                    built, f"phase{s}", late, [bos, base, region, early], _PHASE, {region[0]: -1}, HALF
                ),
            )
        )
        previous = early
    return _divides(built, "run1", region, tests, single)


def _next_level(built: _Coordinates, t: int, starts: Group, single: Group) -> Group:
    """F_(t+1) from F_t: the F_t tokens are the queriers, the other region tokens the candidates."""
    assert built.base is not None
    spins = [built.bos, built.base, built.region, starts]
    alone = _collision(built, f"level{t}", starts, spins, _LEVEL, {built.region[0]: -1}, HALF)
    return _divides(built, f"run{t + 1}", starts, [(starts, alone)], single)


def _divides(
    built: _Coordinates, label: str, starts: Group, tests: list[tuple[Group, Group]], single: Group
) -> Group:
    """The spin of F_next = F and (B = 1, or a collision in a test whose role the token plays): each test
    is (role spin, `_collision` result); `single` reads 0 iff B = 1."""
    following = built.spin(label, 0)
    axes = [Axis.spin(starts), Axis.order(single)]
    for role, alone in tests:
        axes += [Axis.spin(role), Axis.spin(alone)]

    def table(values):
        inside, order, *bits = values
        hit = any(role == 1 and alone == 0 for role, alone in zip(bits[::2], bits[1::2], strict=True))
        return spin_values(following, 1) if inside and (order == 0 or hit) else {}

    needs = [starts[0], single[0], *(group[0] for test in tests for group in test)]
    built.schedule.ffn(
        decision_ffn(f"{built.name}.{label}", axes, table, list(following)), following[0], needs
    )
    return following


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
