"""float64: plain NumPy, for scale and for showing drift. Never used to claim a result.

Ties are float equality with the row maximum, exactly as a float implementation would decide them.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from expressivity.backends.base import CompiledMatrix, TieSets, visible_matrix, visible_rows


class Float64Backend:
    name = "float64"

    def kind_table(self, rows: Sequence[Sequence[Fraction]]) -> np.ndarray:
        return np.array([[float(x) for x in row] for row in rows], dtype=np.float64).reshape(len(rows), -1)

    def embed(self, table: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return table[tokens]

    def snapshot(self, h: np.ndarray) -> np.ndarray:
        return h

    def view(self, h: np.ndarray, groups: Sequence[np.ndarray], centre: bool) -> np.ndarray:
        parts = []
        for columns in groups:
            x = h[:, columns]
            if centre:
                x = x - x.mean(axis=1, keepdims=True)
            norm = np.sqrt((x * x).sum(axis=1, keepdims=True))
            parts.append(np.divide(x, norm, out=np.zeros_like(x), where=norm != 0))
        return np.concatenate(parts, axis=1)

    def linear(self, z: np.ndarray, weights: CompiledMatrix, bias: CompiledMatrix | None) -> np.ndarray:
        out = z @ weights.floats.T
        return out if bias is None else out + bias.floats[0]

    def relu(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0)

    def scatter_add(self, h: np.ndarray, columns: np.ndarray, delta: np.ndarray) -> np.ndarray:
        out = h.copy()
        out[:, columns] += delta
        return out

    def attend(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: str, uniform: bool
    ) -> tuple[np.ndarray, TieSets]:
        size = q.shape[0]
        if uniform:
            return uniform_means(v, mask), TieSets(mask, size)
        ties = _ties(q, k, visible_matrix(mask, size))
        return _means(ties, v), TieSets.from_matrix(mask, ties)

    def attend_rows(
        self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: str, uniform: bool
    ) -> np.ndarray:
        """The head's output at the last len(q) rows only: q holds their queries, k and v every row's."""
        rows = np.arange(k.shape[0] - q.shape[0], k.shape[0])
        if uniform:
            return uniform_means(v, mask)[rows]
        return _means(_ties(q, k, visible_rows(mask, rows, k.shape[0])), v)

    def append_rows(self, h: np.ndarray, more: np.ndarray) -> np.ndarray:
        return np.concatenate([h, more])

    def column(self, h: np.ndarray, c: int) -> list[float]:
        return h[:, c].tolist()

    def column_is_zero(self, h: np.ndarray, c: int) -> np.ndarray:
        return h[:, c] == 0.0

    def exceeds_half(self, h: np.ndarray, i: int, c: int) -> bool:
        return bool(h[i, c] > 0.5)

    def readout(self, h: np.ndarray, i: int, unembedding: CompiledMatrix) -> tuple[int, list[float]]:
        scores = unembedding.floats @ h[i]
        return int(np.argmax(scores)), scores.tolist()


def _ties(q: np.ndarray, k: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """The visible j whose score q_i . k_j equals the row maximum (float equality)."""
    scores = np.where(visible, q @ k.T, -np.inf)
    return visible & (scores == scores.max(axis=1, keepdims=True))


def _means(ties: np.ndarray, v: np.ndarray) -> np.ndarray:
    counts = ties.sum(axis=1, keepdims=True)
    return np.divide(ties @ v, counts, out=np.zeros((ties.shape[0], v.shape[1])), where=counts != 0)


def uniform_means(v: np.ndarray, mask: str) -> np.ndarray:
    """Mean of v_j over the visible set J_i, by prefix sums (an empty set gives 0)."""
    size = v.shape[0]
    if mask == "unmasked":
        return np.broadcast_to(v.mean(axis=0), v.shape).copy() if size else v.copy()
    sums = np.cumsum(v, axis=0)
    counts = np.arange(1, size + 1, dtype=np.float64)[:, None]
    if mask == "causal":
        return sums / counts
    out = np.zeros_like(v)
    out[1:] = sums[:-1] / counts[:-1]
    return out
