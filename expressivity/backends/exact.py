"""exact: the square-root field, decided exactly (DESIGN §3).

Activations are `RadicalArray`s. Every decision is exact: ReLU and readout use certified signs, and a
head's tie set is decided in two stages that never trust a float:

1. a float64 *shadow* of the scores with a rigorous error bound B_ij (Cauchy-Schwarz on the shadows'
   own error bounds plus the gamma_d bound of a length-d dot product) discards every j whose upper bound
   s_ij + B_ij is below the best lower bound max_j (s_ij - B_ij) -- those cannot be maximal;
2. the remaining candidates are compared exactly; a row with a single candidate needs nothing more.

Heads whose scores are all zero by construction (Q = 0 or K = 0) average over the visible set by exact
prefix sums. Means over tie sets whose rows share one radical structure are integer segment sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import lcm

import numpy as np

from expressivity.backends.base import CompiledMatrix, SimulationError, TieSets, visible_matrix
from expressivity.numbers.radical_array import NestedRadicalError, RadicalArray
from expressivity.numbers.sqrtfield import SqrtNumber

_U = 2.0**-53


class ExactBackend:
    name = "exact"

    def embed(self, rows: Sequence[Sequence[Fraction]]) -> RadicalArray:
        return RadicalArray.from_fractions(rows)

    def view(self, h: RadicalArray, groups: Sequence[np.ndarray], centre: bool) -> RadicalArray:
        parts = []
        for k, columns in enumerate(groups):
            try:
                parts.append(h.take_cols(columns).normalise(centre=centre))
            except NestedRadicalError as err:
                raise SimulationError(f"norm group {k}: position {err.row}: {err}") from None
        return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)

    def linear(
        self, z: RadicalArray, weights: CompiledMatrix, bias: Sequence[Fraction] | None
    ) -> RadicalArray:
        out = z.matmul(weights.num, weights.den)
        if bias is not None and any(bias):
            den = lcm(1, *(b.denominator for b in bias))
            out = out.add_row_vector(np.array([b.numerator * (den // b.denominator) for b in bias]), den)
        return out

    def relu(self, x: RadicalArray) -> RadicalArray:
        return x.where_rows_cols(x.sign() > 0)

    def scatter_add(self, h: RadicalArray, columns: np.ndarray, delta: RadicalArray) -> RadicalArray:
        width = h.shape[1]
        num = np.zeros((delta.slots, delta.shape[0], width), dtype=object)
        num[:, :, columns] = delta.num
        return h + RadicalArray(num, delta.rad.copy(), delta.den.copy(), canonical=True)

    def attend(
        self, q: RadicalArray, k: RadicalArray, v: RadicalArray, mask: str, uniform: bool
    ) -> tuple[RadicalArray, TieSets]:
        size = q.shape[0]
        if uniform:
            return visible_means(v, mask), TieSets(mask, size)
        ties = tie_sets(q, k, mask)
        return segment_means(v, ties.indptr, ties.indices), ties

    def column(self, h: RadicalArray, c: int) -> list[SqrtNumber]:
        return [h.entry(i, c) for i in range(h.shape[0])]

    def column_is_zero(self, h: RadicalArray, c: int) -> np.ndarray:
        return h.take_cols([c]).is_zero()[:, 0]

    def exceeds_half(self, h: RadicalArray, i: int, c: int) -> bool:
        return (h.entry(i, c) - Fraction(1, 2)).sign() > 0

    def readout(self, h: RadicalArray, i: int, unembedding: CompiledMatrix) -> tuple[int, list[SqrtNumber]]:
        scores = h.take_rows([i]).matmul(unembedding.num, unembedding.den).to_scalars()[0]
        best = 0
        for s in range(1, len(scores)):
            if scores[s] > scores[best]:
                best = s
        return best, scores


def _shadow(x: RadicalArray) -> tuple[np.ndarray, np.ndarray]:
    """Row shadows x_hat and row error norms ||x - x_hat|| (upper bounds)."""
    value, bound = x.to_float()
    return value, np.sqrt((bound * bound).sum(axis=1)) * (1 + 4 * _U)


def tie_sets(q: RadicalArray, k: RadicalArray, mask: str) -> TieSets:
    """Exact argmax sets of s_ij = q_i . k_j over the visible j (see the module docstring)."""
    size, dim = q.shape
    q_hat, q_err = _shadow(q)
    k_hat, k_err = _shadow(k)
    scores = q_hat @ k_hat.T
    q_norm = np.sqrt((q_hat * q_hat).sum(axis=1))
    k_norm = np.sqrt((k_hat * k_hat).sum(axis=1))
    gamma = (dim + 2) * _U / (1 - (dim + 2) * _U)
    bound = np.outer(q_norm, gamma * k_norm + k_err) + np.outer(q_err, k_norm + k_err)
    bound = bound * (1 + 8 * (dim + 4) * _U) + 1e-300
    bound[~np.isfinite(bound)] = np.inf
    visible = visible_matrix(mask, size)
    lower = np.where(visible, scores - bound, -np.inf)
    best_lower = lower.max(axis=1, keepdims=True)
    candidates = visible & (scores + bound >= best_lower)
    counts = candidates.sum(axis=1)
    exact_rows = (counts > 1) & np.any(candidates & (bound > 1e-300), axis=1)
    float_rows = (counts > 1) & ~exact_rows
    ties = candidates.copy()
    if float_rows.any():
        sub = np.where(candidates[float_rows], scores[float_rows], -np.inf)
        ties[float_rows] = candidates[float_rows] & (sub == sub.max(axis=1, keepdims=True))
    rows = np.nonzero(exact_rows)[0]
    if rows.size:
        ties[rows] = _exact_ties(q, k, candidates[rows], scores[rows], rows)
    return TieSets.from_matrix(mask, ties)


def _exact_ties(
    q: RadicalArray, k: RadicalArray, candidates: np.ndarray, shadow: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Among each row's candidates, the exact maxima of q_i . k_j."""
    local, cols = np.nonzero(candidates)
    pair_rows = rows[local]
    exact = (q.take_rows(pair_rows) * k.take_rows(cols)).sum_cols()
    starts = np.searchsorted(local, np.arange(len(rows)))
    pair_shadow = shadow[local, cols]
    order = np.lexsort((-pair_shadow, local))
    best = order[starts]
    while True:
        diff = exact - exact.take_rows(best[local])
        signs = diff.sign()[:, 0]
        above = signs > 0
        if not above.any():
            break
        for r in np.unique(local[above]):
            members = np.nonzero((local == r) & above)[0]
            best[r] = members[np.argmax(pair_shadow[members])]
    out = np.zeros_like(candidates)
    keep = signs == 0
    out[local[keep], cols[keep]] = True
    return out


