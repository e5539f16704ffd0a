"""The exact backend's fast paths against the general ones they stand in for, entry by entry:

- column-local adds (`RadicalArray.add_to_columns`, `ColumnArray`) against adding a full-width array;
- the int64 concatenation of rational columns against concatenation through Python ints;
- `rows_equal` by cross-multiplication against the zero test of the difference;
- normalising only the distinct rows of a large repetitive group against normalising every row;
- the sign of a rational array read off its numerators against the sign of each entry;
- a product with a bias added before the one reduction (`matmul(..., bias=...)`) against x W^T + b;
- the means over tie sets of a rational array assembled without a reduction (`segment_means`) against
  the mean of each segment's entries;
- an FFN computed once per distinct input row (`ExactBackend.ffn`) against linear, ReLU, linear on
  every row, and a view's product computed once per class of equal rows against every row's;
- the row classes (numbered in mixed radix for small values, hashed and checked for big ones) against
  entry equality.

Values are rationals with numerators and denominators up to 2^70 (so both the int64 paths and their
Python-int fallbacks run) and arrays with square roots, compared as exact `SqrtNumber`s.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_core_sqrtfield import arrays, assert_array_canonical

from expressivity.backends import exact
from expressivity.backends.base import CompiledMatrix
from expressivity.backends.exact import ExactBackend, ViewParts, _normalise_distinct_rows
from expressivity.backends.exact_means import segment_means
from expressivity.numbers import RadicalArray
from expressivity.numbers.column_array import ColumnArray, Shared, full
from expressivity.numbers.sqrtfield import SqrtNumber

SIZES = st.sampled_from([1, 3, 12, 2**20, 2**40, 2**70])


@st.composite
def rationals(draw) -> Fraction:
    size = draw(SIZES)
    return Fraction(draw(st.integers(-size, size)), draw(st.integers(1, draw(SIZES))))


def fraction_rows(rows: int, cols: int) -> st.SearchStrategy[list[list[Fraction]]]:
    return st.lists(st.lists(rationals(), min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def rational_arrays(draw, rows: int, cols: int) -> RadicalArray:
    return RadicalArray.from_fractions(draw(fraction_rows(rows, cols)))


def general_concat(parts: list[RadicalArray]) -> RadicalArray:
    """concat_cols through Python-int numerators (the path the int64 one replaces)."""
    return RadicalArray.concat_cols(
        [RadicalArray(p.num.astype(object), p.rad, p.den.astype(object), canonical=True) for p in parts]
    )


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_add_to_columns_equals_a_full_width_add(data):
    rows, width = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    if data.draw(st.booleans()):
        h = data.draw(arrays(rows, width))[0]  # with square roots: the general path
    else:
        h = data.draw(rational_arrays(rows, width))
    columns = np.array(data.draw(st.permutations(range(width)))[: data.draw(st.integers(1, width))])
    delta = data.draw(rational_arrays(rows, len(columns)))
    padded = np.zeros((rows, width), dtype=object)
    padded[:, columns] = delta.num[0]
    expected = (h + RadicalArray.from_integers(padded, delta.den)).to_scalars()
    assert h.add_to_columns(columns, delta).to_scalars() == expected
    assert ColumnArray.split(h).add_to_columns(columns, delta).whole().to_scalars() == expected


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_rational_concat_equals_the_python_int_concat(data):
    rows, count = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    parts = [data.draw(rational_arrays(rows, data.draw(st.integers(1, 3)))) for _ in range(count)]
    fast = RadicalArray.concat_cols(parts)
    assert fast.to_scalars() == general_concat(parts).to_scalars()
    for i in range(rows):  # still canonical: every row reduced
        assert gcd(int(fast.den[i]), *(int(x) for x in fast.num[:, i].ravel())) == 1


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_rows_equal_by_cross_multiplication(data):
    rows, cols = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 3))
    first, other = data.draw(fraction_rows(rows, cols)), data.draw(fraction_rows(rows, cols))
    copied = [data.draw(st.booleans()) for _ in range(rows)]
    second = [first[i] if copied[i] else other[i] for i in range(rows)]
    expected = [first[i] == second[i] for i in range(rows)]
    got = RadicalArray.from_fractions(first).rows_equal(RadicalArray.from_fractions(second))
    assert got.tolist() == expected
    assert all(expected[i] for i in range(rows) if copied[i])


@given(st.data())
@settings(max_examples=15, deadline=None)
def test_normalising_distinct_rows_equals_normalising_every_row(data):
    distinct = data.draw(rational_arrays(data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4))))
    picks = st.lists(st.integers(0, distinct.shape[0] - 1), min_size=1100, max_size=1100)
    order = np.array(data.draw(picks))
    centre = data.draw(st.booleans())
    got, classes = _normalise_distinct_rows(distinct.take_rows(order), centre)
    assert got.shape == (len(order), distinct.shape[1])
    assert got.rows_equal(distinct.normalise(centre=centre).take_rows(order)).all()
    if classes is not None:  # a row of each class, each row's class: the classes group got's rows
        first, inverse = classes
        assert got.rows_equal(got.take_rows(first).take_rows(inverse)).all()


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_rational_sign_is_the_sign_of_each_entry(data):
    rows, width = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    x = data.draw(rational_arrays(rows, width))
    if data.draw(st.booleans()):  # Python-int numerators: the object-array path of the same shortcut
        x = RadicalArray(x.num.astype(object), x.rad, x.den.astype(object), canonical=True)
    assert x.sign().tolist() == [[entry.sign() for entry in row] for row in x.to_scalars()]


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_product_with_bias_equals_the_entrywise_sum(data):
    rows, width, out = (
        data.draw(st.integers(1, 4)),
        data.draw(st.integers(1, 4)),
        data.draw(st.integers(1, 4)),
    )
    if data.draw(st.booleans()):
        x = data.draw(arrays(rows, width))[0]  # with square roots
    else:
        x = data.draw(rational_arrays(rows, width))
    size = data.draw(SIZES)
    weights = np.array(
        [[data.draw(st.integers(-size, size)) for _ in range(width)] for _ in range(out)], dtype=object
    )
    weights_den = data.draw(st.integers(1, data.draw(SIZES)))
    bias = [data.draw(rationals()) for _ in range(out)]
    bias_den = lcm(1, *(b.denominator for b in bias))
    bias_num = np.array([b.numerator * (bias_den // b.denominator) for b in bias], dtype=object)
    got = x.matmul(weights, weights_den, bias=(bias_num, bias_den))
    entries = x.to_scalars()
    expected = [
        [
            sum(
                (entries[i][j] * SqrtNumber(Fraction(int(weights[k, j]), weights_den)) for j in range(width)),
                SqrtNumber(bias[k]),
            )
            for k in range(out)
        ]
        for i in range(rows)
    ]
    assert got.to_scalars() == expected
    assert got.same_as(x.matmul(weights, weights_den).add_row_vector(bias_num, bias_den))


def compiled_matrices(out: int, width: int) -> st.SearchStrategy[CompiledMatrix]:
    return fraction_rows(out, width).map(lambda rows: CompiledMatrix.of(rows, width))


@st.composite
def repetitive_parts(draw, rows: int, block: int):
    """An FFN input with `rows` rows drawn from a few distinct ones: one array or a view of two parts,
    each part rational, with square roots, or `Shared` (the same in every word of `block` positions)."""
    parts = []
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 2))):
        width, kind = draw(st.integers(1, 3)), draw(st.sampled_from(["rational", "roots", "shared"]))
        if kind == "roots":
            pool = draw(arrays(draw(st.integers(1, 3)), width))[0]
        else:
            pool = draw(rational_arrays(draw(st.integers(1, 4)), width))
        if kind == "shared":
            parts.append(Shared(pool.take_rows(rng.integers(0, pool.shape[0], block)), rows // block))
        else:
            parts.append(pool.take_rows(rng.integers(0, pool.shape[0], rows)))
    return parts


@given(st.data())
@settings(max_examples=30, deadline=None)
def test_ffn_once_per_distinct_row_equals_every_row(data):
    rows = data.draw(st.sampled_from([64, 256, 320]))
    parts = data.draw(repetitive_parts(rows, data.draw(st.sampled_from([16, 32]))))
    z = parts[0] if len(parts) == 1 else ViewParts(tuple(parts))
    width, hidden, out = sum(part.shape[1] for part in parts), data.draw(st.integers(1, 4)), 2
    w1, w2 = data.draw(compiled_matrices(hidden, width)), data.draw(compiled_matrices(out, hidden))
    b1 = CompiledMatrix.bias(data.draw(st.lists(rationals(), min_size=hidden, max_size=hidden)))
    b2 = CompiledMatrix.bias(data.draw(st.lists(rationals(), min_size=out, max_size=out)))
    dense_keys = data.draw(st.sampled_from([exact._DENSE_KEYS, 1]))  # 1: class tuples renumbered by sorting
    with patch.object(exact, "_DENSE_KEYS", dense_keys):
        got = full(ExactBackend().ffn(z, w1, b1, w2, b2))
    values = RadicalArray.concat_cols([full(part) for part in parts]) if len(parts) > 1 else full(parts[0])
    backend = ExactBackend()
    expected = backend.linear(backend.relu(backend.linear(values, w1, b1)), w2, b2)
    assert got.same_as(expected)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_rational_segment_means_equal_the_mean_of_each_segment(data):
    rows, width = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 3))
    pool = data.draw(rational_arrays(data.draw(st.integers(1, 3)), width))
    v = pool.take_rows(
        np.array(data.draw(st.lists(st.integers(0, pool.shape[0] - 1), min_size=rows, max_size=rows)))
    )
    segments = data.draw(st.lists(st.sets(st.integers(0, rows - 1)), min_size=1, max_size=6))
    indptr = np.cumsum([0] + [len(segment) for segment in segments])
    indices = np.array([j for segment in segments for j in sorted(segment)], dtype=np.int64)
    entries = v.to_scalars()
    expected = [
        [
            sum((entries[j][c] for j in segment), SqrtNumber(0))
            * SqrtNumber(Fraction(1, max(len(segment), 1)))
            for c in range(width)
        ]
        for segment in segments
    ]
    means = segment_means(v, indptr, indices)
    assert means.to_scalars() == expected
    assert_array_canonical(means)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_row_classes_group_exactly_the_equal_rows(data):
    # few distinct small values: numbered in mixed radix (no sort); big ones: hashed and checked
    pool = data.draw(rational_arrays(data.draw(st.integers(1, 5)), data.draw(st.integers(1, 3))))
    rows = np.array(data.draw(st.lists(st.integers(0, pool.shape[0] - 1), min_size=1, max_size=40)))
    x = pool.take_rows(rows)
    classes = exact._rational_row_classes(x)
    if x.num.dtype != np.int64 or x.small_den() is None:
        assert classes is None
        return
    first, inverse = classes
    entries = x.to_scalars()
    for i in range(len(rows)):
        assert entries[first[inverse[i]]] == entries[i]
        for j in range(len(rows)):
            assert (inverse[i] == inverse[j]) == (entries[i] == entries[j])


@given(st.data())
@settings(max_examples=20, deadline=None)
def test_a_product_once_per_class_of_rows_equals_the_product_of_every_row(data):
    distinct = data.draw(rational_arrays(data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))))
    order = np.array(data.draw(st.lists(st.integers(0, distinct.shape[0] - 1), min_size=1100, max_size=1100)))
    weights = data.draw(compiled_matrices(data.draw(st.integers(1, 3)), distinct.shape[1]))
    backend = ExactBackend()
    z = backend.view(ColumnArray.split(distinct.take_rows(order)), [np.arange(distinct.shape[1])], True)
    if distinct.num.dtype == np.int64 and distinct.small_den() is not None:  # the classes the product goes by
        assert backend._row_classes[z] is not None
    got = backend.linear(z, weights, None)
    assert got.same_as(z.matmul(weights.compact, weights.den, weights.largest))
