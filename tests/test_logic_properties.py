"""Laws of the logic, checked on random formulas and words: quantifier dualities and reductions, and the
irrelevance of bound variable names."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from expressivity.logic import (
    AtLeast,
    Exists,
    Forall,
    Majority,
    Not,
    PairMajority,
    alpha_equivalent,
    evaluate,
    holds,
    rename_bound,
    variables,
)
from expressivity.logic.strategies import formulas, sentences, words

XY = ("x", "y")


@given(formulas(free=XY), st.sampled_from(XY), words())
def test_forall_is_not_exists_not(formula, var, word):
    forall = evaluate(Forall(var, formula), word, variables=XY)
    not_exists_not = evaluate(Not(Exists(var, Not(formula))), word, variables=XY)
    assert np.array_equal(forall, not_exists_not)


@given(formulas(free=XY), st.sampled_from(XY), words())
def test_exists_is_at_least_one_and_at_least_zero_is_true(formula, var, word):
    at_least_one = evaluate(AtLeast(1, var, formula), word, variables=XY)
    assert np.array_equal(evaluate(Exists(var, formula), word, variables=XY), at_least_one)
    assert evaluate(AtLeast(0, var, formula), word, variables=XY).all()


@given(formulas(free=("x",)), words())
def test_majority_is_at_least_one_more_than_half(formula, word):
    threshold = len(word) // 2 + 1
    assert holds(Majority("x", formula), word) == holds(AtLeast(threshold, "x", formula), word)


@given(formulas(free=("x",)), words())
def test_pair_majority_over_a_body_without_y_counts_x_alone(formula, word):
    # y is not free in the body, so #pairs = n * #{x : body}, and 2 * n * count > n^2 iff 2 * count > n.
    n = len(word)
    count = int(evaluate(formula, word, variables=("x",)).sum())
    expected = 2 * n * count > n * n
    assert holds(PairMajority("x", "y", formula), word) is expected
    assert holds(PairMajority("y", "x", formula), word) is expected
    assert holds(Majority("x", formula), word) is expected


@given(formulas(free=XY), words(min_size=1))
def test_vacuous_quantifiers_on_a_non_empty_word_change_nothing(formula, word):
    for quantifier in (Exists, Forall):
        assert np.array_equal(
            evaluate(quantifier("z", formula), word, variables=XY), evaluate(formula, word, variables=XY)
        )


@given(formulas(free=XY), words(), st.data())
def test_renaming_bound_variables_to_fresh_names_changes_nothing(formula, word, data):
    names = sorted(variables(formula) | set(XY))  # x and y may be bound somewhere too
    fresh = data.draw(st.permutations([f"b{i}" for i in range(len(names))]))
    renamed = rename_bound(formula, dict(zip(names, fresh, strict=True)))
    assert alpha_equivalent(formula, renamed)
    assert np.array_equal(evaluate(renamed, word, variables=XY), evaluate(formula, word, variables=XY))


@given(sentences(), words(), st.data())
def test_permuting_the_variable_names_of_a_sentence_changes_nothing(sentence, word, data):
    names = sorted(variables(sentence))
    permuted = data.draw(st.permutations(names))
    renamed = rename_bound(sentence, dict(zip(names, permuted, strict=True)))
    assert holds(renamed, word) == holds(sentence, word)
