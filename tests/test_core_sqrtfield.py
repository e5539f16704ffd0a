"""SqrtNumber and RadicalArray (the numbers of the exact backend) against sympy, and radical_class
against factorisation."""

from __future__ import annotations

from fractions import Fraction
from math import gcd, isqrt

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from expressivity.numbers import RadicalArray, SqrtNumber, radical_class
from expressivity.numbers.radical_array import NestedRadicalError


def to_sympy(x: SqrtNumber) -> sp.Expr:
    return sp.expand(
        sum((sp.Rational(q.numerator, q.denominator) * sp.sqrt(r) for r, q in x.terms.items()), sp.S(0))
    )


def same(x: SqrtNumber, y: sp.Expr) -> bool:
    return sp.expand(to_sympy(x) - y) == 0


def sympy_sign(y: sp.Expr) -> int:
    y = sp.expand(y)
    if y == 0:
        return 0
    value = sp.N(y, 120)
    assert abs(value) > sp.Float("1e-100", 120)
    return 1 if value > 0 else -1


def is_representative(r: int) -> bool:
    """r represents its square class (radicands.py: the member the process met first, so not always
    square-free; 1 for the rationals)."""
    return r >= 1 and radical_class(r) == (r, 1, 1)


def assert_canonical(x: SqrtNumber) -> None:
    for r, q in x.terms.items():
        assert is_representative(r), x
        assert q != 0, x


RATIONALS = st.fractions(min_value=-60, max_value=60, max_denominator=60)


SMALL_INTEGERS = st.integers(1, 40)
RADICANDS = st.sampled_from([2, 3, 5, 6, 7, 8, 12, 18, 50])


@st.composite
def elements(draw, radicands=SMALL_INTEGERS) -> tuple[SqrtNumber, sp.Expr]:
    """x = sum of 0-3 terms q * sqrt(r) for any small positive integers r, with its sympy mirror."""
    x, y = SqrtNumber(0), sp.S(0)
    for q, r in draw(st.lists(st.tuples(RATIONALS, radicands), max_size=3)):
        x = x + SqrtNumber(q) * SqrtNumber.sqrt_of(r)
        y = y + sp.Rational(q.numerator, q.denominator) * sp.sqrt(r)
    return x, sp.expand(y)


# ---------------------------------------------------------------------------------------------------
# SqrtNumber.


@given(elements(), elements())
def test_arithmetic_agrees_with_sympy(a, b):
    (x, xs), (y, ys) = a, b
    assert same(x, xs) and same(y, ys)
    for result, expected in [
        (x + y, xs + ys),
        (x - y, xs - ys),
        (x * y, xs * ys),
        (-x, -xs),
        (x * 3, 3 * xs),
    ]:
        assert_canonical(result)
        assert same(result, expected)


@given(elements(), elements())
def test_sign_equality_and_order_agree_with_sympy(a, b):
    (x, xs), (y, ys) = a, b
    assert x.sign() == sympy_sign(xs)
    assert (x == y) == (sp.expand(xs - ys) == 0)
    assert (x < y) == (sympy_sign(xs - ys) < 0)
    assert (x >= y) == (sympy_sign(xs - ys) >= 0)
    assert (x - x).sign() == 0 and x - x == 0


def pell(count: int) -> list[tuple[int, int]]:
    """Convergents p/q of sqrt 2 (p^2 - 2 q^2 = +-1): 1/1, 3/2, 7/5, 17/12, ..."""
    p, q, out = 1, 1, []
    for _ in range(count):
        out.append((p, q))
        p, q = p + 2 * q, p + q
    return out


@pytest.mark.parametrize(("p", "q"), pell(120))
def test_sign_of_near_cancellation_q_sqrt2_minus_p(p, q):
    """|q sqrt 2 - p| = 1/(q sqrt 2 + p): about 10^-90 for the last ones. sign(q sqrt 2 - p) is the sign
    of 2q^2 - p^2, an integer."""
    x = SqrtNumber(q) * SqrtNumber.sqrt_of(2) - p
    expected = 1 if 2 * q * q - p * p > 0 else -1
    assert x.sign() == expected
    assert (x * x).sign() == 1
    assert x != 0


def test_named_near_cancellations():
    assert (SqrtNumber(665857) * SqrtNumber.sqrt_of(2) - 941664).sign() == 1  # 941664^2 = 2*665857^2 - 2
    assert (SqrtNumber(470832) * SqrtNumber.sqrt_of(2) - 665857).sign() == -1  # 665857^2 = 2*470832^2 + 1
    # sqrt 2 + sqrt 3 - 3.146264369941972...: a different field element, sign from sympy at 120 digits.
    close = Fraction(3146264369941972, 10**15)
    x = SqrtNumber.sqrt_of(2) + SqrtNumber.sqrt_of(3) - close
    assert x.sign() == sympy_sign(sp.sqrt(2) + sp.sqrt(3) - sp.Rational(close.numerator, close.denominator))


