"""fixed(p): the papers' log-precision semantics, as an audit of how many bits a model needs.

Numbers are fixed-point with p fractional bits: x is held as the integer X = x * 2^p, and |x| < 2^p
(p integer bits); leaving that range is an overflow error. Every primitive is computed exactly and
rounded once to a multiple of 2^-p, to nearest with ties up (floor(y + 1/2)):

- a norm group as one operation: N(x)_c = y_c / ||y||, y = x - mean x;
- each output coordinate of a linear map (a dot product plus bias) as one operation;
- each attention score q_i . k_j, and each head's mean over its tie set, as one operation.

ReLU and residual additions are exact on fixed-point numbers and need no rounding. Ties are exact
equality of rounded scores: that is where precision shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import isqrt

import numpy as np

from expressivity.backends.base import CompiledMatrix, SimulationError, TieSets, visible_matrix
from expressivity.numbers.radical_array import int_matmul


def _round_ratio(numer: np.ndarray, den: int | np.ndarray) -> np.ndarray:
    """floor(numer / den + 1/2) exactly, for integer arrays and positive den."""
    return (2 * numer + den) // (2 * den)


def _round_over_sqrt(a: int, ss: int) -> int:
    """floor(a / sqrt(ss) + 1/2) for integers a and ss > 0: from floor(2a / sqrt(ss))."""
    q, r = divmod(4 * a * a, ss)
    root = isqrt(q)
    exact = r == 0 and root * root == q
    twice = root if a >= 0 else -(root if exact else root + 1)
    return (twice + 1) // 2


_round_over_sqrt_array = np.frompyfunc(_round_over_sqrt, 2, 1)


class FixedBackend:
    """fixed(p) arithmetic on object arrays of Python ints (the integers X = x * 2^p)."""

    def __init__(self, bits: int) -> None:
        if bits < 1:
            raise ValueError(f"fixed precision needs at least 1 bit, got {bits}")
        self.bits = bits
        self.scale = 1 << bits
        self.limit = 1 << (2 * bits)
        self.name = f"fixed:{bits}"

    def _checked(self, x: np.ndarray, what: str) -> np.ndarray:
        if x.size and (x.max() >= self.limit or x.min() <= -self.limit):
            raise SimulationError(f"fixed:{self.bits} overflow in {what}: |x| reached 2^{self.bits}")
        return x

    def kind_table(self, rows: Sequence[Sequence[Fraction]]) -> np.ndarray:
        kinds = np.array(
            [[int(_round_ratio(x.numerator * self.scale, x.denominator)) for x in row] for row in rows],
            dtype=object,
        ).reshape(len(rows), len(rows[0]) if rows else 0)
        return self._checked(kinds, "the embedding")

    def embed(self, table: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return table[tokens]

    def view(self, h: np.ndarray, groups: Sequence[np.ndarray], centre: bool) -> np.ndarray:
        parts = []
        for columns in groups:
            x = h[:, columns]
            y = x * len(columns) - x.sum(axis=1, keepdims=True) if centre else x
            ss = (y * y).sum(axis=1, keepdims=True)
            safe = np.where(ss == 0, 1, ss)
            part = _round_over_sqrt_array(y * self.scale, np.broadcast_to(safe, y.shape))
            parts.append(np.where(ss == 0, 0, part).astype(object))
        return np.concatenate(parts, axis=1)

    def linear(self, z: np.ndarray, weights: CompiledMatrix, bias: CompiledMatrix | None) -> np.ndarray:
        product = int_matmul(z, weights.num.T)
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
        size = q.shape[0]
        if uniform:
            visible = visible_matrix(mask, size)
            ties = visible
        else:
            raw = int_matmul(q, k.T, as_object=False)
            if raw.dtype != object and np.abs(raw).max(initial=0) < 2**60:
                scores = (2 * raw + self.scale) // (2 * self.scale)
            else:
                scores = _round_ratio(raw.astype(object), self.scale)
            visible = visible_matrix(mask, size)
            # Invisible scores become one below the smallest score, so they never reach a row maximum;
            # the maxima keep the scores' integer dtype (int64, or object for big ones), never float.
            floor = scores.min(initial=0) - 1
            best = np.where(visible, scores, floor).max(axis=1, initial=floor)
            ties = visible & (scores == best[:, None])
        counts = ties.sum(axis=1)
        sums = int_matmul(ties.astype(np.int64), v)
        out = _round_ratio(sums, np.maximum(counts, 1).astype(object)[:, None])
        result = TieSets(mask, size) if uniform else TieSets.from_matrix(mask, ties)
        return self._checked(out, "an attention mean"), result

    def column(self, h: np.ndarray, c: int) -> list[Fraction]:
        return [Fraction(int(x), self.scale) for x in h[:, c]]

    def column_is_zero(self, h: np.ndarray, c: int) -> np.ndarray:
        return h[:, c] == 0

    def exceeds_half(self, h: np.ndarray, i: int, c: int) -> bool:
        return 2 * int(h[i, c]) > self.scale

    def readout(self, h: np.ndarray, i: int, unembedding: CompiledMatrix) -> tuple[int, list[Fraction]]:
        scores = [
            Fraction(int(sum(w * x for w, x in zip(row, h[i], strict=True))), unembedding.den * self.scale)
            for row in unembedding.num
        ]
        best = max(range(len(scores)), key=lambda s: (scores[s], -s))
        return best, scores
