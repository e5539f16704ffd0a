"""The exact backend against the independent sympy reference of test_core_bruteforce (which knows
nothing of expressivity.numbers or the backends), on random small models whose weights and embeddings
are stretched entry by entry by factors from 2^-70 to 2^70 and 10^+-40: int64 bounds, float-shadow
underflow and overflow, and big radicands are all exercised, and loops come with the models."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp
import test_core_bruteforce as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressivity import FFN, Head, Layer, Model
from expressivity.strategies import models

FACTORS = st.sampled_from(
    [
        Fraction(1),
        Fraction(1),
        Fraction(2**70 + 1),
        Fraction(1, 2**70),
        Fraction(10**40),
        Fraction(1, 10**40),
        Fraction(2**62 + 3, 3),
    ]
)


def settled_sign(x: sp.Expr) -> int:
    """Sign of a non-zero sum of square roots by evaluation at growing precision (exact zero first)."""
    x = sp.expand(x)
    if x == 0:
        return 0
    digits = 60
    while True:
        value = sp.N(x, digits)
        if abs(value) > sp.Float(10) ** (15 - digits):
            return 1 if value > 0 else -1
        digits *= 2


@st.composite
def stretched_models(draw) -> tuple[Model, str]:
    """A random model of `models()` with every weight matrix entry and embedding value multiplied by
    its own factor (so the run changes: this is not a symmetry of the model)."""
    model, word = draw(models())

    def stretch(rows):
        return [[x * draw(FACTORS) for x in row] for row in rows]

    def layer(old: Layer) -> Layer:
        heads = [
            Head(h.name, h.view, stretch(h.query), stretch(h.key), stretch(h.value), h.writes, h.mask)
            for h in old.heads
        ]
        ffns = [
            FFN(
                f.name,
                f.view,
                stretch(f.w1),
                stretch(f.w2),
                f.writes,
                [b * draw(FACTORS) for b in f.b1],
                f.b2,
            )
            for f in old.ffns
        ]
        return Layer(heads, ffns)

    embedding = {
        kind: {label: x * draw(FACTORS) for label, x in row.items()} for kind, row in model.embedding.items()
    }
    stretched = Model(
        alphabet=model.alphabet,
        labels=model.labels,
        embedding=embedding,
        prefix=[layer(x) for x in model.prefix],
        block=[layer(x) for x in model.block],
        suffix=[layer(x) for x in model.suffix],
        loops=model.loops,
        padding=model.padding,
        symbols=model.symbols,
        unembedding=stretch(model.unembedding),
    )
    return stretched, word


@given(stretched_models())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exact_backend_equals_the_reference_with_stretched_weights(case):
    model, word = case
    original_sign = reference.sign
    reference.sign = settled_sign  # the reference's fixed 60 digits cannot settle signs of 2^-70 weights
    try:
        trace, ref = reference.run_both(model, word)
    finally:
        reference.sign = original_sign
    reference.assert_agrees_with_reference(model, trace, ref)
