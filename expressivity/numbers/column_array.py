"""The residual stream of an exact run, stored column by column, and values shared by the words of a batch.

A `RadicalArray` has one denominator (and one set of radicals) per row, so adding a sublayer's output to
a few coordinates of a wide residual rescales and reduces every coordinate of every row whose
denominator changes. A `ColumnArray` keeps each coordinate as its own (rows x 1) `RadicalArray`: a
sublayer touches only the columns it reads and writes, and a column it does not write stays the very
same object, so a reader can tell by identity (no comparison) that a norm group's cells did not change.
Columns are never modified in place.

A rational column holds one reduced fraction per entry, n / d, so the columns a sublayer writes are
added as one block when they and the output are rational with int64 numerators and denominators
(`add_rational_columns`: a few whole-block int64 passes, every bound proved first, gcds only where a
fraction can reduce); radical or larger columns are added one by one.

In a batched run (words of N positions stacked, row b * N + i = position i of word b) a column may be
`Shared`: the same in every word, stored once as N rows. A column starts shared when the embedding
proves it (exact equality in every word), and stays shared while only shared values are added to it;
whatever reads only shared columns (a circuit's ids, hashes and wiring) is computed once per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from expressivity.numbers.radical_array import _INT_LIMIT, RadicalArray, _bound, rational_radicands


@dataclass(frozen=True)
class Shared:
    """A (copies * N, C) array whose row b * N + i is row i of `x`, for every word b."""

    x: RadicalArray
    copies: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.x.shape[0] * self.copies, self.x.shape[1]

    def full(self) -> RadicalArray:
        """Every row, written out."""
        return self.x.take_rows(np.tile(np.arange(self.x.shape[0]), self.copies))

    def take_rows(self, rows: np.ndarray) -> RadicalArray:
        return self.x.take_rows(np.asarray(rows) % self.x.shape[0])

    def take_cols(self, index: Sequence[int] | np.ndarray) -> Shared:
        return Shared(self.x.take_cols(index), self.copies)


def full(x: RadicalArray | Shared) -> RadicalArray:
    """x with every row written out."""
    return x.full() if isinstance(x, Shared) else x


def _rational_int64(x: RadicalArray) -> bool:
    return x.slots == 1 and x.num.dtype == np.int64 and x.small_den() is not None


def _rational_column(num: np.ndarray, rad: np.ndarray, den: np.ndarray) -> RadicalArray:
    """The (R, 1) rational column num / den (int64, each entry reduced, 0 as 0 / 1); `rad` is (1, R) of
    ones (shared: arrays are never modified in place)."""
    return RadicalArray(num.reshape(1, -1, 1), rad, den, canonical=True)


def add_rational_columns(
    columns: Sequence[RadicalArray], delta: RadicalArray, index: np.ndarray
) -> list[RadicalArray | None]:
    """columns[k] + column index[k] of delta, for every (R, 1) column that is rational with int64
    numerators and denominators, all in one block; None for the other columns, and for every column
    when delta is not such or a bound reaches 2^62 (the caller adds those one by one).

    Entry by entry, with the column's reduced n / d and the delta's m / e (e the row's denominator;
    delta need not be reduced), the sum is (n e + m d) / (d e), divided by g = gcd(n e + m d, d e).
    The bound max|n| max e + max|m| max d (and max d max e) is proved below 2^62 before any product.
    When e = 1 in every row the sum (n + m d) / d is already reduced, since gcd(n + m d, d) =
    gcd(n, d) = 1. Else the power of two in g comes first: the lowest set bit of (n e + m d) | d e
    (two's complement: that of |x| for negative x), divided out by an arithmetic shift, no Euclid;
    that leaves a denominator that is a power of two (halves and quarters, the usual case) reduced,
    and the rest of g is a gcd taken only in rows with another denominator and e > 1 (with e = 1 the
    row was reduced already)."""
    out: list[RadicalArray | None] = [None] * len(columns)
    e = delta.small_den() if delta.slots == 1 and delta.num.dtype == np.int64 else None
    picked = [k for k, column in enumerate(columns) if _rational_int64(column)]
    if e is None or not picked:
        return out
    num = np.stack([columns[k].num[0, :, 0] for k in picked])  # (m, R), fresh: changed in place
    den = np.stack([columns[k].small_den() for k in picked])
    change = delta.num[0].T[np.asarray(index)[picked]]
    top_n, top_m, top_d, top_e = _bound(num), _bound(change), _bound(den), _bound(e)
    if top_d * top_e >= _INT_LIMIT or top_n * top_e + top_m * top_d >= _INT_LIMIT:
        return out
    change *= den
    if top_e == 1:
        num += change
    else:
        num *= e
        num += change
        den *= e
        lowest = num | den
        lowest &= -lowest
        lowest -= 1  # 2^t - 1: t bits set, so the shift is their count (exact division by 2^t)
        shift = np.bitwise_count(lowest)
        num >>= shift
        den >>= shift
        rows = np.nonzero(np.any(den & (den - 1), axis=0) & (e > 1))[0]
        if rows.size:
            n, d = num[:, rows], den[:, rows]
            g = np.gcd(n, d)
            num[:, rows], den[:, rows] = n // g, d // g
    for j, k in enumerate(picked):
        out[k] = _rational_column(num[j], columns[k].rad, den[j])
    return out


def _added(columns: Sequence[RadicalArray], delta: RadicalArray, index: np.ndarray) -> list[RadicalArray]:
    """[columns[k] + column index[k] of delta]: in one block where `add_rational_columns` can, else
    column by column."""
    first = np.zeros(1, dtype=np.intp)
    sums = add_rational_columns(columns, delta, index)
    return [
        column.add_to_columns(first, delta.take_cols([j])) if total is None else total
        for total, column, j in zip(sums, columns, index, strict=True)
    ]


def _ratio(value: Fraction | int) -> tuple[int, int]:
    return (value if type(value) is Fraction else Fraction(value)).as_integer_ratio()


class ColumnArray:
    """An (R, C) array of square-root-field elements as C separate (R, 1) columns, each a `RadicalArray`
    or a `Shared` one."""

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence[RadicalArray | Shared]) -> None:
        self.columns = tuple(columns)

    @classmethod
    def split(cls, x: RadicalArray) -> ColumnArray:
        """x column by column (a rational int64 x in one pass: entry n / d reduces to (n/g) / (d/g),
        g = gcd(n, d))."""
        small = x.small_den()
        if not _rational_int64(x):
            return cls([x.take_cols([c]) for c in range(x.shape[1])])
        num = x.num[0].T.copy()  # (C, R), its own memory: reduced in place below
        den = np.broadcast_to(small, num.shape)
        reduce = den > 1
        den = np.array(den)
        if reduce.any():
            g = np.gcd(num[reduce], den[reduce])
            num[reduce] //= g
            den[reduce] //= g
        return cls([_rational_column(num[c], x.rad, den[c]) for c in range(x.shape[1])])

    @classmethod
    def from_entries(
        cls, rows: int, width: int, owner: np.ndarray, cols: np.ndarray, values: Sequence[Fraction | int]
    ) -> ColumnArray:
        """The (rows, width) array of rationals that is values[k] at (owner[k], cols[k]) (distinct
        places) and 0 elsewhere. Each column entry is the value's own reduced fraction; the values are
        read once per distinct object (a compiled model's embedding repeats a few dozen values)."""
        identities = np.fromiter(map(id, values), dtype=np.uint64, count=len(values))
        _, first, inverse = np.unique(identities, return_index=True, return_inverse=True)
        ratios = [_ratio(values[k]) for k in first.tolist()]
        nums = np.array([n for n, _ in ratios] or [0], dtype=object)[: len(ratios)]
        dens = np.array([d for _, d in ratios] or [1], dtype=object)[: len(ratios)]
        small = _bound(nums) < _INT_LIMIT and _bound(dens) < _INT_LIMIT
        kind = np.int64 if small else object
        num = np.zeros((width, rows), dtype=kind)
        den = np.ones((width, rows), dtype=kind)
        num[cols, owner] = nums.astype(kind)[inverse.reshape(-1)]
        den[cols, owner] = dens.astype(kind)[inverse.reshape(-1)]
        rad = rational_radicands(rows)
        if small:
            return cls([_rational_column(num[c], rad, den[c]) for c in range(width)])
        return cls([RadicalArray(num[c].reshape(1, -1, 1), rad, den[c]) for c in range(width)])

    @property
    def shape(self) -> tuple[int, int]:
        return self.columns[0].shape[0] if self.columns else 0, len(self.columns)

    def take(self, columns: Sequence[int] | np.ndarray) -> RadicalArray:
        """The given columns as one `RadicalArray` (every row written out). Several `Shared` columns are
        put side by side on the rows of one word and written out together, once."""
        picked = [self.columns[int(c)] for c in columns]
        shared = [k for k, column in enumerate(picked) if isinstance(column, Shared)]
        if len(shared) < 2:
            parts = [full(column) for column in picked]
            return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)
        words = RadicalArray.concat_cols([picked[k].x for k in shared])
        written = Shared(words, picked[shared[0]].copies).full()
        if len(shared) == len(picked):
            return written
        others = [k for k in range(len(picked)) if not isinstance(picked[k], Shared)]
        joined = RadicalArray.concat_cols([written, *(picked[k] for k in others)])
        return joined.reorder_cols(np.argsort(shared + others))

    def take_shared(self, columns: Sequence[int] | np.ndarray) -> RadicalArray:
        """The given columns, all `Shared`, as one `RadicalArray` of the rows of one word."""
        parts = [self.columns[int(c)].x for c in columns]
        return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)

    def whole(self) -> RadicalArray:
        return self.take(range(len(self.columns)))

    def row_reader(self) -> Callable[[np.ndarray], RadicalArray]:
        """A function from rows to those rows of every column as one `RadicalArray` (`whole()` then
        `take_rows`, without writing out the whole array), for many calls on one residual (a batch's
        words): the `Shared` columns are put side by side once, on the rows of one word."""
        shared = [k for k, column in enumerate(self.columns) if isinstance(column, Shared)]
        others = [k for k, column in enumerate(self.columns) if not isinstance(column, Shared)]
        parts = [self.columns[k].x for k in shared]
        block = None if not parts else parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)
        order = np.argsort(shared + others)

        def rows_of(rows: np.ndarray) -> RadicalArray:
            picked = [] if block is None else [block.take_rows(np.asarray(rows) % block.shape[0])]
            picked += [self.columns[k].take_rows(rows) for k in others]
            joined = picked[0] if len(picked) == 1 else RadicalArray.concat_cols(picked)
            return joined.reorder_cols(order) if shared and others else joined

        return rows_of

    def take_rows(self, rows: np.ndarray, block: int | None = None) -> ColumnArray:
        """The given rows; with `block` (rows of words of `block` positions stacked), a column whose rows
        b * block + i are equal for every word b and position i is `Shared`. Equality is tested once per
        distinct pair (row of the first word, row of another word) that the words put side by side (a
        compiled circuit's words differ at their input positions only)."""
        if block is None or block <= 0 or len(rows) % block or len(rows) == block:
            return ColumnArray([column.take_rows(rows) for column in self.columns])
        rows = np.asarray(rows, dtype=np.intp)
        grid = rows.reshape(-1, block)
        pairs = np.stack([np.broadcast_to(grid[:1], grid.shape), grid], axis=-1).reshape(-1, 2)
        pairs = np.unique(pairs[pairs[:, 0] != pairs[:, 1]], axis=0)
        columns = []
        for column in self.columns:
            values = full(column)
            same = values.take_rows(pairs[:, 0]).rows_equal(values.take_rows(pairs[:, 1])).all()
            if same:
                columns.append(Shared(values.take_rows(grid[0]), grid.shape[0]))
            else:
                columns.append(values.take_rows(rows))
        return ColumnArray(columns)

    def add_to_columns(self, columns: np.ndarray, delta: RadicalArray | Shared) -> ColumnArray:
        """self with delta (rows x len(columns)) added to the given distinct columns. A column whose
        part of delta is zero everywhere is kept as it is (the same object); a shared column stays
        shared when its part of delta is shared. Rational int64 columns are added in one block
        (`add_rational_columns`)."""
        new = list(self.columns)
        values = delta.x if isinstance(delta, Shared) else delta
        by_column = np.ascontiguousarray(values.num.transpose(2, 0, 1)).reshape(values.shape[1], -1)
        written = np.nonzero(np.any(by_column != 0, axis=1))[0].tolist()  # (contiguous passes)
        targets = [int(columns[j]) for j in written]
        in_words = [isinstance(delta, Shared) and isinstance(new[c], Shared) for c in targets]
        if any(in_words):  # shared plus shared: added on the rows of one word, and shared
            picked = [(j, c) for j, c, w in zip(written, targets, in_words, strict=True) if w]
            sums = _added([new[c].x for _, c in picked], values, np.array([j for j, _ in picked]))
            for (_, c), total in zip(picked, sums, strict=True):
                new[c] = Shared(total, new[c].copies)
        picked = [(j, c) for j, c, w in zip(written, targets, in_words, strict=True) if not w]
        if picked:
            sums = _added([full(new[c]) for _, c in picked], full(delta), np.array([j for j, _ in picked]))
            for (_, c), total in zip(picked, sums, strict=True):
                new[c] = total
        return ColumnArray(new)