def test_zero_is_decided_exactly():
    root2, root3 = SqrtNumber.sqrt_of(2), SqrtNumber.sqrt_of(3)
    assert SqrtNumber.sqrt_of(8) - root2 * 2 == 0
    assert (root2 + root3) * (root2 + root3) - 5 - SqrtNumber.sqrt_of(6) * 2 == 0
    assert SqrtNumber.sqrt_of(Fraction(3, 8)) == SqrtNumber.sqrt_of(6) * Fraction(1, 4)
    assert (SqrtNumber.sqrt_of(6) - root2 * root3).sign() == 0
    assert SqrtNumber.sqrt_of(2) != Fraction(1414213562373095, 10**15)
    assert SqrtNumber.sqrt_of(0) == 0
    # Terms given with radicands that are not square-free are put in canonical form.
    assert SqrtNumber({8: Fraction(1)}) == root2 * 2
    assert SqrtNumber({12: Fraction(1), 3: Fraction(-2)}) == 0
    assert SqrtNumber({4: Fraction(3), 1: Fraction(-6)}).sign() == 0
    with pytest.raises(ValueError):
        SqrtNumber.sqrt_of(-1)


@given(st.fractions(min_value=0, max_value=10**6, max_denominator=10**6))
def test_sqrt_of_squares_back(q):
    root = SqrtNumber.sqrt_of(q)
    assert root * root == q
    assert root.sign() == (1 if q else 0)
    assert same(root, sp.sqrt(sp.Rational(q.numerator, q.denominator)))


# ---------------------------------------------------------------------------------------------------
# radical_class: square classes without factoring.


@given(st.integers(1, 10**15))
def test_radical_class_is_the_square_class(n):
    rep, a, b = radical_class(n)
    assert a * a * rep == b * b * n  # sqrt(n) = (a/b) sqrt(rep): rep is in n's square class
    assert is_representative(rep)


@given(st.integers(1, 10**6), st.integers(1, 10**4), st.integers(1, 10**4))
def test_one_class_one_representative(n, s1, s2):
    assert radical_class(n * s1 * s1)[0] == radical_class(n * s2 * s2)[0]


