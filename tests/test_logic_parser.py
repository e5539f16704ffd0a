"""Parsing and printing: precedence and scope as documented, both spellings, exact round trips, and syntax
errors that point at the right column."""

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
    FormulaSyntaxError,
    Iff,
    Implies,
    Less,
    Letter,
    Majority,
    Not,
    Or,
    PairMajority,
    parse,
    to_text,
)
from expressivity.logic.strategies import formulas

A, B, C, D, E = (Letter(symbol, "x") for symbol in "abcde")


def test_the_issue_example():
    assert parse("exists x. Q_a(x) & forall y. (y < x -> Q_b(y))") == Exists(
        "x", And(Letter("a", "x"), Forall("y", Implies(Less("y", "x"), Letter("b", "y"))))
    )


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # and binds tighter than or, or than implies, implies than iff
        ("Q_a(x) & Q_b(x) | Q_c(x) -> Q_d(x) <-> Q_e(x)", Iff(Implies(Or(And(A, B), C), D), E)),
        ("Q_a(x) | Q_b(x) & Q_c(x)", Or(A, And(B, C))),
        # and / or associate to the left, implies to the right
        ("Q_a(x) & Q_b(x) & Q_c(x)", And(And(A, B), C)),
        ("Q_a(x) | Q_b(x) | Q_c(x)", Or(Or(A, B), C)),
        ("Q_a(x) -> Q_b(x) -> Q_c(x)", Implies(A, Implies(B, C))),
        # not binds tightest, but a comparison is an atom
        ("~Q_a(x) & Q_b(x)", And(Not(A), B)),
        ("~x < y", Not(Less("x", "y"))),
        ("!~x = y", Not(Not(Equal("x", "y")))),
        # a quantifier's body reaches as far right as it can
        ("exists x. Q_a(x) & Q_b(x)", Exists("x", And(A, B))),
        ("Q_a(x) & exists x. Q_b(x) | Q_c(x)", And(A, Exists("x", Or(B, C)))),
        ("(exists x. Q_a(x)) & Q_b(x)", And(Exists("x", A), B)),
        ("~exists x. Q_a(x) & Q_b(x)", Not(Exists("x", And(A, B)))),
        ("M x. M2 y z. Q_a(y)", Majority("x", PairMajority("y", "z", Letter("a", "y")))),
        ("exists>=3 x. true", AtLeast(3, "x", Const(True))),
        ("exists >= 0 x. false", AtLeast(0, "x", Const(False))),
        # letter symbols: any one character after Q_
        (
            "Q_1(x) | Q_((x) | Q_)(x) | Q_#(x)",
            Or(Or(Or(Letter("1", "x"), Letter("(", "x")), Letter(")", "x")), Letter("#", "x")),
        ),
        # comments run to the end of the line
        ("# leading comment\nexists x. # the first position\n  Q_a(x) # holds a\n", Exists("x", A)),
        ("M2 x1 y_2. x1 = y_2", PairMajority("x1", "y_2", Equal("x1", "y_2"))),
    ],
)
def test_precedence_and_scope(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("unicode_text", "ascii_text"),
    [
        ("∃x. Q_a(x) ∧ ∀y. (y < x → Q_b(y))", "exists x. Q_a(x) & forall y. (y < x -> Q_b(y))"),
        ("¬⊤ ∨ ⊥ ↔ ∃≥2 x. Q_a(x)", "~true | false <-> exists>=2 x. Q_a(x)"),
        ("∃>=2 x. ⊤", "exists≥2 x. true"),
    ],
)
def test_unicode_and_ascii_spellings_mean_the_same(unicode_text, ascii_text):
    assert parse(unicode_text) == parse(ascii_text)


@pytest.mark.parametrize(
    ("tree", "ascii_text", "unicode_text"),
    [
        (And(And(A, B), C), "Q_a(x) & Q_b(x) & Q_c(x)", "Q_a(x) ∧ Q_b(x) ∧ Q_c(x)"),
        (And(A, And(B, C)), "Q_a(x) & (Q_b(x) & Q_c(x))", "Q_a(x) ∧ (Q_b(x) ∧ Q_c(x))"),
        (Implies(Implies(A, B), C), "(Q_a(x) -> Q_b(x)) -> Q_c(x)", "(Q_a(x) → Q_b(x)) → Q_c(x)"),
        (Implies(A, Implies(B, C)), "Q_a(x) -> Q_b(x) -> Q_c(x)", "Q_a(x) → Q_b(x) → Q_c(x)"),
        (Iff(Iff(A, B), C), "(Q_a(x) <-> Q_b(x)) <-> Q_c(x)", "(Q_a(x) ↔ Q_b(x)) ↔ Q_c(x)"),
        (Not(And(A, B)), "~(Q_a(x) & Q_b(x))", "¬(Q_a(x) ∧ Q_b(x))"),
        (Not(Less("x", "y")), "~x < y", "¬x < y"),
        (And(Exists("x", A), B), "(exists x. Q_a(x)) & Q_b(x)", "(∃x. Q_a(x)) ∧ Q_b(x)"),
        (And(B, Exists("x", A)), "Q_b(x) & exists x. Q_a(x)", "Q_b(x) ∧ ∃x. Q_a(x)"),
        # the quantifier is the last thing in its and, but the or goes on after it
        (
            Or(And(B, Exists("x", A)), C),
            "Q_b(x) & (exists x. Q_a(x)) | Q_c(x)",
            "Q_b(x) ∧ (∃x. Q_a(x)) ∨ Q_c(x)",
        ),
        (Not(Forall("x", Or(A, B))), "~forall x. Q_a(x) | Q_b(x)", "¬∀x. Q_a(x) ∨ Q_b(x)"),
        (AtLeast(2, "y", Const(True)), "exists>=2 y. true", "∃≥2 y. ⊤"),
        (PairMajority("x", "y", Const(False)), "M2 x y. false", "M2 x y. ⊥"),
    ],
)
def test_printing_uses_the_fewest_parentheses(tree, ascii_text, unicode_text):
    assert to_text(tree) == ascii_text
    assert to_text(tree, unicode=True) == unicode_text
    assert str(tree) == ascii_text


