"""The purely causal mode of compile_program: blocks of copies that move the relations forward.

Why copies. In a causal model a position only ever depends on the positions at or before it, so a
relation stored at fixed tokens cannot be updated when R_(t+1)(a) reads R_t(b) stored at a later token.
The state has to move forward as t grows: the padding holds C copies of the n^k assignment tokens
(copy c is the tokens of rank c n^k + 1 .. (c + 1) n^k, the copy index the top coordinate digit, as in
the formula compiler's causal mode), every copy holds every relation, and every head reads earlier
copies only.

Delays. A quantifier head at copy c reads its body at copy c - 1 (the formula compiler's causal
quantifier head, joined on the key of copy c - 1), so a node under q quantifiers of a root evaluated at
copy c is evaluated at copy c - q. `delayed` renames every relation atom R(z) under q quantifiers to
R_delay<U - q>(z), and its lookup joins on the key of copy (its own copy) - (U - q): every atom of the
root then reads the state of copy c - q - (U - q) = c - U, whatever its nesting. U is at least 1 + the
deepest nesting of an atom (a lookup reads an earlier copy) and at least the quantifier depth (so
static quantifiers are right too).

Invariant. Let F be the quantifier depth of the inits (the init is right at copies >= F) and U the
update's delay. Copies c < F + U keep their init; a copy c >= F + U captures update(state of copy
c - U) in every iteration (capture and commit are gated by [copy >= F + U]). By induction, after t
iterations copy c holds update^min(t, floor((c - F) / U))(init) for c >= F; so every copy
c >= F + U r(n) holds the relations after r(n) iterations. The accept sentence (delay A) is read at
the last copy and reads copy C - 1 - A, so C = F + A + 1 + U r(n) copies suffice. The padding is a
polynomial: ceil(log2 n)^d <= n^d, so C(n) = F + A + 1 + U (c0 + c n^d) and the padding is
C(n) n^k: n^(k + d) tokens, not n^k (a causal loop needs about r(n) copies of the state).

Copy keys. From the copy digit's rank rho = 1/(copy + 1) - 1/2 the formula compiler's copy_below(j)
groups read [copy < j]; a table turns them into at_least(l) = [copy >= l] and exactly(l) =
[copy = l]; the causal head `back_key_head(l)` averages exactly(l) over the tokens of the same
assignment with copy l .. c (restricted by at_least(l)), c - l + 1 of them, one marked, and writes
key(copy - l) = (x, 1, -x, -1), x = 1/(c - l + 1), canonical like the digit keys (coordinates.py), so
joins on it survive fixed:p. Tokens with copy < l get a key that matches no real copy exactly; their
lookups read arbitrary values, which the gate never lets into a relation.
"""

from __future__ import annotations

from fractions import Fraction

from expressivity.compile.formula.layout import COPY, Cells
from expressivity.compile.gadgets import HALF, Axis, decision_ffn, join_head, spin_cells, spin_values
from expressivity.compile.program import Group
from expressivity.logic import Formula, Quantifier, Relation, quantifier_depth
from expressivity.model import FFN, Head, LoopCount

SUFFIX = "_delay"


def delayed_name(name: str, delay: int) -> str:
    """The name of relation `name` read from `delay` copies back (injective in (name, delay))."""
    return f"{name}{SUFFIX}{delay}"


def base_name(name: str) -> tuple[str, int]:
    """Inverse of `delayed_name`."""
    stem, _, delay = name.rpartition(SUFFIX)
    return stem, int(delay)


