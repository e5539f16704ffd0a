"""Every library sentence means what its description says: it agrees with a plain Python function, written
without the checker, on every word of length at most 8 over its alphabet."""

import itertools

import pytest

from expressivity.logic import LIBRARY, holds_batch, is_sentence, letters, quantifier_depth, variables


def _majority(word):
    return 2 * word.count("1") > len(word)


def _a_before_b(word):
    return any(word[i] == "a" and "b" in word[i + 1 :] for i in range(len(word)))


def _half_as_after_first_b(word):
    if "b" not in word:
        return False
    after = word[word.index("b") + 1 :]
    return 2 * after.count("a") >= len(after)


def _dyck1_prefix(word):
    depth = 0
    for symbol in word:
        depth += 1 if symbol == "(" else -1
        if depth < 0:
            return False
    return True


def _most_pairs_a_then_later(word):
    n = len(word)
    pairs = sum(1 for i in range(n) for j in range(n) if i < j and word[i] == "a")
    return 2 * pairs > n * n


def _most_pairs_touch_a(word):
    n = len(word)
    pairs = sum(1 for i in range(n) for j in range(n) if "a" in (word[i], word[j]))
    return 2 * pairs > n * n


MEANINGS = {
    "majority": _majority,
    "contains_a": lambda word: "a" in word,
    "a_before_b": _a_before_b,
    "first_is_a": lambda word: word.startswith("a"),
    "last_is_a": lambda word: word.endswith("a"),
    "exactly_one_a": lambda word: word.count("a") == 1,
    "at_least_two_a": lambda word: word.count("a") >= 2,
    "more_a_than_b": lambda word: word.count("a") > word.count("b"),
    "half_as_after_first_b": _half_as_after_first_b,
    "dyck1_prefix": _dyck1_prefix,
    "dyck1": lambda word: _dyck1_prefix(word) and word.count("(") == word.count(")"),
    "most_pairs_a_then_later": _most_pairs_a_then_later,
    "most_pairs_touch_a": _most_pairs_touch_a,
}


def _all_words(alphabet, max_length=8):
    return [
        "".join(symbols) for n in range(max_length + 1) for symbols in itertools.product(alphabet, repeat=n)
    ]


def test_every_library_sentence_has_a_plain_meaning_here():
    assert set(MEANINGS) == set(LIBRARY)


@pytest.mark.parametrize("name", sorted(MEANINGS))
def test_the_sentence_agrees_with_its_plain_meaning_on_all_short_words(name):
    sentence = LIBRARY[name]
    words = _all_words(sentence.alphabet)
    got = holds_batch(sentence.formula, words, alphabet=sentence.alphabet)
    wrong = [word for word, value in zip(words, got, strict=True) if value != MEANINGS[name](word)]
    assert wrong == [], f"{name} disagrees on {wrong[:10]}"


@pytest.mark.parametrize("name", sorted(MEANINGS))
def test_the_sentence_is_closed_documented_and_within_its_alphabet(name):
    sentence = LIBRARY[name]
    assert sentence.name == name
    assert is_sentence(sentence.formula)
    assert letters(sentence.formula) <= set(sentence.alphabet)
    assert sentence.description.strip()


@pytest.mark.parametrize(
    ("name", "word", "accepted"),
    [
        ("majority", "0110", False),
        ("majority", "0111", True),
        ("half_as_after_first_b", "ab", True),  # nothing after the first b: 0 >= 0
        ("half_as_after_first_b", "babb", False),
        ("half_as_after_first_b", "aabab", True),
        ("dyck1_prefix", "(()", True),
        ("dyck1_prefix", "())(", False),
        ("dyck1", "(()())", True),
        ("dyck1", "", True),
        ("dyck1", ")(", False),
        ("more_a_than_b", "accccb", False),
        ("more_a_than_b", "cacac", True),
    ],
)
def test_accepts_on_hand_picked_words(name, word, accepted):
    assert LIBRARY[name].accepts(word) is accepted


def test_accepts_checks_the_alphabet():
    with pytest.raises(ValueError, match="position 2"):
        LIBRARY["dyck1"].accepts("(a)")


def test_the_dyck_sentences_use_three_variables_and_depth_two():
    for name in ("dyck1_prefix", "dyck1"):
        formula = LIBRARY[name].formula
        assert len(variables(formula)) == 3
        assert quantifier_depth(formula) == 2
