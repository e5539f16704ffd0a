"""Row-structured arrays over the square-root field, for whole-array exact arithmetic.

A `RadicalArray` of shape (R, C) stores

    entry(i, c) = sum_t num[t, i, c] * sqrt(rad[t, i]) / den[i]

- slot 0 is the rational part: rad[0, i] = 1 for every row;
- a slot t >= 1 holds one radicand rad[t, i] > 1 per row, a representative of its square class
  (`radicands.radical_class`: found by gcds and integer square roots, never by factoring), distinct
  within the row, or 0 when the slot is unused in that row (its numerators are then 0);
- den[i] >= 1 is one denominator per row.

Rows share their radicals across columns because that is what a transformer produces: a norm group's
output is a rational vector times one square root per position, and linear maps mix columns of one row
only. Square roots of representatives of distinct classes are linearly independent over Q, so the form
is canonical and `is_zero` is exact and cheap; and since equal classes are equal integers, merging the
radicals of two rows is a sorted merge of integers. Denominators and radicands are Python ints in
object arrays (never overflow). Numerators are int64 while every value stays below 2^62, and every
arithmetic step on them first bounds its result (`times`, `plus`, `total`, `running_total`,
`segment_totals`, `int_matmul`): a step whose bound reaches 2^62 is done on Python ints instead. The
heavy integer matrix products drop to float64 BLAS or int64 when a bound proves the result exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import lcm

import numpy as np

from expressivity.numbers.radicands import radical_class, radical_product
from expressivity.numbers.sqrtfield import SqrtNumber, sign_of_radical_sum

_EXACT_FLOAT = 2**53
_EXACT_INT64 = 2**62
_UNIT_ROUNDOFF = 2.0**-53
_SMALLEST_SUBNORMAL = 2.0**-1074


class NestedRadicalError(ArithmeticError):
    """A norm group's squared norm is irrational at some row: its root would be a nested radical."""

    def __init__(self, row: int, detail: str = "") -> None:
        self.row = row
        super().__init__(f"squared norm is irrational at row {row}{': ' + detail if detail else ''}")


_INT_LIMIT = 2**62


def _objects(a: np.ndarray) -> np.ndarray:
    return a if a.dtype == object else a.astype(object)


def _bound(a: np.ndarray | int) -> int:
    """max |a| as a Python int (0 for an empty array)."""
    if not isinstance(a, np.ndarray):
        return abs(int(a))
    if a.size == 0:
        return 0
    return max(abs(int(a.max())), abs(int(a.min())))


def running_total(a: np.ndarray, axis: int) -> np.ndarray:
    """Cumulative sum along an axis, in int64 when max|a| * length < 2^62."""
    if _small(a) and _bound(a) * max(a.shape[axis], 1) < _INT_LIMIT:
        return _int64(a).cumsum(axis=axis)
    return _objects(a).cumsum(axis=axis)


def segment_totals(a: np.ndarray, starts: np.ndarray, axis: int) -> np.ndarray:
    """np.add.reduceat along an axis, in int64 when max|a| * length < 2^62."""
    if _small(a) and _bound(a) * max(a.shape[axis], 1) < _INT_LIMIT:
        return np.add.reduceat(_int64(a), starts, axis=axis)
    return np.add.reduceat(_objects(a), starts, axis=axis)


def _int64(a: np.ndarray | int) -> np.ndarray | int:
    if not isinstance(a, np.ndarray):
        return int(a)
    return a if a.dtype == np.int64 else a.astype(np.int64)


def _narrow(num: np.ndarray, check_objects: bool) -> np.ndarray:
    """int64 numerators stay int64 (every producer bounded them); Python-int numerators become int64
    when `check_objects` and every value is below 2^62 (bounding an object array costs a pass)."""
    if num.dtype == np.int64:
        return num
    if check_objects and num.size and _bound(num) < _INT_LIMIT:
        return _int64(num)
    return _objects(num)


def _small(*arrays) -> bool:
    """No large object array among the operands (bounding one costs about as much as the Python-int
    path); per-row factors (vectors) are fine."""
    return not any(isinstance(a, np.ndarray) and a.dtype == object and a.size > 1 << 16 for a in arrays)


