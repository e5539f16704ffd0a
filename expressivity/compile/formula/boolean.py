"""Pass 3d, instantiate the Boolean structure: G9 tables over the bases (see plan.py).

A materialised subformula gets a spin group: its embedding holds a baseline bit b and a `decision_ffn`
adds (f - b)(1, 1, -1, -1), f the subformula's truth value as a function of the bases it reads; b is
the more frequent value of f, so only the rarer patterns cost hidden units. The sentence itself is
written into the single cell `accept` (+1/2 accept, -1/2 reject) by the same kind of table, gated by the
pad spin so that only assignment tokens are written: BOS keeps the embedded answer for the empty word,
which the readout sees when there is no padding (n = 0, k >= 1).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from expressivity.compile.formula.atoms import SPIN_SIGNS
from expressivity.compile.formula.layout import Cells
from expressivity.compile.formula.plan import Leaf, Plan
from expressivity.compile.gadgets import HALF, Axis, decision_ffn, spin_cells
from expressivity.logic import Formula
from expressivity.model import FFN

OTHER = "#other"
"""The letter value 'none of the letters tested at this variable'."""


def axis(plan: Plan, cells: Cells, leaf: Leaf) -> Axis:
    kind, *rest = leaf
    if kind == "letters":
        variable = str(rest[0])
        other = OTHER if plan.needs_other_letter(variable) else None
        return Axis.one_hot(cells.letter[variable], other)
    if kind == "order":
        return Axis.order(cells.order[(str(rest[0]), str(rest[1]))])
    node = rest[0]
    assert isinstance(node, Formula)
    return Axis.spin(cells.spin[node])


def _cheaper(build: Callable[[int], FFN]) -> tuple[FFN, int]:
    """The table with baseline 0 or 1, whichever has fewer hidden units."""
    options = [(build(b), b) for b in (0, 1)]
    return min(options, key=lambda option: len(option[0].w1))


def materialised_ffn(plan: Plan, cells: Cells, node: Formula, zero_based: bool = False) -> FFN:
    """The table writing node's spin group; sets the group's baseline in the embedding.

    With `zero_based=True` the group starts at 0 instead and the table's output bias adds the baseline
    spin, so the negated table (`negated`) returns the group to 0 (iterated programs' scratch)."""
    leaves = plan.leaves(node)
    group = cells.spin[node]

    def build(baseline: int) -> FFN:
        def table(values: tuple[object, ...]) -> dict[str, int]:
            delta = plan.evaluate(node, dict(zip(leaves, values, strict=True))) - baseline
            return {cell: sign * delta for cell, sign in zip(group, SPIN_SIGNS, strict=True)}

        name = f"table({node})"
        return decision_ffn(name, [axis(plan, cells, leaf) for leaf in leaves], table, list(group))

    ffn, baseline = _cheaper(build)
    if not zero_based:
        cells.program.set_all(spin_cells(group, baseline))
        return ffn
    bias = spin_cells(group, baseline)
    return FFN(ffn.name, ffn.view, ffn.w1, ffn.w2, ffn.writes, b1=ffn.b1, b2=[bias[c] for c in ffn.writes])


def negated(ffn: FFN, name: str) -> FFN:
    """The FFN that subtracts exactly what `ffn` adds, when it reads the same inputs."""
    w2 = [[-w for w in row] for row in ffn.w2]
    return FFN(name, ffn.view, ffn.w1, w2, ffn.writes, b1=ffn.b1, b2=[-b for b in ffn.b2])


def constant_group(plan: Plan, cells: Cells, node: Formula) -> None:
    """A materialised subformula that reads no base (a constant): its value lives in the embedding."""
    cells.program.set_all(spin_cells(cells.spin[node], int(plan.evaluate(node, {}))))


def result_ffn(plan: Plan, cells: Cells, empty_word: bool) -> FFN:
    """The table writing the sentence into `accept` at padding tokens (see the module docstring)."""
    formula = plan.sentence.formula
    leaves = plan.leaves(formula)

    def build(baseline: int) -> FFN:
        def table(values: tuple[object, ...]) -> dict[str, int]:
            pad, *rest = values
            if pad != 1:
                return {}
            return {cells.accept: plan.evaluate(formula, dict(zip(leaves, rest, strict=True))) - baseline}

        axes = [Axis.spin(cells.pad), *(axis(plan, cells, leaf) for leaf in leaves)]
        return decision_ffn("result", axes, table, [cells.accept])

    ffn, baseline = _cheaper(build)
    cells.program.set_all({cells.accept: Fraction(baseline) - HALF})
    cells.program.set("BOS", {cells.accept: Fraction(int(empty_word)) - HALF})
    return ffn
