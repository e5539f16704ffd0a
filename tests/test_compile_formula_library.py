"""The library sentences compiled in both modes agree with their plain-Python meanings (LibrarySentence.
accepts, itself tested against hand-written functions) on every short word and on random longer ones.

Every word up to length 6 is checked by `python benchmarks/fo_compile.py --verify 6` (a few minutes);
the test suite keeps to lengths the exact backend covers in seconds.
"""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity import Simulator
from expressivity.compile.formula import compile_formula
from expressivity.logic import LIBRARY
from expressivity.logic.strategies import words

NAMES = sorted(LIBRARY)
COMPILED = {}


def compiled(name: str, causal: bool) -> Simulator:
    if (name, causal) not in COMPILED:
        sentence = LIBRARY[name]
        COMPILED[(name, causal)] = Simulator(
            compile_formula(sentence.formula, sentence.alphabet, causal=causal)
        )
    return COMPILED[(name, causal)]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("causal", "max_length"), [(False, 4), (True, 3)])
def test_every_short_word(name: str, causal: bool, max_length: int) -> None:
    sentence = LIBRARY[name]
    simulator = compiled(name, causal)
    for length in range(max_length + 1):
        for letters in product(sentence.alphabet, repeat=length):
            word = "".join(letters)
            assert simulator.run(word, record=False).accept == sentence.accepts(word), word


@settings(max_examples=30)
@given(st.sampled_from(NAMES), st.data())
def test_random_words_up_to_length_six(name: str, data) -> None:
    sentence = LIBRARY[name]
    word = data.draw(words(sentence.alphabet, min_size=5, max_size=6))
    assert compiled(name, False).run(word, record=False).accept == sentence.accepts(word)
