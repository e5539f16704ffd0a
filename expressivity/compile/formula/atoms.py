"""Pass 3b, instantiate the atoms: letters, zero digits, ranks and order comparisons (all causal heads).

At an assignment token with digits d (v_x = d_x + 1):

- Q_a(x) (G3 + G4): a head with query (key(d_x), pad spin) and key (input position key, input spin)
  ties exactly on the input token at position d_x + 1 (the same canonical key there, bit for bit; a
  smaller dot product at other inputs; the spin part is +1 on inputs and -1 elsewhere). It copies that
  token's is(a) spins into letter(a, x).
- zero(x) = [d_x = 0]: `zero_digit_ffn` thresholds the first coordinate of the reading of key(d_x)
  (exactly 1/2 for d = 0, below 0.317 otherwise).
- rank: a causal head joining on every other digit (and the pad spin) ties on the tokens that agree with
  this one off x and stand before it, i.e. those with digit x <= d_x: d_x + 1 tokens, exactly one of them
  with digit 0. The mean of zero(x) is 1/(d_x + 1) - 1/2 = rho_x, written into the order groups and the
  key group of x (layout.py).
- x < y, x = y: the order group (rho_x, rho_x, rho_y, rho_y) reads sign(rho_x - rho_y) = sign(d_y - d_x)
  (G2 on rational cells: no radical is ever normalised).
- M2 pairs: zero(x, y) = zero(x) and zero(y) (G9), the indicator that counts 1 among n^2 pairs.
"""

from __future__ import annotations

from expressivity.compile.formula.layout import Cells
from expressivity.compile.formula.plan import Plan
from expressivity.compile.gadgets import (
    Axis,
    decision_ffn,
    join_head,
    spin_writes,
    zero_digit_ffn,
)
from expressivity.model import FFN, Head

SPIN_SIGNS = (1, 1, -1, -1)


def letter_heads(plan: Plan, cells: Cells) -> list[Head]:
    """One retrieval head per variable tested by a letter predicate."""
    heads = []
    for variable, letters in plan.letters.items():
        assert cells.input_hash is not None
        values: dict[str, dict[str, int]] = {}
        for symbol in letters:
            values.update(spin_writes(cells.letter[variable][symbol], {cells.is_letter[symbol][0]: 1}))
        heads.append(
            join_head(
                f"letters({variable})",
                [(cells.digits[variable], cells.input_hash), (cells.pad, cells.inputs)],
                values,
                reads=[cells.is_letter[symbol] for symbol in letters],
                mask="causal",
            )
        )
    return heads


def zero_ffns(cells: Cells) -> list[FFN]:
    return [
        zero_digit_ffn(f"zero({name})", cells.digits[name], cells.pad, group)
        for name, group in cells.zero.items()
    ]


def rank_head(name: str, cells: Cells, writes: dict[str, int]) -> Head:
    """The causal head whose mean of zero(name) is 1/(d + 1) - 1/2 at every assignment token, added
    with weight writes[cell] to each cell."""
    pairs = [(group, group) for other, group in cells.digits.items() if other != name]
    zero = cells.zero[name]
    return join_head(
        f"rank({name})",
        [*pairs, (cells.pad, cells.pad)],
        {cell: {zero[0]: weight} for cell, weight in writes.items()},
        reads=[zero],
        mask="causal",
    )


def order_heads(plan: Plan, cells: Cells) -> list[Head]:
    """One rank head per variable, writing rho_x into the order groups and the key group of x."""
    heads = []
    for variable in plan.variables:
        key = cells.keys[variable]
        writes: dict[str, int] = {key[0]: 1, key[2]: -1}
        for (x, y), group in cells.order.items():
            if variable == x:
                writes.update({group[0]: 1, group[1]: 1})
            elif variable == y:
                writes.update({group[2]: 1, group[3]: 1})
        heads.append(rank_head(variable, cells, writes))
    return heads


def pair_zero_ffns(cells: Cells) -> list[FFN]:
    return [
        decision_ffn(
            f"zero({x},{y})",
            [Axis.spin(cells.zero[x]), Axis.spin(cells.zero[y])],
            lambda bits, group=group: dict(zip(group, SPIN_SIGNS, strict=True)) if all(bits) else {},
            list(group),
        )
        for (x, y), group in cells.pair_zero.items()
    ]