@settings(max_examples=300)
@given(formulas(max_vars=3, max_depth=3, alphabet="a1(", free=("x", "y")), st.booleans())
def test_printing_then_parsing_gives_the_same_tree(formula, unicode):
    text = to_text(formula, unicode=unicode)
    assert parse(text) == formula
    assert to_text(parse(text), unicode=unicode) == text


@pytest.mark.parametrize(
    ("text", "line", "col", "expected"),
    [
        ("exists x Q_a(x)", 1, 10, "expected '.' after the quantified variable, found 'Q_a'"),
        ("exists . Q_a(x)", 1, 8, "expected a variable after 'exists', found '.'"),
        ("exists M. true", 1, 8, "expected a variable after 'exists', found 'M'"),
        ("Q_a(x) &", 1, 9, "expected a formula (an atom, '(', '~' or a quantifier), found end of input"),
        ("Q_a(x) & & Q_b(x)", 1, 10, "expected a formula"),
        ("Q_a(x) Q_b(x)", 1, 8, "expected an operator (&, |, ->, <->) or the end of the formula, found 'Q_b"),
        ("(Q_a(x) | Q_b(x)", 1, 17, "expected an operator or ')' to close the '(' at 1:1, found end of"),
        ("Q_a(x) <-> Q_b(x) <-> Q_c(x)", 1, 19, "'<->' does not chain"),
        ("M2 x x. true", 1, 6, "expected a second variable different from 'x'"),
        ("Q_ab(x)", 1, 4, "expected '(' after 'Q_a' (a letter symbol is one character), found 'b'"),
        ("Q_ (x)", 1, 3, "expected a letter symbol (one character) right after 'Q_'"),
        ("Q_a(1)", 1, 5, "expected a variable after '(', found '1'"),
        ("x < ", 1, 4, "expected a variable after '<', found end of input"),
        ("x <= y", 1, 4, "expected a variable after '<', found '='"),
        ("x y", 1, 3, "expected '<' or '=' after the variable 'x', found 'y'"),
        ("exists>= x. true", 1, 10, "expected a natural number after '>=', found 'x'"),
        ("forall>=2 x. true", 1, 7, "expected a variable after 'forall', found '>='"),
        ("exists x.\n  Q_a(x) &\n  $", 3, 3, "expected a formula (an atom, '(', '~' or a quantifier), found"),
        ("# only a comment", 1, 1, "expected a formula"),
        ("∃x. Q_a(x) ∧ φ", 1, 14, "found 'φ'"),
    ],
)
def test_syntax_errors_point_at_the_column_and_say_what_was_expected(text, line, col, expected):
    with pytest.raises(FormulaSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert (error.line, error.col) == (line, col)
    assert expected in error.message
    header, shown_line, caret_line = str(error).split("\n")
    assert header == f"{line}:{col}: {error.message}"
    assert shown_line == text.split("\n")[line - 1]
    assert caret_line == " " * (col - 1) + "^"


def test_a_syntax_error_is_a_value_error_and_keeps_tabs_under_the_caret():
    with pytest.raises(ValueError) as caught:
        parse("\tQ_a(x) &")
    assert str(caught.value).split("\n")[2] == "\t" + " " * 8 + "^"


@pytest.mark.parametrize(
    "build",
    [
        lambda: Letter("ab", "x"),
        lambda: Letter(" ", "x"),
        lambda: Letter("a", "exists"),
        lambda: Letter("a", "Q_b"),
        lambda: Less("x", "1y"),
        lambda: PairMajority("x", "x", Const(True)),
        lambda: AtLeast(-1, "x", Const(True)),
        lambda: AtLeast(True, "x", Const(True)),
    ],
)
def test_nodes_that_no_text_could_express_are_rejected(build):
    with pytest.raises(ValueError):
        build()


def test_nodes_check_the_types_of_their_parts():
    with pytest.raises(TypeError):
        Const(1)
    with pytest.raises(TypeError):
        And(Const(True), "Q_a(x)")
