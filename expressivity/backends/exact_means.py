"""Means of a head's values over its tie sets, in the exact backend (exact rational and radical sums).

A tie set is the whole visible set (prefix sums), a CSR list of positions (segment sums; a segment
holding one repeated value takes it directly; also key classes whose tie sets hold at most 4 N
positions in all), or key classes (`exact_ties.ClassTieSets`): there the
mean over T_i = union of the classes c in M_i of the positions of c visible to i is

    (sum over c in M_i of S_c(cut_i)) / (sum over c in M_i of n_c(cut_i)),

with S_c(t) and n_c(t) the sum of v and the count over the positions j <= t of class c, read from
running totals of v taken in (class, position) order. So a head whose tie sets hold O(N) positions
each costs O(N) sums, not O(N^2). Sums are integer sums over one radical basis shared by the rows.
"""

from __future__ import annotations

from math import lcm

import numpy as np

from expressivity.backends.base import TieSets
from expressivity.backends.exact_ties import ClassTieSets
from expressivity.numbers.radical_array import RadicalArray, running_total, segment_totals, times, total


def tie_means(v: RadicalArray, ties: TieSets | ClassTieSets) -> RadicalArray:
    """Row i: the exact mean of v over T_i (0 where T_i is empty)."""
    if isinstance(ties, ClassTieSets):
        if ties.long:
            return class_means(v, ties)
        return segment_means(v, ties.indptr, ties.indices)
    if ties.indices is None:
        return visible_means(v, ties.mask)
    return segment_means(v, ties.indptr, ties.indices)


