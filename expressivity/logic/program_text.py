"""The text form of iterated programs: parser (with the formula parser's caret errors) and printer.

Grammar (EBNF; formulas as in parser.py, where a declared relation R of arity k is the atom R(x1, .., xk)):

    program   = [ "input" ("word" | "graph") ";" ] { relation } "loops" loops ";" "accept" formula ";"
    relation  = "relation" NAME "(" [ VAR { "," VAR } ] ")" ":" "init" formula ";" "update" formula ";"
    loops     = term [ "+" term ]
    term      = NUMBER | [ NUMBER "*" ] "ceil" "(" "log2" "n" ")" [ "^" NUMBER ]

At most one term of each kind: `loops 3;`, `loops ceil(log2 n);`, `loops 2*ceil(log2 n)^2 + 1;`.
`#` starts a comment to the end of the line. Relations may be read before they are declared (updates are
simultaneous). Examples: `program_library.CONNECTIVITY_TEXT` (transitive closure of a graph, then
s -> t) and the files in examples/programs/; docs/program-grammar.md is the user's guide.

Errors raise FormulaSyntaxError: `line:col: message`, the line, and a caret under the column. A program
that parses but is inconsistent (a free variable that is not an argument, an init that reads a relation,
...) is reported the same way, with the caret at the formula at fault.
"""

from __future__ import annotations

from itertools import pairwise

from expressivity.logic.parser import MAX_DIGITS, FormulaSyntaxError, _Parser, _Token
from expressivity.logic.printer import to_text as formula_text
from expressivity.logic.program import (
    GRAPH_RELATIONS,
    INPUT_KINDS,
    STATEMENT_WORDS,
    IteratedProgram,
    LoopSchedule,
    ProgramError,
    RelationSpec,
)
from expressivity.logic.syntax import KEYWORDS, Formula


def parse_program(text: str) -> IteratedProgram:
    """The program written in `text` (module docstring); FormulaSyntaxError naming line and column."""
    if not isinstance(text, str):
        raise TypeError(f"parse_program takes a str, got {type(text).__name__}")
    return _ProgramParser(text).program()


def program_to_text(program: IteratedProgram) -> str:
    """The text of `program`; parse_program(program_to_text(p)) == p."""
    lines = [] if program.input == "word" else [f"input {program.input};"]
    for spec in program.relations:
        lines.append(f"relation {spec.name}({', '.join(spec.args)}):")
        lines.append(f"    init {formula_text(spec.init)};")
        lines.append(f"    update {formula_text(spec.update)};")
    lines.append(f"loops {program.loops.to_text()};")
    lines.append(f"accept {formula_text(program.accept)};")
    return "\n".join(lines) + "\n"


