"""Parse FO[M] formulas from text, in ASCII or Unicode spelling.

Grammar (EBNF; each line lists the ASCII spelling first, then the Unicode one):

    formula    = iff
    iff        = implies [ ("<->" | "↔") implies ]          at most one: a <-> b <-> c is an error
    implies    = or [ ("->" | "→") implies ]                 right associative
    or         = and { ("|" | "∨") and }                     left associative
    and        = unary { ("&" | "∧") unary }                 left associative
    unary      = ("~" | "!" | "¬") unary | quantifier | atom
    quantifier = ("exists" | "∃") [ (">=" | "≥") NUMBER ] VAR "." formula
               | ("forall" | "∀") VAR "." formula
               | "M" VAR "." formula
               | "M2" VAR VAR "." formula                    the two variables differ
    atom       = "true" | "⊤" | "false" | "⊥"
               | "Q_" SYMBOL "(" VAR ")"
               | VAR "<" VAR | VAR "=" VAR
               | REL "(" VAR { "," VAR } ")"                 only with declared relations
               | "(" formula ")"

Precedence, tightest first: atoms (comparisons such as x < y included), not, and, or, implies, iff. So
`~x < y` is not (x < y), and `a & b | c -> d <-> e` is (((a & b) | c) -> d) <-> e.

A quantifier's body extends as far right as possible: `exists x. A & B` is exists x. (A & B), and
`A & exists x. B | C` is A & (exists x. (B | C)). A quantifier followed by more text therefore needs
parentheses, as in `(exists x. A) & B`.

Lexical rules: whitespace separates tokens and is otherwise ignored; `#` starts a comment that runs to the end
of the line. VAR is an ASCII identifier that is not a keyword (exists, forall, M, M2, true, false) and does
not start with `Q_`. SYMBOL is the single character right after `Q_`, whatever it is apart from whitespace:
`Q_a(x)`, `Q_1(x)`, `Q_((x)` (x holds an opening parenthesis). NUMBER is a decimal natural number in the
ASCII digits 0-9, at most 4300 of them (Arabic-Indic or full-width digits are not numbers).

Size limits: chains of `&`, `|`, `->` and `~` may be as long as you like (they are read by loops), but
parentheses and quantifier bodies may nest at most MAX_NESTING = 100 deep; deeper text is a
FormulaSyntaxError at the '(' or quantifier that goes one level too far.

Errors raise FormulaSyntaxError with the line and column (both from 1) of the offending token, a message that
says what was expected, and a picture of the line with a caret under that column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from expressivity.logic.syntax import (
    KEYWORDS,
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
    Relation,
)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """Line and column, both counted from 1, of the character at `offset`."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


class FormulaSyntaxError(ValueError):
    """Text that is not a formula. `str(err)` reads `line:col: message`, the line, and a caret under col."""

    def __init__(self, message: str, text: str, offset: int):
        self.message = message
        self.line, self.col = _line_col(text, offset)
        line_start = offset - self.col + 1
        line_end = text.find("\n", offset)
        self.source_line = text[line_start : len(text) if line_end < 0 else line_end].rstrip("\r")
        caret_indent = "".join(c if c == "\t" else " " for c in self.source_line[: self.col - 1])
        super().__init__(f"{self.line}:{self.col}: {message}\n{self.source_line}\n{caret_indent}^")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # an operator or keyword in canonical spelling, or "var", "number", "letter", "end", "bad"
    text: str  # as written
    offset: int

    def describe(self) -> str:
        return "end of input" if self.kind == "end" else f"'{self.text}'"


