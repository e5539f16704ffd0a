"""exact: the square-root field, decided exactly (docs/backends.md).

Activations are `RadicalArray`s. Every decision is exact: ReLU and readout use certified signs, and a
head's tie sets are searched over key classes (`exact_ties`: lookup, certified float shadows, Cauchy-
Schwarz, exact tournament; never a float decision) and averaged over them (`exact_means`).

Heads whose scores are all zero by construction (Q = 0 or K = 0) average over the visible set by exact
prefix sums. The residual is a `ColumnArray` (one column per coordinate: a sublayer touches only what it
reads and writes), and a view of several norm groups stays a `ViewParts`, multiplied group by group, so
that a group nobody wrote since the last call (ids, hashes) reuses its product and an unchanged query or
key is recognised at once; each group's product covers only the outputs its columns of W reach, and
products with disjoint outputs are placed side by side rather than added (`_placed_sum`). An FFN is
computed once per distinct row of its input, and so is a product of a normalised group with many
repeated rows (rows grouped by their canonical forms: numbered exactly in mixed radix when the values
span little, else hashed and checked exactly), since a compiled circuit's FFNs and heads read a few bits
per position. A batched run (`Simulator.run_batch`) stacks words position-wise: `attend` and `view` take
the block length, attention stays within each word, and what is the same in every word is `Shared`
(stored and computed once: the embedding's coordinates no input changes, and what reads only them), so a
head whose queries and keys are the same in every word finds its tie sets once.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from expressivity.backends.base import CompiledMatrix, SimulationError, TieSets
from expressivity.backends.exact_means import tie_means, visible_means
from expressivity.backends.exact_ties import ClassTieSets, equal_row_classes, tie_sets
from expressivity.numbers.column_array import ColumnArray, Shared, full
from expressivity.numbers.radical_array import NestedRadicalError, RadicalArray, rational_radicands
from expressivity.numbers.sqrtfield import SqrtNumber

_TIE_CACHE = 16  # tie sets kept per run (a loop body of a compiled circuit has a few heads)


class ExactBackend:
    """One instance per run (`get_backend` makes a new one), so its caches live for one run."""

    name = "exact"
    batched = True  # `Simulator.run_batch` stacks words into one pass (`attend`'s block)

    def __init__(self) -> None:
        # the last tie sets found, with their queries, keys, mask and block (newest first); kept across
        # runs (at most _TIE_CACHE of them): the steps of a decoder that share a backend reuse them
        self._ties: list[tuple[RadicalArray, RadicalArray, str, int | None, TieSets]] = []
        self.release()

    def release(self) -> None:
        """Empty the caches but the tie sets' (`Simulator` calls it when a run is over: its traces keep
        the backend only to read values and scores, and should not keep the run's intermediate arrays
        alive; the last few tie sets, with their queries and keys, serve a decoder's next step)."""
        # norm group columns -> (the residual columns read, their normalisation); a group whose
        # columns are the same objects as when it was last read (ids, hashes, flags), or equal to them
        # column by column, is not normalised again.
        self._normalised: dict[
            tuple[tuple[int, ...], bool], tuple[tuple[RadicalArray | Shared, ...], RadicalArray | Shared]
        ] = {}
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
            outputs = np.nonzero(np.any(columns != 0, axis=1))[0]
            product = None
            if outputs.size:
                values = part.x if isinstance(part, Shared) else part
                product = self._product(values, columns[outputs], weights)
                product = (Shared(product, part.copies) if isinstance(part, Shared) else product, outputs)
            self._products.setdefault(part, {})[key] = (weights, product)
            if product is not None:
                contributions.append(product)
        key = (id(weights), id(bias))
        cached = self._sums.get(key)
        products = [product for product, _ in contributions]
        if cached is not None and cached[0] is weights and _same_objects(cached[1], products):
            out = cached[2]()
            if out is not None:
                return out
        out = self._sum(z, contributions, weights, bias)
        self._sums[key] = (weights, tuple(weakref.ref(c) for c in products), weakref.ref(out))
        return out

    def _sum(
        self, z: ViewParts, contributions: list, weights: CompiledMatrix, bias: CompiledMatrix | None
    ) -> RadicalArray | Shared:
        """The groups' products (each on the outputs its columns of W reach) summed into all outputs:
        products with disjoint outputs are placed side by side, so a view of many groups costs one
        addition per overlap, not one per group."""
        width = weights.num.shape[0]
        copies = next((part.copies for part in z.parts if isinstance(part, Shared)), None)
        shared = [(c.x, outputs) for c, outputs in contributions if isinstance(c, Shared)]
        full_parts = [(c, outputs) for c, outputs in contributions if not isinstance(c, Shared)]
        shared_sum = _placed_sum(shared, width)
        full_sum = _placed_sum(full_parts, width)
        if full_sum is None:
            rows = z.parts[0].shape[0] if copies is None else z.parts[0].shape[0] // copies
            out = RadicalArray.zeros(rows, width) if shared_sum is None else shared_sum
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
                return Shared(tie_means(v.x, one), v.copies), ties
            return tie_means(v, ties), ties
        q, k, v = full(q), full(k), full(v)
        ties = self._known_ties(q, k, mask, block)
        if ties is None:
            if block is not None and _same_in_every_block(RadicalArray.concat_cols([q, k]), block):
                first = np.arange(block)
                ties = tie_sets(q.take_rows(first), k.take_rows(first), mask).repeated(size // block)
            else:
                ties = tie_sets(q, k, mask, block=block)
            self._remember(q, k, mask, block, ties)
        return tie_means(v, ties), ties

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
        are searched (`exact_ties.tie_sets` for those rows only)."""
        size, new = k.shape[0], q.shape[0]
        rows = np.arange(size - new, size)
        if uniform:
            return visible_means(v, mask).take_rows(rows)
        # tie_sets reads the queries of `rows` from a full-height array; the rows above are never read
        padded = RadicalArray.concat_rows([k.take_rows(np.arange(size - new)), q])
        return tie_means(v, tie_sets(padded, k, mask, rows=rows)).take_rows(rows)

    def append_rows(self, h: RadicalArray, more: RadicalArray) -> RadicalArray:
        return RadicalArray.concat_rows([h, more])

    def _known_ties(self, q: RadicalArray, k: RadicalArray, mask: str, block: int | None) -> TieSets | None:
        """The tie sets of an earlier call with exactly the same queries, keys, mask and block (a head
        whose inputs a loop iteration did not change, such as a circuit's wiring), else None. A hit on
        other objects with equal values (two heads with the same queries and keys) remembers these q
        and k too: the sum cache's weak references point to them, so the next iteration finds them."""
        for old_q, old_k, old_mask, old_block, ties in self._ties:
            if (old_mask, old_block) == (mask, block) and old_q.same_as(q) and old_k.same_as(k):
                if old_q is not q or old_k is not k:
                    self._remember(q, k, mask, block, ties)
                return ties
        return None

    def take_rows(self, h: ColumnArray, rows: np.ndarray) -> RadicalArray:
        """The given rows (a word's part of a batched run), as one array; the columns every word shares
        are put side by side once per residual, for all the words that read it (`row_reader`)."""
        if self._written_out is None or self._written_out[0] is not h:
            self._written_out = (h, h.row_reader())
        return self._written_out[1](rows)

    def keep(self, h: ColumnArray) -> ColumnArray:
        """The residual as the live columns, for a trace that keeps only its final residual: columns
        are never modified in place, so nothing is copied."""
        return h

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
        and the first best symbol. Of a live residual only the row's cells the unembedding reads are
        taken (a decoder reads one position of a wide residual at every step)."""
        weights = unembedding.num
        if isinstance(h, ColumnArray):
            read = np.nonzero(np.any(weights != 0, axis=0))[0]
            h, weights = ColumnArray([h.columns[c] for c in read]), weights[:, read]
        if weights.shape[1] == 0:  # the unembedding reads nothing: every score is 0
            scores = [SqrtNumber(0)] * weights.shape[0]
        else:
            row = h.take_rows(np.array([i]))
            row = row.whole() if isinstance(row, ColumnArray) else row
            scores = row.matmul(weights, unembedding.den).to_scalars()[0]
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


def _repeated(ties: ClassTieSets, words: int) -> ClassTieSets | TieSets:
    """The tie sets of one word, repeated for `words` words stacked position-wise: as classes when
    they are long (`tie_means` averages those by class sums), else as a tiled CSR, which `part` cuts
    into words and `segment_means` averages without any per-class work."""
    if ties.long:
        return ties.repeated(words)
    size, count = ties.size, len(ties.indices)
    indptr = np.concatenate([ties.indptr[:-1] + b * count for b in range(words)] + [[words * count]])
    indices = np.concatenate([ties.indices + b * size for b in range(words)])
    return TieSets(ties.mask, size * words, indptr.astype(np.int64), indices.astype(np.int64))


def _same_objects(old: tuple, new: list) -> bool:
    """Whether the weak references `old` point to the objects `new`, in order."""
    return len(old) == len(new) and all(a() is b for a, b in zip(old, new, strict=True))


def _placed_sum(terms: list[tuple[RadicalArray, np.ndarray]], width: int) -> RadicalArray | None:
    """sum of the terms, each (values, the output columns they hold) widened to `width` columns with
    zeros; None for no term. Terms are dealt into layers of pairwise disjoint outputs (first fit), each
    layer is one side-by-side array, and the layers are added."""
    if not terms:
        return None
    layers: list[tuple[list, np.ndarray]] = []
    for values, outputs in terms:
        for members, covered in layers:
            if not covered[outputs].any():
                members.append((values, outputs))
                covered[outputs] = True
                break
        else:
            covered = np.zeros(width, dtype=bool)
            covered[outputs] = True
            layers.append(([(values, outputs)], covered))
    total = None
    for members, _covered in layers:
        rows = members[0][0].shape[0]
        zero = RadicalArray(
            np.zeros((1, rows, 1), dtype=np.int64), rational_radicands(rows), np.ones(rows, dtype=np.int64)
        )
        side_by_side = RadicalArray.concat_cols([values for values, _ in members] + [zero])
        index = np.full(width, side_by_side.shape[1] - 1, dtype=np.intp)
        offset = 0
        for _values, outputs in members:
            index[outputs] = offset + np.arange(len(outputs))
            offset += len(outputs)
        placed = side_by_side.take_cols(index)
        total = placed if total is None else total + placed
    return total


def _same_in_every_block(x: RadicalArray, block: int) -> bool:
    """Whether rows b * block + i are equal vectors for every word b and position i."""
    classes = equal_row_classes(x).reshape(-1, block)
    return bool(np.all(classes == classes[:1]))
