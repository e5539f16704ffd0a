"""Rational RadicalArrays keep int64 numerators below 2^62 and fall back to Python ints beyond: every
operation must give the same exact values as Fraction arithmetic on both sides of that boundary."""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from expressivity.numbers import RadicalArray

EDGE = [2**61, 2**62 - 1, 2**62, 2**62 + 1, 2**63 - 1, 2**63, 2**64 + 3, 3**40]
entries = st.one_of(
    st.integers(-5, 5),
    st.sampled_from(EDGE).flatmap(lambda e: st.sampled_from([e, -e])),
    st.fractions(max_denominator=7),
    st.sampled_from(EDGE).map(lambda e: Fraction(1, e)),
)
matrices = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 3).flatmap(
        lambda cols: st.lists(st.lists(entries, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    )
)


def values(x: RadicalArray) -> list[list[Fraction]]:
    out = []
    for row in x.to_scalars():
        assert all(set(v.terms) <= {1} for v in row)
        out.append([v.terms.get(1, Fraction(0)) for v in row])
    return out


@given(matrices, st.data())
def test_arithmetic_is_exact_across_the_int64_boundary(rows, data):
    other = data.draw(
        st.lists(
            st.lists(entries, min_size=len(rows[0]), max_size=len(rows[0])),
            min_size=len(rows),
            max_size=len(rows),
        )
    )
    a, b = RadicalArray.from_fractions(rows), RadicalArray.from_fractions(other)
    fa = [[Fraction(v) for v in r] for r in rows]
    fb = [[Fraction(v) for v in r] for r in other]
    assert values(a) == fa
    assert values(a + b) == [[x + y for x, y in zip(r, s, strict=True)] for r, s in zip(fa, fb, strict=True)]
    assert values(a * b) == [[x * y for x, y in zip(r, s, strict=True)] for r, s in zip(fa, fb, strict=True)]
    assert values(a - b) == [[x - y for x, y in zip(r, s, strict=True)] for r, s in zip(fa, fb, strict=True)]
    assert values(a.sum_cols()) == [[sum(r)] for r in fa]
    weights = data.draw(
        st.lists(
            st.lists(
                st.sampled_from([0, 1, -1, 2**40, -(2**62)]), min_size=len(rows[0]), max_size=len(rows[0])
            ),
            min_size=1,
            max_size=3,
        )
    )
    product = a.matmul(np.array(weights, dtype=object), 3)
    assert values(product) == [
        [sum(x * w for x, w in zip(r, wr, strict=True)) / 3 for wr in weights] for r in fa
    ]
    bias = data.draw(
        st.lists(st.sampled_from([0, 5, 2**62, -(2**63)]), min_size=len(rows[0]), max_size=len(rows[0]))
    )
    shifted = a.add_row_vector(np.array(bias, dtype=object), 7)
    assert values(shifted) == [[x + Fraction(c, 7) for x, c in zip(r, bias, strict=True)] for r in fa]


@given(st.lists(st.sampled_from([3, 4, 2**61, 2**62 + 2, 3 * 2**40]), min_size=1, max_size=6))
def test_normalise_of_pythagorean_rows_is_rational_and_exact(scales):
    """(3s, 4s) has norm 5s: the rms normalisation is (3/5, 4/5) whatever the scale, int64 or not."""
    x = RadicalArray.from_fractions([[3 * s, 4 * s] for s in scales]).normalise(centre=False)
    assert values(x) == [[Fraction(3, 5), Fraction(4, 5)]] * len(scales)
