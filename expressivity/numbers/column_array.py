"""The residual stream of an exact run, stored column by column, and values shared by the words of a batch.

A `RadicalArray` has one denominator (and one set of radicals) per row, so adding a sublayer's output to
a few coordinates of a wide residual rescales and reduces every coordinate of every row whose
denominator changes. A `ColumnArray` keeps each coordinate as its own (rows x 1) `RadicalArray`: a
sublayer touches only the columns it reads and writes, and a column it does not write stays the very
same object, so a reader can tell by identity (no comparison) that a norm group's cells did not change.
Columns are never modified in place.

In a batched run (words of N positions stacked, row b * N + i = position i of word b) a column may be
`Shared`: the same in every word, stored once as N rows. A column starts shared when the embedding
proves it (exact equality in every word), and stays shared while only shared values are added to it;
whatever reads only shared columns (a circuit's ids, hashes and wiring) is computed once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from expressivity.numbers.radical_array import RadicalArray


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


def shared_in_blocks(x: RadicalArray, block: int) -> Shared | None:
    """x as `Shared` when its rows b * block + i have the same canonical form in every block b (so the
    same values), else None."""
    rows = x.shape[0]
    if block <= 0 or rows % block or rows == block:
        return None
    copies = rows // block
    num = x.num.reshape(x.slots, copies, block, x.shape[1])
    same = np.array_equal(num, np.broadcast_to(num[:, :1], num.shape))
    den = x.den.reshape(copies, block)
    rad = x.rad.reshape(x.slots, copies, block)
    same = same and bool(np.all(den == den[:1])) and bool(np.all(rad == rad[:, :1]))
    return Shared(x.take_rows(np.arange(block)), copies) if same else None


class ColumnArray:
    """An (R, C) array of square-root-field elements as C separate (R, 1) columns, each a `RadicalArray`
    or a `Shared` one."""

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence[RadicalArray | Shared]) -> None:
        self.columns = tuple(columns)

    @classmethod
    def split(cls, x: RadicalArray, block: int | None = None) -> ColumnArray:
        """x column by column; with `block`, a column equal in every block of `block` rows is `Shared`."""
        columns = []
        for c in range(x.shape[1]):
            column = x.take_cols([c])
            shared = shared_in_blocks(column, block) if block else None
            columns.append(column if shared is None else shared)
        return cls(columns)

    @property
    def shape(self) -> tuple[int, int]:
        return self.columns[0].shape[0] if self.columns else 0, len(self.columns)

    def take(self, columns: Sequence[int] | np.ndarray) -> RadicalArray:
        """The given columns as one `RadicalArray` (every row written out)."""
        parts = [full(self.columns[int(c)]) for c in columns]
        return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)

    def take_shared(self, columns: Sequence[int] | np.ndarray) -> RadicalArray:
        """The given columns, all `Shared`, as one `RadicalArray` of the rows of one word."""
        parts = [self.columns[int(c)].x for c in columns]
        return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)

    def whole(self) -> RadicalArray:
        return self.take(range(len(self.columns)))

    def take_rows(self, rows: np.ndarray) -> ColumnArray:
        return ColumnArray([column.take_rows(rows) for column in self.columns])

    def add_to_columns(self, columns: np.ndarray, delta: RadicalArray | Shared) -> ColumnArray:
        """self with delta (rows x len(columns)) added to the given distinct columns. A column whose
        part of delta is zero everywhere is kept as it is (the same object); a shared column stays
        shared when its part of delta is shared."""
        new = list(self.columns)
        values = delta.x if isinstance(delta, Shared) else delta
        zero = np.all(values.is_zero(), axis=0)
        first = np.zeros(1, dtype=np.intp)
        for j, c in enumerate(columns):
            if zero[j]:
                continue
            c, change = int(c), delta.take_cols([j])
            old = new[c]
            if isinstance(old, Shared) and isinstance(change, Shared):
                new[c] = Shared(old.x.add_to_columns(first, change.x), old.copies)
            else:
                new[c] = full(old).add_to_columns(first, full(change))
        return ColumnArray(new)