def times(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """a * b (broadcasting), in int64 when max|a| max|b| < 2^62."""
    bound_a, bound_b = _bound(a), _bound(b)
    if _small(a, b) and max(bound_a, bound_b, bound_a * bound_b) < _INT_LIMIT:
        return _int64(a) * _int64(b)
    return _objects(a) * (_objects(b) if isinstance(b, np.ndarray) else int(b))


def plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b, in int64 when max|a| + max|b| < 2^62."""
    if _small(a, b) and _bound(a) + _bound(b) < _INT_LIMIT:
        return _int64(a) + _int64(b)
    return _objects(a) + _objects(b)


def total(a: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """Sum along an axis, in int64 when max|a| * length < 2^62."""
    if _small(a) and _bound(a) * max(a.shape[axis], 1) < _INT_LIMIT:
        return _int64(a).sum(axis=axis, keepdims=keepdims)
    return _objects(a).sum(axis=axis, keepdims=keepdims)


def _max_abs(a: np.ndarray) -> int:
    if a.size == 0:
        return 0
    return int(max(abs(int(a.max())), abs(int(a.min()))))


def int_matmul(a: np.ndarray, b: np.ndarray, as_object: bool = True, b_max: int | None = None) -> np.ndarray:
    """Exact integer matrix product of object (or int) arrays, through float64 BLAS or int64 when the
    bound max|a| * max|b| * inner dimension proves every partial sum exact there. With as_object False
    the result stays int64 when it fits. `b_max` is max|b| when the caller knows it (fixed weights)."""
    inner = a.shape[-1]
    a_max = _max_abs(a)
    b_max = _max_abs(b) if b_max is None else b_max
    if a_max == 0 or b_max == 0:  # the bound is 0, yet the other factor may be too large for float64
        return np.zeros((*a.shape[:-1], *b.shape[1:]), dtype=object if as_object else np.int64)
    bound = a_max * b_max * max(inner, 1)
    if bound < _EXACT_FLOAT:
        product = _float_product(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    elif bound < _EXACT_INT64:
        product = a.astype(np.int64) @ b.astype(np.int64)
    else:
        return _objects(a) @ _objects(b)
    return product.astype(object) if as_object else product


_BLAS_ROWS = 256  # rows per float64 product: small enough that BLAS stays on one thread


def _float_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for a 2-d a, in blocks of _BLAS_ROWS rows. Exactness does not depend on it (every partial
    sum is an integer below 2^53); speed does: a large product makes BLAS start threads, which on a
    loaded machine cost more than the product itself."""
    if a.ndim != 2 or a.shape[0] <= _BLAS_ROWS:
        return a @ b
    out = np.empty((a.shape[0], b.shape[1]))
    for start in range(0, a.shape[0], _BLAS_ROWS):
        np.matmul(a[start : start + _BLAS_ROWS], b, out=out[start : start + _BLAS_ROWS])
    return out


def _as_int64(values: np.ndarray) -> np.ndarray | None:
    """values as int64 when every |value| < 2^62, else None."""
    if values.dtype == np.int64:
        return values
    return values.astype(np.int64) if _bound(values) < _INT_LIMIT else None


def _gcd_reduce(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    return np.gcd.reduce(values, axis=axis) if values.size else values


_UNKNOWN = np.empty(0, dtype=np.int64)  # `RadicalArray._small` before it is checked
_RATIONAL_RADICANDS: dict[int, np.ndarray] = {}
_RATIONAL_RADICANDS_KEPT = 64


def rational_radicands(rows: int) -> np.ndarray:
    """The radicands of a rational array of `rows` rows, (1, rows) ones: one read-only array per row
    count, shared by every array that needs it (arrays are never changed in place, and a batch's
    columns would otherwise each hold their own)."""
    known = _RATIONAL_RADICANDS.get(rows)
    if known is None:
        if len(_RATIONAL_RADICANDS) >= _RATIONAL_RADICANDS_KEPT:
            _RATIONAL_RADICANDS.clear()
        known = np.ones((1, rows), dtype=object)
        known.flags.writeable = False
        _RATIONAL_RADICANDS[rows] = known
    return known


class RadicalArray:
    """An (R, C) array of exact square-root-field elements, canonical by construction (see module)."""

    __slots__ = ("__weakref__", "_den", "_small", "num", "rad")  # weakly referenced by the backend's caches

    def __init__(self, num: np.ndarray, rad: np.ndarray, den: np.ndarray, canonical: bool = False):
        self.rad = _objects(rad)
        if isinstance(den, np.ndarray) and den.dtype == np.int64:
            self._set_den(den)
        else:
            self.den = den
        if canonical:
            self.num = num if num.dtype in (object, np.int64) else _objects(num)
        else:
            self.num = _narrow(num, num.shape[0] == 1)
            self._canonicalise()
            if self.num.dtype == object and num.shape[0] > 1 == self.num.shape[0]:  # radicals cancelled
                self.num = _narrow(self.num, True)

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def from_integers(cls, num: np.ndarray, den: np.ndarray | None = None) -> RadicalArray:
        num = _objects(np.asarray(num))
        rows = num.shape[0]
        den = np.ones(rows, dtype=object) if den is None else _objects(np.asarray(den))
        return cls(num[None], np.ones((1, rows), dtype=object), den)

    @classmethod
    def from_fractions(cls, rows: Sequence[Sequence[Fraction | int]]) -> RadicalArray:
        """Rows of rationals (Fractions or ints); only the non-zero entries are visited twice."""
        width = len(rows[0]) if rows else 0
        num = np.zeros((len(rows), width), dtype=object)
        dens = np.ones(len(rows), dtype=object)
        for i, row in enumerate(rows):
            entries = [(c, x if type(x) is Fraction else Fraction(x)) for c, x in enumerate(row) if x]
            d = lcm(1, *(x.denominator for _, x in entries))
            for c, x in entries:
                num[i, c] = x.numerator * (d // x.denominator)
            dens[i] = d
        return cls.from_integers(num, dens)

    @classmethod
    def zeros(cls, rows: int, cols: int) -> RadicalArray:
        return cls.from_integers(np.zeros((rows, cols), dtype=object))

    @classmethod
    def from_scalars(cls, rows: Sequence[Sequence[SqrtNumber]]) -> RadicalArray:
        """Build from SqrtNumber entries (slow; for tests and small inputs)."""
        n_rows, n_cols = len(rows), len(rows[0]) if rows else 0
        radicands = [sorted({r for x in row for r in x.terms if r != 1}) for row in rows]
        slots = 1 + max((len(r) for r in radicands), default=0)
        num = np.zeros((slots, n_rows, n_cols), dtype=object)
        rad = np.zeros((slots, n_rows), dtype=object)
        rad[0] = 1
        den = np.ones(n_rows, dtype=object)
        for i, row in enumerate(rows):
            d = lcm(1, *(q.denominator for x in row for q in x.terms.values()))
            den[i] = d
            slot_of = {1: 0} | {r: t + 1 for t, r in enumerate(radicands[i])}
            for r, t in slot_of.items():
                rad[t, i] = r
            for c, x in enumerate(row):
                for r, q in x.terms.items():
                    num[slot_of[r], i, c] = q.numerator * (d // q.denominator)
        return cls(num, rad, den)

    # The row denominators are kept in one or both of two forms: `_den`, Python ints (object array),
    # and `_small`, int64 when every one is below 2^62 (None when not, _UNKNOWN until checked). The
    # fast paths use `_small`; `den` builds the Python-int form on first use. Neither is changed in
    # place.
    @property
    def den(self) -> np.ndarray:
        if self._den is None:
            self._den = self._small.astype(object)
        return self._den

    @den.setter
    def den(self, value: np.ndarray) -> None:
        self._den = _objects(np.asarray(value))
        self._small = _UNKNOWN

    def _set_den(self, den: np.ndarray) -> None:
        """Set the denominators from an int64 array."""
        if _bound(den) < _INT_LIMIT:
            self._den, self._small = None, den
        else:
            self._den, self._small = den.astype(object), None

    def small_den(self) -> np.ndarray | None:
        """The denominators as int64 when every one is below 2^62, else None."""
        if self._small is _UNKNOWN:
            self._small = _as_int64(self._den)
        return self._small

    # -- shape and access ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.num.shape[1], self.num.shape[2]

    @property
    def slots(self) -> int:
        return self.num.shape[0]

    def is_rational(self) -> bool:
        return self.slots == 1

    def entry(self, i: int, c: int) -> SqrtNumber:
        d = self.den[i]
        terms: dict[int, Fraction] = {}
        for t in range(self.slots):
            if self.num[t, i, c] != 0:
                terms[int(self.rad[t, i])] = Fraction(int(self.num[t, i, c]), int(d))
        return SqrtNumber(terms)

    def to_scalars(self) -> list[list[SqrtNumber]]:
        rows, cols = self.shape
        return [[self.entry(i, c) for c in range(cols)] for i in range(rows)]

    def take_rows(self, index: np.ndarray) -> RadicalArray:
        """The given rows (np.take: for a (slots, R, C) array it is several times faster than indexing
        the middle axis; a rational array's radicands are 1 and are made, not gathered)."""
        index = np.asarray(index, dtype=np.intp)
        small = self.small_den()
        den = np.take(self.den if small is None else small, index)
        num = np.take(self.num, index, axis=1)
        if self.slots == 1:  # the radicands are all 1 (slot 0): no gather of Python ints needed
            return RadicalArray(num, rational_radicands(len(index)), den, canonical=True)
        rad = np.take(self.rad, index, axis=1)
        return RadicalArray(num, rad, den, canonical=True)._drop_empty_slots()

    def take_cols(self, index: Sequence[int] | np.ndarray) -> RadicalArray:
        """The columns `index`: the rows' radicands stay distinct, so only the slots that the chosen
        columns leave empty are dropped (no merging, however many roots the other columns hold)."""
        index = np.asarray(index, dtype=np.intp)
        num = np.take(self.num, index, axis=2)
        if self.slots == 1:
            small = self.small_den()
            out = RadicalArray(num, self.rad, self.den if small is None else small, canonical=True)
        else:
            rad = self.rad.copy()
            rad[1:][~np.any(num[1:] != 0, axis=2)] = 0
            out = RadicalArray(*_compacted(num, rad), self.den, canonical=True)._drop_empty_slots()
        if out.num.dtype == object and out.slots == 1:
            out.num = _narrow(out.num, True)
        out._reduce()
        return out

    def reorder_cols(self, order: np.ndarray) -> RadicalArray:
        """The columns in the order `order`, a permutation of all of them: every row keeps its values,
        so its radicals and denominator, and stays canonical."""
        small = self.small_den()
        return RadicalArray(
            np.take(self.num, order, axis=2), self.rad, self.den if small is None else small, canonical=True
        )

    # -- canonical form -----------------------------------------------------------------------------
    def _canonicalise(self) -> None:
        """Merge equal radicands within a row (slot 0 is the rational part, radicand 1), free empty slots,
        compact, and cancel common factors.

        Radicands are class representatives, so two slots of a row hold the same square class iff they
        hold the same integer. Few slots are compared pairwise; many slots (a loop that accumulates
        roots) are merged by one sort of each row's radicands, so the cost grows as S log S, not S^2.
        Works on copies: the arrays handed to the constructor may be shared with another array.
        """
        if self.num.shape[0] > 1:
            self.num, self.rad = _merged_slots(self.num, self.rad)
        self._drop_empty_slots(in_place=True)
        self._reduce()

    def _drop_empty_slots(self, in_place: bool = False) -> RadicalArray:
        """Drop the slots that no row uses (their radicands are 0 everywhere)."""
        used = [0] + [t for t in range(1, self.slots) if np.any(self.rad[t] != 0)]
        if len(used) == self.slots:
            return self
        if in_place:
            self.num, self.rad = self.num[used], self.rad[used]
            return self
        small = self.small_den()
        den = self.den if small is None else small
        return RadicalArray(self.num[used], self.rad[used], den, canonical=True)

    def _reduce(self) -> None:
        rows, cols = self.shape
        if rows == 0:
            return
        if cols == 0:
            self._set_den(np.ones(rows, dtype=np.int64))
            return
        small = self.small_den() if self.num.dtype == np.int64 else None
        if small is not None:
            rows = np.nonzero(small > 1)[0]  # a row with denominator 1 is reduced
            if rows.size == 0:
                return
            part = self.num if rows.size == small.size else np.take(self.num, rows, axis=1)
            g = np.gcd(_gcd_reduce(part, axis=(0, 2)), small[rows])
            common = g > 1
            if common.any():  # g divides every numerator of its row
                rows, g = rows[common], g[common]
                if rows.size * 8 < small.size:  # few rows: divide only those
                    self.num = self.num.copy()
                    self.num[:, rows] //= g[None, :, None]
                    den = small.copy()
                    den[rows] //= g
                    self._set_den(den)
                else:  # many rows: one division of the whole array (the gathers would cost more)
                    divisor = np.ones(small.size, dtype=np.int64)
                    divisor[rows] = g
                    self.num = self.num // divisor[None, :, None]
                    self._set_den(small // divisor)
            return
        g = np.gcd(_objects(_gcd_reduce(self.num, axis=(0, 2))), self.den)
        if np.any(g != 1):
            if self.num.dtype == np.int64:
                # g >= 2^62 divides only all-zero int64 rows, which any divisor leaves at 0
                self.num = self.num // _int64(np.where(g < _INT_LIMIT, g, 1))[None, :, None]
            else:
                self.num = self.num // g[None, :, None]
            self.den = self.den // g

    # -- arithmetic ---------------------------------------------------------------------------------
    def _rescaled(self, new_den: np.ndarray) -> np.ndarray:
        """The numerators over new_den (a multiple of every row's denominator; int64 or objects)."""
        small = self.small_den() if new_den.dtype == np.int64 else None
        factor = new_den // (self.den if small is None else small)
        if np.all(factor == 1):
            return self.num
        return times(self.num, factor[None, :, None])

    def _common_den(self, other_den: RadicalArray | int) -> np.ndarray:
        """lcm of the row denominators with other's (an array's or one integer), int64 when bounded."""
        mine = self.small_den()
        if isinstance(other_den, RadicalArray):
            theirs = other_den.small_den()
        else:
            theirs = np.int64(other_den) if abs(int(other_den)) < _INT_LIMIT else None
        if mine is not None and theirs is not None and _bound(mine) * _bound(theirs) < _INT_LIMIT:
            if isinstance(other_den, RadicalArray) and (mine is theirs or np.array_equal(mine, theirs)):
                return mine
            return np.lcm(mine, theirs)
        return np.lcm(self.den, other_den.den if isinstance(other_den, RadicalArray) else int(other_den))

    def __add__(self, other: RadicalArray) -> RadicalArray:
        if self.shape != other.shape:
            raise ValueError(f"shape mismatch {self.shape} + {other.shape}")
        den = self._common_den(other)
        a, b = self._rescaled(den), other._rescaled(den)
        if self.slots == other.slots and np.array_equal(self.rad, other.rad):
            return RadicalArray(plus(a, b), self.rad.copy(), den)
        num = np.concatenate([plus(a[:1], b[:1]), a[1:], b[1:]], axis=0)
        rad = np.concatenate([self.rad[:1], self.rad[1:], other.rad[1:]], axis=0)
        return RadicalArray(num, rad.copy(), den)

    def add_to_columns(self, columns: np.ndarray, delta: RadicalArray) -> RadicalArray:
        """self with delta (rows x len(columns)) added to the given distinct columns.

        When both are rational with int64 numerators and denominators (the usual case), only the
        written columns are touched: rows whose denominator grows are rescaled, and a row is reduced
        only when the gcd of its denominator and its written columns exceeds 1 (otherwise the whole
        row's gcd with its denominator is 1 already). Else the general sum of full-width arrays."""
        fast = self._add_to_columns_rational(columns, delta)
        if fast is not None:
            return fast
        num = np.zeros((delta.slots, delta.shape[0], self.shape[1]), dtype=delta.num.dtype)
        num[:, :, columns] = delta.num
        return self + RadicalArray(num, delta.rad.copy(), delta.den.copy(), canonical=True)

    def _add_to_columns_rational(self, columns: np.ndarray, delta: RadicalArray) -> RadicalArray | None:
        if self.slots != 1 or delta.slots != 1 or self.num.dtype != np.int64 or delta.num.dtype != np.int64:
            return None
        den_h, den_d = self.small_den(), delta.small_den()
        if den_h is None or den_d is None:
            return None
        num, change = self.num[0], delta.num[0]
        if np.array_equal(den_h, den_d):
            den = den_h.copy()
            num = num.copy()
        else:
            if _bound(den_h) * _bound(den_d) >= _INT_LIMIT:
                return None
            den = np.lcm(den_h, den_d)
            scale_h, scale_d = den // den_h, den // den_d
            if _bound(change) * _bound(scale_d) >= _INT_LIMIT:
                return None
            change = change * scale_d[:, None]
            grown = np.nonzero(scale_h != 1)[0]
            num = num.copy()
            if grown.size:
                if _bound(num[grown]) * _bound(scale_h) >= _INT_LIMIT:
                    return None
                num[grown] *= scale_h[grown, None]
        written = num[:, columns]
        if _bound(written) + _bound(change) >= _INT_LIMIT:
            return None
        written = written + change
        num[:, columns] = written
        rows = np.nonzero(den > 1)[0]
        if rows.size:
            g = np.gcd(_gcd_reduce(written[rows], axis=1), den[rows])
            rows = rows[g > 1]
            if rows.size:
                g = np.gcd(_gcd_reduce(num[rows], axis=1), den[rows])
                num[rows] //= g[:, None]
                den[rows] //= g
        return RadicalArray(num[None], self.rad, den, canonical=True)

    def __neg__(self) -> RadicalArray:
        return RadicalArray(-self.num, self.rad.copy(), self.den.copy(), canonical=True)

    def __sub__(self, other: RadicalArray) -> RadicalArray:
        return self + (-other)

    def __mul__(self, other: RadicalArray) -> RadicalArray:
        """Entrywise product: sqrt(r1) sqrt(r2) = (a/b) sqrt(rep) (`radical_product`)."""
        if self.shape != other.shape:
            raise ValueError(f"shape mismatch {self.shape} * {other.shape}")
        if self.slots == other.slots == 1:
            return RadicalArray(times(self.num, other.num), self.rad.copy(), self.den * other.den)
        terms = []
        for t in range(self.slots):
            for u in range(other.slots):
                product = times(self.num[t], other.num[u])
                terms.append((product, self.rad[t], other.rad[u]))
        num, rad, den_factor = _radical_products(terms)
        return RadicalArray(num, rad, self.den * other.den * den_factor)

    def matmul(
        self,
        weights_num: np.ndarray,
        weights_den: int = 1,
        weights_max: int | None = None,
        bias: tuple[np.ndarray, int] | None = None,
    ) -> RadicalArray:
        """x @ (W_num / W_den)^T (+ b) for an integer matrix W_num of shape (C_out, C) (int64 or Python
        ints; `weights_max` = max|W_num| when known) and a rational row vector b = bias_num / bias_den.
        Numerators stay int64 where the bound allows. With a bias, the product is not brought to its
        canonical form before b is added (only the sum is), so a linear layer costs one reduction."""
        w_t = np.asarray(weights_num).T
        num = np.stack([int_matmul(self.num[t], w_t, False, weights_max) for t in range(self.slots)])
        small = self.small_den()
        if small is not None and _bound(small) * int(weights_den) < _INT_LIMIT:
            den = small * int(weights_den)
        else:
            den = self.den * int(weights_den)
        if bias is None:
            return RadicalArray(num, self.rad.copy(), den)
        # Not canonical (common factors, radical slots the product emptied): add_row_vector's result is.
        product = RadicalArray(num, self.rad, den, canonical=True)
        return product.add_row_vector(*bias)

    def add_row_vector(self, bias_num: np.ndarray, bias_den: int) -> RadicalArray:
        """x + b for a rational vector b = bias_num / bias_den added to every row."""
        den = self._common_den(int(bias_den))
        num = self._rescaled(den)
        term = times((den // int(bias_den))[:, None], np.asarray(bias_num)[None, :])
        num = np.concatenate([plus(num[:1], term[None]), num[1:]])
        return RadicalArray(num, self.rad.copy(), den)

    def sum_cols(self) -> RadicalArray:
        return RadicalArray(total(self.num, axis=2, keepdims=True), self.rad.copy(), self.den.copy())

    def where_rows_cols(self, keep: np.ndarray) -> RadicalArray:
        """Zero every entry where keep (R, C) is False."""
        return RadicalArray(np.where(keep[None], self.num, 0), self.rad.copy(), self.den.copy())

    @staticmethod
    def concat_rows(parts: Sequence[RadicalArray]) -> RadicalArray:
        """The rows of every part, in order (parts have the same number of columns)."""
        slots = max(p.slots for p in parts)
        nums, rads = [], []
        for part in parts:
            pad = slots - part.slots
            rows, cols = part.shape
            nums.append(np.concatenate([part.num, np.zeros((pad, rows, cols), dtype=part.num.dtype)]))
            rads.append(np.concatenate([part.rad, np.zeros((pad, rows), dtype=object)]))
        den = np.concatenate([p.den for p in parts])
        return RadicalArray(np.concatenate(nums, axis=1), np.concatenate(rads, axis=1), den, canonical=True)

    @staticmethod
    def concat_cols(parts: Sequence[RadicalArray]) -> RadicalArray:
        """The columns of every part side by side (parts have the same number of rows)."""
        fast = _concat_rational(parts)
        if fast is not None:
            return fast
        rows = parts[0].shape[0]
        den = np.ones(rows, dtype=object)
        for part in parts:
            den = np.lcm(den, part.den)
        width = sum(p.shape[1] for p in parts)
        rational = np.zeros((rows, width), dtype=object)
        rational = rational if any(p.num.dtype == object for p in parts) else rational.astype(np.int64)
        num_slots, rad_slots = [], []
        offset = 0
        for part in parts:
            scaled = part._rescaled(den)
            cols = slice(offset, offset + part.shape[1])
            if rational.dtype != object and scaled.dtype == object:  # a rescale left the int64 range
                rational = rational.astype(object)
            rational[:, cols] = scaled[0]
            for t in range(1, part.slots):
                block = np.zeros((rows, width), dtype=scaled.dtype)
                block[:, cols] = scaled[t]
                num_slots.append(block)
                rad_slots.append(part.rad[t])
            offset += part.shape[1]
        num = np.stack([rational, *num_slots])
        rad = np.stack([np.ones(rows, dtype=object), *rad_slots])
        return RadicalArray(num, rad, den)

    # -- norms --------------------------------------------------------------------------------------
    def normalise(self, centre: bool = True) -> RadicalArray:
        """Row-wise N(x) = y / ||y|| with y = x - mean(x) (or y = x when centre is False); N(0) = 0.

        N is invariant under positive scaling, so the row denominators drop out: with integer
        numerators Y, N(x) = Y / sqrt(A) for A = ||Y||^2, which must be rational. With
        sqrt(A) = (a/b) sqrt(rep) (`radical_class`, no factoring), N(x) = Y * b * sqrt(rep) / (a * rep).
        Raises NestedRadicalError when ||y||^2 is irrational.
        """
        rows, cols = self.shape
        num = self.num
        if centre and cols:
            num = plus(times(num, cols), -total(num, axis=2, keepdims=True))
        if self.slots == 1:
            squared = _narrow(total(times(num[0], num[0]), axis=1), True)
        else:
            squared = np.zeros(rows, dtype=object)
            for t in range(self.slots):
                squared = squared + _objects(total(times(num[t], num[t]), axis=1)) * self.rad[t]
            self._check_cross_terms(num)
        distinct, where = np.unique(squared, return_inverse=True)
        classes = [radical_class(int(a)) if a else (1, 1, 1) for a in distinct]
        where = where.reshape(-1)
        rep = np.array([c[0] for c in classes], dtype=object)[where]
        scale = np.array([c[2] for c in classes], dtype=object)[where]  # b
        den = np.array([c[1] * c[0] for c in classes], dtype=object)[where]  # a * rep
        if self.slots == 1:
            # one radical per row at most: sqrt(1) sqrt(rep) = sqrt(rep), no products of classes
            scaled = times(num[0], scale[:, None])
            rational = rep == 1
            out_num = np.zeros((2, rows, cols), dtype=scaled.dtype)
            out_num[0][rational] = scaled[rational]
            out_num[1][~rational] = scaled[~rational]
            out_rad = np.stack([np.ones(rows, dtype=object), np.where(rational, 0, rep)])
            return RadicalArray(out_num, out_rad, den)
        terms = [(times(num[t], scale[:, None]), self.rad[t], rep) for t in range(self.slots)]
        out_num, out_rad, den_factor = _radical_products(terms)
        return RadicalArray(out_num, out_rad, den * den_factor)

    def _check_cross_terms(self, num: np.ndarray) -> None:
        """The irrational part of ||y||^2 is sum_{t<u} 2 <y_t, y_u> sqrt(r_t r_u): it must vanish.

        Every product is bounded first (`times`, `total`): the numerators may be int64."""
        suspects: set[int] = set()
        crosses = {}
        for t in range(self.slots):
            for u in range(t + 1, self.slots):
                cross = _objects(total(times(num[t], num[u]), axis=1))
                crosses[t, u] = cross
                suspects.update(np.nonzero(cross != 0)[0].tolist())
        for i in sorted(suspects):
            totals: dict[int, Fraction] = {}
            for (t, u), cross in crosses.items():
                if cross[i]:
                    rep, a, b = radical_product(int(self.rad[t, i]), int(self.rad[u, i]))
                    totals[rep] = totals.get(rep, Fraction(0)) + 2 * int(cross[i]) * Fraction(a, b)
            if any(v != 0 for v in totals.values()):
                raise NestedRadicalError(i, "the group mixes incommensurable square roots")

    # -- decisions ----------------------------------------------------------------------------------
    def is_zero(self) -> np.ndarray:
        return ~np.any(self.num != 0, axis=0)

    def to_float(self) -> tuple[np.ndarray, np.ndarray]:
        """A float64 shadow of every entry and a rigorous bound on its error, underflow included.

        Per slot, the ratio n/d is correctly rounded (float64 division of exact operands, or Python's
        int / int), the root sqrt(fl(r)) has relative error <= 2u, and the product one more rounding.
        With u = 2^-53 and eta = 2^-1074 (a result in the subnormal range carries an absolute error
        up to eta/2 instead of a relative one), each term obeys
            |term^ - term| <= 4u |term| + eta (sqrt(r)^ + 1),
        and summing T terms adds (T - 1) u sum |term^| (float addition has no absolute error). So
            |shadow - exact| <= (T + 5) u M + eta sum_t (sqrt(r_t)^ + 1),  M = sum_t |term_t^|,
        to first order; the bound is inflated by 2^-40 relative and 2 eta absolute for the higher-order
        terms and the rounding of the bound itself. A term or sum beyond float64 (inf or nan) gets an
        infinite bound, which sends the decision to the exact path.
        """
        rows, cols = self.shape
        value = np.zeros((rows, cols))
        magnitude = np.zeros((rows, cols))
        absolute = np.zeros((rows, cols))
        small = self.small_den()
        small_den = small is not None and _bound(small) < _EXACT_FLOAT
        for t in range(self.slots):
            nonzero = self.num[t] != 0
            if self.num.dtype == np.int64 and small_den and _bound(self.num[t]) < _EXACT_FLOAT:
                ratio = self.num[t].astype(np.float64) / small.astype(np.float64)[:, None]
            else:
                ratio = _ratios(_objects(self.num[t]), self.den[:, None]).astype(np.float64)
            root = np.ones((rows, 1)) if t == 0 else _roots(self.rad[t]).astype(np.float64)[:, None]
            with np.errstate(invalid="ignore", over="ignore"):
                term = np.where(nonzero, ratio * root, 0.0)
                value += term
                magnitude += np.abs(term)
                absolute += np.where(nonzero, root + 1.0, 0.0)
        with np.errstate(invalid="ignore", over="ignore"):
            bound = (self.slots + 5) * _UNIT_ROUNDOFF * magnitude + _SMALLEST_SUBNORMAL * absolute
            bound = bound * (1 + 2.0**-40) + 2 * _SMALLEST_SUBNORMAL
        bound[~np.isfinite(value) | ~np.isfinite(bound)] = np.inf
        return value, bound

    def sign(self) -> np.ndarray:
        """Certified sign of every entry: float shadow where its bound decides, exact refinement else."""
        if self.slots == 1:  # a rational entry num / den with den >= 1 has the sign of num
            return (self.num[0] > 0).astype(np.int8) - (self.num[0] < 0).astype(np.int8)
        value, bound = self.to_float()
        signs = np.where(value > bound, 1, np.where(value < -bound, -1, 0)).astype(np.int8)
        zero = self.is_zero()
        unsure = (signs == 0) & ~zero
        for i, c in zip(*np.nonzero(unsure), strict=True):
            terms = [(int(self.num[t, i, c]), int(self.rad[t, i])) for t in range(self.slots)]
            signs[i, c] = sign_of_radical_sum(terms)
        signs[zero] = 0
        return signs

    def same_as(self, other: RadicalArray) -> bool:
        """Exactly the same array (both canonical: equal iff their arrays are equal). Denominators are
        compared in int64 when both fit (one fitting and the other not means they differ), and the
        radicands only when there are radical slots (slot 0's are 1)."""
        if self is other:
            return True
        if self.shape != other.shape or self.slots != other.slots:
            return False
        mine, theirs = self.small_den(), other.small_den()
        if (mine is None) != (theirs is None):
            return False
        same_den = np.array_equal(mine, theirs) if mine is not None else np.array_equal(self.den, other.den)
        return (
            same_den
            and (self.slots == 1 or np.array_equal(self.rad, other.rad))
            and np.array_equal(self.num, other.num)
        )

    def rows_equal(self, other: RadicalArray) -> np.ndarray:
        """Exact per-row equality of two arrays of the same shape (for rational int64 arrays, by
        cross-multiplying: a / d == b / e iff a e == b d)."""
        mine, theirs = self.small_den(), other.small_den()
        rational = self.slots == other.slots == 1 and self.num.dtype == other.num.dtype == np.int64
        small = rational and mine is not None and theirs is not None and self.shape == other.shape
        if small and max(_bound(self.num) * _bound(theirs), _bound(other.num) * _bound(mine)) < _INT_LIMIT:
            cross = self.num[0] * theirs[:, None] == other.num[0] * mine[:, None]
            return np.all(cross, axis=1)
        return np.all((self - other).is_zero(), axis=1)

    def __repr__(self) -> str:
        return f"RadicalArray(shape={self.shape}, slots={self.slots})"


def _concat_rational(parts: Sequence[RadicalArray]) -> RadicalArray | None:
    """concat_cols of rational parts with int64 numerators and denominators, in int64 (None when a
    part holds radicals or a bound reaches 2^62).

    The row's common denominator D is the lcm of the parts' denominators (`_common_multiple`). Over D
    the result is reduced when every part is: a prime p dividing D divides some part's denominator
    d_X to the full power, so D / d_X is prime to p, and p dividing every scaled numerator of X would
    divide all of X's numerators and d_X. The numerators are gathered column after column (one
    contiguous line each) and transposed once at the end."""
    if any(p.slots != 1 or p.num.dtype != np.int64 for p in parts):
        return None
    dens = [p.small_den() for p in parts]
    if any(d is None for d in dens):
        return None
    slot: dict[int, int] = {}
    distinct = []
    for d in dens:
        if id(d) not in slot:
            slot[id(d)] = len(distinct)
            distinct.append(d)
    stacked = np.stack(distinct)  # one line per distinct denominator array
    lines = np.concatenate([p.num[0].T for p in parts])  # (columns, rows)
    if len(stacked) == 1 or not np.any(stacked != stacked[0]):
        den = stacked[0]
    else:
        den = _common_multiple(stacked)
        if den is None:
            return None
        factors = den // stacked
        if _bound(lines) * _bound(factors) >= _INT_LIMIT:
            return None
        owner = np.repeat([slot[id(d)] for d in dens], [p.shape[1] for p in parts])
        lines *= factors[owner]
    return RadicalArray(np.ascontiguousarray(lines.T)[None], parts[0].rad, den, canonical=True)


def _common_multiple(dens: np.ndarray) -> np.ndarray | None:
    """The lcm of the lines of an int64 (k, R) array of positive integers, entry by entry; None when
    a bound reaches 2^62. Starting from the maximum L of each column, each round takes the largest
    entry that does not divide L and replaces L by lcm(L, entry) (bounded first by their product):
    a column with t distinct entries that do not divide its maximum takes at most t rounds, and the
    usual denominators (1, 2, 4, 18) take none or one."""
    common = dens.max(axis=0)
    while True:
        left = np.where(common % dens != 0, dens, 1).max(axis=0)
        if not np.any(left > 1):
            return common
        if _bound(common) * _bound(left) >= _INT_LIMIT:
            return None
        common = np.lcm(common, left)


def _ratio(n: int, d: int) -> float:
    """n / d correctly rounded (CPython's int / int), +-inf beyond float64."""
    try:
        return n / d
    except OverflowError:
        return float("inf") if n > 0 else float("-inf")


def _root(r: int) -> float:
    """sqrt(fl(r)), inf for a radicand beyond float64 (0 for an unused slot)."""
    try:
        return float(r) ** 0.5
    except OverflowError:
        return float("inf")


_ratios = np.frompyfunc(_ratio, 2, 1)
_roots = np.frompyfunc(_root, 1, 1)


_PAIRWISE_SLOTS = 6


def _merged_slots(num: np.ndarray, rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slots with each row's radicands distinct, its unused and emptied slots last (radicand 0), slot 0
    rational; a radicand 1 outside slot 0 is folded into slot 0."""
    rad = rad.copy()
    rad[0] = 1
    rad[1:][~np.any(num[1:] != 0, axis=2)] = 0
    slots = num.shape[0]
    if slots - 1 <= _PAIRWISE_SLOTS:
        clash = np.any(rad[1:] == 1)
        for t in range(1, slots):
            for u in range(t + 1, slots):
                clash = clash or bool(np.any((rad[t] == rad[u]) & (rad[t] != 0)))
        if not clash:
            return _compacted(num, rad)
    return _sorted_merge(num, rad)


def _compacted(num: np.ndarray, rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move each row's used radical slots to the front (stable), keeping slot 0 in place."""
    if num.shape[0] <= 2 or not np.any(rad[1:] == 0):
        return num, rad
    order = np.argsort(rad[1:] == 0, axis=0, kind="stable")
    rad = rad.copy()
    rad[1:] = np.take_along_axis(rad[1:], order, axis=0)
    num = num.copy()
    num[1:] = np.take_along_axis(num[1:], order[:, :, None], axis=0)
    return num, rad


def _sorted_merge(num: np.ndarray, rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum the slots of a row that hold the same radicand: sort (row, radicand) pairs, add runs with one
    segment sum, and scatter the surviving runs back by their rank within the row."""
    slots, rows, cols = num.shape
    values, ids = np.unique(rad.ravel(), return_inverse=True)  # 0 < 1 < every radicand
    ids = ids.reshape(slots, rows).astype(np.int64)
    unused = values[ids] == 0
    ids[unused] = len(values)  # unused slots sort last
    order = np.argsort(ids, axis=0, kind="stable").T  # (rows, slots)
    sorted_ids = np.take_along_axis(ids.T, order, axis=1)
    flat_num = num.transpose(1, 0, 2)[np.arange(rows)[:, None], order].reshape(rows * slots, cols)
    flat_ids = sorted_ids.reshape(-1)
    row_of = np.repeat(np.arange(rows), slots)
    starts = np.nonzero(np.r_[True, (flat_ids[1:] != flat_ids[:-1]) | (row_of[1:] != row_of[:-1])])[0]
    sums = segment_totals(flat_num, starts, axis=0)
    run_rows, run_ids = row_of[starts], flat_ids[starts]
    rational = values[np.minimum(run_ids, len(values) - 1)] == 1
    keep = (run_ids != len(values)) & (rational | np.any(sums != 0, axis=1))
    sums, run_rows, run_ids = sums[keep], run_rows[keep], run_ids[keep]
    first = np.searchsorted(run_rows, np.arange(rows))
    rank = np.arange(len(run_rows)) - first[run_rows]
    width = int(rank.max()) + 1 if len(rank) else 1
    out_num = np.zeros((width, rows, cols), dtype=sums.dtype)
    out_rad = np.zeros((width, rows), dtype=object)
    out_num[rank, run_rows] = sums
    out_rad[rank, run_rows] = values[run_ids]
    out_rad[0] = 1
    return out_num, out_rad


def _product_class(r1: int, r2: int) -> tuple[int, int, int]:
    if r1 == 0 or r2 == 0:
        return 0, 0, 1
    if r1 == 1:
        return r2, 1, 1
    if r2 == 1:
        return r1, 1, 1
    return radical_product(r1, r2)


_product_classes = np.frompyfunc(_product_class, 2, 3)


def _radical_products(terms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slots for sum over terms of product * sqrt(r1) * sqrt(r2), per row (r1, r2 per-row radicands).

    With sqrt(r1) sqrt(r2) = (a/b) sqrt(rep), a row's terms share the denominator L = lcm of their b:
    returns (numerators, radicands, L per row) with slot 0 rational (every rep = 1 is added there); the
    constructor merges equal radicands."""
    rows, cols = terms[0][0].shape
    classes = [_product_classes(r1, r2) if rows else (r1, r1, r1) for _, r1, r2 in terms]
    common = np.ones(rows, dtype=object)
    for _, _, b in classes:
        if np.any(b != 1):
            common = np.lcm(common, b)
    num = np.zeros((len(terms) + 1, rows, cols), dtype=object)
    rad = np.zeros((len(terms) + 1, rows), dtype=object)
    rad[0] = 1
    for t, ((product, _, _), (rep, a, b)) in enumerate(zip(terms, classes, strict=True), start=1):
        num[t] = _objects(times(product, (a * (common // b))[:, None]))
        rational = rep == 1
        if rational.any():
            num[0][rational] += num[t][rational]
            num[t][rational] = 0
        rad[t] = np.where(rational, 0, rep)
    return _narrow(num, True), rad, common