def _common_structure(v: RadicalArray) -> bool:
    """Every row has the same radicand in every slot (then sums are plain integer sums)."""
    return bool(np.all(v.rad == v.rad[:, :1]))


def _over_common_den(v: RadicalArray) -> tuple[np.ndarray, int]:
    den = lcm(1, *{int(d) for d in v.den})
    return v.num * (den // v.den)[None, :, None], den


def visible_means(v: RadicalArray, mask: str) -> RadicalArray:
    """Exact mean of v_j over the visible set J_i (0 where J_i is empty)."""
    size = v.shape[0]
    if size == 0:
        return v
    if not _common_structure(v):
        starts = np.zeros(size, dtype=np.int64)
        ends = {"causal": np.arange(1, size + 1), "strict": np.arange(size)}.get(mask, np.full(size, size))
        indptr = np.concatenate([[0], np.cumsum(ends - starts)])
        indices = np.concatenate([np.arange(e) for e in ends])
        return segment_means(v, indptr, indices)
    num, den = _over_common_den(v)
    if mask == "unmasked":
        total = num.sum(axis=1, keepdims=True)
        sums, counts = np.repeat(total, size, axis=1), np.full(size, size, dtype=object)
    else:
        sums = np.cumsum(num, axis=1)
        counts = np.arange(1, size + 1, dtype=object)
        if mask == "strict":
            sums = np.concatenate([np.zeros_like(sums[:, :1]), sums[:, :-1]], axis=1)
            counts = np.concatenate([[1], counts[:-1]]).astype(object)
    return RadicalArray(sums, v.rad.copy(), counts * den)


def segment_means(v: RadicalArray, indptr: np.ndarray, indices: np.ndarray) -> RadicalArray:
    """Exact mean of v over each CSR segment T_i (0 for an empty segment)."""
    size = len(indptr) - 1
    sizes = np.diff(indptr)
    owner = np.repeat(np.arange(size), sizes)
    firsts = indices[indptr[:-1][sizes > 0]]
    first_of = np.zeros(size, dtype=np.int64)
    first_of[sizes > 0] = firsts
    gathered = v.take_rows(indices)
    same = gathered.rows_equal(v.take_rows(first_of[owner]))
    all_same = np.ones(size, dtype=bool)
    np.logical_and.at(all_same, owner, same)
    result = v.take_rows(first_of).where_rows_cols(
        np.repeat((all_same & (sizes > 0))[:, None], v.shape[1], axis=1)
    )
    mixed = np.nonzero(~all_same)[0]
    if mixed.size == 0:
        return result
    pick = np.isin(owner, mixed)
    part = gathered.take_rows(np.nonzero(pick)[0])
    part_owner = owner[pick]
    if _common_structure(part):
        num, den = _over_common_den(part)
        starts = np.searchsorted(part_owner, mixed)
        sums = np.add.reduceat(num, starts, axis=1)
        means = RadicalArray(sums, part.rad[:, : len(mixed)].copy(), sizes[mixed].astype(object) * den)
    else:
        rows = part.to_scalars()
        means_rows = []
        for r in mixed:
            members = [rows[m] for m in np.nonzero(part_owner == r)[0]]
            means_rows.append(
                [
                    sum((row[c] for row in members), SqrtNumber(0)) * Fraction(1, len(members))
                    for c in range(v.shape[1])
                ]
            )
        means = RadicalArray.from_scalars(means_rows)
    scatter = np.zeros(size, dtype=bool)
    scatter[mixed] = True
    expand = np.full(size, 0, dtype=np.int64)
    expand[mixed] = np.arange(len(mixed))
    placed = means.take_rows(expand).where_rows_cols(np.repeat(scatter[:, None], v.shape[1], axis=1))
    return result + placed
