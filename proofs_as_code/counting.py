"""Counting with a uniform head (G1, docs/theory.md), measured exactly.

Statement. Let a head have Q = K = 0, so every score is 0 and the tie set is the whole visible set, and
let its value read the first cell of a spin group holding an indicator x_j (stored (s, s, -s, -s) with
s = x_j - 1/2, which layer norm reads as itself). Its output at position i is exactly

    causal:    (1/(i + 1)) sum_{j <= i} x_j - 1/2,
    unmasked:  (1/N) sum_j x_j - 1/2,

so with x = [token is BOS] it yields 1/(i + 1) (causal) or 1/N (unmasked), up to the constant -1/2 that
an embedding or a comparison cancels; with x = [token is 1] it yields the fraction of ones. These are the
counts every construction compares: c/m against a threshold (quantifiers), 1/(d + 1) (ranks).

Construction: `construct()` is a model over {0, 1} with four uniform heads (`uniform_head`): BOS and ones,
each causal and unmasked. `check` runs it exactly on every word up to a length and compares every
position's four outputs with the counts computed here.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product

from expressivity import Model, Simulator
from expressivity.compile.gadgets import spin_cells, uniform_head
from expressivity.compile.program import Program
from expressivity.model import Layer

HALF = Fraction(1, 2)


def construct() -> Model:
    program = Program("01")
    bos, one = program.group("bos", 4), program.group("one", 4)
    program.set_all({**spin_cells(bos, 0), **spin_cells(one, 0)})
    program.set("BOS", spin_cells(bos, 1))
    program.set("1", spin_cells(one, 1))
    heads = []
    for source, group in (("bos", bos), ("one", one)):
        for mask in ("causal", "unmasked"):
            cell = program.cell(f"mean({source},{mask})")
            heads.append(uniform_head(f"{source}_{mask}", group, {cell: 1}, mask))
    return program.model(prefix=[Layer(heads)], name="counting")


def check(max_length: int = 6) -> dict:
    """Every word up to max_length: the outputs equal the counts exactly at every position."""
    simulator = Simulator(construct())
    positions = mismatches = 0
    for length in range(max_length + 1):
        for letters in product("01", repeat=length):
            word = "".join(letters)
            trace = simulator.run(word, record=False)
            size = len(trace.tokens)
            bos = [1] + [0] * length
            ones = [0] + [int(symbol) for symbol in word]
            for source, flags in (("bos", bos), ("one", ones)):
                causal = trace.column(f"mean({source},causal)")
                unmasked = trace.column(f"mean({source},unmasked)")
                for i in range(size):
                    mismatches += causal[i] != Fraction(sum(flags[: i + 1]), i + 1) - HALF
                    mismatches += unmasked[i] != Fraction(sum(flags), size) - HALF
                    positions += 1
    return {"max_length": max_length, "positions_checked": positions, "mismatches": mismatches}
