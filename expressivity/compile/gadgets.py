"""The gadgets of docs/theory.md as functions that return heads and feed-forward sublayers.

Every sublayer reads its input through layer norm (docs/semantics.md), so the gadgets agree on encodings whose
layer-norm reading is known exactly:

- a **spin group** (4 cells) stores s in {-1/2, +1/2} as (s, s, -s, -s). Its mean is 0 and its norm is
  2|s| = 1, so its reading is itself: a bit b is stored and read as the spin b - 1/2, with no radical.
- a **comparison group** (x, x, y, y) reads sign(x - y) * (1/2, 1/2, -1/2, -1/2), and 0 when x = y
  (G2, sign cells): its first coordinate is a spin whenever x != y.
- a **hash group** (a, b, -a, -b) with b != 0 reads phi(a/b) = (z, 1, -z, -1)/sqrt(2 z^2 + 2), z = a/b
  (G3, G6: the reading depends on the ratio only, so counts over a common denominator give phi(count)).
- a **unit id** (a, b, -a, -b) with a^2 + b^2 = 1/2 is a rational unit vector of mean 0: its reading is
  itself, and distinct ids are distinct unit vectors, so q . k = 1 iff the ids are equal (G3 without
  radicals, for identities fixed at compile time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations, product
from math import comb

from expressivity.model import FFN, Head, ModelError, Rational, View

Group = tuple[str, ...]
HALF = Fraction(1, 2)


def spin_values(group: Group, x: Rational) -> dict[str, Fraction]:
    """The values (x, x, -x, -x) of a 4-cell group in spin shape: an embedding, or a delta to add."""
    x = Fraction(x)
    return dict(zip(group, (x, x, -x, -x), strict=True))


def spin_cells(group: Group, bit: int) -> dict[str, Fraction]:
    """Embedding values of a spin group holding `bit` (spin bit - 1/2)."""
    return spin_values(group, Fraction(bit) - HALF)


def spin_writes(group: Group, coefficients: Mapping[str, Rational]) -> dict[str, dict[str, Rational]]:
    """Value/output rows that add the scalar x = sum coefficients[c] * z[c] to a spin group as
    (x, x, -x, -x), keeping its shape."""
    signs = (1, 1, -1, -1)
    rows = zip(group, signs, strict=True)
    return {label: {c: sign * Fraction(w) for c, w in coefficients.items()} for label, sign in rows}


def unit_id(index: int) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """The index-th unit id: (a, b, -a, -b) with (a, b) = ((c - s)/2, (c + s)/2), where
    (c, s) = ((1 - t^2), 2t)/(1 + t^2) is the rational point of the unit circle at t = index/(index + 1).
    Then a^2 + b^2 = (c^2 + s^2)/2 = 1/2, and t -> (c, s) is injective on [0, 1), so ids are distinct."""
    if index < 0:
        raise ModelError(f"unit id index must be non-negative, got {index}")
    t = Fraction(index, index + 1)
    c, s = (1 - t * t) / (1 + t * t), 2 * t / (1 + t * t)
    a, b = (c - s) / 2, (c + s) / 2
    return (a, b, -a, -b)


def unit_id_cells(group: Group, index: int) -> dict[str, Fraction]:
    return dict(zip(group, unit_id(index), strict=True))


def _view(groups: Iterable[Group]) -> View:
    unique: list[Group] = []
    for group in groups:
        if group not in unique:
            unique.append(group)
    return View(unique)


def uniform_head(name: str, read: Group, writes: Mapping[str, Rational], mask: str = "causal") -> Head:
    """G1: Q = K = 0, so the tie set is the whole visible set; writes[label] * mean_j z_j[read[0]].

    With `read` a spin group holding an indicator, the mean of its first coordinate is
    (count - visible/2) / visible; e.g. over a causal prefix of i + 1 positions, count/(i+1) - 1/2."""
    view = View([read])
    zero = [[0] * len(read)]
    return Head(
        name,
        view,
        query=zero,
        key=zero,
        value=[{read[0]: w} for w in writes.values()],
        writes=list(writes),
        mask=mask,
    )


def match_head(
    name: str,
    query: Group,
    key: Group,
    values: Mapping[str, Mapping[str, Rational]],
    reads: Sequence[Group] = (),
    mask: str = "unmasked",
    score_terms: Sequence[tuple[str, str, Rational]] = (),
) -> Head:
    """G3: score q . k with q = reading of `query` at position i and k = reading of `key` at j. When both
    are unit vectors (hashes or ids) the tie set is the set of visible j whose key equals the query.

    `values[label]` maps view columns (cells of `query`, `key` or `reads`) to coefficients: the head adds
    the mean of that combination over the tie set to `label`. Each `score_terms` entry (a, b, w) adds
    w * z_i[a] * z_j[b] to the score, with a and b cells of `reads` (G4: favour a kind of token through a
    spin read at the key side, against a constant spin at the query side)."""
    if len(query) != len(key):
        raise ModelError(f"head {name!r}: query group has {len(query)} cells but key group has {len(key)}")
    view = _view([query, key, *reads])
    return Head(
        name,
        view,
        query=[{q: 1} for q in query] + [{a: Fraction(w)} for a, _, w in score_terms],
        key=[{k: 1} for k in key] + [{b: 1} for _, b, _ in score_terms],
        value=[dict(row) for row in values.values()],
        writes=list(values),
        mask=mask,
    )


def table_ffn(
    name: str,
    inputs: Sequence[Group],
    table: Callable[[tuple[int, ...]], Mapping[str, Rational]],
    writes: Sequence[str],
) -> FFN:
    """G9: any function of k bits, each read as the spin in the first cell of a group (spin or comparison).

    One hidden unit per pattern c in {0,1}^k with a non-zero output: ReLU(2 sum_r (2c_r - 1) z_r - (k - 1))
    is 1 when every spin z_r = c_r - 1/2 and at most -1 otherwise, so the sublayer adds exactly
    table(bits). A group that reads 0 (a comparison of equal values) matches no pattern: the sublayer
    adds 0 there."""
    k = len(inputs)
    w1: list[dict[str, Fraction]] = []
    outputs: list[Mapping[str, Rational]] = []
    for bits in product((0, 1), repeat=k):
        delta = {label: Fraction(v) for label, v in table(bits).items() if v}
        unknown = set(delta) - set(writes)
        if unknown:
            raise ModelError(f"ffn {name!r}: the table writes {sorted(unknown)}, not in its writes")
        if delta:
            w1.append({group[0]: Fraction(4 * bit - 2) for group, bit in zip(inputs, bits, strict=True)})
            outputs.append(delta)
    w2 = [[Fraction(out.get(label, 0)) for out in outputs] for label in writes]
    return FFN(
        name,
        _view(inputs),
        w1=w1 or [{}],
        b1=[Fraction(1 - k)] * max(1, len(w1)),
        w2=w2 if w1 else [[0] for _ in writes],
        writes=writes,
    )


def linear_ffn(name: str, reads: Sequence[Group], writes: Mapping[str, Mapping[str, Rational]]) -> FFN:
    """Adds sum_c writes[label][c] * z[c] to each label, exactly, through z = ReLU(z) - ReLU(-z).

    Copies what a view reads into cells: G5 (store phi(z) as a unit vector) and G10 (erase a stored
    reading by writing its negation)."""
    columns = sorted({c for row in writes.values() for c in row}, key=[*_view(reads).columns].index)
    w1 = [{c: s} for c in columns for s in (1, -1)]
    w2 = [[s * Fraction(writes[label].get(c, 0)) for c in columns for s in (1, -1)] for label in writes]
    return FFN(name, _view(reads), w1=w1, w2=w2, writes=list(writes))


def code_width(count: int) -> int:
    """The smallest d >= 4 with at least `count` code ids of width d (see `code_ids`)."""
    d = 4
    while comb(d, 2) * comb(d - 2, 2) < count:
        d += 1
    return d


def code_ids(count: int, width: int) -> list[tuple[Fraction, ...]]:
    """`count` distinct ids of `width` cells, each with two entries +1/2, two entries -1/2, zeros elsewhere.

    Every such vector has mean 0 and norm 1, so its layer-norm reading is itself, with denominator 2 for
    every id: unlike `unit_id`, a residual row holding several code ids keeps a small common denominator
    (which keeps the exact backend on its int64 path). q . k = 1 iff the ids are equal."""
    out: list[tuple[Fraction, ...]] = []
    for plus in combinations(range(width), 2):
        for minus in combinations([c for c in range(width) if c not in plus], 2):
            if len(out) == count:
                return out
            entries = (HALF if c in plus else -HALF if c in minus else Fraction(0) for c in range(width))
            out.append(tuple(entries))
    if len(out) < count:
        raise ModelError(f"only {len(out)} code ids of width {width}, {count} asked for")
    return out


# Gadgets for formula compilation


def join_head(
    name: str,
    pairs: Sequence[tuple[Group, Group]],
    values: Mapping[str, Mapping[str, Rational]],
    reads: Sequence[Group] = (),
    mask: str = "unmasked",
) -> Head:
    """G3 on several keys at once: score = sum over pairs (Q_g, K_g) of reading(Q_g)_i . reading(K_g)_j.

    Each group is its own norm group. When every pair reads unit vectors the score is at most the number
    of pairs, with equality exactly where every key equals its query (a join on several hashes or ids);
    a pair (S, S) of a spin group S adds +1 between tokens of the same spin and -1 otherwise, which is how
    G4 restricts a head to one kind of token with keys of equal norm everywhere. `values` as in
    `match_head`; a head without pairs is uniform."""
    groups = [group for pair in pairs for group in pair]
    view = _view([*groups, *reads])
    for query, key in pairs:
        if len(query) != len(key):
            raise ModelError(f"head {name!r}: query group {query} and key group {key} differ in size")
    query_rows = [{cell: 1} for query, _ in pairs for cell in query]
    key_rows = [{cell: 1} for _, key in pairs for cell in key]
    return Head(
        name,
        view,
        query=query_rows or [{}],
        key=key_rows or [{}],
        value=[dict(row) for row in values.values()],
        writes=list(values),
        mask=mask,
    )


DEFAULT = "*"


@dataclass(frozen=True)
class Axis:
    """One discrete input of `decision_ffn`: a finite set of `values`, read from `groups`.

    `detectors[v]` is a linear form on the view (cell -> coefficient) that is exactly 1 when the input
    has value v and at most 0 when it has any other value. One value may lack a detector: it is the
    `default`, decided by elimination (its indicator is 1 minus the others)."""

    values: tuple[object, ...]
    detectors: Mapping[object, Mapping[str, Rational]]
    groups: tuple[Group, ...]
    default: object | None = None

    @staticmethod
    def spin(group: Group) -> Axis:
        """A bit stored as a spin (or a comparison group read as one): 2 z and -2 z detect 1 and 0."""
        return Axis((0, 1), {1: {group[0]: 2}, 0: {group[0]: -2}}, (group,))

    @staticmethod
    def order(group: Group) -> Axis:
        """A comparison group (x, x, y, y) read as sign(x - y) in {-1, 0, +1}; 0 is the default."""
        return Axis((-1, 0, 1), {1: {group[0]: 2}, -1: {group[0]: -2}}, (group,), default=0)

    @staticmethod
    def one_hot(groups: Mapping[object, Group], other: object | None = None) -> Axis:
        """At most one of several spin groups holds bit 1 (e.g. the letter of a position); `other` is the
        value when none does (omit it when exactly one always does)."""
        values = (*groups, *([] if other is None else [other]))
        detectors = {value: {group[0]: 2} for value, group in groups.items()}
        return Axis(values, detectors, tuple(groups.values()), default=other)


def decision_ffn(
    name: str,
    axes: Sequence[Axis],
    table: Callable[[tuple[object, ...]], Mapping[str, Rational]],
    writes: Sequence[str],
) -> FFN:
    """G9 generalised to inputs with more than two values: adds exactly table(values) to `writes`.

    The table is rewritten over selectors: per axis its detected values, plus DEFAULT when it has a
    default value v0, using [v0] = 1 - sum_{v != v0} [v], so f = f(v0) + sum_v (f(v) - f(v0)) [v] along
    that axis. Each selector tuple s with a non-zero coefficient is one hidden unit
    ReLU(sum_{axes with a detected value} detector(z) - (m - 1)), m the number of such axes: it is 1 when
    every selected value holds and at most 0 otherwise (every detector is at most 1 on valid inputs), so
    the sum over units is exactly table(values)."""
    if not axes:
        raise ModelError(f"ffn {name!r}: a decision needs at least one input axis")
    coefficients: dict[tuple[object, ...], dict[str, Fraction]] = {}
    for values in product(*(axis.values for axis in axes)):
        row = {label: Fraction(v) for label, v in table(values).items() if v}
        unknown = set(row) - set(writes)
        if unknown:
            raise ModelError(f"ffn {name!r}: the table writes {sorted(unknown)}, not in its writes")
        coefficients[values] = row
    for index, axis in enumerate(axes):
        if axis.default is None:
            continue
        moved: dict[tuple[object, ...], dict[str, Fraction]] = {}
        for key, row in coefficients.items():
            value = key[index]
            if value == axis.default:
                _accumulate(moved, (*key[:index], DEFAULT, *key[index + 1 :]), row, 1)
                continue
            _accumulate(moved, key, row, 1)
            base = coefficients[(*key[:index], axis.default, *key[index + 1 :])]
            _accumulate(moved, key, base, -1)
        coefficients = moved
    w1: list[dict[str, Fraction]] = []
    b1: list[Fraction] = []
    outputs: list[dict[str, Fraction]] = []
    for key, row in coefficients.items():
        row = {label: v for label, v in row.items() if v}
        if not row:
            continue
        unit: dict[str, Fraction] = {}
        chosen = [(axis, value) for axis, value in zip(axes, key, strict=True) if value != DEFAULT]
        for axis, value in chosen:
            for cell, weight in axis.detectors[value].items():
                unit[cell] = unit.get(cell, Fraction(0)) + Fraction(weight)
        w1.append(unit)
        b1.append(Fraction(1 - len(chosen)))
        outputs.append(row)
    w2 = [[out.get(label, Fraction(0)) for out in outputs] for label in writes]
    return FFN(
        name,
        _view([group for axis in axes for group in axis.groups]),
        w1=w1 or [{}],
        b1=b1 or [0],
        w2=w2 if w1 else [[0] for _ in writes],
        writes=writes,
    )


def _accumulate(
    into: dict[tuple[object, ...], dict[str, Fraction]],
    key: tuple[object, ...],
    row: Mapping[str, Fraction],
    sign: int,
) -> None:
    target = into.setdefault(key, {})
    for label, value in row.items():
        target[label] = target.get(label, Fraction(0)) + sign * value


def zero_digit_ffn(name: str, digit: Group, gate: Group, writes: Group) -> FFN:
    """Adds +1 to the spin group `writes` (as (1, 1, -1, -1)) exactly where `gate` holds bit 1 and the
    key group `digit` holds key(0) = (1, 1, -1, -1) (`coordinates.digit_hashes` stores digit d as
    x = 1/(d + 1) in (x, 1, -x, -1)); the caller embeds the spin of bit 0 there.

    The reading of (x, 1, -x, -1) has first coordinate r = x/sqrt(2 x^2 + 2): exactly 1/2 at x = 1, and
    at most 1/sqrt(10) < 0.317 for 0 <= x <= 1/2 (digits >= 1). So ReLU(10 r + 8 g - 8), g = +-1/2 the
    gate's spin, is exactly 1 at a gated key(0), negative at other gated keys (with 0.08 to spare for
    rounding), and at most 10 sqrt(3)/2 - 12 < 0 ungated (any reading of 4 cells has |r| <= sqrt(3)/2):
    the output is rational even though the reading is not."""
    unit = {digit[0]: Fraction(10), gate[0]: Fraction(8)}
    return FFN(
        name,
        View([digit, gate]),
        w1=[unit],
        b1=[-8],
        w2=[[sign] for sign in (1, 1, -1, -1)],
        writes=list(writes),
    )
