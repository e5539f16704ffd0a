"""Iterated FO[M] programs: relations updated simultaneously r(n) = c * ceil(log2 n)^d + c0 times.

A program declares relations R_1 .. R_m, each with argument variables (its arity), an `init` formula and an
`update` formula whose free variables are among the arguments. On a word of size n (the length, or the
number of vertices of a graph input, below):

    R_i := init_i                                     (init reads letters, <, = and input relations)
    repeat r(n) times:  R_i := update_i  for every i at once (each update reads every R_j's old value)
    accept iff the sentence `accept` holds            (it may read every R_j)

Every formula may use all of FO[M] (exists, forall, M, M2, exists>=t). One iteration is a fixed FO[M]
step, so r(n) = c * ceil(log2 n)^d + c0 iterations describe uniform TC^d (docs/theory.md);
ceil(log2 n) is 0 for n <= 1.

Inputs. `input word` (the default): positions are 1..n, Q_a(x) reads the symbol at x. `input graph`: the
word is a ruler of m symbols over GRAPH_RULER ('-' none, 's' source, 't' target, 'b' both), then an m x m
matrix row-major over GRAPH_MATRIX (the word format of `compile_connectivity`); positions are the
vertices 1..m (n = m), Q_c(x) reads the ruler symbol of vertex x, and the input relations A_0(x, y) and
A_1(x, y) say whether the matrix entry (x, y) is 0 or 1.

The text syntax, the parser and the printer are in program_text.py; the interpreter (the reference
semantics for the compiler) is in interpreter.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from expressivity.logic.syntax import (
    Formula,
    free_variables,
    is_variable_name,
    relations,
)

INPUT_KINDS = ("word", "graph")
GRAPH_RULER = "-stb"
GRAPH_MATRIX = "01"
GRAPH_RELATIONS = {f"A_{symbol}": 2 for symbol in GRAPH_MATRIX}
"""The input relations of a graph program: A_c(x, y) iff the matrix entry (x, y) is c."""
STATEMENT_WORDS = frozenset({"input", "relation", "init", "update", "loops", "accept"})


class ProgramError(ValueError):
    """An inconsistent program. `part` names where: ("relation", R, "init"), ("accept",), ..."""

    def __init__(self, message: str, part: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.part = part


@dataclass(frozen=True)
class LoopSchedule:
    """r(n) = coefficient * ceil(log2 n)^power + constant, with ceil(log2 n) = 0 for n <= 1."""

    coefficient: int = 0
    power: int = 1
    constant: int = 0

    def __post_init__(self) -> None:
        for name in ("coefficient", "power", "constant"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ProgramError(f"loops: {name} must be a natural number, got {value!r}", ("loops",))
        if self.coefficient and self.power < 1:
            raise ProgramError("loops: the power of ceil(log2 n) must be at least 1", ("loops",))

    def __call__(self, n: int) -> int:
        log_term = (n - 1).bit_length() if n > 1 else 0
        return self.coefficient * log_term**self.power + self.constant

    def to_text(self) -> str:
        parts = []
        if self.coefficient:
            factor = "" if self.coefficient == 1 else f"{self.coefficient}*"
            power = "" if self.power == 1 else f"^{self.power}"
            parts.append(f"{factor}ceil(log2 n){power}")
        if self.constant or not parts:
            parts.append(str(self.constant))
        return " + ".join(parts)


@dataclass(frozen=True)
class RelationSpec:
    """One relation: name(args), its initial value and its update (free variables among args)."""

    name: str
    args: tuple[str, ...]
    init: Formula
    update: Formula

    @property
    def arity(self) -> int:
        return len(self.args)


@dataclass(frozen=True)
class IteratedProgram:
    """A validated iterated FO[M] program (module docstring)."""

    relations: tuple[RelationSpec, ...]
    loops: LoopSchedule
    accept: Formula
    input: str = "word"

    def __post_init__(self) -> None:
        object.__setattr__(self, "relations", tuple(self.relations))
        _validate(self)

    @property
    def arities(self) -> dict[str, int]:
        """Every relation an update or the accept sentence may read: the program's and the input's."""
        own = {spec.name: spec.arity for spec in self.relations}
        return {**(GRAPH_RELATIONS if self.input == "graph" else {}), **own}

    def relation(self, name: str) -> RelationSpec:
        return next(spec for spec in self.relations if spec.name == name)

    def formulas(self) -> Iterable[Formula]:
        for spec in self.relations:
            yield spec.init
            yield spec.update
        yield self.accept

    def size(self, length: int) -> int:
        """n for a word of `length` symbols: the length, or m for a graph word of m^2 + m symbols."""
        if self.input == "word":
            return length
        m = _graph_size(length)
        if m is None:
            raise ValueError(f"a graph word has m^2 + m symbols (m vertices); {length} is not of that form")
        return m


def _graph_size(length: int) -> int | None:
    m = 0
    while m * m + m < length:
        m += 1
    return m if m * m + m == length else None


def _validate(program: IteratedProgram) -> None:
    if program.input not in INPUT_KINDS:
        raise ProgramError(f"input must be one of {INPUT_KINDS}, got {program.input!r}", ("input",))
    if not isinstance(program.loops, LoopSchedule):
        raise ProgramError("loops must be a LoopSchedule", ("loops",))
    reserved = GRAPH_RELATIONS if program.input == "graph" else {}
    seen: set[str] = set()
    for spec in program.relations:
        where = ("relation", spec.name)
        if spec.name in seen:
            raise ProgramError(f"relation {spec.name!r} is declared twice", where)
        if spec.name in reserved or spec.name in STATEMENT_WORDS:
            raise ProgramError(f"{spec.name!r} is reserved and cannot name a relation", where)
        seen.add(spec.name)
        if len(set(spec.args)) != len(spec.args) or not all(is_variable_name(a) for a in spec.args):
            raise ProgramError(f"the arguments of {spec.name} must be distinct variables", where)
    arities = program.arities
    for spec in program.relations:
        for phase, formula, allowed in (
            ("init", spec.init, reserved),
            ("update", spec.update, arities),
        ):
            where = ("relation", spec.name, phase)
            _check_relations(formula, allowed, f"the {phase} of {spec.name}", where)
            extra = free_variables(formula) - set(spec.args)
            if extra:
                raise ProgramError(
                    f"the {phase} of {spec.name}({', '.join(spec.args)}) has the free variable(s) "
                    f"{', '.join(sorted(extra))}, not among the arguments",
                    where,
                )
    _check_relations(program.accept, arities, "the accept sentence", ("accept",))
    free = free_variables(program.accept)
    if free:
        raise ProgramError(
            f"the accept sentence has the free variable(s) {', '.join(sorted(free))}", ("accept",)
        )


def _check_relations(formula: Formula, allowed: dict[str, int], what: str, where: tuple[str, ...]) -> None:
    for name, arity in sorted(relations(formula)):
        if name not in allowed:
            readable = ", ".join(sorted(allowed)) or "none"
            message = f"{what} reads the relation {name!r}, which it may not (it may read: {readable})"
            raise ProgramError(message, where)
        if allowed[name] != arity:
            raise ProgramError(f"{what} gives {name} {arity} argument(s); it takes {allowed[name]}", where)
