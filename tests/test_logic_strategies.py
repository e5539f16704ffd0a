"""The public Hypothesis strategies respect their bounds and can reach every kind of node."""

import pytest
from hypothesis import Phase, find, given, settings

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
    free_variables,
    is_sentence,
    letters,
    quantifier_depth,
    subformulas,
    variables,
)
from expressivity.logic.strategies import formulas, sentences, words

# Finding an example is the point; shrinking it would only cost time.
FIND_WITHOUT_SHRINKING = settings(phases=[Phase.generate], database=None, max_examples=2000)


@given(formulas(max_vars=3, max_depth=2, alphabet="01(", free=("x", "y")))
def test_formulas_stay_within_their_bounds(formula):
    assert free_variables(formula) <= {"x", "y"}
    assert len(variables(formula)) <= 3
    assert quantifier_depth(formula) <= 2
    assert letters(formula) <= set("01(")


@given(sentences(max_vars=2, max_depth=1))
def test_sentences_are_closed(sentence):
    assert is_sentence(sentence)
    assert len(variables(sentence)) <= 2
    assert quantifier_depth(sentence) <= 1


@given(words("xyz", min_size=2, max_size=4))
def test_words_stay_within_their_bounds(word):
    assert 2 <= len(word) <= 4
    assert set(word) <= set("xyz")


ATOMS = [Letter, Less, Equal, Const]
CONNECTIVES = [Not, And, Or, Implies, Iff]
QUANTIFIERS = [Exists, Forall, Majority, PairMajority, AtLeast]


@pytest.mark.parametrize("kind", ATOMS + CONNECTIVES + QUANTIFIERS)
def test_every_node_kind_is_reachable_in_a_sentence(kind):
    found = find(
        sentences(),
        lambda sentence: any(isinstance(node, kind) for node in subformulas(sentence)),
        settings=FIND_WITHOUT_SHRINKING,
    )
    assert any(isinstance(node, kind) for node in subformulas(found))


def test_both_constants_and_full_depth_are_reachable():
    for constant in (Const(False), Const(True)):
        found = find(sentences(), lambda s, c=constant: c in subformulas(s), settings=FIND_WITHOUT_SHRINKING)
        assert constant in subformulas(found)
    deep = find(sentences(max_depth=3), lambda s: quantifier_depth(s) == 3, settings=FIND_WITHOUT_SHRINKING)
    assert quantifier_depth(deep) == 3


def test_a_restricted_quantifier_list_is_honoured():
    @given(sentences(quantifiers=("M2",)))
    def only_pair_majority(sentence):
        for node in subformulas(sentence):
            assert not isinstance(node, (Exists, Forall, Majority, AtLeast))

    only_pair_majority()


@pytest.mark.parametrize(
    "arguments",
    [
        {"quantifiers": ("exists", "most")},
        {"alphabet": ""},
        {"alphabet": "a b"},
        {"free": ("x", "x")},
        {"free": ("exists",)},
        {"max_vars": 1, "free": ("x", "y")},
        {"max_depth": -1},
    ],
)
def test_bad_arguments_are_refused(arguments):
    with pytest.raises(ValueError):
        formulas(**arguments)
