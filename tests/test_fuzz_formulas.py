"""Fuzzing the formula parser: whatever the text, `parse` returns a formula that prints back to itself
(and that the checker and the syntax helpers walk), or raises FormulaSyntaxError with a line and column,
within a time and memory bound per case (tests/fuzz_bounds.py: a hang or a blow-up fails).

Cases: random text over the grammar's tokens and look-alikes (Arabic-Indic and full-width digits,
dotless ı, NUL); printed random formulas, mutated; deep nesting of parentheses, quantifiers, `~` and
`->`, and long flat chains of `&` and `|`, at and beyond the documented nesting limit; huge numbers
after `exists>=`.
"""

from __future__ import annotations

from fuzz_bounds import within_bounds
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.logic import (
    FormulaSyntaxError,
    holds,
    parse,
    quantifier_depth,
    subformulas,
    to_text,
)
from expressivity.logic.strategies import formulas

TOKENS = [
    "exists ", "forall ", "M ", "M2 ", "exists>=", "x", "y", "z", ". ", "(", ")", "~", "&", "|", "->",
    "<->", "<", "=", "Q_a(x)", "Q_b(y)", "true", "false", " ", "∃", "∀", "¬", "∧", "∨", "→", "↔", "≥",
    "3", "٣", "３", "ı", "\x00", "\n", "#",
]  # fmt: skip
HUGE = ["9" * 5000, "1" + "0" * 30, "٣", "３"]
CASE = settings(max_examples=40)


def check_outcome(text: str) -> None:
    """parse(text) gives a formula that prints back to itself and that the helpers walk, or a
    FormulaSyntaxError with a location; all within the fuzz bounds."""
    try:
        with within_bounds():
            formula = parse(text)
            printed = to_text(formula)
            assert parse(printed) == formula
            assert parse(to_text(formula, unicode=True)) == formula
            subformulas(formula)
            quantifier_depth(formula)
            holds_or_free(formula)
    except FormulaSyntaxError as err:
        assert err.line >= 1 and err.col >= 1, str(err)


def holds_or_free(formula) -> None:
    """The checker decides a sentence on a short word (formulas with free variables are refused; the
    cases use at most three variable names, so the checker's arrays stay small)."""
    try:
        holds(formula, "ab")
    except ValueError as err:
        assert "not a sentence" in str(err) or "distinct variable names" in str(err)


@CASE
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup(text):
    check_outcome(text)


@CASE
@given(formulas(max_vars=3, max_depth=3), st.data())
def test_mutated_printed_formulas(formula, data):
    text = to_text(formula, unicode=data.draw(st.booleans()))
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 3))
    insert = data.draw(st.lists(st.sampled_from(TOKENS), max_size=3).map("".join))
    check_outcome(text[:at] + insert + text[at + cut :])


@CASE
@given(
    opener=st.sampled_from(["(", "~", "~(", "exists x. ", "forall y. ", "M2 x y. ", "true -> "]),
    depth=st.one_of(st.integers(0, 120), st.sampled_from([99, 100, 101, 165, 989, 3000])),
    closed=st.booleans(),
)
def test_deep_nesting(opener, depth, closed):
    closers = ")" * (opener.count("(") * depth) if closed else ""
    check_outcome(opener * depth + "Q_a(x)" + closers)


@settings(max_examples=20)
@given(
    connective=st.sampled_from([" & ", " | ", " -> ", " ∧ "]),
    length=st.one_of(st.integers(1, 50), st.sampled_from([332, 2000])),
    quantified=st.booleans(),
)
def test_long_chains(connective, length, quantified):
    chain = connective.join(["Q_a(x)", "~Q_b(x)"] * (length // 2) + ["x < x"] * (length % 2))
    check_outcome(f"exists x. {chain}" if quantified else chain)


@CASE
@given(number=st.sampled_from(HUGE), tail=st.sampled_from([" x. Q_a(x)", "x. true", ""]))
def test_thresholds(number, tail):
    check_outcome(f"exists>={number}{tail}")
