"""The residual stream of an exact run, stored column by column.

A `RadicalArray` has one denominator (and one set of radicals) per row, so adding a sublayer's output to
a few coordinates of a wide residual rescales and reduces every coordinate of every row whose
denominator changes. A `ColumnArray` keeps each coordinate as its own (rows x 1) `RadicalArray`: a
sublayer touches only the columns it reads and writes, and a column it does not write stays the very
same object, so a reader can tell by identity (no comparison) that a norm group's cells did not change.
Columns are never modified in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from expressivity.numbers.radical_array import RadicalArray


class ColumnArray:
    """An (R, C) array of square-root-field elements as C separate (R, 1) `RadicalArray`s."""

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence[RadicalArray]) -> None:
        self.columns = tuple(columns)

    @classmethod
    def split(cls, x: RadicalArray) -> ColumnArray:
        return cls([x.take_cols([c]) for c in range(x.shape[1])])

    @property
    def shape(self) -> tuple[int, int]:
        return self.columns[0].shape[0] if self.columns else 0, len(self.columns)

    def take(self, columns: Sequence[int] | np.ndarray) -> RadicalArray:
        """The given columns as one `RadicalArray`."""
        parts = [self.columns[int(c)] for c in columns]
        return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)

    def whole(self) -> RadicalArray:
        return self.take(range(len(self.columns)))

    def take_rows(self, rows: np.ndarray) -> ColumnArray:
        return ColumnArray([column.take_rows(rows) for column in self.columns])

    def add_to_columns(self, columns: np.ndarray, delta: RadicalArray) -> ColumnArray:
        """self with delta (rows x len(columns)) added to the given distinct columns; a column whose
        part of delta is zero everywhere is kept as it is (the same object)."""
        new = list(self.columns)
        zero = np.all(delta.is_zero(), axis=0)
        for j, c in enumerate(columns):
            if not zero[j]:
                new[int(c)] = new[int(c)].add_to_columns(np.zeros(1, dtype=np.intp), delta.take_cols([j]))
        return ColumnArray(new)
