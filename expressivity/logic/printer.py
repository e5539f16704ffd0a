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
    Relation,
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
    """The text of f, in ASCII or (unicode=True) Unicode spelling; parse(to_text(f)) == f.

    Iterative: `pending` holds text still to write and (node, required level, at right end) positions still
    to expand, last first, so a formula of any depth prints without Python recursion.
    """
    spelling = _UNICODE if unicode else _ASCII
    out: list[str] = []
    pending: list[str | _Position] = [(f, 1, True)]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            out.append(item)
        else:
            pending.extend(reversed(_pieces(*item, spelling)))
    return "".join(out)


_Position = tuple[Formula, int, bool]


def _pieces(f: Formula, required: int, at_right_end: bool, spelling: dict) -> list[str | _Position]:
    """The text of f in a position that requires binding level `required`, as text and sub-positions.

    `at_right_end` says whether nothing follows f before the enclosing parenthesis or the end of the text.
    """
    if isinstance(f, Quantifier):
        inner: list[str | _Position] = [_quantifier_prefix(f, spelling), (f.body, 1, True)]
        return inner if at_right_end else ["(", *inner, ")"]
    if _LEVEL.get(type(f), _ATOM_LEVEL) < required:
        return ["(", (f, 1, True), ")"]
    if isinstance(f, Not):
        return [spelling["not"], (f.operand, _LEVEL[Not], at_right_end)]
    if isinstance(f, BINARY_CONNECTIVES):
        left_level, right_level = _OPERAND_LEVELS[type(f)]
        return [(f.left, left_level, False), spelling[type(f)], (f.right, right_level, at_right_end)]
    return [_atom(f, spelling)]


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
    if isinstance(f, Relation):
        return f"{f.name}({', '.join(f.args)})"
    if isinstance(f, Const):
        return spelling["true" if f.value else "false"]
    raise TypeError(f"not a formula node: {f!r}")
