"""FO[M] over strings: syntax, parser, printer, exact model checker and a library of named sentences.

This package is the reference semantics (the oracle) for the formula-to-transformer compiler, so it imports
nothing from the rest of expressivity: only the standard library and NumPy.

    >>> from expressivity.logic import parse, holds
    >>> holds(parse("exists x. Q_a(x) & forall y. (y < x -> Q_b(y))"), "bba")
    True

Grammar and precedence: parser.py. Semantics (positions 1..n, strict majorities, the empty word): checker.py.
Hypothesis strategies for random formulas and words live in `expressivity.logic.strategies`, which is not
imported here because it needs hypothesis.
"""

from expressivity.logic.checker import evaluate, holds, holds_batch
from expressivity.logic.library import LIBRARY, LibrarySentence
from expressivity.logic.parser import FormulaSyntaxError, parse
from expressivity.logic.printer import to_text
from expressivity.logic.syntax import (
    KEYWORDS,
    And,
    AtLeast,
    Atom,
    Binary,
    Comparison,
    Const,
    Equal,
    Exists,
    Forall,
    Formula,
    Iff,
    Implies,
    Less,
    Letter,
    Majority,
    Not,
    Or,
    PairMajority,
    Quantifier,
    UnaryQuantifier,
    alpha_equivalent,
    free_variables,
    is_letter_symbol,
    is_sentence,
    is_variable_name,
    letters,
    quantifier_depth,
    rename_bound,
    subformulas,
    variables,
)

__all__ = [
    "KEYWORDS",
    "LIBRARY",
    "And",
    "AtLeast",
    "Atom",
    "Binary",
    "Comparison",
    "Const",
    "Equal",
    "Exists",
    "Forall",
    "Formula",
    "FormulaSyntaxError",
    "Iff",
    "Implies",
    "Less",
    "Letter",
    "LibrarySentence",
    "Majority",
    "Not",
    "Or",
    "PairMajority",
    "Quantifier",
    "UnaryQuantifier",
    "alpha_equivalent",
    "evaluate",
    "free_variables",
    "holds",
    "holds_batch",
    "is_letter_symbol",
    "is_sentence",
    "is_variable_name",
    "letters",
    "parse",
    "quantifier_depth",
    "rename_bound",
    "subformulas",
    "to_text",
    "variables",
]