_OPERATORS = {
    "<->": "<->", "↔": "<->",
    "->": "->", "→": "->",
    "&": "&", "∧": "&",
    "|": "|", "∨": "|",
    "~": "~", "!": "~", "¬": "~",
    ">=": ">=", "≥": ">=",
    "∃": "exists", "∀": "forall", "⊤": "true", "⊥": "false",
    "(": "(", ")": ")", ".": ".", "<": "<", "=": "=",
    ",": ",", ";": ";", ":": ":", "*": "*", "^": "^", "+": "+",
}  # fmt: skip
_OPERATOR = re.compile("|".join(re.escape(op) for op in sorted(_OPERATORS, key=len, reverse=True)))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+")
MAX_NESTING = 100
"""Deepest nesting of parentheses and quantifier bodies the parser reads (each level is a few Python
frames of the recursive descent, and Python's stack holds about 1000)."""
MAX_DIGITS = 4300
"""Longest NUMBER, in digits: Python's default limit on converting text to int."""


def _tokenize(text: str) -> list[_Token]:
    """Split text into tokens; an unknown character becomes a "bad" token for the parser to report."""
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char == "#":
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline
        elif text.startswith("Q_", pos):
            symbol_at = pos + 2
            if symbol_at >= len(text) or text[symbol_at].isspace():
                raise FormulaSyntaxError(
                    "expected a letter symbol (one character) right after 'Q_'", text, symbol_at
                )
            tokens.append(_Token("letter", text[pos : symbol_at + 1], pos))
            pos = symbol_at + 1
        elif match := _IDENTIFIER.match(text, pos):
            word = match.group()
            tokens.append(_Token(word if word in KEYWORDS else "var", word, pos))
            pos = match.end()
        elif match := _NUMBER.match(text, pos):
            tokens.append(_Token("number", match.group(), pos))
            pos = match.end()
        else:
            operator = _OPERATOR.match(text, pos)
            if operator is None:
                tokens.append(_Token("bad", char, pos))
                pos += 1
            else:
                tokens.append(_Token(_OPERATORS[operator.group()], operator.group(), pos))
                pos = operator.end()
    end = tokens[-1].offset + len(tokens[-1].text) if tokens else 0
    tokens.append(_Token("end", "", end))
    return tokens


