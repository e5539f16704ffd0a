"""Regression tests for the formula reproducers of issue 12: deep nesting, long chains of connectives,
huge or non-ASCII thresholds, and sentences too large to compile. Each either works (parse, print,
check, compile) or is one FormulaSyntaxError / FormulaCompileError with a position, never a
RecursionError; each runs under the fuzz bounds (tests/fuzz_bounds.py).
"""

from __future__ import annotations

import sys

import pytest
from fuzz_bounds import within_bounds

from expressivity.compile.formula import FormulaCompileError, compile_formula
from expressivity.logic import (
    And,
    Const,
    Exists,
    FormulaSyntaxError,
    Letter,
    Not,
    alpha_equivalent,
    free_variables,
    holds,
    parse,
    quantifier_depth,
    rename_bound,
    subformulas,
    to_text,
)
from expressivity.logic.parser import MAX_NESTING
from expressivity.simulator import Simulator


def syntax_error(text: str) -> FormulaSyntaxError:
    with within_bounds(), pytest.raises(FormulaSyntaxError) as caught:
        parse(text)
    return caught.value


@pytest.mark.parametrize(
    ("opener", "closer", "offset"),
    [("(", ")", 0), ("~(", ")", 1), ("exists x. ", "", 0), ("M2 x y. ", "", 0)],
)
def test_165_levels_of_nesting_are_one_syntax_error_at_the_level_too_deep(opener, closer, offset):
    err = syntax_error(opener * 165 + "Q_a(x)" + closer * 165)
    assert (err.line, err.col) == (1, len(opener) * MAX_NESTING + 1 + offset)
    assert f"nest more than {MAX_NESTING} deep" in err.message


@pytest.mark.parametrize(
    ("opener", "body", "closer"), [("(", "exists x. Q_a(x)", ")"), ("exists x. ", "Q_a(x)", "")]
)
def test_nesting_up_to_the_limit_parses(opener, body, closer):
    text = opener * (MAX_NESTING - 1) + body + closer * (MAX_NESTING - 1)
    with within_bounds():
        formula = parse(text)
        assert parse(to_text(formula)) == formula
        assert holds(formula, "ba") is True


@pytest.mark.parametrize("count", [989, 5000])
def test_long_chains_of_negations_parse_print_and_check(count):
    with within_bounds():
        formula = parse("exists x. " + "~" * count + "Q_a(x)")
        assert parse(to_text(formula, unicode=True)) == formula
        assert holds(formula, "ab") is True
        assert holds(formula, "aa") is (count % 2 == 0)


def test_a_chain_of_989_implications_is_right_associative_and_checks():
    text = "exists x. " + " -> ".join(["Q_a(x)"] * 989 + ["Q_b(x)"])
    with within_bounds():
        formula = parse(text)
        assert to_text(formula) == text
        assert holds(formula, "b") is True
        assert holds(formula, "a") is False


def test_a_flat_chain_of_332_atoms_compiles_and_agrees_with_the_checker():
    text = "exists x. exists y. " + " & ".join(["Q_a(x)", "x < y", "~Q_a(y)", "~(x = y)"] * 83)
    with within_bounds(seconds=120, megabytes=1024):
        model = compile_formula(text, "ab")
        simulator = Simulator(model)
        for word in ["ab", "ba", "aab", "bba"]:
            assert simulator.run(word, record=False).accept is holds(text, word)


def test_a_flat_chain_of_3000_atoms_compiles():
    text = "exists x. " + " | ".join(["Q_a(x)", "Q_b(x)"] * 1500)
    with within_bounds(seconds=120, megabytes=1024):
        model = compile_formula(text, "abc")
        assert Simulator(model).run("cca", record=False).accept is True


def test_printing_a_2000_term_chain_reads_back():
    formula = Const(True)
    for index in range(2000):
        formula = And(formula, Letter("ab"[index % 2], "x"))
    with within_bounds():
        assert parse(to_text(formula)) == formula


def test_deep_trees_built_in_python_hash_compare_print_and_walk():
    deep = Letter("a", "x")
    for _ in range(5_000):
        deep = Not(deep)
    same = Letter("a", "x")
    for _ in range(5_000):
        same = Not(same)
    sentence = Exists("x", deep)
    with within_bounds():
        assert deep == same and hash(deep) == hash(same) and deep is not same
        assert deep != Not(same)
        assert repr(deep).startswith("Not(Not(") and repr(deep).endswith("Letter('a', 'x')" + ")" * 5_000)
        assert free_variables(deep) == {"x"}
        assert quantifier_depth(sentence) == 1
        assert len(subformulas(sentence)) == 5_002
        assert alpha_equivalent(sentence, rename_bound(sentence, {"x": "y"}))
        assert holds(sentence, "a") is True
        assert parse(to_text(sentence)) == sentence


def test_a_threshold_of_5000_digits_is_a_syntax_error_at_the_number():
    err = syntax_error("exists>=" + "9" * 5000 + " x. Q_a(x)")
    assert (err.line, err.col) == (1, 9)
    assert "5000 digits; at most 4300" in err.message


@pytest.mark.parametrize("digit", ["٣", "３", "۳"])
def test_non_ascii_digits_are_not_thresholds(digit):
    err = syntax_error(f"exists>={digit} x. Q_a(x)")
    assert (err.line, err.col) == (1, 9)
    assert "expected a natural number after '>='" in err.message


def test_a_dotless_i_is_not_a_variable_letter():
    err = syntax_error("exists ı. Q_a(ı)")
    assert (err.line, err.col) == (1, 8)


def test_a_sentence_with_too_many_variables_is_refused_before_compiling():
    text = " & ".join(f"(exists x{index}. Q_a(x{index}))" for index in range(50))
    with within_bounds(), pytest.raises(FormulaCompileError, match="50 distinct variable names"):
        compile_formula(text, "ab")


def test_the_checker_refuses_more_variables_than_numpy_has_axes():
    text = "".join(f"exists x{index}. " for index in range(70)) + "true"
    with within_bounds(), pytest.raises(ValueError, match="70 distinct variable names"):
        holds(text, "ab")


def test_parse_called_from_deep_in_the_stack_is_a_syntax_error_not_a_recursion_error():
    text = "(" * MAX_NESTING + "true" + ")" * MAX_NESTING

    def parse_from(depth: int):
        return parse(text) if depth == 0 else parse_from(depth - 1)

    with pytest.raises(FormulaSyntaxError, match="nests too deep for the stack left here"):
        parse_from(sys.getrecursionlimit() - 150)
