"""FO[M] sentences -> padded AHAT transformers (Theorem 1 of the padding paper; docs/routes.md).

    >>> from expressivity.compile.formula import compile_formula
    >>> from expressivity import run
    >>> model = compile_formula("exists x. Q_a(x)", "ab")
    >>> run(model, "bba").accept
    True

Passes, one module each: validate.py (closed sentence, alphabet) -> plan.py (bases, tables, schedule)
-> layout.py (token layout of both modes, cells, coordinates) -> atoms.py, quantifiers.py, boolean.py
(the gadgets) -> assemble.py (layers, model, self-check).
"""

from expressivity.compile.formula.assemble import check_model, compile_formula
from expressivity.compile.formula.validate import FormulaCompileError

__all__ = ["FormulaCompileError", "check_model", "compile_formula"]