def class_means(v: RadicalArray, ties: ClassTieSets) -> RadicalArray:
    """`tie_means` by running totals per key class (module docstring); a `whole` row by running totals
    over its block."""
    size = ties.size
    num, radicands, den = _global_slots(v)
    slots, cols = num.shape[0], num.shape[2]
    placed: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, their sums)
    totals = np.zeros(size, dtype=np.int64)
    rows, classes, counts = ties.entries
    if rows.size:
        by_class = _running_from_zero(num[:, ties.members])
        begin = ties.class_start[classes]
        parts = by_class[:, begin + counts] - by_class[:, begin]
        has = np.nonzero(np.bincount(rows, minlength=size))[0]
        if len(has) == len(rows):  # one chosen class per row (the usual case): no segment sums
            placed.append((rows, parts))
        else:
            placed.append((has, segment_totals(parts, np.searchsorted(rows, has), axis=1)))
        np.add.at(totals, rows, counts)
    whole = np.nonzero(ties.whole)[0]
    if whole.size:
        by_position = _running_from_zero(num)
        start = (whole // ties.block) * ties.block
        placed.append((whole, by_position[:, ties.cuts[whole] + 1] - by_position[:, start]))
        totals[whole] = ties.cuts[whole] - start + 1
    exact_ints = all(values.dtype == np.int64 for _, values in placed)
    sums = np.zeros((slots, size, cols), dtype=np.int64 if exact_ints else object)
    for at, values in placed:
        sums[:, at] = values
    divisors = np.where(totals > 0, totals, 1)
    small = int(den) * int(divisors.max(initial=1)) < 2**62  # the product of the two fits int64
    return _from_global(sums, radicands, divisors * int(den) if small else divisors.astype(object) * int(den))


def _running_from_zero(num: np.ndarray) -> np.ndarray:
    """Running totals along axis 1 with a zero in front: entry t is the sum of the first t rows (the
    difference of two entries is a segment sum; int64 totals were bounded when they were summed)."""
    zero = np.zeros((num.shape[0], 1, num.shape[2]), dtype=num.dtype)
    return np.concatenate([zero, running_total(num, axis=1)], axis=1)


def _global_slots(v: RadicalArray) -> tuple[np.ndarray, np.ndarray, int]:
    """Re-express v over one radical basis shared by all rows: returns (num, radicands, den) with
    v[i, c] = sum_k num[k, i, c] * sqrt(radicands[k]) / den. Sums over rows are then plain integer sums;
    the basis is the set of distinct radicands in v (slot 0 is the rational part)."""
    small = v.small_den()
    if small is not None:
        den = lcm(1, *(int(d) for d in np.unique(small)))
        factor = den // small if den < 2**62 else den // v.den
    else:
        den = lcm(1, *{int(d) for d in v.den})
        factor = den // v.den
    scaled = times(v.num, factor[None, :, None])
    radicands = np.unique(v.rad[1:][v.rad[1:] != 0].astype(object)) if v.slots > 1 else []
    basis = [1, *(int(r) for r in radicands)]
    aligned = all(np.all((v.rad[t] == basis[t]) | (v.rad[t] == 0)) for t in range(v.slots))
    if len(basis) == v.slots and aligned:
        return scaled, np.array(basis, dtype=object), den
    position = {r: k for k, r in enumerate(basis)}
    num = np.zeros((len(basis), *v.shape), dtype=object)
    num[0] = scaled[0]
    for t in range(1, v.slots):
        for r in set(v.rad[t].tolist()) - {0}:
            rows = v.rad[t] == r
            num[position[int(r)]][rows] = scaled[t][rows]
    return num, np.array(basis, dtype=object), den


def _from_global(num: np.ndarray, radicands: np.ndarray, den: np.ndarray) -> RadicalArray:
    rows = num.shape[1]
    return RadicalArray(num, np.repeat(radicands[:, None], rows, axis=1), den)


def visible_means(v: RadicalArray, mask: str, block: int | None = None) -> RadicalArray:
    """Exact mean of v_j over the visible set J_i (0 where J_i is empty), by prefix sums; with `block`,
    within each block of `block` rows (a batched run)."""
    rows = v.shape[0]
    if rows == 0:
        return v
    size = block or rows
    num, radicands, den = _global_slots(v)
    slots, cols = num.shape[0], num.shape[2]
    num = num.reshape(slots, rows // size, size, cols)
    if mask == "unmasked":
        sums = np.repeat(total(num, axis=2, keepdims=True), size, axis=2)
        counts = np.full(size, size, dtype=object)
    else:
        sums = running_total(num, axis=2)
        counts = np.arange(1, size + 1, dtype=object)
        if mask == "strict":
            sums = np.concatenate([np.zeros_like(sums[:, :, :1]), sums[:, :, :-1]], axis=2)
            counts = np.concatenate([[1], counts[:-1]]).astype(object)
    return _from_global(sums.reshape(slots, rows, cols), radicands, np.tile(counts, rows // size) * den)


def segment_means(v: RadicalArray, indptr: np.ndarray, indices: np.ndarray) -> RadicalArray:
    """Exact mean of v over each CSR segment T_i (0 for an empty segment).

    Rows whose segment holds one repeated value (the usual case: retrieval) take it directly; the
    others are integer segment sums over a shared radical basis.
    """
    size = len(indptr) - 1
    sizes = np.diff(indptr)
    if np.all(sizes == 1):  # one position per tie set: the mean is that position's value
        return v.take_rows(indices)
    owner = np.repeat(np.arange(size), sizes)
    first_of = np.zeros(size, dtype=np.int64)
    first_of[sizes > 0] = indices[indptr[:-1][sizes > 0]]
    gathered = v.take_rows(indices)
    same = gathered.rows_equal(v.take_rows(first_of[owner]))
    all_same = np.bincount(owner[~same], minlength=size) == 0
    kept = all_same & (sizes > 0)
    mixed = np.nonzero(~all_same)[0]
    if mixed.size:
        pick = np.isin(owner, mixed)
        num, radicands, den = _global_slots(gathered.take_rows(np.nonzero(pick)[0]))
        sums = segment_totals(num, np.searchsorted(owner[pick], mixed), axis=1)
    if v.slots == 1 and v.num.dtype == np.int64 and v.small_den() is not None:
        means = _from_global(sums, radicands, sizes[mixed].astype(object) * den) if mixed.size else None
        fast = _rational_means(v, first_of, kept, mixed, means)
        if fast is not None:
            return fast
    result = v.take_rows(first_of).where_rows_cols(np.repeat(kept[:, None], v.shape[1], axis=1))
    if mixed.size == 0:
        return result
    placed = np.zeros((num.shape[0], size, v.shape[1]), dtype=sums.dtype)
    placed[:, mixed] = sums
    counts = np.ones(size, dtype=object)
    counts[mixed] = sizes[mixed]
    return result + _from_global(placed, radicands, counts * den)


def _rational_means(
    v: RadicalArray, first_of: np.ndarray, kept: np.ndarray, mixed: np.ndarray, means: RadicalArray | None
) -> RadicalArray | None:
    """`segment_means` assembled directly for a rational int64 v whose mixed rows' means are rational
    int64 too (None otherwise): row i is v's row first_of[i] where kept (a canonical row, copied), the
    mean of mixed row mixed[k] at means' row k (canonical), and 0 over 1 elsewhere, so the result is
    canonical without a reduction."""
    if means is not None and (means.slots != 1 or means.num.dtype != np.int64 or means.small_den() is None):
        return None
    num = np.where(kept[:, None], np.take(v.num[0], first_of, axis=0), 0)
    den = np.where(kept, np.take(v.small_den(), first_of), 1)
    if means is not None:
        num[mixed] = means.num[0]
        den[mixed] = means.small_den()
    return RadicalArray(num[None], np.ones((1, len(kept)), dtype=object), den, canonical=True)
