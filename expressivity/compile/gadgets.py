"""The gadgets of CONSTRUCTIONS.md §3 as functions that return heads and feed-forward sublayers.

Every sublayer reads its input through layer norm (DESIGN §2), so the gadgets agree on encodings whose
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
from fractions import Fraction
from itertools import product

from expressivity.model import FFN, Head, ModelError, Rational, View

Group = tuple[str, ...]
HALF = Fraction(1, 2)


def spin_cells(group: Group, bit: int) -> dict[str, Fraction]:
    """Embedding values of a spin group holding `bit` (spin bit - 1/2)."""
    s = Fraction(bit) - HALF
    return dict(zip(group, (s, s, -s, -s), strict=True))


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
