"""Iterated programs in the logic package: parser errors, printer round trip, example files."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.logic import FormulaSyntaxError, accepts, parse_program, program_to_text
from expressivity.logic.checker import evaluate_on_batch
from expressivity.logic.program_library import (
    CONNECTIVITY_TEXT,
    EXAMPLE_DFAS,
    clock_program,
    program_from_dfa,
    s5_program,
)
from expressivity.logic.strategies import programs

DECLARATION = "relation R(x): init true; update true;\n"
TWICE = DECLARATION + DECLARATION.replace("(x)", "(y)") + "loops 1; accept true;"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "programs"


@settings(max_examples=40, deadline=None, database=None)
@given(programs(max_depth=3))
def test_printed_programs_parse_back_to_themselves(program):
    assert parse_program(program_to_text(program)) == program


def test_example_files_are_the_library_programs():
    assert parse_program((EXAMPLES / "s5_word_problem.prog").read_text()) == s5_program()
    assert parse_program((EXAMPLES / "clock_log_squared.prog").read_text()) == clock_program()
    assert (EXAMPLES / "connectivity.prog").read_text() == CONNECTIVITY_TEXT
    for name, dfa in EXAMPLE_DFAS.items():
        assert parse_program((EXAMPLES / f"dfa_{name}.prog").read_text()) == program_from_dfa(dfa)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ("loops 3; accept x < y;", 1, 17, "free variable(s) x, y"),
        ("relation R(x): init R(x); update true; loops 1; accept true;", 1, 21, "may not"),
        (
            "relation R(x):\n init Q_a(y);\n update true;\nloops 1; accept true;",
            2,
            7,
            "not among the arguments",
        ),
        ("relation R(x): init true; update R(x, x); loops 1; accept true;", 1, 37, "')': R takes 1"),
        ("relation R(x): init true; update S(x); loops 1; accept true;", 1, 34, "'S' is not declared"),
        ("loops ceil(log n); accept true;", 1, 12, "'log2'"),
        ("loops 2 + 3; accept true;", 1, 11, "one constant term"),
        ("loops 1; accept true; extra", 1, 23, "end of the program"),
        (TWICE, 2, 10, "twice"),
        ("input tape; loops 1; accept true;", 1, 7, "'word' or 'graph'"),
        ("input graph; relation A_1(x): init true; update true; loops 1; accept true;", 1, 23, "reserved"),
    ],
)
def test_program_errors_point_at_the_fault(text, line, col, fragment):
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_program(text)
    err = caught.value
    assert (err.line, err.col) == (line, col), str(err)
    assert fragment in err.message
    assert str(err).splitlines()[-1] == " " * (col - 1) + "^"


def _accepts_round_by_round(program, word: str, rounds: int) -> bool:
    """The interpreter's meaning written out: init, then `rounds` simultaneous updates, then accept."""
    states = {spec.name: evaluate_on_batch(spec.init, [word], spec.args, {}) for spec in program.relations}
    for _ in range(rounds):
        states = {
            spec.name: evaluate_on_batch(spec.update, [word], spec.args, states) for spec in program.relations
        }
    return bool(evaluate_on_batch(program.accept, [word], (), states)[0])


@settings(max_examples=40, deadline=None)
@given(programs(max_depth=2), st.text("ab", max_size=4), st.integers(0, 6))
def test_stopping_at_a_fixed_point_keeps_the_answer_of_every_round(program, word, rounds):
    assert accepts(program, word, rounds) == _accepts_round_by_round(program, word, rounds)


def test_a_huge_loop_count_ends_at_the_fixed_point_and_an_oscillation_runs_every_round():
    settles = parse_program(
        f"relation R(x): init Q_a(x); update R(x) | true; loops {10**18}; accept forall x. R(x);"
    )
    assert accepts(settles, "bb") and not accepts(settles, "bb", 0)
    flips = "relation F(): init false; update ~F(); loops {}; accept F();"
    for rounds in range(6):
        assert accepts(parse_program(flips.format(rounds)), "ab") == (rounds % 2 == 1)