@pytest.mark.parametrize(("n", "kernel"), [(1, 1), (8, 2), (12, 3), (49, 1), (360, 10)])
def test_radical_class_by_hand(n, kernel):
    # sqrt(n) = (a/b) sqrt(rep) with rep = kernel * t^2 (t = 1 unless the process met kernel * t^2 first)
    rep, a, b = radical_class(n)
    assert a * a * rep == b * b * n
    assert rep % kernel == 0 and isqrt(rep // kernel) ** 2 == rep // kernel


@given(
    st.integers(1, 10**6),
    st.integers(1, 10**4),
    st.sampled_from([2**31 - 1, 2**61 - 1, 1_000_003 * 1_000_033]),
    st.booleans(),
)
def test_one_representative_across_the_trial_division_limit(n, small, large, large_first):
    # n small^2 is split by trial division (below 2^40), n large^2 goes the gcd route; in either order
    # they must get the same representative.
    pair = [n * small * small, n * large * large]
    for m in pair[::-1] if large_first else pair:
        rep, a, b = radical_class(m)
        assert a * a * rep == b * b * m
    assert radical_class(pair[0])[0] == radical_class(pair[1])[0]


def test_radical_class_large_primes_share_a_class():
    # 3 p^2 with p = 2^61 - 1 (a square no small prime removes) and 3 are one class, in either order.
    p = 2**61 - 1
    rep, a, b = radical_class(3 * p * p)
    assert (rep, a, b) == radical_class(3 * p * p)
    assert radical_class(3)[0] == rep


def test_radical_class_rejects_non_positive():
    for n in (0, -4):
        with pytest.raises(ValueError):
            radical_class(n)


# ---------------------------------------------------------------------------------------------------
# RadicalArray.


@st.composite
def arrays(draw, rows=None, cols=None, radicands=RADICANDS):
    """A small array whose rows each use 0-2 radicands (shared by the row, as in the simulator), given
    as SqrtNumbers and as sympy."""
    rows = draw(st.integers(1, 4)) if rows is None else rows
    cols = draw(st.integers(1, 4)) if cols is None else cols
    scalars, mirror = [], []
    for _ in range(rows):
        roots = [1, *draw(st.lists(radicands, max_size=2))]
        row, row_mirror = [], []
        for _ in range(cols):
            x, y = SqrtNumber(0), sp.S(0)
            for r in roots:
                q = draw(RATIONALS)
                x = x + SqrtNumber(q) * SqrtNumber.sqrt_of(r)
                y = y + sp.Rational(q.numerator, q.denominator) * sp.sqrt(r)
            row.append(x)
            row_mirror.append(sp.expand(y))
        scalars.append(row)
        mirror.append(row_mirror)
    return RadicalArray.from_scalars(scalars), mirror


def assert_array_canonical(a: RadicalArray) -> None:
    """Slot 0 rational; other radicands > 1, distinct in a row and each its square class's
    representative (radicands.py: not claimed square-free, so nothing is factored here); 0 = unused,
    with zero numerators; positive denominators sharing no factor with all of a row's numerators."""
    rows, _ = a.shape
    assert all(a.rad[0, i] == 1 for i in range(rows))
    for i in range(rows):
        used = [int(a.rad[t, i]) for t in range(1, a.slots) if a.rad[t, i] != 0]
        assert len(used) == len(set(used)) and all(r > 1 and is_representative(r) for r in used)
        for t in range(1, a.slots):
            if a.rad[t, i] == 0:
                assert not np.any(a.num[t, i] != 0)
        assert a.den[i] >= 1
        assert gcd(int(a.den[i]), *(int(x) for x in a.num[:, i].ravel())) == 1


def assert_equals(a: RadicalArray, mirror: list[list[sp.Expr]]) -> None:
    assert_array_canonical(a)
    assert a.shape == (len(mirror), len(mirror[0]))
    for i, row in enumerate(mirror):
        for c, y in enumerate(row):
            assert same(a.entry(i, c), y), (i, c, a.entry(i, c), y)


@given(arrays())
def test_array_holds_its_entries(case):
    a, mirror = case
    assert_equals(a, mirror)
    assert a.to_scalars() == RadicalArray.from_scalars(a.to_scalars()).to_scalars()


@given(st.data())
def test_array_arithmetic_agrees_with_sympy(data):
    a, am = data.draw(arrays())
    b, bm = data.draw(arrays(rows=a.shape[0], cols=a.shape[1]))
    rows, cols = a.shape
    assert_equals(a + b, [[x + y for x, y in zip(r, s, strict=True)] for r, s in zip(am, bm, strict=True)])
    assert_equals(a - b, [[x - y for x, y in zip(r, s, strict=True)] for r, s in zip(am, bm, strict=True)])
    assert_equals(
        a * b, [[sp.expand(x * y) for x, y in zip(r, s, strict=True)] for r, s in zip(am, bm, strict=True)]
    )
    assert_equals(-a, [[-x for x in r] for r in am])
    assert_equals(a.sum_cols(), [[sum(r, sp.S(0))] for r in am])
    keep = np.array(
        data.draw(
            st.lists(st.lists(st.booleans(), min_size=cols, max_size=cols), min_size=rows, max_size=rows)
        )
    )
    assert_equals(
        a.where_rows_cols(keep), [[x if keep[i, c] else 0 for c, x in enumerate(r)] for i, r in enumerate(am)]
    )
    order = data.draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=5))
    assert_equals(a.take_rows(np.array(order)), [am[i] for i in order])
    picked = data.draw(st.lists(st.integers(0, cols - 1), min_size=1, max_size=4))
    assert_equals(a.take_cols(picked), [[r[c] for c in picked] for r in am])
    assert_equals(RadicalArray.concat_cols([a, b]), [r + s for r, s in zip(am, bm, strict=True)])
    equal_rows = [
        all(sp.expand(x - y) == 0 for x, y in zip(r, s, strict=True)) for r, s in zip(am, bm, strict=True)
    ]
    assert a.rows_equal(b).tolist() == equal_rows
    assert a.rows_equal(a).all()


@given(st.data())
def test_array_linear_maps_agree_with_sympy(data):
    a, am = data.draw(arrays())
    cols = a.shape[1]
    out = data.draw(st.integers(1, 3))
    weights = data.draw(
        st.lists(st.lists(RATIONALS, min_size=cols, max_size=cols), min_size=out, max_size=out)
    )
    den = 1
    for row in weights:
        for w in row:
            den = den * w.denominator // gcd(den, w.denominator)
    num = np.array([[int(w * den) for w in row] for row in weights], dtype=object)
    expected = [
        [
            sp.expand(
                sum(
                    (sp.Rational(w.numerator, w.denominator) * x for w, x in zip(row, r, strict=True)),
                    sp.S(0),
                )
            )
            for row in weights
        ]
        for r in am
    ]
    assert_equals(a.matmul(num, den), expected)
    bias = data.draw(st.lists(st.integers(-9, 9), min_size=cols, max_size=cols))
    assert_equals(
        a.add_row_vector(np.array(bias, dtype=object), 7),
        [[x + sp.Rational(b, 7) for x, b in zip(r, bias, strict=True)] for r in am],
    )


