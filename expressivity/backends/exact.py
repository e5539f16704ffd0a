"""exact: the square-root field, decided exactly (docs/backends.md).

Activations are `RadicalArray`s. Every decision is exact: ReLU and readout use certified signs, and a
head's tie set is decided in stages that never trust a float:

1. lookup: a row whose query equals some visible key of the largest key norm ties exactly with the keys
   equal to it (Cauchy-Schwarz); rows are grouped by their canonical forms, O(N log N), no N x N work;
2. for the other rows, a float64 *shadow* of the scores with a rigorous per-row error bound B_i
   (the shadows' own error bounds, the gamma_d bound of a length-d dot product, and the absolute error
   of results in the subnormal range) discards every j whose shadow score is below
   max_j shadow - 2 B_i: those cannot be maximal. A row with one candidate is done; a row whose query
   is exactly zero ties over its whole visible set; a shadow beyond float64 decides nothing;
3. rows with many candidates try the hash-join: when all keys have the same norm, a key that attains
   Cauchy-Schwarz equality with the query (checked exactly) ties with exactly the keys equal to it;
4. the remaining candidates go to a tournament: each row keeps its running exact maximum and compares
   it with one candidate at a time, so c candidates cost c - 1 exact comparisons.

Heads whose scores are all zero by construction (Q = 0 or K = 0) average over the visible set by exact
prefix sums. Means over tie sets are integer segment sums over a radical basis shared by the rows.
A batched run (`Simulator.run_batch`) stacks words position-wise: `attend` and `view` take the block
length, attention stays within each word, and a head whose queries and keys are the same in every word
finds its tie sets once.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import lcm

import numpy as np

from expressivity.backends.base import CompiledMatrix, SimulationError, TieSets, visible_rows
from expressivity.numbers.radical_array import (
    NestedRadicalError,
    RadicalArray,
    running_total,
    segment_totals,
    times,
    total,
)
from expressivity.numbers.sqrtfield import SqrtNumber

_U = 2.0**-53
_ETA = 2.0**-1074  # the smallest subnormal: the absolute error of a rounding in the subnormal range
_HASH_JOIN_MIN_PAIRS_PER_ROW = 8
_TIE_CACHE = 16  # tie sets kept per run (a loop body of a compiled circuit has a few heads)


class ExactBackend:
    """One instance per run (`get_backend` makes a new one), so its view cache lives for one run."""

    name = "exact"
    batched = True  # `Simulator.run_batch` stacks words into one pass (`attend`'s block)

    def __init__(self) -> None:
        # norm group columns -> (the group's cells, their normalisation); a group whose cells did not
        # change since it was last read (ids, hashes, flags) is not normalised again.
        self._normalised: dict[tuple[tuple[int, ...], bool], tuple[RadicalArray, RadicalArray]] = {}
        # the last tie sets found, with their queries, keys, mask and block (newest first)
        self._ties: list[tuple[RadicalArray, RadicalArray, str, int | None, TieSets]] = []

    def kind_table(self, rows: Sequence[Sequence[Fraction]]) -> RadicalArray:
        return RadicalArray.from_fractions(rows)

    def embed(self, table: RadicalArray, tokens: np.ndarray) -> RadicalArray:
        return table.take_rows(tokens)

    def view(
        self,
        h: RadicalArray,
        groups: Sequence[np.ndarray],
        centre: bool,
        block: int | None = None,
        first_word: int = 0,
    ) -> RadicalArray:
        """The normalised groups side by side; `block` (a batched run) only changes how an error names
        the row: word first_word + row // block, position row % block."""
        parts = []
        for k, columns in enumerate(groups):
            cells = h.take_cols(columns)
            key = (tuple(columns.tolist()), centre)
            cached = self._normalised.get(key)
            if cached is not None and cached[0].same_as(cells):
                parts.append(cached[1])
                continue
            try:
                normalised = cells.normalise(centre=centre)
            except NestedRadicalError as err:
                where = (
                    f"position {err.row}"
                    if block is None
                    else f"word {first_word + err.row // block}: position {err.row % block}"
                )
                raise SimulationError(f"norm group {k}: {where}: {err}") from None
            self._normalised[key] = (cells, normalised)
            parts.append(normalised)
        return parts[0] if len(parts) == 1 else RadicalArray.concat_cols(parts)

    def linear(self, z: RadicalArray, weights: CompiledMatrix, bias: CompiledMatrix | None) -> RadicalArray:
        out = z.matmul(weights.compact, weights.den, weights.largest)
        return out if bias is None else out.add_row_vector(bias.num[0], bias.den)

    def relu(self, x: RadicalArray) -> RadicalArray:
        return x.where_rows_cols(x.sign() > 0)

    def scatter_add(self, h: RadicalArray, columns: np.ndarray, delta: RadicalArray) -> RadicalArray:
        width = h.shape[1]
        num = np.zeros((delta.slots, delta.shape[0], width), dtype=delta.num.dtype)
        num[:, :, columns] = delta.num
        return h + RadicalArray(num, delta.rad.copy(), delta.den.copy(), canonical=True)

    def attend(
        self,
        q: RadicalArray,
        k: RadicalArray,
        v: RadicalArray,
        mask: str,
        uniform: bool,
        block: int | None = None,
    ) -> tuple[RadicalArray, TieSets]:
        """Means of v over the tie sets. With `block` the rows are words of `block` positions and a
        position sees only its own word; when every word has the same queries and keys (a head that
        reads only what the input does not change, such as a circuit's wiring), the tie sets of the
        first word serve all of them."""
        size = q.shape[0]
        if uniform:
            return visible_means(v, mask, block), TieSets(mask, size)
        ties = self._known_ties(q, k, mask, block)
        if ties is None:
            if block is not None and _same_in_every_block(RadicalArray.concat_cols([q, k]), block):
                first = np.arange(block)
                ties = _repeated(tie_sets(q.take_rows(first), k.take_rows(first), mask), size // block)
            else:
                ties = tie_sets(q, k, mask, block=block)
            self._ties.insert(0, (q, k, mask, block, ties))
            del self._ties[_TIE_CACHE:]
        return segment_means(v, ties.indptr, ties.indices), ties

    def attend_rows(
        self, q: RadicalArray, k: RadicalArray, v: RadicalArray, mask: str, uniform: bool
    ) -> RadicalArray:
        """The head's output at the last len(q) rows only: q holds their queries, k and v every row's
        (a causal run extended by new positions, `Simulator.extend`). The scores of those rows alone
        are compared, by the certified shadows and exact comparisons of `_dense_ties`."""
        size, new = k.shape[0], q.shape[0]
        rows = np.arange(size - new, size)
        if uniform:
            return visible_means(v, mask).take_rows(rows)
        # _dense_ties reads the queries of `rows` from a full-height array; the rows above are never read
        padded = RadicalArray.concat_rows([k.take_rows(np.arange(size - new)), q])
        ties = TieSets.from_matrix(mask, _dense_ties(padded, k, mask, rows, True, size))
        return segment_means(v, ties.indptr, ties.indices)

    def append_rows(self, h: RadicalArray, more: RadicalArray) -> RadicalArray:
        return RadicalArray.concat_rows([h, more])

    def _known_ties(self, q: RadicalArray, k: RadicalArray, mask: str, block: int | None) -> TieSets | None:
        """The tie sets of an earlier call with exactly the same queries, keys, mask and block (a head
        whose inputs a loop iteration did not change, such as a circuit's wiring), else None."""
        for entry in self._ties:
            old_q, old_k, old_mask, old_block, ties = entry
            if (old_mask, old_block) == (mask, block) and old_q.same_as(q) and old_k.same_as(k):
                return ties
        return None

    def take_rows(self, h: RadicalArray, rows: np.ndarray) -> RadicalArray:
        """The given rows (a word's part of a batched run)."""
        return h.take_rows(rows)

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
    """Row shadows x_hat and row error 1-norms ||x - x_hat||_1 (upper bounds; float sums of
    non-negative terms, inflated for their own rounding)."""
    value, bound = x.to_float()
    with np.errstate(invalid="ignore", over="ignore"):
        return value, bound.sum(axis=1) * (1 + (bound.shape[1] + 4) * _U)


def _same_in_every_block(x: RadicalArray, block: int) -> bool:
    """Whether rows b * block + i are equal vectors for every word b and position i."""
    classes = equal_row_classes(x).reshape(-1, block)
    return bool(np.all(classes == classes[:1]))


def _repeated(ties: TieSets, words: int) -> TieSets:
    """The tie sets of one word, repeated for `words` words stacked position-wise."""
    size, count = ties.size, len(ties.indices)
    indptr = np.concatenate([ties.indptr[:-1] + b * count for b in range(words)] + [[words * count]])
    indices = np.concatenate([ties.indices + b * size for b in range(words)])
    return TieSets(ties.mask, size * words, indptr.astype(np.int64), indices.astype(np.int64))


def tie_sets(
    q: RadicalArray, k: RadicalArray, mask: str, hash_join: bool = True, block: int | None = None
) -> TieSets:
    """Exact argmax sets of s_ij = q_i . k_j over the visible j (within the row's own block of `block`
    rows when given: a batched run).

    With `hash_join`, rows are first tried by the O(N log N) lookup of `_lookup_ties` (queries equal to a
    key, all keys of one norm); the rows it cannot settle, or all rows without `hash_join`, go to
    `_dense_ties`, which compares float shadows with certified bounds and then exact values.
    """
    size = q.shape[0]
    block = block or size
    if hash_join and size:
        found = _lookup_ties(q, k, mask, block)
        if found is not None:
            solved, indptr, indices = found
            if solved.all():
                return TieSets(mask, size, indptr, indices)
            rows = np.nonzero(~solved)[0]
            dense = _dense_ties(q, k, mask, rows, hash_join, block)
            return _merge(mask, solved, indptr, indices, rows, dense)
    return TieSets.from_matrix(mask, _dense_ties(q, k, mask, np.arange(size), hash_join, block))


def _visible(mask: str, rows: np.ndarray, size: int, block: int) -> np.ndarray:
    """Visible (row, column) pairs: `visible_rows` within the row's own block of `block` rows."""
    if block == size:
        return visible_rows(mask, rows, size)
    start = (rows // block) * block
    local = visible_rows(mask, rows - start, block)
    out = np.zeros((len(rows), size), dtype=bool)
    columns = start[:, None] + np.arange(block)[None, :]
    np.put_along_axis(out, columns, local, axis=1)
    return out


def _merge(
    mask: str,
    solved: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    rows: np.ndarray,
    dense: np.ndarray,
) -> TieSets:
    """One CSR from the lookup's solved rows and a dense boolean block for the other rows."""
    size = len(solved)
    local, cols = np.nonzero(dense)
    sizes = np.diff(indptr)
    sizes[rows] = np.bincount(local, minlength=len(rows))
    owner = np.concatenate([np.repeat(np.arange(size), np.diff(indptr)), rows[local]])
    members = np.concatenate([indices, cols])
    order = np.lexsort((members, owner))
    merged = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(sizes, out=merged[1:])
    return TieSets(mask, size, merged, members[order].astype(np.int64))


def _largest_squared_norm(k: RadicalArray) -> RadicalArray | None:
    """c^2 = max_j ||k_j||^2, broadcast to every row, or None when the float shadow's choice of the
    largest is not certified (then the lookup is not tried)."""
    norms = (k * k).sum_cols()
    shadow, _ = norms.to_float()
    top = norms.take_rows(np.full(k.shape[0], int(np.argmax(shadow[:, 0])), dtype=np.intp))
    return top if np.all((top - norms).sign() >= 0) else None


def _lookup_ties(
    q: RadicalArray, k: RadicalArray, mask: str, block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The tie sets of rows whose query equals some visible key and has the largest key norm c (the usual
    case: hashes and ids, which are unit vectors; keys of smaller norm, such as a zero key at BOS, are
    allowed).

    By Cauchy-Schwarz s_ij = q_i . k_j <= ||q_i|| ||k_j|| <= c^2, with equality iff k_j = q_i, so the tie
    set of such a row is exactly the set of visible keys equal to q_i: rows are grouped by their
    canonical forms (`equal_row_classes`), keys sorted by (class, position), and each row's tie set is a
    slice of that order, cut at its own position under a causal or strict mask. Returns (solved rows,
    CSR indptr and indices, empty for unsolved rows), or None when the largest key norm is not certified.
    """
    size = q.shape[0]
    top = _largest_squared_norm(k)
    if top is None:
        return None
    norm_ok = ((q * q).sum_cols() - top).is_zero()[:, 0]
    classes = equal_row_classes(RadicalArray.concat_rows([k, q]))
    key_class, query_class = classes[:size], classes[size:]
    position = np.arange(size)
    composite = key_class * (size + 1) + position
    order = np.argsort(composite, kind="stable")
    sorted_composite = composite[order]
    first = (position // block) * block  # a row sees only its own block (a batched run)
    starts = np.searchsorted(sorted_composite, query_class * (size + 1) + first, side="left")
    if mask == "unmasked":
        ends = np.searchsorted(sorted_composite, query_class * (size + 1) + first + block - 1, side="right")
    else:
        side = "right" if mask == "causal" else "left"
        ends = np.searchsorted(sorted_composite, query_class * (size + 1) + position, side=side)
    solved = norm_ok & (ends > starts)
    sizes = np.where(solved, ends - starts, 0)
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    offsets = np.arange(indptr[-1]) - np.repeat(indptr[:-1] - starts, sizes)
    return solved, indptr, order[offsets].astype(np.int64)


def _dense_ties(
    q: RadicalArray, k: RadicalArray, mask: str, rows: np.ndarray, hash_join: bool, block: int
) -> np.ndarray:
    """Tie sets of the given rows as a boolean (len(rows), N) block, by certified float shadows and exact
    comparison of the surviving candidates.

    With shadows q^, k^, error bounds e_i >= ||q_i - q^_i||_1 and f >= max_j ||k_j - k^_j||_inf, and
    K = max_j ||k^_j||_inf, the score error splits as (q - q^).k + q^.(k - k^) + (q^.k^ - fl(q^.k^)), so
        |s_ij - fl(q^_i . k^_j)| <= B_i = e_i (K + f) + ||q^_i||_1 (f + gamma_d K) + d eta,
    where gamma_d bounds the rounding of a length-d dot product in any order and d eta the underflow of
    its products (eta = 2^-1074); B is inflated for its own rounding, and the threshold max - 2 B_i is
    rounded down. So only j with fl-score >= max_j fl-score - 2 B_i can be maximal. 1-norms, not
    2-norms: squaring would flush shadows below 1e-154 to 0.
    A row whose query is exactly zero scores 0 everywhere: its tie set is the visible set, no search.
    Rows left with several candidates try the hash-join path first (`hash_join`; only when they have
    many candidates on average, since hashing the keys costs O(N)), then exact comparison.
    """
    size, dim = q.shape
    q = q.take_rows(rows)
    q_hat, q_err = _shadow(q)
    k_hat, k_err = _shadow(k)
    visible = _visible(mask, rows, size, block)
    with np.errstate(invalid="ignore", over="ignore"):  # inf and nan are dealt with below
        scores = q_hat @ k_hat.T
        q_norm = np.abs(q_hat).sum(axis=1) * (1 + (dim + 2) * _U)
        k_max = np.abs(k_hat).max(initial=0.0)
        k_err_max = k_err.max(initial=0.0)
        gamma = (dim + 2) * _U / (1 - (dim + 2) * _U)
        bound = q_err * (k_max + k_err_max) + q_norm * (k_err_max + gamma * k_max) + dim * _ETA
        bound = bound * (1 + 2.0**-40) + 8 * _ETA
        bound[~np.isfinite(bound)] = np.inf
        scores[~visible] = -np.inf
        best = scores.max(axis=1, initial=-np.inf)
        threshold = np.nextafter(best - 2 * bound, -np.inf)
        candidates = visible & (scores >= threshold[:, None])
    # A shadow too large for float64 (inf, or nan from inf - inf) decides nothing: all visible j go exact.
    overflow = ~np.isfinite(threshold) & (best != -np.inf)
    candidates[overflow] = visible[overflow]
    zero_query = np.all(q.is_zero(), axis=1)
    candidates[zero_query] = visible[zero_query]
    counts = candidates.sum(axis=1)
    exact_rows = (counts > 1) & ~zero_query  # even with a zero bound: an underflowed shadow proves nothing
    ties = candidates
    local = np.nonzero(exact_rows)[0]
    if local.size and hash_join and counts[local].sum() > _HASH_JOIN_MIN_PAIRS_PER_ROW * local.size:
        local_scores = np.where(candidates[local], scores[local], -np.inf)
        joined = _hash_join_ties(q, k, visible[local], local_scores, local)
        if joined is not None:
            solved, joined_ties = joined
            ties[local[solved]] = joined_ties[solved]
            local = local[~solved]
    if local.size:
        ties[local] = _exact_ties(q, k, candidates[local], scores[local], local)
    return ties


def equal_row_classes(x: RadicalArray) -> np.ndarray:
    """An id per row such that two rows get the same id iff they are exactly equal vectors.

    The canonical form makes equality syntactic: a row is its reduced denominator and its sorted
    (radicand, numerators) terms, so hashing those finds the classes in O(rows * width). When every
    integer fits in int64 (the common case), the rows, with their radical slots sorted by radicand, are
    grouped by one vectorised np.unique; otherwise by a dictionary, row by row.
    """
    x = RadicalArray(x.num, x.rad, x.den)  # canonical again: reduced rows, empty slots dropped
    table = _row_table(x)
    if table is not None:
        as_bytes = table.view(np.dtype((np.void, table.itemsize * table.shape[1]))).ravel()
        return np.unique(as_bytes, return_inverse=True)[1].reshape(-1)
    ids: dict[tuple, int] = {}
    out = np.empty(x.shape[0], dtype=np.int64)
    for i in range(x.shape[0]):
        terms = sorted(
            (int(x.rad[t, i]), tuple(int(v) for v in x.num[t, i]))
            for t in range(x.slots)
            if x.rad[t, i] != 0 and np.any(x.num[t, i] != 0)
        )
        out[i] = ids.setdefault((int(x.den[i]), tuple(terms)), len(ids))
    return out


def _row_table(x: RadicalArray) -> np.ndarray | None:
    """Each row as int64: den, the rational numerators, then (radicand, numerators) per radical slot in
    increasing radicand order (unused slots, radicand 0 and numerators 0, last); None if a value does
    not fit in int64. Two rows are equal vectors iff their lines of this table are equal."""
    rows = x.shape[0]
    if not rows or max(_max_int(x.den), _max_int(x.rad), _max_int(x.num)) >= 2**62:
        return None
    num = x.num.astype(np.int64)
    rad = np.where(np.any(num[1:] != 0, axis=2), x.rad[1:].astype(np.int64), 0)
    order = np.argsort(np.where(rad == 0, np.iinfo(np.int64).max, rad), axis=0, kind="stable")
    sorted_rad = np.take_along_axis(rad, order, axis=0).T
    sorted_num = np.take_along_axis(num[1:], order[:, :, None], axis=0).transpose(1, 0, 2).reshape(rows, -1)
    parts = [x.den.astype(np.int64)[:, None], num[0], sorted_rad, sorted_num]
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def _max_int(a: np.ndarray) -> int:
    return int(max(abs(int(a.max())), abs(int(a.min())))) if a.size else 0


def _hash_join_ties(
    q: RadicalArray, k: RadicalArray, visible: np.ndarray, scores: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The hash-join path (docs/backends.md), for keys that all have the same norm c.

    By Cauchy-Schwarz s_ij = q_i . k_j <= ||q_i|| c, with equality iff k_j = c q_i / ||q_i||: so when some
    key j0 attains it, the tie set is exactly the set of visible keys equal to k_j0, found by hashing.
    For each row the float-best candidate j0 is tested exactly: q_i . k_j0 > 0 and
    (q_i . k_j0)^2 = ||q_i||^2 c^2. Returns (solved rows, their tie sets), or None when the key norms
    differ; unsolved rows go to the general exact comparison.
    """
    squared_norms = (k * k).sum_cols()
    if not np.all((squared_norms - squared_norms.take_rows(np.zeros(k.shape[0], dtype=np.intp))).is_zero()):
        return None
    best = np.argmax(scores, axis=1)
    q_rows, k_best = q.take_rows(rows), k.take_rows(best)
    dot = (q_rows * k_best).sum_cols()
    gap = dot * dot - (q_rows * q_rows).sum_cols() * squared_norms.take_rows(best)
    solved = gap.is_zero()[:, 0] & (dot.sign()[:, 0] > 0)
    classes = equal_row_classes(k)
    return solved, visible & (classes[None, :] == classes[best][:, None])


def _exact_ties(
    q: RadicalArray, k: RadicalArray, candidates: np.ndarray, shadow: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Among each row's candidates, the exact maxima of q_i . k_j, by a tournament.

    Each row keeps a running exact maximum and compares it with its next candidate (all rows at once,
    one exact sign per row per step): c - 1 comparisons for c candidates, so N^2 for a whole N x N
    block of near-ties, never more. Candidates are visited in decreasing shadow order, so the running
    maximum is usually right from the start. The tie set is then the candidates exactly equal to the
    maximum (a zero test on canonical forms, no sign needed).
    """
    local, cols = np.nonzero(candidates)
    order = np.lexsort((-shadow[local, cols], local))
    local, cols = local[order], cols[order]
    exact = (q.take_rows(rows[local]) * k.take_rows(cols)).sum_cols()
    counts = np.bincount(local, minlength=len(rows))
    starts = np.zeros(len(rows), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    best = starts.copy()
    for step in range(1, int(counts.max(initial=0))):
        active = np.nonzero(counts > step)[0]
        challenger = starts[active] + step
        above = (exact.take_rows(challenger) - exact.take_rows(best[active])).sign()[:, 0] > 0
        best[active[above]] = challenger[above]
    equal = (exact - exact.take_rows(best[local])).is_zero()[:, 0]
    out = np.zeros_like(candidates)
    out[local[equal], cols[equal]] = True
    return out


def _global_slots(v: RadicalArray) -> tuple[np.ndarray, np.ndarray, int]:
    """Re-express v over one radical basis shared by all rows: returns (num, radicands, den) with
    v[i, c] = sum_k num[k, i, c] * sqrt(radicands[k]) / den. Sums over rows are then plain integer sums;
    the basis is the set of distinct radicands in v (slot 0 is the rational part)."""
    den = lcm(1, *{int(d) for d in v.den})
    scaled = times(v.num, (den // v.den)[None, :, None])
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
    owner = np.repeat(np.arange(size), sizes)
    first_of = np.zeros(size, dtype=np.int64)
    first_of[sizes > 0] = indices[indptr[:-1][sizes > 0]]
    gathered = v.take_rows(indices)
    same = gathered.rows_equal(v.take_rows(first_of[owner]))
    all_same = np.ones(size, dtype=bool)
    np.logical_and.at(all_same, owner, same)
    keep = np.repeat((all_same & (sizes > 0))[:, None], v.shape[1], axis=1)
    result = v.take_rows(first_of).where_rows_cols(keep)
    mixed = np.nonzero(~all_same)[0]
    if mixed.size == 0:
        return result
    pick = np.isin(owner, mixed)
    num, radicands, den = _global_slots(gathered.take_rows(np.nonzero(pick)[0]))
    sums = segment_totals(num, np.searchsorted(owner[pick], mixed), axis=1)
    placed = np.zeros((num.shape[0], size, v.shape[1]), dtype=sums.dtype)
    placed[:, mixed] = sums
    counts = np.ones(size, dtype=object)
    counts[mixed] = sizes[mixed]
    return result + _from_global(placed, radicands, counts * den)
