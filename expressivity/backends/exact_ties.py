"""Tie sets of the exact backend: the exact argmax sets of a head's scores, searched and stored over key
classes (docs/backends.md).

A head's keys repeat: a padded model's keys are a few coordinates or a few spins, so N positions carry far
fewer distinct key vectors. Positions with equal keys (within one word of a batched run) form a *key
class*; classes are numbered in order of first occurrence, so the classes a row i sees under its mask
are a range [lo_i, hi_i), and its tie set is

    T_i = {j visible to i : class(j) in M_i},   M_i = the classes c in [lo_i, hi_i) maximising q_i . k_c.

M_i depends only on (q_i, lo_i, hi_i), so rows are grouped by that triple and each group is decided
once. For a group with query q and classes C = [lo, hi):

1. C empty: T is empty. q = 0: every score is 0, M = C (the whole visible set).
2. lookup: q equals the key of a class c in C and ||q||^2 = c^2 := max_j ||k_j||^2. By Cauchy-Schwarz
   q . k_j <= ||q|| ||k_j|| <= c^2 with equality iff k_j = q, so M = {c}.
3. shadow: float64 scores of q against the classes of C with a rigorous error bound B (the shadows'
   own error bounds, gamma_d for a length-d dot product, and the absolute error of subnormal results)
   discard every class whose shadow is below max - 2B: it cannot be maximal. One survivor is M.
4. Cauchy-Schwarz at the float-best survivor c0 (tried when groups keep many survivors): if
   q . k_c0 > 0 and (q . k_c0)^2 = ||q||^2 c^2, then k_c0 is the unique longest key along q, and
   M = {c0} (any other class would equal k_c0).
5. the rest: a tournament over the survivors, c - 1 exact comparisons for c survivors.

Cost: (groups) x (classes) shadow scores in bounded chunks, never an N x N array; the answer is kept
as classes (`ClassTieSets`), so a head whose tie sets hold O(N) positions each is stored in O(N) and
averaged by prefix sums per class (`exact_means.tie_means`). No float decides anything: a shadow only
discards what its bound proves smaller, and every equality is a zero test on canonical forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from expressivity.backends.base import TieSets
from expressivity.numbers.radical_array import RadicalArray

_U = 2.0**-53
_ETA = 2.0**-1074  # the smallest subnormal: the absolute error of a rounding in the subnormal range
SEARCH_PAIRS = 1 << 22  # shadow scores held at once (query groups x key classes); `limits` counts it
_CS_MIN_CANDIDATES = 8  # stage 4 only where groups keep more survivors than this on average: squaring a
# dot product of square roots makes new radicands (cross terms), dearer than a short tournament


def _cuts(mask: str, rows: np.ndarray, block: int) -> np.ndarray:
    """The last position each row sees (its block's first position - 1 when it sees none)."""
    if mask == "unmasked":
        return (rows // block + 1) * block - 1
    return rows if mask == "causal" else rows - 1


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0, 1, .., counts[0] - 1, then 0, .., counts[1] - 1, ...: the offsets within consecutive runs."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


@dataclass(frozen=True, eq=False)
class ClassTieSets:
    """Tie sets stored as key classes: T_i = the positions j visible to i, in i's own block of `block`
    rows, with key_class[j] among row i's chosen classes (all of them where `whole[i]`).

    `members[class_start[c]:class_start[c + 1]]` are the positions of class c in increasing order; a
    class lies in one block. Same interface as `TieSets` (`of`, `sizes`, `as_lists`, `part`, and the
    CSR `indptr`/`indices`, written out on first use)."""

    mask: str
    size: int
    block: int
    key_class: np.ndarray
    class_start: np.ndarray
    members: np.ndarray
    chosen_ptr: np.ndarray
    chosen: np.ndarray
    whole: np.ndarray

    @cached_property
    def cuts(self) -> np.ndarray:
        return _cuts(self.mask, np.arange(self.size), self.block)

    @cached_property
    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, class, count) per chosen class of a row not `whole`: count = the positions of the class
        the row sees."""
        rows = np.repeat(np.arange(self.size), np.diff(self.chosen_ptr))
        classes = self.chosen
        composite = self.key_class[self.members] * (self.size + 1) + self.members
        ends = np.searchsorted(composite, classes * (self.size + 1) + self.cuts[rows], side="right")
        return rows, classes, ends - self.class_start[classes]

    @property
    def long(self) -> bool:
        """Whether the tie sets hold more than 4 N positions in all (or a whole visible set): then they
        are averaged by class sums, else as a CSR list of positions."""
        return bool(self.whole.any()) or int(self.sizes().sum()) > 4 * self.size

    def visible_sizes(self) -> np.ndarray:
        start = (np.arange(self.size) // self.block) * self.block
        return self.cuts - start + 1

    def sizes(self) -> np.ndarray:
        rows, _, counts = self.entries
        out = np.zeros(self.size, dtype=np.int64)
        np.add.at(out, rows, counts)
        return np.where(self.whole, self.visible_sizes(), out)

    def of(self, i: int) -> np.ndarray:
        if self.whole[i]:
            start = (i // self.block) * self.block
            return np.arange(start, self.cuts[i] + 1)
        _, classes, counts = self.entries
        mine = slice(self.chosen_ptr[i], self.chosen_ptr[i + 1])  # entries are in row order
        picked = [
            self.members[self.class_start[c] : self.class_start[c] + n]
            for c, n in zip(classes[mine], counts[mine], strict=True)
        ]
        return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)

    @cached_property
    def _csr(self) -> tuple[np.ndarray, np.ndarray]:
        rows, classes, counts = self.entries
        owner = np.repeat(rows, counts)
        positions = self.members[np.repeat(self.class_start[classes], counts) + _ranges(counts)]
        whole_rows = np.nonzero(self.whole)[0]
        starts = (whole_rows // self.block) * self.block
        spans = np.maximum(self.cuts[whole_rows] - starts + 1, 0)
        owner = np.concatenate([owner, np.repeat(whole_rows, spans)])
        positions = np.concatenate([positions, np.repeat(starts, spans) + _ranges(spans)])
        order = np.lexsort((positions, owner))
        indptr = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=self.size), out=indptr[1:])
        return indptr, positions[order].astype(np.int64)

    @property
    def indptr(self) -> np.ndarray:
        return self._csr[0]

    @property
    def indices(self) -> np.ndarray:
        return self._csr[1]

    def as_lists(self) -> list[list[int]]:
        return [self.of(i).tolist() for i in range(self.size)]

    def part(self, start: int, size: int) -> ClassTieSets | TieSets:
        """The tie sets of positions start .. start + size - 1 as positions of their own word: for one
        whole block, still as classes (the block's classes are a contiguous range of class ids)."""
        if size != self.block or start % self.block:
            return TieSets(self.mask, self.size, self.indptr, self.indices).part(start, size)
        c_lo = int(np.searchsorted(self.members[self.class_start[:-1]], start))
        c_hi = int(np.searchsorted(self.members[self.class_start[:-1]], start + size))
        ptr = self.chosen_ptr[start : start + size + 1]
        return ClassTieSets(
            self.mask,
            size,
            size,
            self.key_class[start : start + size] - c_lo,
            self.class_start[c_lo : c_hi + 1] - self.class_start[c_lo],
            self.members[self.class_start[c_lo] : self.class_start[c_hi]] - start,
            ptr - ptr[0],
            self.chosen[ptr[0] : ptr[-1]] - c_lo,
            self.whole[start : start + size],
        )

    def repeated(self, words: int) -> ClassTieSets:
        """These tie sets (of one word, `block` = `size`) for `words` words stacked position-wise."""
        classes = len(self.class_start) - 1
        shift = np.arange(words)
        return ClassTieSets(
            self.mask,
            self.size * words,
            self.size,
            (self.key_class[None, :] + classes * shift[:, None]).reshape(-1),
            np.concatenate(
                [self.class_start[:-1] + self.size * b for b in range(words)] + [[self.size * words]]
            ),
            (self.members[None, :] + self.size * shift[:, None]).reshape(-1),
            np.concatenate(
                [self.chosen_ptr[:-1] + len(self.chosen) * b for b in range(words)]
                + [[len(self.chosen) * words]]
            ),
            (self.chosen[None, :] + classes * shift[:, None]).reshape(-1),
            np.tile(self.whole, words),
        )


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


def _shadow(x: RadicalArray) -> tuple[np.ndarray, np.ndarray]:
    """Row shadows x_hat and row error 1-norms ||x - x_hat||_1 (upper bounds; float sums of
    non-negative terms, inflated for their own rounding)."""
    value, bound = x.to_float()
    with np.errstate(invalid="ignore", over="ignore"):
        return value, bound.sum(axis=1) * (1 + (bound.shape[1] + 4) * _U)


def _largest_squared_norm(k: RadicalArray) -> RadicalArray | None:
    """c^2 = max_j ||k_j||^2 as a 1 x 1 array, or None when the float shadow's choice of the largest is
    not certified (then no Cauchy-Schwarz shortcut is tried)."""
    if k.shape[0] == 0:
        return None
    norms = (k * k).sum_cols()
    shadow, _ = norms.to_float()
    top = norms.take_rows(np.array([int(np.argmax(shadow[:, 0]))]))
    return top if np.all((top.take_rows(np.zeros(k.shape[0], dtype=np.intp)) - norms).sign() >= 0) else None


def tie_sets(
    q: RadicalArray,
    k: RadicalArray,
    mask: str,
    hash_join: bool = True,
    block: int | None = None,
    rows: np.ndarray | None = None,
) -> ClassTieSets:
    """Exact argmax sets of s_ij = q_i . k_j over the visible j (within the row's own block of `block`
    rows when given: a batched run), by the stages of the module docstring; only for `rows` when given
    (the others get empty tie sets). `hash_join` False skips the Cauchy-Schwarz stages 2 and 4 (the
    plain search, for comparison)."""
    size = q.shape[0]
    block = block or size
    rows = np.arange(size) if rows is None else np.asarray(rows, dtype=np.int64)
    vector = equal_row_classes(RadicalArray.concat_rows([k, q.take_rows(rows)]))
    key_vector, query_vector = vector[:size], vector[size:]
    # key classes: equal key vectors within one block, numbered by first occurrence
    words = size // block if size else 1
    pair = key_vector.astype(np.int64) * words + np.arange(size) // block
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    by_first = np.argsort(first, kind="stable")
    rank = np.empty(len(first), dtype=np.int64)
    rank[by_first] = np.arange(len(first))
    key_class = rank[inverse.reshape(-1)]
    class_first = first[by_first]
    members = np.lexsort((np.arange(size), key_class))
    class_start = np.searchsorted(key_class[members], np.arange(len(first) + 1))
    k_rep = k.take_rows(class_first)
    lo = np.searchsorted(class_first, (rows // block) * block)
    hi = np.searchsorted(class_first, _cuts(mask, rows, block), side="right")
    single = np.full(len(rows), -1, dtype=np.int64)  # rows settled by the lookup: their one class
    top = _largest_squared_norm(k_rep) if hash_join else None
    if top is not None and len(rows):
        class_pair = pair[class_first]
        sorter = np.argsort(class_pair, kind="stable")
        query_pair = query_vector.astype(np.int64) * words + rows // block
        at = np.minimum(np.searchsorted(class_pair[sorter], query_pair), len(sorter) - 1)
        match = sorter[at]
        seen = np.nonzero((class_pair[match] == query_pair) & (match >= lo) & (match < hi))[0]
        # the squared norm of each distinct query once (a padded model's queries repeat)
        distinct, one_each, of_seen = np.unique(query_vector[seen], return_index=True, return_inverse=True)
        q_distinct = q.take_rows(rows[seen[one_each]])
        norms = (q_distinct * q_distinct).sum_cols() - top.take_rows(np.zeros(len(distinct), dtype=np.intp))
        settled = seen[norms.is_zero()[:, 0][of_seen.reshape(-1)]]
        single[settled] = match[settled]
    rest = np.nonzero((single < 0) & (hi > lo))[0]
    group_of = np.zeros(0, dtype=np.int64)
    found = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
    if rest.size:
        key = np.stack([query_vector[rest], lo[rest], hi[rest]], axis=1)
        _, group_row, group_of = np.unique(key, axis=0, return_index=True, return_inverse=True)
        group_of = group_of.reshape(-1)
        leader = rest[group_row]
        found = _group_ties(q.take_rows(rows[leader]), k_rep, lo[leader], hi[leader], top)
    group_ptr, group_classes, group_whole = found
    counts = np.zeros(size, dtype=np.int64)
    counts[rows[single >= 0]] = 1
    counts[rows[rest]] = np.diff(group_ptr)[group_of]
    whole = np.zeros(size, dtype=bool)
    whole[rows[rest]] = group_whole[group_of]
    counts[whole] = 0
    chosen_ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(counts, out=chosen_ptr[1:])
    chosen = np.zeros(int(chosen_ptr[-1]), dtype=np.int64)
    chosen[chosen_ptr[rows[single >= 0]]] = single[single >= 0]
    spread = rest[~group_whole[group_of]]
    sizes = counts[rows[spread]]
    offsets = _ranges(sizes)
    source = np.repeat(group_ptr[group_of[~group_whole[group_of]]], sizes) + offsets
    chosen[np.repeat(chosen_ptr[rows[spread]], sizes) + offsets] = group_classes[source]
    return ClassTieSets(mask, size, block, key_class, class_start, members, chosen_ptr, chosen, whole)


def _group_ties(
    q: RadicalArray, k: RadicalArray, lo: np.ndarray, hi: np.ndarray, top: RadicalArray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M for each group (query row g of q, classes [lo_g, hi_g) of the class keys k), by stages 3 to 5
    of the module docstring: (CSR indptr, the maximal classes in increasing order, whole) where
    whole[g] marks a zero query (M = every class it sees; its CSR segment is empty)."""
    groups, classes = q.shape[0], k.shape[0]
    zero_query = np.all(q.is_zero(), axis=1)
    k_hat, k_err = _shadow(k)
    q_hat, q_err = _shadow(q)
    step = max(1, SEARCH_PAIRS // max(classes, 1))
    span = np.arange(classes)[None, :]
    owners, members = [], []
    for start in range(0, groups, step):
        part = np.arange(start, min(groups, start + step))
        part = part[~zero_query[part]]
        if not part.size:
            continue
        visible = (span >= lo[part, None]) & (span < hi[part, None])
        scores, ties = _certified_candidates(q_hat[part], q_err[part], k_hat, k_err, visible)
        counts = ties.sum(axis=1)
        several = np.nonzero(counts > 1)[0]
        if several.size and top is not None and counts[several].sum() > _CS_MIN_CANDIDATES * several.size:
            best = np.argmax(np.where(ties[several], scores[several], -np.inf), axis=1)
            q_rows, k_best = q.take_rows(part[several]), k.take_rows(best)
            dot = (q_rows * k_best).sum_cols()
            norms = (q_rows * q_rows).sum_cols() * top.take_rows(np.zeros(len(several), dtype=np.intp))
            aligned = (dot * dot - norms).is_zero()[:, 0] & (dot.sign()[:, 0] > 0)
            ties[several[aligned]] = False
            ties[several[aligned], best[aligned]] = True
            several = several[~aligned]
        if several.size:
            ties[several] = _exact_ties(q, k, ties[several], scores[several], part[several])
        local, cls = np.nonzero(ties)
        owners.append(part[local])
        members.append(cls)
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    member = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
    indptr = np.zeros(groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=groups), out=indptr[1:])
    return indptr, member.astype(np.int64), zero_query


def _certified_candidates(
    q_hat: np.ndarray, q_err: np.ndarray, k_hat: np.ndarray, k_err: np.ndarray, visible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(shadow scores, the visible j that may be maximal) for each row of q_hat.

    With shadows q^, k^, error bounds e_i >= ||q_i - q^_i||_1 and f >= max_j ||k_j - k^_j||_inf, and
    K = max_j ||k^_j||_inf, the score error splits as (q - q^).k + q^.(k - k^) + (q^.k^ - fl(q^.k^)), so
        |s_ij - fl(q^_i . k^_j)| <= B_i = e_i (K + f) + ||q^_i||_1 (f + gamma_d K) + d eta,
    where gamma_d bounds the rounding of a length-d dot product in any order and d eta the underflow of
    its products (eta = 2^-1074); B is inflated for its own rounding, and the threshold max - 2 B_i is
    rounded down. So only j with fl-score >= max_j fl-score - 2 B_i can be maximal. 1-norms, not
    2-norms: squaring would flush shadows below 1e-154 to 0. A row whose shadow overflows float64
    keeps every visible j.
    """
    dim = q_hat.shape[1]
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
    overflow = ~np.isfinite(threshold) & (best != -np.inf)
    candidates[overflow] = visible[overflow]
    return scores, candidates


def _exact_ties(
    q: RadicalArray, k: RadicalArray, candidates: np.ndarray, shadow: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Among each row's candidates, the exact maxima of q_i . k_j, by a tournament.

    Each row keeps a running exact maximum and compares it with its next candidate (all rows at once,
    one exact sign per row per step): c - 1 comparisons for c candidates, never more. Candidates are
    visited in decreasing shadow order, so the running maximum is usually right from the start. The
    tie set is then the candidates exactly equal to the maximum (a zero test on canonical forms, no
    sign needed).
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
