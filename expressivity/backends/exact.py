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
The residual is a `ColumnArray` (one column per coordinate: a sublayer touches only what it reads and
writes), and a view of several norm groups stays a `ViewParts`, multiplied group by group, so that a
group nobody wrote since the last call (ids, hashes) reuses its product and an unchanged query or key
is recognised at once. An FFN is computed once per distinct row of its input, and so is a product of
a normalised group with many repeated rows (rows grouped by their canonical forms: numbered exactly
in mixed radix when the values span little, else hashed and checked exactly), since a compiled
circuit's FFNs and heads read a few bits per position. A batched run (`Simulator.run_batch`) stacks
words position-wise: `attend` and `view` take the block length, attention stays within each word,
and what is the same in every word is `Shared` (stored and computed once: the embedding's coordinates
no input changes, and what reads only them), so a head whose queries and keys are the same in every
word finds its tie sets once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from expressivity.backends.base import CompiledMatrix, SimulationError, TieSets, visible_rows
from expressivity.numbers.column_array import ColumnArray, Shared, full
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
    """One instance per run (`get_backend` makes a new one), so its caches live for one run."""

    name = "exact"
    batched = True  # `Simulator.run_batch` stacks words into one pass (`attend`'s block)

    def __init__(self) -> None:
        self.release()

    def release(self) -> None:
        """Empty the caches (`Simulator` calls it when a run is over: its traces keep the backend only
        to read values and scores, and should not keep the run's intermediate arrays alive)."""
        # norm group columns -> (the residual columns read, their normalisation); a group whose
        # columns are the same objects as when it was last read (ids, hashes, flags), or equal to them
        # column by column, is not normalised again.
        self._normalised: dict[
            tuple[tuple[int, ...], bool], tuple[tuple[RadicalArray | Shared, ...], RadicalArray | Shared]
        ] = {}
        # the last tie sets found, with their queries, keys, mask and block (newest first)
        self._ties: list[tuple[RadicalArray, RadicalArray, str, int | None, TieSets]] = []
        # the last residual `take_rows` read, and its `row_reader`
        self._written_out: tuple[ColumnArray, Callable[[np.ndarray], RadicalArray]] | None = None
        # The caches below hold their arrays weakly: an entry lives as long as the array it is about
        # (a norm group's normalisation lives while the group is unchanged), so a batch's stale
        # normalisations and products are freed as the run goes.
        # norm group read -> {(weights, first column): (the weights, its product or None when W is
        # zero there)}; (weights, bias) -> (the weights, the products summed, the result), both weakly
        self._products: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._sums: dict[tuple[int, int], tuple] = {}
        # a view's or an FFN's input part -> `_rational_row_classes` of it: a part nobody wrote since
        # it was last grouped (the same object) is not grouped again
        self._row_classes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def kind_table(self, rows: Sequence[Sequence[Fraction]]) -> ColumnArray:
        return ColumnArray.split(RadicalArray.from_fractions(rows))

    def kind_table_entries(
        self, kinds: int, width: int, owner: np.ndarray, cols: np.ndarray, values: Sequence[Fraction]
    ) -> ColumnArray:
        """`kind_table` from its non-zero entries (values[k] at row owner[k], coordinate cols[k]): a
        compiled model's embedding is mostly zeros, and only its non-zero entries are visited."""
        return ColumnArray.from_entries(kinds, width, owner, cols, values)

    def embed(self, table: ColumnArray, tokens: np.ndarray, block: int | None = None) -> ColumnArray:
        """The residual, stored column by column (`ColumnArray`): a sublayer touches only the columns
        it reads and writes. With `block` (a batched run), a column equal in every word is `Shared`."""
        return table.take_rows(tokens, block)

    def view(
        self,
        h: ColumnArray,
        groups: Sequence[np.ndarray],
        centre: bool,
        block: int | None = None,
        first_word: int = 0,
    ) -> RadicalArray | Shared | ViewParts:
        """The normalised groups side by side; `block` (a batched run) only changes how an error names
        the row: word first_word + row // block, position row % block. A group whose columns are all
        `Shared` is normalised for one word only (a failure there is the first word's)."""
        parts = []
        for k, columns in enumerate(groups):
            read = tuple(h.columns[c] for c in columns)
            shared = all(isinstance(column, Shared) for column in read)
            key = (tuple(columns.tolist()), centre)
            cached = self._normalised.get(key)
            if cached is not None and all(_same_column(a, b) for a, b in zip(cached[0], read, strict=True)):
                self._normalised[key] = (read, cached[1])
                parts.append(cached[1])
                continue
            cells = h.take_shared(columns) if shared else h.take(columns)
            try:
                normalised, classes = _normalise_distinct_rows(cells, centre)
            except NestedRadicalError as err:
                where = (
                    f"position {err.row}"
                    if block is None
                    else f"word {first_word + err.row // block}: position {err.row % block}"
                )
                raise SimulationError(f"norm group {k}: {where}: {err}") from None
            part = Shared(normalised, read[0].copies) if shared else normalised
            if classes is not None:  # equal cells have equal normalisations: an FFN's grouping for free
                self._remember_classes(normalised, classes)
            self._normalised[key] = (read, part)
            parts.append(part)
        return parts[0] if len(parts) == 1 else ViewParts(tuple(parts))

    def linear(
        self, z: RadicalArray | Shared | ViewParts, weights: CompiledMatrix, bias: CompiledMatrix | None
    ) -> RadicalArray | Shared:
        """z W^T (+ b). A `Shared` z gives a shared result; a view of several norm groups is multiplied
        group by group (`_linear_by_parts`)."""
        if isinstance(z, Shared):
            return Shared(self.linear(z.x, weights, bias), z.copies)
        if isinstance(z, ViewParts):
            return self._linear_by_parts(z, weights, bias)
        return self._product(z, weights.compact, weights, None if bias is None else (bias.num[0], bias.den))

    def _product(
        self, x: RadicalArray, columns: np.ndarray, weights: CompiledMatrix, bias: tuple | None = None
    ) -> RadicalArray:
        """x (columns / W_den)^T (+ b), once per class of equal rows when x's classes are known and
        few (a view's normalised group with many repeated cells: `_normalise_distinct_rows`), since
        the product of a row depends on that row alone."""
        known = self._row_classes.get(x)
        if known is not None:
            first, inverse = known
            if len(first) * 4 <= x.shape[0]:
                product = x.take_rows(first).matmul(columns, weights.den, weights.largest, bias)
                return product.take_rows(inverse)
        return x.matmul(columns, weights.den, weights.largest, bias)

    def _linear_by_parts(
        self, z: ViewParts, weights: CompiledMatrix, bias: CompiledMatrix | None
    ) -> RadicalArray | Shared:
        """sum over the view's groups of group W_group^T (+ b), where W_group are W's columns for that
        group. A group whose columns of W are all zero is skipped (the queries and keys of a wiring head
        read only the hash groups); a group that is the same object as at the last call (a norm group
        nobody wrote) reuses its product; and when every product is reused, so is the result (the same
        object, which the tie-set cache then recognises at once). The result is `Shared` when every
        group W reads is."""
        contributions, start = [], 0
        for part in z.parts:
            stop = start + part.shape[1]
            key = (id(weights), start)
            start = stop
            cached = self._products.get(part, {}).get(key)
            if cached is not None and cached[0] is weights:
                if cached[1] is not None:
                    contributions.append(cached[1])
                continue
            columns = weights.compact[:, start - part.shape[1] : stop]
            product = None
            if np.any(columns != 0):
                values = part.x if isinstance(part, Shared) else part
                product = self._product(values, columns, weights)
                product = Shared(product, part.copies) if isinstance(part, Shared) else product
            self._products.setdefault(part, {})[key] = (weights, product)
            if product is not None:
                contributions.append(product)
        key = (id(weights), id(bias))
        cached = self._sums.get(key)
        if cached is not None and cached[0] is weights and _same_objects(cached[1], contributions):
            out = cached[2]()
            if out is not None:
                return out
        out = self._sum(z, contributions, weights, bias)
        self._sums[key] = (weights, tuple(weakref.ref(c) for c in contributions), weakref.ref(out))
        return out

    def _sum(
        self, z: ViewParts, contributions: list, weights: CompiledMatrix, bias: CompiledMatrix | None
    ) -> RadicalArray | Shared:
        shared = [c.x for c in contributions if isinstance(c, Shared)]
        full_parts = [c for c in contributions if not isinstance(c, Shared)]
        copies = next((part.copies for part in z.parts if isinstance(part, Shared)), None)
        shared_sum = shared[0] if shared else None
        for term in shared[1:]:
            shared_sum = shared_sum + term
        full_sum = full_parts[0] if full_parts else None
        for term in full_parts[1:]:
            full_sum = full_sum + term
        if full_sum is None:
            rows = z.parts[0].shape[0] if copies is None else z.parts[0].shape[0] // copies
            out = RadicalArray.zeros(rows, weights.num.shape[0]) if shared_sum is None else shared_sum
            out = out if bias is None else out.add_row_vector(bias.num[0], bias.den)
            return out if copies is None else Shared(out, copies)
        out = full_sum if shared_sum is None else full_sum + Shared(shared_sum, copies).full()
        return out if bias is None else out.add_row_vector(bias.num[0], bias.den)

    def ffn(
        self,
        z: RadicalArray | Shared | ViewParts,
        w1: CompiledMatrix,
        b1: CompiledMatrix | None,
        w2: CompiledMatrix,
        b2: CompiledMatrix | None,
    ) -> RadicalArray | Shared:
        """W2 ReLU(W1 z + b1) + b2, row by row, so computed once per distinct row of z when many rows
        repeat (a circuit's FFNs read a few bits per position: thousands of rows, a few dozen distinct
        ones, in one word or across a batch). Rows are grouped by `_rational_row_classes` (checked
        exactly). A z that is `Shared` in every part, or with mostly distinct rows, takes the
        general path (`linear`, `relu`), which also reuses unchanged products."""
        distinct = _distinct_rows(z, self._classes_of)
        if distinct is None:
            return self.linear(self.relu(self.linear(z, w1, b1)), w2, b2)
        values, inverse = distinct
        hidden = self.relu(self.linear(values, w1, b1))
        return self.linear(hidden, w2, b2).take_rows(inverse)

    def _classes_of(self, x: RadicalArray) -> tuple[np.ndarray, np.ndarray] | None:
        """`_rational_row_classes(x)`, remembered for the same object."""
        if x in self._row_classes:
            return self._row_classes[x]
        classes = _rational_row_classes(x)
        self._remember_classes(x, classes)
        return classes

    def _remember_classes(self, x: RadicalArray, classes: tuple[np.ndarray, np.ndarray] | None) -> None:
        self._row_classes[x] = classes

    def relu(self, x: RadicalArray | Shared) -> RadicalArray | Shared:
        if isinstance(x, Shared):
            return Shared(self.relu(x.x), x.copies)
        return x.where_rows_cols(x.sign() > 0)

    def scatter_add(self, h: ColumnArray, columns: np.ndarray, delta: RadicalArray | Shared) -> ColumnArray:
        return h.add_to_columns(columns, delta)

    def attend(
        self,
        q: RadicalArray | Shared,
        k: RadicalArray | Shared,
        v: RadicalArray | Shared,
        mask: str,
        uniform: bool,
        block: int | None = None,
    ) -> tuple[RadicalArray | Shared, TieSets]:
        """Means of v over the tie sets. With `block` the rows are words of `block` positions and a
        position sees only its own word; when every word has the same queries and keys (`Shared`
        ones, or ones found equal: a head that reads only what the input does not change, such as a
        circuit's wiring), the tie sets of the first word serve all of them, and a shared v gives
        shared means."""
        size = q.shape[0]
        if uniform:
            if isinstance(v, Shared):
                return Shared(visible_means(v.x, mask), v.copies), TieSets(mask, size)
            return visible_means(v, mask, block), TieSets(mask, size)
        if isinstance(q, Shared) and isinstance(k, Shared):
            one = self._known_ties(q.x, k.x, mask, None)
            if one is None:
                one = tie_sets(q.x, k.x, mask)
                self._remember(q.x, k.x, mask, None, one)
            ties = _repeated(one, q.copies)
            if isinstance(v, Shared):
                return Shared(segment_means(v.x, one.indptr, one.indices), v.copies), ties
            return segment_means(v, ties.indptr, ties.indices), ties
        q, k, v = full(q), full(k), full(v)
        ties = self._known_ties(q, k, mask, block)
        if ties is None:
            if block is not None and _same_in_every_block(RadicalArray.concat_cols([q, k]), block):
                first = np.arange(block)
                ties = _repeated(tie_sets(q.take_rows(first), k.take_rows(first), mask), size // block)
            else:
                ties = tie_sets(q, k, mask, block=block)
            self._remember(q, k, mask, block, ties)
        return segment_means(v, ties.indptr, ties.indices), ties

    def _remember(
        self, q: RadicalArray, k: RadicalArray, mask: str, block: int | None, ties: TieSets
    ) -> None:
        self._ties.insert(0, (q, k, mask, block, ties))
        del self._ties[_TIE_CACHE:]

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

    def take_rows(self, h: ColumnArray, rows: np.ndarray) -> RadicalArray:
        """The given rows (a word's part of a batched run), as one array; the columns every word shares
        are put side by side once per residual, for all the words that read it (`row_reader`)."""
        if self._written_out is None or self._written_out[0] is not h:
            self._written_out = (h, h.row_reader())
        return self._written_out[1](rows)

    def snapshot(self, h: ColumnArray) -> RadicalArray:
        """The residual as one `RadicalArray` (what a trace records)."""
        return h.whole()

    def column(self, h: ColumnArray | RadicalArray, c: int) -> list[SqrtNumber]:
        cells = _column(h, c)
        return [cells.entry(i, 0) for i in range(cells.shape[0])]

    def column_is_zero(self, h: ColumnArray | RadicalArray, c: int) -> np.ndarray:
        return _column(h, c).is_zero()[:, 0]

    def exceeds_half(self, h: ColumnArray | RadicalArray, i: int, c: int) -> bool:
        return (_column(h, c).entry(i, 0) - Fraction(1, 2)).sign() > 0

    def readout(
        self, h: ColumnArray | RadicalArray, i: int, unembedding: CompiledMatrix
    ) -> tuple[int, list[SqrtNumber]]:
        """The unembedding's scores at row i of a live residual or of a recorded one (`Trace.final`),
        and the first best symbol."""
        row = h.take_rows(np.array([i]))
        row = row.whole() if isinstance(row, ColumnArray) else row
        scores = row.matmul(unembedding.num, unembedding.den).to_scalars()[0]
        best = 0
        for s in range(1, len(scores)):
            if scores[s] > scores[best]:
                best = s
        return best, scores


def _column(h: ColumnArray | RadicalArray, c: int) -> RadicalArray:
    """Column c of a live residual (`ColumnArray`) or of a recorded one (`RadicalArray`)."""
    return full(h.columns[c]) if isinstance(h, ColumnArray) else h.take_cols([c])


_DISTINCT_ROWS_MIN = 1024  # rows from which normalising only the distinct rows of a group pays


def _normalise_distinct_rows(
    cells: RadicalArray, centre: bool
) -> tuple[RadicalArray, tuple[np.ndarray, np.ndarray] | None]:
    """(cells.normalise(centre), the row classes used or None), computed once per distinct row when the
    cells are rational int64 and repeat (a batch's input bits, a circuit's gate values: many rows, few
    distinct values; grouped by `_rational_row_classes`). Rows with equal cells have equal
    normalisations, so the classes (one row of each, each row's class) group the result's rows too.
    Rational cells have a rational squared norm, so no row can fail and the order of the work does not
    matter."""
    if cells.shape[0] < _DISTINCT_ROWS_MIN:
        return cells.normalise(centre=centre), None
    classes = _rational_row_classes(cells)
    if classes is None or len(classes[0]) * 4 > cells.shape[0]:
        return cells.normalise(centre=centre), None
    first, inverse = classes
    return cells.take_rows(first).normalise(centre=centre).take_rows(inverse), classes


def _rational_row_classes(x: RadicalArray) -> tuple[np.ndarray, np.ndarray] | None:
    """(one row of each class of equal rows, each row's class) for a rational array with int64
    numerators and denominators, else None. Canonical rows are equal values iff their (den,
    numerators) lines are equal. When every column of those lines spans few values (bits, halves:
    their product of spans at most `_dense_span`), a line's offsets from the column minima, read in
    mixed radix, number it exactly, and the numbers that occur are counted off in one pass (no sort,
    no check needed); else the lines are grouped by a hash, and the grouping is checked exactly (every
    line equal to its class's first) before it is used."""
    small = x.small_den()
    if x.slots != 1 or x.num.dtype != np.int64 or small is None:
        return None
    rows = x.shape[0]
    lines = np.empty((1 + x.shape[1], rows), dtype=np.int64)  # column by column: contiguous passes
    lines[0], lines[1:] = small, x.num[0].T
    if rows:
        low = lines.min(axis=1)
        spans = [int(v) for v in lines.max(axis=1) - low + 1]  # < 2^63: every entry is below 2^62
        space = 1
        for span in spans:
            space *= span
        if space <= _dense_span(rows):
            strides = np.cumprod([1, *spans[:-1]]).astype(np.int64)
            key = strides @ (lines - low[:, None])
            present = np.zeros(space, dtype=bool)
            present[key] = True
            inverse = np.cumsum(present)[key] - 1
            first = np.empty(int(inverse.max()) + 1, dtype=np.intp)
            first[inverse] = np.arange(rows)
            return first, inverse
    weights = np.random.default_rng(0).integers(1, 2**62, size=len(lines), dtype=np.int64) | 1
    hashes = weights @ lines  # wraps modulo 2^64; collisions are caught below
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(lines, np.take(np.take(lines, first, axis=1), inverse, axis=1)):
        return None
    return first, inverse


def _dense_span(rows: int) -> int:
    """How many mixed-radix line numbers `_rational_row_classes` counts off directly for `rows` rows:
    a table of flags that costs about as much as a pass over the rows."""
    return max(16 * rows, 1 << 16)


_FFN_DEDUPE_MIN_ROWS = 256  # rows from which grouping an FFN's input rows pays
_DENSE_KEYS = 1 << 22  # class tuples numbered through a table of this many flags at most


def _distinct_rows(
    z: RadicalArray | Shared | ViewParts,
    classes_of: Callable[[RadicalArray], tuple[np.ndarray, np.ndarray] | None],
) -> tuple[RadicalArray, np.ndarray] | None:
    """(one row of each class of equal rows of z, written out; each row's class) when z has at least
    _FFN_DEDUPE_MIN_ROWS rows, not all of them `Shared`, every part rational (int64) and at most a
    quarter of its rows distinct; else None. Each part is grouped on its own by `classes_of`
    (`_rational_row_classes`, remembered; a `Shared` part once for one word), and a row's class is the
    tuple of its parts' classes."""
    parts = z.parts if isinstance(z, ViewParts) else (z,)
    rows = parts[0].shape[0]
    if all(isinstance(part, Shared) for part in parts) or rows < _FFN_DEDUPE_MIN_ROWS:
        return None
    key, space = np.zeros(rows, dtype=np.int64), 1  # a row's class tuple in mixed radix, below space
    for part in parts:
        classes = classes_of(part.x if isinstance(part, Shared) else part)
        if classes is None:
            return None
        inverse = classes[1] if not isinstance(part, Shared) else np.tile(classes[1], part.copies)
        if space * len(classes[0]) > _DENSE_KEYS:  # renumber the tuples seen so far: 0 .. count - 1
            key = np.unique(key, return_inverse=True)[1].reshape(-1)
            space = int(key.max(initial=0)) + 1
        key, space = key * len(classes[0]) + inverse, space * len(classes[0])
    if space > _DENSE_KEYS:
        inverse = np.unique(key, return_inverse=True)[1].reshape(-1)
    else:
        present = np.zeros(space, dtype=bool)
        present[key] = True
        inverse = (np.cumsum(present) - 1)[key]  # the tuples that occur, numbered in order (no sort)
    count = int(inverse.max(initial=0)) + 1
    if count * 4 > rows:
        return None
    first = np.empty(count, dtype=np.intp)
    first[inverse] = np.arange(rows)  # some row of each class (which one does not matter)
    picked = [part.take_rows(first) for part in parts]
    values = picked[0] if len(picked) == 1 else RadicalArray.concat_cols(picked)
    return values, inverse


@dataclass(frozen=True)
class ViewParts:
    """A view of several norm groups, side by side: each normalised group as it is (a `RadicalArray`,
    or `Shared` in a batch), not concatenated, so that `linear` can skip or reuse a group."""

    parts: tuple[RadicalArray | Shared, ...]


def _same_column(old: RadicalArray | Shared, new: RadicalArray | Shared) -> bool:
    """Whether a residual column holds the same values as before: the same object, or equal (both
    canonical), `Shared` or not alike."""
    if old is new:
        return True
    if isinstance(old, Shared) and isinstance(new, Shared):
        return old.copies == new.copies and old.x.same_as(new.x)
    return not isinstance(old, Shared) and not isinstance(new, Shared) and old.same_as(new)


def _same_objects(old: tuple, new: list) -> bool:
    """Whether the weak references `old` point to the objects `new`, in order."""
    return len(old) == len(new) and all(a() is b for a, b in zip(old, new, strict=True))


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
    small = v.small_den()
    if small is not None:
        den = lcm(1, *(int(d) for d in np.unique(small)))
        factor = den // small if den < 2**62 else den // v.den
    else:
        den = lcm(1, *{int(d) for d in v.den})
        factor = den // v.den
    scaled = times(v.num, factor[None, :, None])
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
    if np.all(sizes == 1):  # one position per tie set: the mean is that position's value
        return v.take_rows(indices)
    owner = np.repeat(np.arange(size), sizes)
    first_of = np.zeros(size, dtype=np.int64)
    first_of[sizes > 0] = indices[indptr[:-1][sizes > 0]]
    gathered = v.take_rows(indices)
    same = gathered.rows_equal(v.take_rows(first_of[owner]))
    all_same = np.bincount(owner[~same], minlength=size) == 0
    kept = all_same & (sizes > 0)
    mixed = np.nonzero(~all_same)[0]
    if mixed.size:
        pick = np.isin(owner, mixed)
        num, radicands, den = _global_slots(gathered.take_rows(np.nonzero(pick)[0]))
        sums = segment_totals(num, np.searchsorted(owner[pick], mixed), axis=1)
    if v.slots == 1 and v.num.dtype == np.int64 and v.small_den() is not None:
        means = _from_global(sums, radicands, sizes[mixed].astype(object) * den) if mixed.size else None
        fast = _rational_means(v, first_of, kept, mixed, means)
        if fast is not None:
            return fast
    result = v.take_rows(first_of).where_rows_cols(np.repeat(kept[:, None], v.shape[1], axis=1))
    if mixed.size == 0:
        return result
    placed = np.zeros((num.shape[0], size, v.shape[1]), dtype=sums.dtype)
    placed[:, mixed] = sums
    counts = np.ones(size, dtype=object)
    counts[mixed] = sizes[mixed]
    return result + _from_global(placed, radicands, counts * den)


def _rational_means(
    v: RadicalArray, first_of: np.ndarray, kept: np.ndarray, mixed: np.ndarray, means: RadicalArray | None
) -> RadicalArray | None:
    """`segment_means` assembled directly for a rational int64 v whose mixed rows' means are rational
    int64 too (None otherwise): row i is v's row first_of[i] where kept (a canonical row, copied), the
    mean of mixed row mixed[k] at means' row k (canonical), and 0 over 1 elsewhere, so the result is
    canonical without a reduction."""
    if means is not None and (means.slots != 1 or means.num.dtype != np.int64 or means.small_den() is None):
        return None
    num = np.where(kept[:, None], np.take(v.num[0], first_of, axis=0), 0)
    den = np.where(kept, np.take(v.small_den(), first_of), 1)
    if means is not None:
        num[mixed] = means.num[0]
        den[mixed] = means.small_den()
    return RadicalArray(num[None], np.ones((1, len(kept)), dtype=object), den, canonical=True)
