"""Regression tests for the exact backend's hard cases (issue: never wrong, never stuck): each
reproducer model of `exact_cases` must give the exact answer, worked out here with sympy, or the named
error. The old code paths gave wrong answers (cases 1, 2) or ran for minutes to hours (cases 3-5); the
time each case takes now is reported by benchmarks/exact_backend.py, not asserted."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from exact_cases import (
    big_norm_model,
    cancelling_cross_terms_model,
    near_tie_model,
    radical_cells_model,
    root_sum_model,
    tiny_term_constants,
    tiny_term_model,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from test_core_bruteforce import sqrt_number_to_sympy

from expressivity import run
from expressivity.backends import SimulationError
from expressivity.numbers import RadicalArray, SqrtNumber


def exactly(value, expected) -> bool:
    return sp.expand(sqrt_number_to_sympy(value) - expected) == 0


# Case 1: int64 wrap in the cross-term check.
@pytest.mark.parametrize(("a", "b"), [(2**32, 2**31), (2**40, 3), (3, 5)])
def test_irrational_squared_norm_stops_with_the_nested_radical_error(a, b):
    with pytest.raises(SimulationError, match="squared norm is irrational"):
        run(radical_cells_model(a, b), "a")


@pytest.mark.parametrize("a", [2**20, 2**29, 2**40])
def test_cancelling_cross_terms_are_a_valid_group(a):
    trace = run(cancelling_cross_terms_model(a), "a")
    x = 1 + sp.sqrt(6)
    y = sp.sqrt(2) - sp.sqrt(3)
    norm = 2 * sp.sqrt(6)  # sqrt(24 a^2) / a
    for label, cell in (("out_x", x), ("out_y", y), ("out_-x", -x), ("out_-y", -y)):
        assert exactly(trace.value(1, label), sp.Max(0, cell / norm))


# Case 2: the float shadow's absolute (underflow) error.
@pytest.mark.parametrize("p", [10**30, 10**30 + 7, 3 * 10**29])
@pytest.mark.parametrize("weight", [Fraction(1, 10**262), Fraction(3, 10**263)])
def test_subnormal_times_large_root_decides_relu_and_ties_exactly(p, weight):
    below, above = tiny_term_constants(p, 45)
    for c, positive in ((below, True), (above, False)):
        trace = run(tiny_term_model(weight, p, c), "ba")
        x = sp.Rational(weight.numerator, weight.denominator) * (
            1 / sp.sqrt(p * p + 1) - sp.Rational(c.numerator, c.denominator)
        )
        assert (sp.N(x, 80) > 0) == positive
        assert exactly(trace.value(2, "relu"), x if positive else 0)
        assert trace.tie_set("prefix.layer0.attention", "pick", 2) == ([2] if positive else [0, 1])
        assert exactly(trace.value(2, "seen"), 1 if positive else 0)


EDGE_MAGNITUDES = st.sampled_from([1, 10**-262, 10**-300, 10**-320, 10**150, 10**300, 10**308, 10**310])
EDGE_RADICANDS = st.sampled_from([2, 3, 10**60 + 1, 10**300 + 7, 2**1030 + 1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-(10**6), 10**6), EDGE_MAGNITUDES, EDGE_RADICANDS), min_size=1, max_size=3)
)
def test_float_shadow_bound_holds_at_the_edges_of_the_float_range(terms):
    """|shadow - exact| <= bound for terms n * m * sqrt(r) with m from 10^-320 to 10^310 and r up to
    2^1030 (subnormal ratios, huge roots, overflow); the exact value by sympy at 400 digits."""
    value = SqrtNumber(0)
    mirror = sp.S(0)
    for n, m, r in terms:
        q = Fraction(n) * Fraction(m)
        value = value + SqrtNumber(q) * SqrtNumber.sqrt_of(r)
        mirror += sp.Rational(q.numerator, q.denominator) * sp.sqrt(r)
    shadow, bound = RadicalArray.from_scalars([[value]]).to_float()
    if not np.isfinite(shadow[0, 0]) or not np.isfinite(bound[0, 0]):
        assert bound[0, 0] == np.inf
        return
    error = abs(sp.Float(float(shadow[0, 0]), 400) - sp.N(mirror, 400))
    assert error <= sp.Float(float(bound[0, 0]), 400)


# Case 3: near ties are found with O(N) exact comparisons per row.
def test_near_ties_pick_the_exact_maximum():
    size = 41
    trace = run(near_tie_model(), "a" * (size - 1))
    for i in range(size):
        assert trace.tie_set("prefix.layer1.attention", "near-tie", i) == [i]


# Case 4: a loop that accumulates square roots.
def test_loop_accumulating_square_roots():
    loops = 40
    trace = run(root_sum_model(loops), "a")
    expected = sum((1 / sp.sqrt(1 + t * t) for t in range(loops)), sp.S(0))
    for position in (0, 1):
        assert exactly(trace.value(position, "acc"), expected)


# Case 5: no integer factoring.
@pytest.mark.parametrize(
    "p",
    [
        Fraction(10**85 + 1),  # squared norm 10^170 + 2 10^85 + 2: 171 digits
        Fraction(1, 10**60),  # a model file cell 1e-60: squared norm (1 + 10^120) / 10^120
        Fraction(2**100 + 277, 3**40),
    ],
)
def test_big_squared_norms_need_no_factoring(p):
    trace = run(big_norm_model(p), "a")
    expected = 1 / sp.sqrt(sp.Rational(p.numerator, p.denominator) ** 2 + 1)
    assert exactly(trace.value(1, "out"), expected)


def test_semiprime_squared_norm():
    """The rms group (a/b, 1) with a + b i = (1 + x i)(1 + y i): its squared norm numerator
    a^2 + b^2 = (1 + x^2)(1 + y^2) is a 61-digit product of two primes."""
    first, second = (1, 10**15 + 134), (1, 10**15 + 200)
    assert all(sp.isprime(1 + x * x) for _, x in (first, second))
    a = first[0] * second[0] - first[1] * second[1]
    b = first[0] * second[1] + first[1] * second[0]
    trace = run(big_norm_model(Fraction(a, b)), "a")
    assert exactly(trace.value(1, "out"), b / sp.sqrt(sp.Integer(a * a + b * b)))
