"""Print formulas as text that `parse` reads back to the same tree.

Parentheses are the fewest the grammar of parser.py needs:

- an operand whose connective binds more loosely than its position allows is parenthesised
  (precedence, tightest first: atoms, not, and, or, implies, iff);
- a left operand of the same left-associative connective is not, a right one is: (a & b) & c prints as
  `a & b & c`, a & (b & c) as `a & (b & c)`; for the right-associative -> it is the other way round;
- an operand of <-> that is itself a <-> is always parenthesised, as <-> does not chain;
- a quantifier is parenthesised unless nothing follows it up to the end of the enclosing parentheses (or the
  text), because its body extends as far right as possible.

ASCII spelling: ~ & | -> <-> true false exists forall exists>=t M M2.
Unicode spelling: ¬ ∧ ∨ → ↔ ⊤ ⊥ ∃ ∀ ∃≥t M M2.
"""

from __future__ import annotations

from expressivity.logic.syntax import (
    BINARY_CONNECTIVES,
    And,
    AtLeast,
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
)

_ASCII = {
    "not": "~", And: " & ", Or: " | ", Implies: " -> ", Iff: " <-> ",
    "true": "true", "false": "false", Exists: "exists ", Forall: "forall ", AtLeast: "exists>={} ",
}  # fmt: skip
_UNICODE = {
    "not": "¬", And: " ∧ ", Or: " ∨ ", Implies: " → ", Iff: " ↔ ",
    "true": "⊤", "false": "⊥", Exists: "∃", Forall: "∀", AtLeast: "∃≥{} ",
}  # fmt: skip

# Binding strength: a node is parenthesised where a stronger level is required.
_LEVEL = {Iff: 1, Implies: 2, Or: 3, And: 4, Not: 5}
_ATOM_LEVEL = 6
# (level required of the left operand, level required of the right operand) per binary connective.
_OPERAND_LEVELS = {Iff: (2, 2), Implies: (3, 2), Or: (3, 4), And: (4, 5)}


def to_text(f: Formula, unicode: bool = False) -> str:
    """The text of f, in ASCII or (unicode=True) Unicode spelling; parse(to_text(f)) == f."""
    spelling = _UNICODE if unicode else _ASCII
    return _show(f, 1, True, spelling)


def _show(f: Formula, required: int, at_right_end: bool, spelling: dict) -> str:
    """Text of f in a position that requires binding level `required`.

    `at_right_end` says whether nothing follows f before the enclosing parenthesis or the end of the text.
    """
    if isinstance(f, Quantifier):
        text = _quantifier_prefix(f, spelling) + _show(f.body, 1, True, spelling)
        return text if at_right_end else f"({text})"
    if _LEVEL.get(type(f), _ATOM_LEVEL) < required:
        return f"({_show(f, 1, True, spelling)})"
    if isinstance(f, Not):
        return spelling["not"] + _show(f.operand, _LEVEL[Not], at_right_end, spelling)
    if isinstance(f, BINARY_CONNECTIVES):
        left_level, right_level = _OPERAND_LEVELS[type(f)]
        left = _show(f.left, left_level, False, spelling)
        right = _show(f.right, right_level, at_right_end, spelling)
        return left + spelling[type(f)] + right
    return _atom(f, spelling)


def _quantifier_prefix(q: Quantifier, spelling: dict) -> str:
    if isinstance(q, PairMajority):
        return f"M2 {q.var1} {q.var2}. "
    if isinstance(q, Majority):
        return f"M {q.var}. "
    if isinstance(q, AtLeast):
        return spelling[AtLeast].format(q.t) + f"{q.var}. "
    return spelling[type(q)] + f"{q.var}. "


def _atom(f: Formula, spelling: dict) -> str:
    if isinstance(f, Letter):
        return f"Q_{f.symbol}({f.var})"
    if isinstance(f, Less):
        return f"{f.left} < {f.right}"
    if isinstance(f, Equal):
        return f"{f.left} = {f.right}"
    if isinstance(f, Const):
        return spelling["true" if f.value else "false"]
    raise TypeError(f"not a formula node: {f!r}")
