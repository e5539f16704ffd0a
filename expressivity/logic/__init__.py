"""FO[M] over strings: syntax, parser, printer, exact model checker and a library of named sentences.

This package is the reference semantics (the oracle) for the formula-to-transformer compiler, so it imports
nothing from the rest of expressivity: only the standard library and NumPy.

    >>> from expressivity.logic import parse, holds
    >>> holds(parse("exists x. Q_a(x) & forall y. (y < x -> Q_b(y))"), "bba")
    True

Iterated programs (relations updated r(n) times, uniform TC^d): program.py, program_text.py (syntax),
interpreter.py (reference semantics).

Grammar and precedence: parser.py. Semantics (positions 1..n, strict majorities, the empty word): checker.py.
Hypothesis strategies for random formulas and words live in `expressivity.logic.strategies`, which is not
imported here because it needs hypothesis.
"""

from expressivity.logic.checker import evaluate, evaluate_on_batch, holds, holds_batch
from expressivity.logic.interpreter import accepts, accepts_batch
from expressivity.logic.library import LIBRARY, LibrarySentence
from expressivity.logic.parser import FormulaSyntaxError, parse
from expressivity.logic.printer import to_text
from expressivity.logic.program import (
    GRAPH_MATRIX,
    GRAPH_RULER,
    IteratedProgram,
    LoopSchedule,
    ProgramError,
    RelationSpec,
)
from expressivity.logic.program_text import parse_program, program_to_text
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
    Relation,
    UnaryQuantifier,
    alpha_equivalent,
    free_variables,
    is_letter_symbol,
    is_sentence,
    is_variable_name,
    letters,
    quantifier_depth,
    relations,
    rename_bound,
    subformulas,
    variables,
)

__all__ = [
    "GRAPH_MATRIX",
    "GRAPH_RULER",
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
    "IteratedProgram",
    "Less",
    "Letter",
    "LibrarySentence",
    "LoopSchedule",
    "Majority",
    "Not",
    "Or",
    "PairMajority",
    "ProgramError",
    "Quantifier",
    "Relation",
    "RelationSpec",
    "UnaryQuantifier",
    "accepts",
    "accepts_batch",
    "alpha_equivalent",
    "evaluate",
    "evaluate_on_batch",
    "free_variables",
    "holds",
    "holds_batch",
    "is_letter_symbol",
    "is_sentence",
    "is_variable_name",
    "letters",
    "parse",
    "parse_program",
    "program_to_text",
    "quantifier_depth",
    "relations",
    "rename_bound",
    "subformulas",
    "to_text",
    "variables",
]
