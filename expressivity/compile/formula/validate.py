"""Pass 1, validate: a closed FO[M] sentence over a given alphabet, or a FormulaCompileError naming the
offending subformula (quoted with the logic printer).

Contract: returns the parsed sentence, the alphabet as a string of distinct one-character symbols and the
sentence's variables in order of first occurrence (binders and atoms, left to right); every letter
predicate Q_a has a in the alphabet; no variable is free; at most MAX_VARIABLES distinct variable names.

Size. The model pads a word of length n with n^k tokens for k distinct variable names, and the
self-check runs every word of length 2 (2^k padding tokens and more), so a sentence with more than
MAX_VARIABLES names is refused before anything is built. Depth is not limited: every pass walks the
formula with explicit stacks, so long chains of connectives compile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from expressivity.logic import (
    Atom,
    Formula,
    FormulaSyntaxError,
    Letter,
    Quantifier,
    Relation,
    free_variables,
    is_letter_symbol,
    parse,
    to_text,
)

MAX_VARIABLES = 12


class FormulaCompileError(ValueError):
    """A sentence the formula compiler cannot take; the message quotes the subformula at fault."""


@dataclass(frozen=True)
class Sentence:
    """A validated sentence: `formula` closed, its letters within `alphabet`, `variables` in order."""

    formula: Formula
    alphabet: str
    variables: tuple[str, ...]

    @property
    def text(self) -> str:
        return to_text(self.formula)


def validate(sentence: Formula | str, alphabet: str) -> Sentence:
    """Parse (if text) and check `sentence` against `alphabet` (see the module docstring)."""
    alphabet = _check_alphabet(alphabet)
    if isinstance(sentence, str):
        try:
            formula = parse(sentence)
        except FormulaSyntaxError as err:
            raise FormulaCompileError(f"cannot parse the sentence: {err}") from None
    elif isinstance(sentence, Formula):
        formula = sentence
    else:
        raise FormulaCompileError(f"expected a formula or its text, got {type(sentence).__name__}")
    _check_closed(formula)
    _check_letters(formula, alphabet)
    names = _variables_in_order(formula)
    if len(names) > MAX_VARIABLES:
        raise FormulaCompileError(
            f"the sentence has {len(names)} distinct variable names and the model pads a word of length n "
            f"with n^{len(names)} tokens; at most {MAX_VARIABLES} are compiled (reuse the name of a variable "
            "whose quantifier has closed)"
        )
    return Sentence(formula, alphabet, names)


def _check_alphabet(alphabet: object) -> str:
    if not isinstance(alphabet, str) and not (
        isinstance(alphabet, list | tuple) and all(isinstance(s, str) for s in alphabet)
    ):
        raise FormulaCompileError(f"the alphabet must be a string of symbols, got {alphabet!r}")
    symbols = "".join(alphabet)
    if not symbols:
        raise FormulaCompileError("the alphabet is empty: give at least one symbol")
    for symbol in alphabet:
        if not is_letter_symbol(symbol):
            raise FormulaCompileError(f"alphabet symbol {symbol!r} is not one non-whitespace character")
    if len(set(symbols)) != len(symbols):
        raise FormulaCompileError(f"the alphabet {symbols!r} lists a symbol twice")
    return symbols


def _check_closed(formula: Formula) -> None:
    """Names the smallest subformula where a free variable of the sentence occurs (an atom)."""
    free = free_variables(formula)
    if not free:
        return
    name = sorted(free)[0]
    atom = formula
    while child := next((c for c in atom.children if name in free_variables(c)), None):
        atom = child
    raise FormulaCompileError(
        f"variable {name!r} is free in {to_text(atom)!r}: compile a sentence (every variable bound)"
    )


def _check_letters(formula: Formula, alphabet: str) -> None:
    for node in _preorder(formula):
        if isinstance(node, Relation):
            raise FormulaCompileError(
                f"{to_text(node)!r} is a relation atom: relations belong to iterated programs "
                "(compile them with compile_program)"
            )
        if isinstance(node, Letter) and node.symbol not in alphabet:
            raise FormulaCompileError(
                f"the letter {node.symbol!r} of {to_text(node)!r} is not in the alphabet {alphabet!r}"
            )


def _variables_in_order(formula: Formula) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for node in _preorder(formula):
        names = (
            node.bound
            if isinstance(node, Quantifier)
            else node.atom_variables
            if isinstance(node, Atom)
            else ()
        )
        for name in names:
            seen.setdefault(name, None)
    return tuple(seen)


def _preorder(formula: Formula) -> Iterator[Formula]:
    """Every node object once, before its children, children left to right (an explicit stack: any
    depth; a subtree shared by several parents is visited once)."""
    pending = [formula]
    visited: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        yield node
        pending.extend(reversed(node.children))
