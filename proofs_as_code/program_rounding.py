"""Rounding margins of the program route: the ties of `compile_program` survive fixed:p for p >= c log2 N.

Statement. Let f = floor(p/2) (fixed:p, docs/backends.md), N the sequence length, W = max(n, 2) the
largest digit count, and j <= k the number of key pairs a head joins on (k = the program's variables).
The program route reuses the formula route's set-up, atoms, quantifier heads and tables, whose margins
are proofs_as_code/rounding_margins.py; what compile/iterated adds is:

1. Lookup join (`assemble._lookup_maker`): the query holds key(z_1) .. key(z_j) and the pad spin, the
   key key(y_1) .. key(y_j) and the pad spin; every key is (x, 1, -x, -1) with x = 1/(d + 1), a
   canonical value (item 1 there: equal digits give bit-identical cells, readings and scores). A token
   agreeing on every pair scores exactly j + 1/4 (each reading has norm 1, the pad readings are +-1/2);
   a token differing on some pair scores at most j + 1/4 - 1/(8 W^4) (item 2 there, per pair). Each
   score is one rounded dot product of rounded readings, off by at most 9 (j + 1) 2^-f from its exact
   value, so the agreeing tokens (bit-identical among themselves) beat every other token when
   18 (j + 1) 2^-f < 1/(8 W^4): f >= 4 log2 W + 8 + log2(j + 1), i.e.
   p >= 8 log2 W + 17 + 2 log2(j + 1). Their tie set is exactly the exact one, and every tied token
   stores the same bit, so the mean is that spin (+-1/2) with no rounding.
2. Zero-based quantifier heads: the tie sets are the formula route's; the comparison constants are
   2c * mean(pad spin) = c over a tie set of padding tokens only (pad spin exactly 1/2), dyadic with
   denominator <= 8, so representable once f >= 3.
3. Erasers and commits. An eraser reads the same cells as the sublayer it undoes and has negated output
   weights; fixed:p rounds y to floor(y 2^f + 1/2) 2^-f, which equals -round(-y) unless y is an odd
   multiple of 2^-(f+1). Tables (capture, commit, Boolean G9 tables) read spins and order groups whose
   readings are exactly 0 or +-1/2, so every hidden unit is an integer and every output a dyadic
   rational with denominator <= 4: nothing is rounded. Lookups average equal spins (item 1). So the
   scratch returns to exactly 0 after every iteration; for the quantifier heads, whose means a/(8m)
   (m <= N) are not half-way points when 8N < 2^(f+1), `check` runs the scratch check of the
   simulator under fixed:p on every iteration.

So p >= 8 log2 N + 17 + 2 log2(k + 1) suffices for the program route; the measured p0 of
benchmarks/precision.py is lower, and is set by the coordinate set-up (the collision joins of
`coordinates.digit_hashes`), shared with the formula route, not by a gadget of compile/iterated.

Construction: `construct(program, alphabet)` is `compile_program`. `check(...)` runs the showcase
programs (a k = 2 program, the parity DFA, connectivity) on a few inputs at p = bits_needed(N, k)
(rounded up) and at the measured constant's p = ceil(c log2 N) with the scratch check on, and compares
every tie set of every head at every position and loop iteration, and the answer, with the exact run.
"""

from __future__ import annotations

import math

from expressivity import Model, Simulator
from expressivity.compile.iterated import compile_program
from expressivity.logic import IteratedProgram
from expressivity.logic.program_library import EXAMPLE_DFAS, connectivity_program, program_from_dfa
from expressivity.precision import compare
from expressivity.verification import words_of_size

A_BEFORE_B = """relation Seen(x): init Q_a(x); update Seen(x) | exists y. y < x & Seen(y);
loops ceil(log2 n) + 1; accept exists x. Q_b(x) & Seen(x);"""


def bits_needed(positions: int, variables: int) -> int:
    """p = 8 log2 N + 17 + 2 log2(k + 1), rounded up (statement, item 1 with W <= N, j <= k)."""
    return math.ceil(8 * math.log2(positions) + 17 + 2 * math.log2(variables + 1))


def construct(program: IteratedProgram | str, alphabet: str | None) -> Model:
    return compile_program(program, alphabet, self_check=False)


def check(constant: float = 8.58, sizes: tuple[int, ...] = (2, 3), samples: int = 2) -> dict:
    """Every tie set, the answer and the scratch at p = bits_needed(N, k) and p = ceil(constant log2 N)
    against exact, for the showcase programs at the given sizes. Returns counts of runs and agreements."""
    cases = [
        ("a-before-b", A_BEFORE_B, "ab"),
        ("parity", program_from_dfa(EXAMPLE_DFAS["parity"]), "01"),
        ("connectivity", connectivity_program(), None),
    ]
    runs = agreements = 0
    for _, program, alphabet in cases:
        model = construct(program, alphabet)
        simulator = Simulator(model)
        k = len(model.metadata["variables"])
        for size in sizes:
            for word in words_of_size(model, size, samples, seed=size):
                positions = model.sequence_length(len(word))
                exact = simulator.run(word, "exact", record=False)
                for bits in {bits_needed(positions, k), math.ceil(constant * math.log2(positions))}:
                    fixed = simulator.run(word, f"fixed:{bits}", check_scratch=True, record=False)
                    runs += 1
                    agreements += compare(exact, fixed, bits) is None
    return {"runs": runs, "agreements": agreements}


if __name__ == "__main__":
    print(check())
