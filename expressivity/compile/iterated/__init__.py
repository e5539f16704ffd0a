"""Iterated FO[M] programs -> one looped padded transformer for every input length (uniform TC^d).

    >>> from expressivity.compile.iterated import compile_program
    >>> text = "relation P(x): init Q_a(x); update P(x); loops 1; accept exists x. P(x);"
    >>> model = compile_program(text, "ab")
    >>> model.run("bba").accept
    True

Modules: validate.py (program and alphabet), phases.py (one phase: evaluate, capture, erase, commit),
assemble.py (prefix with init, block with update, suffix with accept; the model).
"""

from expressivity.compile.iterated.assemble import check_program_model, compile_program
from expressivity.compile.iterated.validate import ProgramCompileError

__all__ = ["ProgramCompileError", "check_program_model", "compile_program"]