def atom_nesting(formula: Formula, declared: set[str]) -> int:
    """The deepest quantifier nesting above a declared relation atom (-1 when there is none)."""
    deepest = -1
    pending = [(formula, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, Relation) and node.name in declared:
            deepest = max(deepest, depth)
        below = depth + isinstance(node, Quantifier)
        pending.extend((child, below) for child in node.children)
    return deepest


def root_delay(formulas: list[Formula], declared: set[str]) -> int:
    """U: at least 1 + the deepest nesting of an atom and at least the quantifier depth (module doc)."""
    nesting = [1 + atom_nesting(f, declared) for f in formulas]
    return max([1, *nesting, *(quantifier_depth(f) for f in formulas)])


def delayed(formula: Formula, delay: int, declared: set[str]) -> Formula:
    """`formula` with every declared relation atom R(z) under q quantifiers renamed R_delay<delay - q>."""
    if isinstance(formula, Relation):
        if formula.name not in declared:
            return formula
        return Relation(delayed_name(formula.name, delay), formula.args)
    if not formula.children:
        return formula
    below = delay - isinstance(formula, Quantifier)
    cls, fields = formula.__reduce__()
    rebuilt = [delayed(f, below, declared) if isinstance(f, Formula) else f for f in fields]
    return cls(*rebuilt)


def copies_padding(k: int, loops: LoopCount, fixed: int, per_loop: int) -> tuple[list[int], int]:
    """Coefficients of C(n) n^k with C(n) = fixed + per_loop (c0 + c n^d) >= fixed + per_loop r(n),
    and the number of extra coordinate phases that cover C(n) n^k tokens (n >= 2)."""
    assert loops.value is not None
    degree = k + (loops.power if loops.coefficient else 0)
    coefficients = [0] * (degree + 1)
    coefficients[k] += fixed + per_loop * loops.value
    coefficients[degree] += per_loop * loops.coefficient
    bound = fixed + per_loop * (loops.value + loops.coefficient)
    return coefficients, (degree - k) + bound.bit_length()


def copy_bits(cells: Cells, levels: list[int]) -> tuple[FFN, dict[int, Group], dict[int, Group]]:
    """at_least(l) and exactly(l) spins for every l in `levels`, from copy_below(l) and copy_below(l + 1)
    (padding tokens only; others keep 0)."""
    at_least: dict[int, Group] = {}
    exactly: dict[int, Group] = {}
    program = cells.program
    for level in levels:
        at_least[level] = program.group(f"copy_at_least({level})", 4)
        exactly[level] = program.group(f"copy_is({level})", 4)
        program.set_all({**spin_cells(at_least[level], 0), **spin_cells(exactly[level], 0)})
    below = sorted({j for level in levels for j in (level, level + 1)})

    def table(values: tuple[object, ...]) -> dict[str, Fraction]:
        pad, *flags = values
        if pad != 1:
            return {}
        under = dict(zip(below, flags, strict=True))
        out: dict[str, Fraction] = {}
        for level in levels:
            if under[level] == 0:
                out.update(spin_values(at_least[level], 1))
                if under[level + 1] == 1:
                    out.update(spin_values(exactly[level], 1))
        return out

    axes = [Axis.spin(cells.pad), *(Axis.spin(cells.copy_below[j]) for j in below)]
    writes = [cell for level in levels for cell in (*at_least[level], *exactly[level])]
    return decision_ffn("copy_bits", axes, table, writes), at_least, exactly


def back_key_head(cells: Cells, level: int, at_least: Group, exactly: Group) -> tuple[Head, Group]:
    """The causal head writing key(copy - level) (module docstring) and its group."""
    group = cells.program.group(f"copy_back({level})", 4)
    cells.program.set_all(dict(zip(group, (HALF, Fraction(1), -HALF, Fraction(-1)), strict=True)))
    pairs = [(cells.keys[v], cells.keys[v]) for v in cells.assignment_digits()]
    pairs += [(cells.pad, cells.pad), (cells.pad, at_least)]
    values = {group[0]: {exactly[0]: Fraction(1)}, group[2]: {exactly[0]: Fraction(-1)}}
    head = join_head(f"copy_back({level})", pairs, values, reads=[exactly], mask="causal")
    return head, group


def copy_key(cells: Cells) -> Group:
    return cells.digits[COPY]
