"""`ColumnArray`'s block paths against the column-by-column arithmetic they stand in for:

- `add_to_columns` with rational int64 columns added as one block (`add_rational_columns`: products
  of denominators, the power of two of each gcd by its lowest set bit, the rest by Euclid), with
  numerators and denominators near the int64 bound, square-root columns, zero deltas and `Shared`
  columns mixed in, against the sum of each entry as a `SqrtNumber`;
- the int64 bound of the block add at its edge (2^62 reached: no block result; just below: exact);
- `split` (one gcd pass) against `take_cols` of each column;
- `from_entries` (values read once per distinct object) against dense rows;
- `take_rows` with a block (a batch's embedding): exactly the columns equal in every word are `Shared`;
- `take` and `row_reader` of mixed `Shared` and written-out columns against writing out each column;
- the lcm of denominators behind `concat_cols` against math.lcm, and `same_as` against entry equality.
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_core_sqrtfield import arrays, assert_array_canonical

from expressivity.numbers import RadicalArray
from expressivity.numbers.column_array import ColumnArray, Shared, add_rational_columns, full
from expressivity.numbers.radical_array import _common_multiple
from expressivity.numbers.sqrtfield import SqrtNumber

LIMIT = 2**62
NUMERATORS = st.one_of(
    st.integers(-4, 4),
    st.integers(-(2**40), 2**40),
    st.sampled_from([2**61 - 1, -(2**61), 2**62 - 1, -(2**62) + 1, 2**62, 3**39, 2**70]),
)
DENOMINATORS = st.one_of(
    st.sampled_from([1, 1, 2, 4, 8, 2**30, 2**61, 2**62]),
    st.sampled_from([3, 6, 18, 1170]),
    st.integers(1, 2**40),
)


@st.composite
def fractions(draw) -> Fraction:
    return Fraction(draw(NUMERATORS), draw(DENOMINATORS))


@st.composite
def columns(draw, rows: int) -> RadicalArray:
    """An (rows, 1) column: rational (int64 when it fits, else Python ints) or with square roots."""
    if draw(st.integers(0, 3)) == 0:
        return draw(arrays(rows, 1))[0]
    return RadicalArray.from_fractions([[draw(fractions())] for _ in range(rows)])


def entries(x: RadicalArray | Shared) -> list[SqrtNumber]:
    return [row[0] for row in full(x).to_scalars()]


@given(st.data())
@settings(max_examples=120, deadline=None)
def test_block_add_equals_the_sum_of_every_entry(data):
    rows, width = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    h = ColumnArray([data.draw(columns(rows)) for _ in range(width)])
    written = np.array(data.draw(st.permutations(range(width)))[: data.draw(st.integers(1, width))])
    values = [[data.draw(fractions()) for _ in written] for _ in range(rows)]
    zero = [data.draw(st.integers(0, 3)) == 0 for _ in written]  # whole columns of zeros
    values = [[Fraction(0) if zero[j] else row[j] for j in range(len(written))] for row in values]
    if data.draw(st.booleans()):
        delta = RadicalArray.from_fractions(values)
    else:  # with square roots: no block add
        delta = data.draw(arrays(rows, len(written)))[0]
        zero = [not np.any(delta.num[:, :, j] != 0) for j in range(len(written))]
    before = [entries(column) for column in h.columns]
    added = delta.to_scalars()
    got = h.add_to_columns(written, delta)
    assert [entries(column) for column in h.columns] == before and delta.to_scalars() == added  # unchanged
    for c in range(width):
        column = got.columns[c]
        if c not in written.tolist() or zero[written.tolist().index(c)]:
            assert column is h.columns[c]
            continue
        j = written.tolist().index(c)
        assert entries(column) == [a + row[j] for a, row in zip(before[c], added, strict=True)]
        assert_array_canonical(column)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_block_add_keeps_shared_columns_shared(data):
    block, copies, width = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 3)), 3
    words = [data.draw(columns(block)) for _ in range(width)]
    h = ColumnArray(
        [
            Shared(words[0], copies),
            Shared(words[1], copies),
            words[2].take_rows(np.tile(np.arange(block), copies)),
        ]
    )
    values = RadicalArray.from_fractions(
        [[data.draw(fractions()) for _ in range(width)] for _ in range(block)]
    )
    got = h.add_to_columns(np.arange(width), Shared(values, copies))
    added = values.to_scalars()
    for c in range(width):
        if not np.any(values.num[:, :, c] != 0):
            assert got.columns[c] is h.columns[c]
            continue
        assert isinstance(got.columns[c], Shared) == (c < 2)
        expected = [a + added[i % block][c] for i, a in enumerate(entries(h.columns[c]))]
        assert entries(got.columns[c]) == expected


def rational(num: list[int], den: list[int]) -> RadicalArray:
    return RadicalArray.from_fractions([[Fraction(n, d)] for n, d in zip(num, den, strict=True)])


def test_block_add_stops_where_the_int64_bound_is_reached():
    # n + m d with max|n| + max|m| max d = 2^62 exactly: not proved below 2^62, so no block result
    column, delta = rational([2**61, 1], [1, 1]), rational([2**61, 0], [1, 1])
    assert add_rational_columns([column], delta, np.array([0])) == [None]
    # one less: proved, and exact
    column = rational([2**61 - 1, 1], [1, 1])
    (total,) = add_rational_columns([column], delta, np.array([0]))
    assert entries(total) == [SqrtNumber(2**62 - 1), SqrtNumber(1)]
    # products of denominators: 2^31 * 2^31 = 2^62 is refused, 2^31 * (2^31 - 1) is not
    column, delta = rational([1], [2**31]), rational([1], [2**31])
    assert add_rational_columns([column], delta, np.array([0])) == [None]
    delta = rational([1], [2**31 - 1])
    (total,) = add_rational_columns([column], delta, np.array([0]))
    assert entries(total) == [SqrtNumber(Fraction(1, 2**31) + Fraction(1, 2**31 - 1))]


def test_block_add_leaves_square_root_columns_to_the_caller():
    roots = RadicalArray.from_scalars([[SqrtNumber.sqrt_of(2)], [SqrtNumber(1)]])
    plain = rational([1, 3], [2, 4])
    sums = add_rational_columns([roots, plain], rational([1, 1], [2, 2]), np.array([0, 0]))
    assert sums[0] is None
    assert entries(sums[1]) == [SqrtNumber(1), SqrtNumber(Fraction(5, 4))]


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_split_equals_taking_each_column(data):
    rows, width = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    if data.draw(st.booleans()):
        x = data.draw(arrays(rows, width))[0]
    else:
        x = RadicalArray.from_fractions([[data.draw(fractions()) for _ in range(width)] for _ in range(rows)])
    before = x.to_scalars()
    split = ColumnArray.split(x)
    assert x.to_scalars() == before  # split works on its own copy
    for c in range(width):
        assert split.columns[c].same_as(x.take_cols([c]))
        assert_array_canonical(split.columns[c])


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_from_entries_equals_dense_rows(data):
    rows, width = data.draw(st.integers(0, 5)), data.draw(st.integers(1, 5))
    pool = data.draw(st.lists(st.one_of(fractions(), st.integers(-3, 3)), min_size=1, max_size=4))
    dense = [[Fraction(0)] * width for _ in range(rows)]
    owner, cols, values = [], [], []
    for i in range(rows):
        for c in range(width):
            if data.draw(st.booleans()):
                value = pool[data.draw(st.integers(0, len(pool) - 1))]  # the same object, again and again
                owner.append(i), cols.append(c), values.append(value)
                dense[i][c] = Fraction(value)
    table = ColumnArray.from_entries(
        rows, width, np.array(owner, dtype=np.intp), np.array(cols, dtype=np.intp), values
    )
    assert table.shape == (rows, width)
    for c in range(width):
        assert entries(table.columns[c]) == [SqrtNumber(row[c]) for row in dense]
        assert_array_canonical(table.columns[c])


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_a_batch_embedding_shares_exactly_the_columns_equal_in_every_word(data):
    kinds, width = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    values = [
        [
            data.draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(3), Fraction(2**70, 3)]))
            for _ in range(width)
        ]
        for _ in range(kinds)
    ]
    block, copies = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    tokens = np.array([data.draw(st.integers(0, kinds - 1)) for _ in range(block * copies)])
    h = ColumnArray.split(RadicalArray.from_fractions(values)).take_rows(tokens, block)
    for c in range(width):
        column = [values[k][c] for k in tokens]
        same = all(column[i] == column[i % block] for i in range(len(column)))
        assert isinstance(h.columns[c], Shared) == same
        assert entries(h.columns[c]) == [SqrtNumber(x) for x in column]


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_taking_shared_and_written_columns_together_equals_writing_each_out(data):
    block, copies, width = (
        data.draw(st.integers(1, 4)),
        data.draw(st.integers(2, 3)),
        data.draw(st.integers(2, 5)),
    )
    stacked = np.tile(np.arange(block), copies)
    parts = []
    for _ in range(width):
        column = data.draw(columns(block))
        parts.append(Shared(column, copies) if data.draw(st.booleans()) else column.take_rows(stacked))
    picked = data.draw(st.permutations(range(width)))[: data.draw(st.integers(1, width))]
    got = ColumnArray(parts).take(picked)
    assert got.to_scalars() == [[entries(parts[c])[i] for c in picked] for i in range(block * copies)]
    assert_array_canonical(got)
    word = data.draw(st.integers(0, copies - 1))  # one word's rows, the shared columns put together once
    rows = ColumnArray(parts).row_reader()(np.arange(word * block, (word + 1) * block))
    assert rows.to_scalars() == [[entries(part)[word * block + i] for part in parts] for i in range(block)]
    assert_array_canonical(rows)


@given(st.lists(st.lists(DENOMINATORS, min_size=3, max_size=3), min_size=1, max_size=5))
@settings(max_examples=100, deadline=None)
def test_common_multiple_is_the_lcm_or_refused(lines):
    dens = np.array([[d % LIMIT or 1 for d in line] for line in lines], dtype=np.int64)
    got = _common_multiple(dens)
    expected = [lcm(*(int(d) for d in dens[:, r])) for r in range(3)]
    if got is None:  # refused only when a step's bound (partial lcm times an entry) reached 2^62
        assert max(expected) * int(dens.max()) >= LIMIT
    else:
        assert got.tolist() == expected


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_same_as_is_entry_equality(data):
    rows = data.draw(st.integers(1, 4))
    first = [[data.draw(fractions())] for _ in range(rows)]
    second = [row if data.draw(st.booleans()) else [data.draw(fractions())] for row in first]
    a, b = RadicalArray.from_fractions(first), RadicalArray.from_fractions(second)
    assert a.same_as(b) == (first == second) == b.same_as(a)
