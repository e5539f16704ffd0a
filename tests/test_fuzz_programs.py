"""Fuzzing the program parser: whatever the text, `parse_program` returns a program that prints back to
itself, or raises FormulaSyntaxError with a line and a column, within a time and memory bound per case
(tests/fuzz_bounds.py: a hang or a blow-up fails).

Cases: random text over the program grammar's tokens and look-alikes (full-width digits, dotless ı, NUL);
the shipped example programs (examples/programs/*.prog), mutated by cutting and inserting tokens; huge
loop constants.
"""

from __future__ import annotations

from pathlib import Path

from fuzz_bounds import within_bounds
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.logic import FormulaSyntaxError, parse_program, program_to_text

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "programs").glob("*.prog"))
TOKENS = [
    "input ", "word", "graph", ";", "relation ", "R", "S", "(", ")", "x", "y", ", ", ":", "init ",
    "update ", "loops ", "accept ", "ceil", "log2 ", "n", "^", "*", "+", "2", "3", "exists x. ",
    "M y. ", "R(x, y)", "Q_a(x)", "A_1(x, y)", "&", "|", "~", "true", "false", "# note\n", "\n", " ",
    "３", "ı", "\x00", "9" * 5000,
]  # fmt: skip
CASE = settings(max_examples=40, deadline=None)


def check_outcome(text: str) -> None:
    """parse_program(text) gives a program whose printed text parses back to it, or a FormulaSyntaxError
    with a location; all within the fuzz bounds."""
    try:
        with within_bounds():
            program = parse_program(text)
            assert parse_program(program_to_text(program)) == program
    except FormulaSyntaxError as err:
        assert err.line >= 1 and err.col >= 1, str(err)


def test_the_examples_parse_and_print_back():
    assert len(EXAMPLES) >= 5
    for path in EXAMPLES:
        program = parse_program(path.read_text(encoding="utf-8"))
        assert parse_program(program_to_text(program)) == program, path.name


@CASE
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup(text):
    check_outcome(text)


@CASE
@given(st.sampled_from(EXAMPLES), st.data())
def test_mutated_examples(path, data):
    text = path.read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 6))
    insert = data.draw(st.lists(st.sampled_from(TOKENS), max_size=3).map("".join))
    check_outcome(text[:at] + insert + text[at + cut :])


@CASE
@given(st.sampled_from(["9" * 5000, "1" + "0" * 40, "٣", "３", "0", "2^3"]))
def test_loop_constants(number):
    check_outcome(f"loops {number}*ceil(log2 n) + {number}; accept true;")