@given(arrays())
def test_sign_and_zero_agree_with_sympy(case):
    a, mirror = case
    assert a.sign().tolist() == [[sympy_sign(y) for y in row] for row in mirror]
    assert a.is_zero().tolist() == [[sp.expand(y) == 0 for y in row] for row in mirror]


def sympy_normalise(row: list[sp.Expr], centre: bool):
    """N(x) = y/||y||, y = x - mean (or x), N(0) = 0; None when ||y||^2 is irrational."""
    y = [sp.expand(x - sum(row, sp.S(0)) / len(row)) for x in row] if centre else row
    squared = sp.expand(sum((v * v for v in y), sp.S(0)))
    if squared == 0:
        return [sp.S(0)] * len(row)
    if not isinstance(squared, sp.Rational):
        return None
    return [sp.expand(v / sp.sqrt(squared)) for v in y]


@pytest.mark.parametrize("centre", [True, False], ids=["layer", "rms"])
@given(case=arrays())
def test_normalise_agrees_with_sympy(centre, case):
    a, mirror = case
    expected = [sympy_normalise(row, centre) for row in mirror]
    nested = [i for i, row in enumerate(expected) if row is None]
    if nested:
        with pytest.raises(NestedRadicalError) as caught:
            a.normalise(centre=centre)
        assert caught.value.row == nested[0]
    else:
        assert_equals(a.normalise(centre=centre), expected)


def test_normalise_named_examples():
    # (c, 1, -c, -1) with c = 2: phi(2) = (2, 1, -2, -1)/sqrt 10.
    phi = RadicalArray.from_fractions([[2, 1, -2, -1], [0, 0, 0, 0], [3, 3, 3, 3]]).normalise()
    assert_equals(
        phi, [[2 / sp.sqrt(10), 1 / sp.sqrt(10), -2 / sp.sqrt(10), -1 / sp.sqrt(10)], [0] * 4, [0] * 4]
    )
    # An irrational group: (1 + sqrt 2, 0) has ||y||^2 = (3 + 2 sqrt 2)/2 after centring.
    mixed = RadicalArray.from_scalars(
        [[SqrtNumber(1), SqrtNumber(0)], [SqrtNumber(1) + SqrtNumber.sqrt_of(2), SqrtNumber(0)]]
    )
    with pytest.raises(NestedRadicalError) as caught:
        mixed.normalise()
    assert caught.value.row == 1
    # A row of two radicals whose squared norm is still rational: (sqrt 2, sqrt 3) under rms.
    two = RadicalArray.from_scalars([[SqrtNumber.sqrt_of(2), SqrtNumber.sqrt_of(3)]]).normalise(centre=False)
    assert_equals(two, [[sp.sqrt(2) / sp.sqrt(5), sp.sqrt(3) / sp.sqrt(5)]])


def assert_shadow_contains(a: RadicalArray, mirror) -> None:
    value, bound = a.to_float()
    for i, row in enumerate(mirror):
        for c, y in enumerate(row):
            exact = sp.N(y, 50)
            assert abs(sp.Float(float(value[i, c]), 50) - exact) <= sp.Float(float(bound[i, c]), 50), (
                i,
                c,
                y,
            )


@given(arrays())
def test_float_shadow_bound_contains_the_exact_value(case):
    assert_shadow_contains(*case)


@given(st.data())
def test_float_shadow_bound_with_cancellation_and_scale(data):
    """Entries q sqrt 2 - p near 0 (Pell pairs) and entries scaled by 10^-200 .. 10^200."""
    p, q = data.draw(st.sampled_from(pell(40)))
    scale = Fraction(10) ** data.draw(st.integers(-200, 200))
    x = (SqrtNumber(q) * SqrtNumber.sqrt_of(2) - p) * scale
    y = (q * sp.sqrt(2) - p) * sp.Rational(scale.numerator, scale.denominator)
    big = SqrtNumber.sqrt_of(3) * scale + 1
    assert_shadow_contains(
        RadicalArray.from_scalars([[x, big]]),
        [[y, sp.sqrt(3) * sp.Rational(scale.numerator, scale.denominator) + 1]],
    )


def test_sign_beyond_float_range():
    """Terms whose float shadows overflow are still signed exactly: M = 2^1279 - 1 is a (Mersenne) prime
    of 385 digits, so sqrt(M) lies strictly between isqrt(M) and isqrt(M) + 1."""
    prime = 2**1279 - 1
    root = isqrt(prime)
    x = SqrtNumber({prime: Fraction(1)})
    entries = [x, x - root, x - (root + 1), SqrtNumber(10**400) - SqrtNumber(10**400 + 1)]
    assert RadicalArray.from_scalars([entries]).sign().tolist() == [[1, 1, -1, -1]]
    assert [e.sign() for e in entries] == [1, 1, -1, -1]
