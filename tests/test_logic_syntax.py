"""Free and bound variables, k, depth, post-order subformulas, alpha-equivalence and renaming; and the rule
that the logic layer imports nothing from the rest of expressivity."""

import ast
import sys
from pathlib import Path

import pytest

from expressivity.logic import (
    And,
    Exists,
    Less,
    Letter,
    Majority,
    Not,
    PairMajority,
    alpha_equivalent,
    free_variables,
    is_sentence,
    letters,
    parse,
    quantifier_depth,
    rename_bound,
    subformulas,
    variables,
)

LOGIC_PACKAGE = Path(__file__).resolve().parents[1] / "expressivity" / "logic"


@pytest.mark.parametrize(
    ("text", "free", "k", "depth", "sentence"),
    [
        ("Q_a(x)", {"x"}, 1, 0, False),
        ("true", set(), 0, 0, True),
        ("exists x. Q_a(x) & forall y. (y < x -> Q_b(y))", set(), 2, 2, True),
        ("exists x. x < y", {"y"}, 2, 1, False),
        ("Q_a(x) & exists x. Q_b(x)", {"x"}, 1, 1, False),  # x is free outside, bound inside
        ("M2 y z. y < z & exists>=2 u. M x. x = u", set(), 4, 3, True),  # M2 is one quantifier
        ("exists x. true", set(), 1, 1, True),  # a vacuous binder still names a variable
        ("forall x. exists y. forall x. x < y", set(), 2, 3, True),  # reusing x keeps k = 2
    ],
)
def test_variables_depth_and_closedness(text, free, k, depth, sentence):
    formula = parse(text)
    assert free_variables(formula) == free
    assert len(variables(formula)) == k
    assert quantifier_depth(formula) == depth
    assert is_sentence(formula) is sentence


def test_letters_lists_the_symbols_mentioned():
    assert letters(parse("Q_a(x) | exists y. Q_((y) & ~Q_a(y)")) == {"a", "("}


def test_subformulas_come_in_post_order_each_once():
    a, b = Letter("a", "x"), Letter("b", "y")
    formula = And(Exists("x", And(a, b)), Not(a))
    assert subformulas(formula) == (a, b, And(a, b), Exists("x", And(a, b)), Not(a), formula)


@pytest.mark.parametrize(
    ("left", "right", "equivalent"),
    [
        ("exists x. Q_a(x)", "exists y. Q_a(y)", True),
        ("exists x. x < z", "exists y. y < z", True),
        ("exists x. x < z", "exists z. z < z", False),  # the free z would be captured
        ("exists x. x < z", "exists x. x < w", False),  # different free variables
        ("M2 x y. x < y", "M2 y x. y < x", True),
        ("M2 x y. x < y", "M2 x y. y < x", False),  # the slots of M2 are told apart
        ("forall x. exists x. Q_a(x)", "forall y. exists z. Q_a(z)", True),
        ("forall x. exists x. Q_a(x)", "forall y. exists z. Q_a(y)", False),
        ("exists>=2 x. true", "exists>=3 x. true", False),
    ],
)
def test_alpha_equivalence(left, right, equivalent):
    assert alpha_equivalent(parse(left), parse(right)) is equivalent


def test_rename_bound_renames_binders_and_the_occurrences_they_bind():
    formula = parse("Q_a(x) & exists x. (Q_b(x) & M x. x < y)")
    assert rename_bound(formula, {"x": "u"}) == parse("Q_a(x) & exists u. (Q_b(u) & M u. u < y)")


def test_rename_bound_swaps_names_in_a_sentence():
    formula = parse("exists x. exists y. x < y & Q_a(x)")
    assert rename_bound(formula, {"x": "y", "y": "x"}) == parse("exists y. exists x. y < x & Q_a(y)")


@pytest.mark.parametrize(
    ("text", "mapping"),
    [
        ("exists x. x < y", {"x": "y"}),  # the free y would be captured
        ("exists x. exists y. x < y", {"x": "z", "y": "z"}),  # two binders merged into one name
    ],
)
def test_rename_bound_refuses_to_capture(text, mapping):
    with pytest.raises(ValueError, match="captures"):
        rename_bound(parse(text), mapping)


def test_rename_bound_refuses_to_give_m2_one_name_twice():
    with pytest.raises(ValueError, match="two distinct variables"):
        rename_bound(PairMajority("x", "y", Less("x", "y")), {"x": "y"})


def test_nodes_are_hashable_values():
    assert parse("M x. Q_1(x)") == Majority("x", Letter("1", "x"))
    assert len({parse("M x. Q_1(x)"), Majority("x", Letter("1", "x"))}) == 1


def test_the_logic_package_imports_only_the_standard_library_numpy_and_hypothesis():
    allowed_roots = {"numpy", "hypothesis", "expressivity"}
    for path in sorted(LOGIC_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                root = module.split(".")[0]
                allowed = root in allowed_roots or root in sys.stdlib_module_names
                assert allowed, f"{path.name} imports {module}"
                if root == "expressivity":
                    assert module.startswith("expressivity.logic"), f"{path.name} imports {module}"
                if root == "hypothesis":
                    assert path.name == "strategies.py", f"{path.name} imports hypothesis"
