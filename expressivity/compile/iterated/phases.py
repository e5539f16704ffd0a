"""One phase of an iterated program: evaluate some formulas at every assignment token, keep their values,
and leave every scratch cell at 0 again.

A phase is planned by the formula compiler's own pass (`formula.plan.make_plan` with `prepared=True`:
letters, ranks, keys and zero spins were computed once in the prefix) and instantiated with its gadgets
(`quantifier_head`, `materialised_ffn`), in their zero-based form: every quantifier group, table group
and relation lookup starts at 0 and is written by a sublayer that a sign-flipped twin can undo.

Schedule of a phase whose formulas are ready by slot C (C odd; slots as in plan.py, layer l = slot // 2),
with L = C // 2 + 1 forward layers:

    layers 0 .. L-1   forward: lookups (slot 0), quantifier heads, tables, and in layer L-1 the
                      capture tables: next(R) := spin of R's new value, at padding tokens only
    layers L .. 2L    erasure: a table of layer l is undone by its negation in layer 2L-1-l (FFN), a
                      head of layer l by its negation in layer 2L-l (attention)
    last erasure layer, FFN: commit, state(R) := next(R) and next(R) := 0 (padding tokens only)

Why the erasure is exact: an eraser reads the same residual cells as the sublayer it undoes, so it adds
exactly the negated output, provided every cell it reads still holds its value. A sublayer X reads only
cells written at earlier slots; mirrored, everything X reads is erased after X's eraser (for a head and
a table of the same layer l, the table's eraser runs in layer 2L-1-l and the head's in layer 2L-l, later).
The state cells, which lookups read, change only at the commit, after every eraser. So after a phase the
scratch cells (lookups, quantifier groups, tables, next) are exactly 0 at every position, and the block
(the update phase) can run again with the same weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

from expressivity.compile.formula.boolean import axis, constant_group, materialised_ffn, negated
from expressivity.compile.formula.layout import Cells
from expressivity.compile.formula.plan import EMBEDDED, Plan
from expressivity.compile.formula.quantifiers import quantifier_head
from expressivity.compile.gadgets import HALF, Axis, decision_ffn, spin_values
from expressivity.compile.program import Group
from expressivity.logic import Formula
from expressivity.model import FFN, Head, Layer

Sublayer = Head | FFN
Item = tuple[int, Sublayer, Sublayer]
"""(write slot, the sublayer, its eraser)."""


def renamed(sub: Sublayer, prefix: str) -> Sublayer:
    """The same sublayer named `prefix + name` (names are unique in a model; phases share gadgets)."""
    return dataclasses.replace(sub, name=f"{prefix}{sub.name}")


def forward_items(plan: Plan, cells: Cells, lookups: Mapping[Formula, Callable[[int], Head]]) -> list[Item]:
    """Every sublayer of the phase with its eraser: lookups at slot 0, then the plan's quantifier heads
    and materialised tables (constants go to the embedding and need no sublayer)."""
    items: list[Item] = [(0, make(1), make(-1)) for make in lookups.values()]
    for quantifier in plan.quantifiers:
        head = quantifier_head(plan, cells, quantifier, embed_constants=False)
        eraser = quantifier_head(plan, cells, quantifier, embed_constants=False, sign=-1)
        items.append((plan.slots[quantifier], head, eraser))
    for node in plan.materialised:
        if plan.slots[node] == EMBEDDED:
            constant_group(plan, cells, node)
            continue
        table = materialised_ffn(plan, cells, node, zero_based=True)
        items.append((plan.slots[node], table, negated(table, f"erase {table.name}")))
    return items


def capture_slot(plan: Plan, roots: Sequence[Formula]) -> int:
    """The first FFN slot at which every root can be computed from its bases."""
    ready = max([1, *(plan.available(leaf) for root in roots for leaf in plan.leaves(root))])
    return ready + 1 - ready % 2


def capture_ffn(
    plan: Plan, cells: Cells, root: Formula, target: Group, name: str, gate: Group | None = None
) -> FFN:
    """Writes the spin of root's value into the zero-based group `target`, at padding tokens only (and
    only where the spin group `gate` holds 1, when given: causal programs, causal.py)."""
    leaves = plan.leaves(root)
    gates = [cells.pad, *([gate] if gate else [])]

    def table(values: tuple[object, ...]) -> dict[str, Fraction]:
        opened, rest = values[: len(gates)], values[len(gates) :]
        if any(bit != 1 for bit in opened):
            return {}
        bit = plan.evaluate(root, dict(zip(leaves, rest, strict=True)))
        return spin_values(target, Fraction(int(bit)) - HALF)

    gate_axes = [Axis((0, 1), {1: {group[0]: 2}}, (group,), default=0) for group in gates]
    options = []
    for default in (None, 0, 1):
        axes = [*gate_axes, *(_with_default(axis(plan, cells, leaf), default) for leaf in leaves)]
        options.append(decision_ffn(name, axes, table, list(target)))
    return min(options, key=lambda ffn: len(ffn.w1))


def _with_default(leaf_axis: Axis, default: int | None) -> Axis:
    """A spin axis whose value `default` is decided by elimination (no detector): the table is then
    expanded around that value, which for an OR (default 1) or an AND (default 0) of many spins
    needs two hidden units instead of one per pattern. Other axes are kept as they are."""
    if default is None or leaf_axis.values != (0, 1) or leaf_axis.default is not None:
        return leaf_axis
    detectors = {value: row for value, row in leaf_axis.detectors.items() if value != default}
    return Axis(leaf_axis.values, detectors, leaf_axis.groups, default=default)


def commit_ffn(cells: Cells, state: Group, following: Group, name: str, gate: Group | None = None) -> FFN:
    """At padding tokens (where `gate` holds 1, when given): state := the bit in `following` (a spin),
    and `following` := 0."""
    gates = [cells.pad, *([gate] if gate else [])]

    def table(values: tuple[object, ...]) -> dict[str, Fraction]:
        *opened, old, new = values
        if any(bit != 1 for bit in opened):
            return {}
        return {
            **spin_values(state, Fraction(int(new) - int(old))),
            **spin_values(following, HALF - int(new)),
        }

    axes = [*(Axis.spin(group) for group in gates), Axis.spin(state), Axis.spin(following)]
    return decision_ffn(name, axes, table, [*state, *following])


def phase_layers(
    items: Sequence[Item], captures: Sequence[FFN], commits: Sequence[FFN], slot: int
) -> list[Layer]:
    """The forward, capture, erasure and commit layers of a phase (module docstring); `slot` is the
    capture slot."""
    forward = slot // 2 + 1
    heads: dict[int, list[Head]] = {}
    ffns: dict[int, list[FFN]] = {}
    last_eraser = forward
    for write_slot, sub, eraser in items:
        layer = write_slot // 2
        if isinstance(sub, Head):
            undo = 2 * forward - layer
            heads.setdefault(layer, []).append(sub)
            heads.setdefault(undo, []).append(eraser)
        else:
            undo = 2 * forward - 1 - layer
            ffns.setdefault(layer, []).append(sub)
            ffns.setdefault(undo, []).append(eraser)
        last_eraser = max(last_eraser, undo)
    ffns.setdefault(forward - 1, []).extend(captures)
    ffns.setdefault(last_eraser, []).extend(commits)
    layers = [Layer(heads=heads.get(index, []), ffns=ffns.get(index, [])) for index in range(last_eraser + 1)]
    return [layer for layer in layers if layer.heads or layer.ffns]  # order is all the mirror needs
