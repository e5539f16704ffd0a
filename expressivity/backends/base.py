"""What every backend shares: compiled weight matrices, tie sets, and the backend interface.

A backend turns the model's exact rational weights into its own numbers once (`CompiledMatrix`), and
implements the primitives the simulator calls on whole arrays (positions x coordinates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import lcm
from typing import Any, Protocol

import numpy as np


class SimulationError(RuntimeError):
    """A run that cannot go on (nested radical, fixed-point overflow); the message names where."""


@dataclass(frozen=True)
class CompiledMatrix:
    """A rational matrix M = num / den with integer numerators (object array) and one denominator."""

    num: np.ndarray
    den: int
    values: tuple[tuple[Fraction, ...], ...]

    @classmethod
    def of(cls, rows: Sequence[Sequence[Fraction]], width: int) -> CompiledMatrix:
        den = lcm(1, *(x.denominator for row in rows for x in row))
        num = np.array(
            [[x.numerator * (den // x.denominator) for x in row] for row in rows], dtype=object
        ).reshape(len(rows), width)
        return cls(num, den, tuple(tuple(row) for row in rows))

    @cached_property
    def largest(self) -> int:
        """max |num| (0 for an empty matrix)."""
        return max((abs(int(x)) for x in self.num.flat), default=0)

    @cached_property
    def compact(self) -> np.ndarray:
        """The numerators as int64 when they fit (cheaper products), else the Python-int array."""
        return self.num.astype(np.int64) if self.largest < 2**62 else self.num

    @cached_property
    def floats(self) -> np.ndarray:
        return np.array([[float(x) for x in row] for row in self.values], dtype=np.float64).reshape(
            self.num.shape
        )

    @classmethod
    def bias(cls, values: Sequence[Fraction]) -> CompiledMatrix | None:
        """A bias vector as a 1-row matrix, or None when it is zero (nothing to add)."""
        return cls.of([values], len(values)) if any(values) else None

    @property
    def is_zero(self) -> bool:
        return not np.any(self.num != 0)


@dataclass(frozen=True)
class TieSets:
    """The tie set T_i of a head at every position i.

    `indices is None` means T_i is the whole visible set of the mask (a head whose scores are all
    equal); otherwise T_i = indices[indptr[i]:indptr[i+1]] (CSR).
    """

    mask: str
    size: int
    indptr: np.ndarray | None = None
    indices: np.ndarray | None = None

    def of(self, i: int) -> np.ndarray:
        if self.indices is None:
            return np.arange(visible_range(self.mask, i, self.size))
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def sizes(self) -> np.ndarray:
        if self.indices is None:
            return np.array([visible_range(self.mask, i, self.size) for i in range(self.size)])
        return np.diff(self.indptr)

    def as_lists(self) -> list[list[int]]:
        return [self.of(i).tolist() for i in range(self.size)]

    def part(self, start: int, size: int) -> TieSets:
        """The tie sets of positions start .. start + size - 1 of a batched run, as positions of their
        own word (ties never cross words, so every index is in the same range)."""
        if self.indices is None:
            return TieSets(self.mask, size)
        indptr = self.indptr[start : start + size + 1]
        indices = self.indices[indptr[0] : indptr[-1]] - start
        return TieSets(self.mask, size, indptr - indptr[0], indices)

    @classmethod
    def from_matrix(cls, mask: str, ties: np.ndarray) -> TieSets:
        rows, cols = np.nonzero(ties)
        indptr = np.zeros(ties.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=ties.shape[0]), out=indptr[1:])
        return cls(mask, ties.shape[0], indptr, cols.astype(np.int64))


def visible_range(mask: str, i: int, size: int) -> int:
    """J_i = {0, ..., end-1}: causal j <= i, strict j < i, unmasked all j."""
    return {"causal": i + 1, "strict": i, "unmasked": size}[mask]


def visible_matrix(mask: str, size: int) -> np.ndarray:
    return visible_rows(mask, np.arange(size), size)


def visible_rows(mask: str, rows: np.ndarray, size: int) -> np.ndarray:
    """The rows `rows` of the visible matrix (len(rows) x size booleans), without building the rest."""
    if mask == "unmasked":
        return np.ones((len(rows), size), dtype=bool)
    columns = np.arange(size)[None, :]
    return columns <= rows[:, None] if mask == "causal" else columns < rows[:, None]


class Backend(Protocol):
    """Primitives on arrays of shape (positions, coordinates) in the backend's own numbers."""

    name: str

    def kind_table(self, rows: Sequence[Sequence[Fraction]]) -> Any:
        """The embedding rows (one per token kind) in the backend's numbers; built once per model."""
        ...

    def embed(self, table: Any, tokens: np.ndarray) -> Any:
        """The residual stream: row tokens[i] of the kind table at position i."""
        ...

    def view(self, h: Any, groups: Sequence[np.ndarray], centre: bool) -> Any: ...

    def snapshot(self, h: Any) -> Any:
        """The residual as a trace records it (the backend may keep the live one in another form)."""
        ...

    def linear(self, z: Any, weights: CompiledMatrix, bias: CompiledMatrix | None) -> Any:
        """z W^T (+ b): `bias` is a 1-row matrix, or None for no bias."""
        ...

    def relu(self, x: Any) -> Any: ...

    def scatter_add(self, h: Any, columns: np.ndarray, delta: Any) -> Any: ...

    def attend(self, q: Any, k: Any, v: Any, mask: str, uniform: bool) -> tuple[Any, TieSets]: ...

    def attend_rows(self, q: Any, k: Any, v: Any, mask: str, uniform: bool) -> Any:
        """The head's output at the last len(q) rows only (q: their queries; k, v: every row's), equal to
        those rows of `attend`; what a causal run extended by new positions needs."""
        ...

    def append_rows(self, h: Any, more: Any) -> Any:
        """The rows of h, then the rows of more."""
        ...

    def column(self, h: Any, c: int) -> list: ...

    def column_is_zero(self, h: Any, c: int) -> np.ndarray: ...

    def exceeds_half(self, h: Any, i: int, c: int) -> bool: ...

    def readout(self, h: Any, i: int, unembedding: CompiledMatrix) -> tuple[int, list]: ...
