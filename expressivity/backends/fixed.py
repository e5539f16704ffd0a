"""fixed:p, the log-precision semantics: every scalar is one p-bit fixed-point number.

Convention (p bits in total). A scalar is a two's complement p-bit integer X, -2^(p-1) <= X < 2^(p-1),
read as x = X * 2^-f with f = floor(p/2) fractional bits; the other ceil(p/2) bits, sign included, are
the integer part. So the representable numbers are the multiples of 2^-f in [-2^(p-1-f), 2^(p-1-f)):
with p = c log2 N both the resolution 2^-f ~ N^(-c/2) and the range 2^(p-1-f) ~ N^(c/2) are polynomial
in N, which is the papers' log-precision regime (values and reciprocals of poly(N) quantities are
representable; see docs/backends.md).

Every primitive is computed exactly on its representable inputs (Python integers: no float anywhere)
and rounded once to the nearest multiple of 2^-f, ties up (floor(y + 1/2) in units of 2^-f):

- a norm group's reading as one operation: N(x)_c = y_c / ||y||, y = x - mean x (layer norm; rms skips
  the centring), with the square root compared exactly through integer square roots;
- each output coordinate of a linear map (a dot product plus its bias) as one operation;
- each attention score q_i . k_j as one operation, and each head's mean over its tie set as one n-ary
  operation (sum of the tie set's values divided by its size, rounded once);
- each readout score (a dot product) as one operation;
- ReLU and the residual addition are exact on representable numbers (no rounding), but their results
  must still fit.

A result outside [-2^(p-1-f), 2^(p-1-f)) is a `SimulationError` that names the primitive and the
position (and, through the simulator, the section, layer and sublayer). Ties of a head are exact
equality of rounded scores: that is where precision shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import isqrt

import numpy as np

from expressivity.backends.base import CompiledMatrix, SimulationError, TieSets, visible_matrix, visible_rows
from expressivity.numbers.radical_array import int_matmul


def fraction_bits(bits: int) -> int:
    """f = floor(p/2): the fractional bits of a p-bit scalar (the convention of this module)."""
    return bits // 2


def _round_ratio(numer: np.ndarray, den: int | np.ndarray) -> np.ndarray:
    """floor(numer / den + 1/2) exactly, for integer (object) arrays and positive den."""
    return (2 * numer + den) // (2 * den)


def _round_over_sqrt(a: int, ss: int) -> int:
    """floor(a / sqrt(ss) + 1/2) for integers a and ss > 0, exactly: from m = floor(2a / sqrt(ss)),
    since floor(y + 1/2) = floor((floor(2y) + 1) / 2)."""
    q, r = divmod(4 * a * a, ss)
    root = isqrt(q)  # floor(sqrt(floor(z))) = floor(sqrt(z)) for z >= 0
    exact = r == 0 and root * root == q
    twice = root if a >= 0 else -(root if exact else root + 1)
    return (twice + 1) // 2


def _objects(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == object else x.astype(object)


class FixedBackend:
    """fixed:p arithmetic on object arrays of Python ints X (the value is X * 2^-f, f = floor(p/2))."""

    def __init__(self, bits: int) -> None:
        if isinstance(bits, bool) or not isinstance(bits, int) or bits < 2:
            raise ValueError(f"fixed precision needs at least 2 bits (1 fractional), got {bits!r}")
        self.bits = bits
        self.fraction = fraction_bits(bits)
        self.scale = 1 << self.fraction
        self.limit = 1 << (bits - 1)
        self.name = f"fixed:{bits}"

    def _checked(self, x: np.ndarray, what: str, row: str = "position") -> np.ndarray:
        """x itself when every entry fits in p bits; otherwise an error naming the first bad entry (its
        row: a position, or a token kind for the embedding table; and its column)."""
        if x.size and (x.max() >= self.limit or x.min() < -self.limit):
            bad = np.argwhere((x >= self.limit) | (x < -self.limit))[0]
            where = f"{row} {bad[0]}" + (f", column {bad[1]}" if len(bad) > 1 else "")
            value = Fraction(int(x[tuple(bad)]), self.scale)
            span = Fraction(self.limit, self.scale)
            raise SimulationError(
                f"{self.name} overflow in {what} at {where}: {float(value):.6g} is outside "
                f"[-{span}, {span}) (p = {self.bits} bits, {self.fraction} fractional)"
            )
        return x

    def kind_table(self, rows: Sequence[Sequence[Fraction]]) -> np.ndarray:
        kinds = np.array(
            [[int(_round_ratio(x.numerator * self.scale, x.denominator)) for x in row] for row in rows],
            dtype=object,
        ).reshape(len(rows), len(rows[0]) if rows else 0)
        return self._checked(kinds, "the embedding", row="token kind")

    def embed(self, table: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return table[tokens]

    def snapshot(self, h: np.ndarray) -> np.ndarray:
        return h

    def view(self, h: np.ndarray, groups: Sequence[np.ndarray], centre: bool) -> np.ndarray:
        """Each group's reading y / ||y|| from the exact integers: with Y = |G| X - sum X (centred, a
        multiple of y) the reading is Y_c / sqrt(sum Y^2), rounded once. Rows with equal cells give equal
        readings, so each distinct row of a group is computed once."""
        parts = []
        for columns in groups:
            rows = [tuple(row) for row in h[:, columns].tolist()]
            readings = {row: self._reading(row, centre) for row in dict.fromkeys(rows)}
            parts.append(
                np.array([readings[row] for row in rows], dtype=object).reshape(len(rows), len(columns))
            )
        return self._checked(np.concatenate(parts, axis=1), "a norm group's reading")

    def _reading(self, row: tuple[int, ...], centre: bool) -> tuple[int, ...]:
        total = sum(row)
        y = [x * len(row) - total for x in row] if centre else list(row)
        squares = sum(v * v for v in y)
        if squares == 0:
            return (0,) * len(row)
        return tuple(_round_over_sqrt(v * self.scale, squares) for v in y)

    def linear(self, z: np.ndarray, weights: CompiledMatrix, bias: CompiledMatrix | None) -> np.ndarray:
        """(z W^T + b) per output coordinate: exact, then rounded once. With W = num/den the exact value
        in units of 2^-f is (Z num^T)/den (+ b 2^f)."""
        product = _objects(int_matmul(z, weights.num.T))
        if bias is None:
            return self._checked(_round_ratio(product, weights.den), "a linear map")
        numer = product * bias.den + weights.den * bias.num[0][None, :] * self.scale
        return self._checked(_round_ratio(numer, weights.den * bias.den), "a linear map")

    def relu(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, 0).astype(object)

    def scatter_add(self, h: np.ndarray, columns: np.ndarray, delta: np.ndarray) -> np.ndarray:
        out = h.copy()
        out[:, columns] = out[:, columns] + delta
        return self._checked(out, "a residual addition")

    def attend(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: str, uniform: bool
    ) -> tuple[np.ndarray, TieSets]:
        """Tie sets of the rounded scores, then each mean rounded once.

        Rounding R(x) = floor((2x + s)/(2s)), s = 2^f, is non-decreasing in the exact score x (in units
        of 2^-2f), so a row's largest rounded score is R(largest exact score) and the tie set is every
        visible j with R(x_j) = R_max, i.e. x_j >= s R_max - s/2: one comparison per score on the exact
        integers, no division. Overflow is checked on the rounded extremes of the visible scores."""
        size = q.shape[0]
        out, ties = self._attend(q, k, v, uniform, visible_matrix(mask, size))
        return out, TieSets(mask, size) if uniform else TieSets.from_matrix(mask, ties)

    def attend_rows(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: str, uniform: bool
    ) -> np.ndarray:
        """The head's output at the last len(q) rows only (q holds their queries, k and v every row's),
        rounded exactly as `attend` rounds those rows."""
        rows = np.arange(k.shape[0] - q.shape[0], k.shape[0])
        return self._attend(q, k, v, uniform, visible_rows(mask, rows, k.shape[0]))[0]

    def append_rows(self, h: np.ndarray, more: np.ndarray) -> np.ndarray:
        return np.concatenate([h, more])

    def _attend(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, uniform: bool, visible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(means over the tie sets, the tie-set matrix) of the rows of q against every key, `visible`
        giving which keys each row sees."""
        if uniform:
            ties = visible
        else:
            raw = int_matmul(q, k.T, as_object=False)
            floor = raw.min(initial=0) - 1
            best = np.where(visible, raw, floor).max(axis=1, initial=floor)
            ceiling = raw.max(initial=0) + 1
            worst = np.where(visible, raw, ceiling).min(axis=1, initial=ceiling)
            rows = np.nonzero(visible.any(axis=1))[0]
            if rows.size:
                extremes = np.array([[best[rows].max(), worst[rows].min()]], dtype=object)
                self._checked(_round_ratio(extremes, self.scale), "an attention score")
            rounded_best = _round_ratio(_objects(best), self.scale)
            threshold = rounded_best * self.scale - self.scale // 2
            if raw.dtype != object and np.abs(threshold).max(initial=0) < 2**62:
                threshold = threshold.astype(np.int64)
            ties = visible & (raw >= threshold[:, None])
        counts = ties.sum(axis=1)
        sums = _objects(int_matmul(ties.astype(np.int64), v))
        out = _round_ratio(sums, np.maximum(counts, 1).astype(object)[:, None])
        return self._checked(out, "an attention mean"), ties

    def column(self, h: np.ndarray, c: int) -> list[Fraction]:
        return [Fraction(int(x), self.scale) for x in h[:, c]]

    def column_is_zero(self, h: np.ndarray, c: int) -> np.ndarray:
        return h[:, c] == 0

    def exceeds_half(self, h: np.ndarray, i: int, c: int) -> bool:
        return 2 * int(h[i, c]) > self.scale

    def readout(self, h: np.ndarray, i: int, unembedding: CompiledMatrix) -> tuple[int, list[Fraction]]:
        """Each symbol's score (a dot product) rounded once and checked; argmax, earlier symbol on a tie."""
        row = np.array([[int(x) for x in h[i]]], dtype=object)
        rounded = _round_ratio(row @ unembedding.num.T.astype(object), unembedding.den)[0]
        for symbol, score in enumerate(rounded):
            if not -self.limit <= score < self.limit:
                raise SimulationError(
                    f"{self.name} overflow in the readout score of symbol {symbol} at position {i}: "
                    f"{float(Fraction(int(score), self.scale)):.6g} does not fit in {self.bits} bits"
                )
        scores = [Fraction(int(x), self.scale) for x in rounded]
        best = max(range(len(scores)), key=lambda s: (scores[s], -s))
        return best, scores
