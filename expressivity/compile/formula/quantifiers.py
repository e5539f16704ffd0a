"""Pass 3c, instantiate the quantifiers: one counting head per quantified subformula (docs/routes.md).

At an assignment token v, the head for a quantifier binding S (one variable, two for M2) joins on the
digits of every variable outside S and on the pad spin. Its tie set is exactly the m = n^|S| assignment
tokens that agree with v off S (mixed mode: unmasked; causal mode: those of the previous copy, joined
through the rational unit ids previous_id(v) = copy_id(w)). Over that tie set it averages

    the body's spin (sign flipped for a negated body):   A = c/m - 1/2   (c = count of the body)
    the zero spin of S (1 on exactly one of the m):       Z = 1/m - 1/2

into the comparison group (x, x, y, y) with x = A + 1/2 - kappa, y = theta (Z + 1/2) (the constants come
from the embedding), which reads sign(c/m - theta/m - kappa) (G2). `threshold` picks (theta, kappa) so
that this sign is the quantifier's truth value and never 0; the group then reads as the spin of that bit.

Causal copies. copy_below(j) = (rho, rho, tau_j, tau_j), rho = 1/(copy + 1) - 1/2 from the rank head of
the copy digit, tau_j = (1/j + 1/(j + 1))/2 - 1/2, reads [copy < j] exactly; a G9 table turns these bits
into copy_id = unit_id(copy) and previous_id = unit_id(copy - 1) (unit_id(D + 1), matching nothing, in
copy 0). A head in copy c reads copy c - 1, so a quantifier of nesting level l is right from copy l on,
and the sentence at the last copy D.
"""

from __future__ import annotations

from fractions import Fraction

from expressivity.compile.formula.atoms import rank_head
from expressivity.compile.formula.layout import COPY, Cells
from expressivity.compile.formula.plan import Plan
from expressivity.compile.gadgets import HALF, Axis, decision_ffn, join_head, unit_id, unit_id_cells
from expressivity.logic import AtLeast, Exists, Forall, Letter, PairMajority, Quantifier
from expressivity.model import FFN, Head


def threshold(quantifier: Quantifier) -> tuple[Fraction, Fraction]:
    """(theta, kappa): the quantifier holds iff c/m - theta/m - kappa > 0, which is never 0 because c is
    an integer: exists c > 1/2; forall c > m - 1/2; M and M2 2c > m, i.e. c > m/2 + 1/4;
    exists>=t c > t - 1/2."""
    if isinstance(quantifier, Exists):
        return HALF, Fraction(0)
    if isinstance(quantifier, Forall):
        return -HALF, Fraction(1)
    if isinstance(quantifier, AtLeast):
        return quantifier.t - HALF, Fraction(0)
    return Fraction(1, 4), HALF


def quantifier_head(
    plan: Plan, cells: Cells, quantifier: Quantifier, embed_constants: bool = True, sign: int = 1
) -> Head:
    """The counting head of `quantifier`; also embeds the constants of its comparison group.

    With `embed_constants=False` the group starts at 0 and the head adds the constants itself, as
    2c * mean(pad spin) (the pad spin is 1/2 on the whole tie set of a padding token): the group is then
    0 again after a head with `sign=-1` (same inputs) subtracts the same output, which is how iterated
    programs clean their scratch (compile/iterated)."""
    bound = set(quantifier.bound)
    pairs = [(cells.keys[v], cells.keys[v]) for v in cells.assignment_digits() if v not in bound]
    if plan.causal:
        assert cells.previous_id is not None and cells.copy_id is not None
        pairs.append((cells.previous_id, cells.copy_id))
    pairs.append((cells.pad, cells.pad))
    base, polarity = plan.bodies[quantifier]
    body = cells.letter[base.var][base.symbol] if isinstance(base, Letter) else cells.spin[base]
    zero = (
        cells.pair_zero[quantifier.bound]
        if isinstance(quantifier, PairMajority)
        else cells.zero[quantifier.var]
    )
    theta, kappa = threshold(quantifier)
    group = cells.spin[quantifier]
    constants = (HALF - kappa, HALF - kappa, theta / 2, theta / 2)
    values: dict[str, dict[str, Fraction]] = {
        group[0]: {body[0]: Fraction(polarity)},
        group[1]: {body[0]: Fraction(polarity)},
        group[2]: {zero[0]: theta},
        group[3]: {zero[0]: theta},
    }
    if embed_constants:
        cells.program.set_all(dict(zip(group, constants, strict=True)))
    else:
        for cell, constant in zip(group, constants, strict=True):
            values[cell][cells.pad[0]] = 2 * constant
    values = {cell: {c: sign * w for c, w in row.items()} for cell, row in values.items()}
    mask = "causal" if plan.causal else "unmasked"
    name = f"count({quantifier})" if sign > 0 else f"erase count({quantifier})"
    return join_head(name, pairs, values, reads=[body, zero], mask=mask)


def copy_rank_head(plan: Plan, cells: Cells) -> Head:
    """Writes rho = 1/(copy + 1) - 1/2 into every copy_below group (and embeds their thresholds)."""
    writes = {}
    for j, group in cells.copy_below.items():
        tau = (Fraction(1, j) + Fraction(1, j + 1)) / 2 - HALF
        cells.program.set_all({group[2]: tau, group[3]: tau})
        writes.update({group[0]: 1, group[1]: 1})
    return rank_head(COPY, cells, writes)


def copy_id_ffn(plan: Plan, cells: Cells) -> FFN:
    """copy_id and previous_id from the copy_below bits, on padding tokens; other tokens keep embedded
    ids that no padding token uses, so every key reads a unit vector."""
    assert cells.copy_id is not None and cells.previous_id is not None
    copy_id, previous_id = cells.copy_id, cells.previous_id
    last = plan.copies - 1
    program = cells.program
    program.set_all({**unit_id_cells(copy_id, last + 2), **unit_id_cells(previous_id, last + 3)})
    program.set("PAD", dict.fromkeys((*copy_id, *previous_id), 0))
    below = [cells.copy_below[j] for j in range(1, last + 1)]

    def table(bits: tuple[object, ...]) -> dict[str, Fraction]:
        pad, *flags = bits
        copy = flags.count(0)
        if pad != 1 or flags != [0] * copy + [1] * (last - copy):
            return {}
        previous = copy - 1 if copy else last + 1
        return {
            **dict(zip(copy_id, unit_id(copy), strict=True)),
            **dict(zip(previous_id, unit_id(previous), strict=True)),
        }

    axes = [Axis.spin(cells.pad), *(Axis.spin(group) for group in below)]
    return decision_ffn("copy_ids", axes, table, [*copy_id, *previous_id])