class _ProgramParser(_Parser):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.input = "word"
        self.offsets: dict[tuple[str, ...], int] = {}
        self.relations = self._declared()

    def _declared(self) -> dict[str, int]:
        """A first pass: the name and arity of every `relation NAME(...)`, so updates may read any."""
        declared: dict[str, int] = {}
        tokens = self.tokens
        graph = any(a.kind == "var" and a.text == "input" and b.text == "graph" for a, b in pairwise(tokens))
        for index, token in enumerate(tokens):
            if token.kind == "var" and token.text == "relation" and index + 2 < len(tokens):
                name, opening = tokens[index + 1], tokens[index + 2]
                if name.kind != "var" or opening.kind != "(":
                    continue
                arity, cursor = 0, index + 3
                while tokens[cursor].kind == "var":
                    arity += 1
                    cursor += 1 if tokens[cursor + 1].kind != "," else 2
                declared.setdefault(name.text, arity)
        return {**(GRAPH_RELATIONS if graph else {}), **declared}

    def atom(self) -> Formula:
        token, following = self.peek(), self.tokens[self.index + 1]
        if token.kind == "var" and following.kind == "(" and token.text not in self.relations:
            raise self.fail(f"a declared relation, but '{token.text}' is not declared", token)
        return super().atom()

    def word(self, expected: str) -> _Token:
        token = self.peek()
        if token.kind != "var" or token.text != expected:
            raise self.fail(f"'{expected}'")
        return self.take()

    def end_statement(self, what: str) -> None:
        self.expect(";", f"';' to end {what} (or an operator)")

    def located_formula(self, part: tuple[str, ...]) -> Formula:
        self.offsets[part] = self.peek().offset
        return self.formula()

    def program(self) -> IteratedProgram:
        if self.peek().kind == "var" and self.peek().text == "input":
            self.take()
            kind = self.peek()
            if kind.kind != "var" or kind.text not in INPUT_KINDS:
                raise self.fail(" or ".join(f"'{k}'" for k in INPUT_KINDS) + " after 'input'")
            self.take()
            self.input = kind.text
            self.end_statement("the input statement")
        specs: list[RelationSpec] = []
        while self.peek().kind == "var" and self.peek().text == "relation":
            specs.append(self.relation())
        if not (self.peek().kind == "var" and self.peek().text == "loops"):
            raise self.fail("'relation' or 'loops'" if specs else "'input', 'relation' or 'loops'")
        self.offsets[("loops",)] = self.take().offset
        loops = self.loops()
        self.end_statement("the loop count")
        self.word("accept")
        accept = self.located_formula(("accept",))
        self.end_statement("the accept sentence")
        if self.peek().kind != "end":
            raise self.fail("the end of the program (accept is the last statement)")
        try:
            return IteratedProgram(tuple(specs), loops, accept, self.input)
        except ProgramError as err:
            part = err.part
            while part and part not in self.offsets:
                part = part[:-1]
            offset = self.offsets.get(part, 0)
            raise FormulaSyntaxError(str(err), self.text, offset) from None

    def relation(self) -> RelationSpec:
        self.take()
        name = self.expect("var", "a relation name after 'relation'")
        if name.text in STATEMENT_WORDS or name.text in KEYWORDS:
            raise self.fail("a relation name that is not a keyword", name)
        self.offsets[("relation", name.text)] = name.offset
        self.expect("(", f"'(' after the relation name '{name.text}'")
        args: list[str] = []
        while self.peek().kind != ")":
            if args:
                self.expect(",", "',' or ')' in the argument list")
            args.append(self.variable("'(' or ',' in the argument list"))
        self.take()
        self.expect(":", f"':' after {name.text}({', '.join(args)})")
        self.word("init")
        init = self.located_formula(("relation", name.text, "init"))
        self.end_statement(f"the init of {name.text}")
        self.word("update")
        update = self.located_formula(("relation", name.text, "update"))
        self.end_statement(f"the update of {name.text}")
        return RelationSpec(name.text, tuple(args), init, update)

    def loops(self) -> LoopSchedule:
        coefficient, power, constant = 0, 1, None
        while True:
            start = self.peek()
            number = None
            if start.kind == "number":
                number = self._natural(self.take())
                if self.peek().kind != "*":
                    if constant is not None:
                        raise self.fail("at most one constant term in the loop count", start)
                    constant = number
                    if not self._more_terms():
                        break
                    continue
                self.take()
            if coefficient:
                raise self.fail("at most one ceil(log2 n) term in the loop count", start)
            for text, kind in (("ceil", "var"), ("(", "("), ("log2", "var"), ("n", "var"), (")", ")")):
                token = self.peek()
                if token.kind != kind or (kind == "var" and token.text != text):
                    raise self.fail(f"'{text}' (the loop count is c*ceil(log2 n)^d + c0)")
                self.take()
            coefficient = 1 if number is None else number
            if coefficient == 0:
                raise self.fail("a positive coefficient of ceil(log2 n)", start)
            if self.peek().kind == "^":
                self.take()
                power = self._natural(self.expect("number", "a natural number after '^'"))
                if power < 1:
                    raise self.fail("a power of at least 1", self.tokens[self.index - 1])
            if not self._more_terms():
                break
        return LoopSchedule(coefficient, power, constant or 0)

    def _natural(self, token: _Token) -> int:
        """The value of a NUMBER token of the loop count (at most MAX_DIGITS digits, as in formulas)."""
        if len(token.text) > MAX_DIGITS:
            message = f"a number of {len(token.text)} digits in the loop count; at most {MAX_DIGITS} are read"
            raise FormulaSyntaxError(message, self.text, token.offset)
        return int(token.text)

    def _more_terms(self) -> bool:
        if self.peek().kind != "+":
            return False
        self.take()
        return True
