"""Check an iterated program against an alphabet before compiling it (ProgramCompileError otherwise).

Contract: the program parses (text) or is an IteratedProgram; a word program has an alphabet of distinct
one-character symbols containing every Q_a it tests; a graph program's alphabet is its fixed ruler and
matrix symbols (none need be given). `variables` lists every relation argument, then every variable of
every formula, in order of first occurrence: the k digits of the assignment tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from expressivity.compile.formula.validate import FormulaCompileError, _check_alphabet, _variables_in_order
from expressivity.logic import (
    GRAPH_MATRIX,
    GRAPH_RULER,
    FormulaSyntaxError,
    IteratedProgram,
    Letter,
    ProgramError,
    parse_program,
    subformulas,
    to_text,
)


class ProgramCompileError(ValueError):
    """A program the compiler cannot take; the message names the part at fault."""


@dataclass(frozen=True)
class CheckedProgram:
    program: IteratedProgram
    positions: str
    extra: str
    variables: tuple[str, ...]


def validate_program(program: IteratedProgram | str, alphabet: str | None) -> CheckedProgram:
    if isinstance(program, str):
        try:
            program = parse_program(program)
        except (FormulaSyntaxError, ProgramError) as err:
            raise ProgramCompileError(f"cannot parse the program: {err}") from None
    if not isinstance(program, IteratedProgram):
        raise ProgramCompileError(f"expected an IteratedProgram or its text, got {type(program).__name__}")
    if program.input == "graph":
        fixed = GRAPH_RULER + GRAPH_MATRIX
        if alphabet is not None and "".join(sorted(alphabet)) != "".join(sorted(fixed)):
            raise ProgramCompileError(f"a graph program's alphabet is {fixed!r}, got {alphabet!r}")
        positions, extra = GRAPH_RULER, GRAPH_MATRIX
    else:
        if alphabet is None:
            raise ProgramCompileError("a word program needs an alphabet (e.g. 'ab')")
        try:
            positions, extra = _check_alphabet(alphabet), ""
        except FormulaCompileError as err:
            raise ProgramCompileError(str(err)) from None
    for formula in program.formulas():
        for node in subformulas(formula):
            if isinstance(node, Letter) and node.symbol not in positions:
                raise ProgramCompileError(
                    f"the letter {node.symbol!r} of {to_text(node)!r} is not in the alphabet {positions!r}"
                )
    names: dict[str, None] = {}
    for spec in program.relations:
        names.update(dict.fromkeys(spec.args))
    for formula in program.formulas():
        names.update(dict.fromkeys(_variables_in_order(formula)))
    return CheckedProgram(program, positions, extra, tuple(names))