class _Parser:
    """Recursive descent over the token list, one method per grammar rule. Repetition (chains of binary
    operators and of negations) is read by loops; only parentheses and quantifier bodies recurse, and
    `nesting` counts how deep (at most MAX_NESTING)."""

    def __init__(self, text: str, relations: Mapping[str, int] | None = None):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.nesting = 0
        self.relations: Mapping[str, int] = relations or {}

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, expected: str, token: _Token | None = None) -> FormulaSyntaxError:
        token = self.peek() if token is None else token
        return FormulaSyntaxError(f"expected {expected}, found {token.describe()}", self.text, token.offset)

    def expect(self, kind: str, expected: str) -> _Token:
        if self.peek().kind != kind:
            raise self.fail(expected)
        return self.take()

    def variable(self, after: str) -> str:
        return self.expect("var", f"a variable after {after}").text

    def formula(self) -> Formula:
        left = self.implies()
        if self.peek().kind != "<->":
            return left
        self.take()
        result = Iff(left, self.implies())
        if self.peek().kind == "<->":
            raise self.fail("parentheses around one side: '<->' does not chain")
        return result

    def nested_formula(self, opener: _Token) -> Formula:
        """A formula inside the parenthesis or quantifier `opener`, one level deeper."""
        if self.nesting >= MAX_NESTING:
            raise FormulaSyntaxError(
                f"parentheses and quantifiers nest more than {MAX_NESTING} deep here; "
                "write the formula with less nesting",
                self.text,
                opener.offset,
            )
        self.nesting += 1
        inner = self.formula()
        self.nesting -= 1
        return inner

    def implies(self) -> Formula:
        operands = [self.disjunction()]
        while self.peek().kind == "->":
            self.take()
            operands.append(self.disjunction())
        result = operands.pop()
        while operands:
            result = Implies(operands.pop(), result)
        return result

    def disjunction(self) -> Formula:
        result = self.conjunction()
        while self.peek().kind == "|":
            self.take()
            result = Or(result, self.conjunction())
        return result

    def conjunction(self) -> Formula:
        result = self.unary()
        while self.peek().kind == "&":
            self.take()
            result = And(result, self.unary())
        return result

    def unary(self) -> Formula:
        negations = 0
        while self.peek().kind == "~":
            self.take()
            negations += 1
        result = self.quantifier() if self.peek().kind in ("exists", "forall", "M", "M2") else self.atom()
        for _ in range(negations):
            result = Not(result)
        return result

    def quantifier(self) -> Formula:
        keyword = self.take()
        threshold = None
        if keyword.kind == "exists" and self.peek().kind == ">=":
            self.take()
            number = self.expect("number", "a natural number after '>='")
            if len(number.text) > MAX_DIGITS:
                message = f"a threshold of {len(number.text)} digits; at most {MAX_DIGITS} are read"
                raise FormulaSyntaxError(message, self.text, number.offset)
            threshold = int(number.text)
        first = self.variable(f"'{keyword.text}'")
        second = None
        if keyword.kind == "M2":
            if self.peek().kind == "var" and self.peek().text == first:
                raise self.fail(f"a second variable different from '{first}'")
            second = self.variable(f"'M2 {first}'")
        self.expect(".", "'.' after the quantified variable" + ("s" if second else ""))
        body = self.nested_formula(keyword)
        if keyword.kind == "forall":
            return Forall(first, body)
        if keyword.kind == "M":
            return Majority(first, body)
        if keyword.kind == "M2":
            return PairMajority(first, second, body)
        return Exists(first, body) if threshold is None else AtLeast(threshold, first, body)

    def atom(self) -> Formula:
        token = self.peek()
        if token.kind in ("true", "false"):
            self.take()
            return Const(token.kind == "true")
        if token.kind == "letter":
            self.take()
            self.expect("(", f"'(' after '{token.text}' (a letter symbol is one character)")
            var = self.variable("'('")
            self.expect(")", "')'")
            return Letter(token.text[2], var)
        if token.kind == "var" and token.text in self.relations:
            return self.relation_atom()
        if token.kind == "var":
            self.take()
            relation = self.peek()
            if relation.kind not in ("<", "="):
                raise self.fail(f"'<' or '=' after the variable '{token.text}'")
            self.take()
            other = self.variable(f"'{relation.text}'")
            return Less(token.text, other) if relation.kind == "<" else Equal(token.text, other)
        if token.kind == "(":
            self.take()
            inner = self.nested_formula(token)
            if self.peek().kind != ")":
                line, col = _line_col(self.text, token.offset)
                raise self.fail(f"an operator or ')' to close the '(' at {line}:{col}")
            self.take()
            return inner
        raise self.fail("a formula (an atom, '(', '~' or a quantifier)")

    def relation_atom(self) -> Formula:
        name = self.take()
        arity = self.relations[name.text]
        self.expect("(", f"'(' after the relation '{name.text}'")
        args: list[str] = []
        for index in range(arity):
            if index:
                self.expect(",", f"',': {name.text} takes {arity} arguments")
            args.append(self.variable(f"'(' or ',' in {name.text}(...)"))
        self.expect(")", f"')': {name.text} takes {arity} argument(s)")
        return Relation(name.text, args)


def parse(text: str, relations: Mapping[str, int] | None = None) -> Formula:
    """The formula written in `text` (grammar in the module docstring); FormulaSyntaxError if none is.

    `relations` maps relation names to arities: `R(x, y)` is then a relation atom (an identifier not in
    it stays a variable). Plain formulas have none; iterated programs (program.py) declare them."""
    if not isinstance(text, str):
        raise TypeError(f"parse takes a str, got {type(text).__name__}")
    parser = _Parser(text, relations)
    try:
        result = parser.formula()
    except RecursionError:
        # Only when parse is itself called from hundreds of frames deep: the nesting limit leaves room.
        message = f"the formula nests too deep for the stack left here (at nesting {parser.nesting})"
        raise FormulaSyntaxError(message, text, parser.peek().offset) from None
    if parser.peek().kind != "end":
        raise parser.fail("an operator (&, |, ->, <->) or the end of the formula")
    return result
