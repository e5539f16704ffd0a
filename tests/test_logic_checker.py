"""The vectorised model checker agrees with a slow, independent evaluator, and with hand-worked examples.

`reference` below is written from the semantics alone: one assignment at a time, as a dict from variable to
position, with Python integers. The checker must match it on random formulas and words.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.logic import (
    And,
    AtLeast,
    Const,
    Equal,
    Exists,
    Forall,
    Iff,
    Implies,
    Less,
    Letter,
    Majority,
    Not,
    Or,
    PairMajority,
    evaluate,
    holds,
    holds_batch,
    parse,
)
from expressivity.logic.strategies import formulas, sentences, words


def reference(f, word, env):
    """Truth of f on word under the assignment env (variable -> position in 1..n), by the definitions."""
    n = len(word)
    if isinstance(f, Letter):
        return word[env[f.var] - 1] == f.symbol
    if isinstance(f, Less):
        return env[f.left] < env[f.right]
    if isinstance(f, Equal):
        return env[f.left] == env[f.right]
    if isinstance(f, Const):
        return f.value
    if isinstance(f, Not):
        return not reference(f.operand, word, env)
    if isinstance(f, And):
        return reference(f.left, word, env) and reference(f.right, word, env)
    if isinstance(f, Or):
        return reference(f.left, word, env) or reference(f.right, word, env)
    if isinstance(f, Implies):
        return (not reference(f.left, word, env)) or reference(f.right, word, env)
    if isinstance(f, Iff):
        return reference(f.left, word, env) == reference(f.right, word, env)
    if isinstance(f, PairMajority):
        count = sum(
            reference(f.body, word, {**env, f.var1: p, f.var2: q})
            for p in range(1, n + 1)
            for q in range(1, n + 1)
        )
        return 2 * count > n * n
    count = sum(reference(f.body, word, {**env, f.var: p}) for p in range(1, n + 1))
    if isinstance(f, Exists):
        return count >= 1
    if isinstance(f, Forall):
        return count == n
    if isinstance(f, Majority):
        return 2 * count > n
    if isinstance(f, AtLeast):
        return count >= f.t
    raise AssertionError(f"unknown node {f!r}")


@pytest.mark.slow
@settings(max_examples=300)  # the key correctness property of the oracle: spend more examples on it
@given(formulas(max_vars=3, max_depth=3, free=("x", "y")), words(max_size=5))
def test_evaluate_matches_the_reference_on_every_assignment(formula, word):
    values = evaluate(formula, word, variables=("x", "y"))
    n = len(word)
    assert values.shape == (n, n)
    for p, q in itertools.product(range(1, n + 1), repeat=2):
        assert values[p - 1, q - 1] == reference(formula, word, {"x": p, "y": q})


@settings(max_examples=200)
@given(sentences(max_vars=3, max_depth=3, alphabet="abc"), st.lists(words("abc", max_size=6), max_size=12))
def test_holds_batch_matches_the_reference_on_mixed_lengths(sentence, batch):
    expected = [reference(sentence, word, {}) for word in batch]
    assert holds_batch(sentence, batch).tolist() == expected


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("M x. Q_a(x)", "aab", True),
        ("M x. Q_a(x)", "ab", False),  # a tie is not a majority
        ("M x. Q_a(x)", "a", True),
        ("exists>=2 x. Q_a(x)", "aba", True),
        ("exists>=2 x. Q_a(x)", "abb", False),
        ("exists>=0 x. false", "ab", True),
        ("M2 x y. x < y", "abc", False),  # 3 of 9 pairs
        ("M2 x y. ~y < x", "abc", True),  # x <= y: 6 of 9 pairs
        ("M2 x y. Q_a(x) | Q_a(y)", "aab", True),  # 9 - 1 = 8 of 9 pairs
        ("M2 x y. Q_a(x) | Q_a(y)", "abb", True),  # 9 - 4 = 5 of 9 pairs: 10 > 9
        ("M2 x y. Q_a(x) | Q_a(y)", "abbb", False),  # 16 - 9 = 7 of 16 pairs
        ("forall x. exists y. x < y | x = y", "abab", True),
        ("exists x. Q_c(x)", "abab", False),  # a symbol the word never uses is never there
        ("exists x. (Q_a(x) & exists x. Q_b(x))", "ab", True),  # the inner x is a new variable
        ("exists x. (Q_a(x) & exists x. Q_b(x))", "aa", False),
    ],
)
def test_worked_examples(text, word, expected):
    assert holds(text, word) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exists x. true", False),
        ("forall x. false", True),
        ("M x. true", False),  # 2 * 0 > 0 fails
        ("M2 x y. true", False),
        ("exists>=0 x. false", True),
        ("exists>=1 x. true", False),
    ],
)
def test_the_empty_word(text, expected):
    assert holds(text, "") is expected


def test_evaluate_lays_one_axis_per_variable_in_sorted_order():
    less = np.array([[False, True, True], [False, False, True], [False, False, False]])
    assert np.array_equal(evaluate("x < y", "abc"), less)
    assert np.array_equal(evaluate("x < y", "abc", variables=("y", "x")), less.T)


def test_evaluate_broadcasts_along_variables_the_formula_does_not_use():
    values = evaluate("Q_a(x)", "aba", variables=("x", "y"))
    assert np.array_equal(values, np.array([[True] * 3, [False] * 3, [True] * 3]))
    assert values.flags.writeable


def test_evaluate_of_a_sentence_is_zero_dimensional():
    values = evaluate("exists x. Q_a(x)", "ba")
    assert values.shape == ()
    assert bool(values) is True


def test_evaluate_rejects_an_order_missing_a_free_variable_or_repeating_one():
    with pytest.raises(ValueError, match="leaves out the free variable"):
        evaluate("x < y", "ab", variables=("x",))
    with pytest.raises(ValueError, match="twice"):
        evaluate("x < y", "ab", variables=("x", "y", "x"))


def test_holds_names_the_free_variables_of_a_non_sentence():
    with pytest.raises(ValueError, match=r"x, y occur\(s\) free"):
        holds("x < y", "ab")


def test_a_symbol_outside_the_alphabet_is_reported_with_its_position():
    with pytest.raises(ValueError, match=r"symbol 'c' at position 3 is not in the alphabet 'ab'"):
        holds("exists x. Q_a(x)", "abca", alphabet="ab")
    with pytest.raises(ValueError, match=r"word 1"):
        holds_batch("exists x. Q_a(x)", ["ab", "xb"], alphabet="ab")


def test_words_must_be_strings():
    with pytest.raises(TypeError, match="a word is a str"):
        holds("exists x. Q_a(x)", ["a", "b"])


def test_large_batches_are_split_into_chunks_without_changing_the_answers():
    # 3 variables at n = 12 make 1728 cells a word; 3,000 words exceed one chunk of 2^22 cells.
    sentence = parse("forall x. exists y. M z. (x < y | Q_a(y)) & (z < y | Q_b(z))")
    batch = ["ab" * 6, "a" * 12, "b" * 12, "ba" * 6] * 750
    single = [reference(sentence, word, {}) for word in batch[:4]]
    assert holds_batch(sentence, batch).tolist() == single * 750
