"""Rounding margins: which p each tie-making gadget needs under fixed:p (p bits, f = floor(p/2) fractional).

Statement. Let W >= 2 bound every count a construction divides by (W <= N, the sequence length).

1. Canonical values (all gadgets). A cell written as the mean of a spin over one tie set, or embedded,
   is rounded once from its exact rational value, so it is a function of that rational alone; cells
   with equal exact values are bit-identical, and so are their readings and every score computed from
   them. This is why equal keys tie under fixed:p: coordinates (`digit_hashes`: rank, ratio, block and
   digit keys), connectivity (endpoint keys), formula (rank keys rho = 1/(d + 1) - 1/2), circuits (the
   position hash 1/(i + 1), a mean, against the same value embedded; code ids exactly representable).
2. Key joins (coordinates, letters, quantifier and rank joins, connectivity fetch/compose/readout,
   circuit proxies). Keys are (x, 1, -x, -1) with x = a/b, 1 <= a <= b <= W. Two different such x
   differ by at least 1/W^2, and phi(x) . phi(y) = (xy + 1)/sqrt((x^2 + 1)(y^2 + 1)) satisfies
   1 - (phi(x).phi(y))^2 = (x - y)^2/((x^2 + 1)(y^2 + 1)) >= (x - y)^2/4, so the exact margin is
   1 - phi(x).phi(y) >= (x - y)^2/8 >= 1/(8 W^4). Rounding the cells (2^-(f+1)), the reading
   (2^-(f+1) per coordinate; the reading is 1/sqrt 2-Lipschitz in x) and the score (2^-(f+1)) moves a
   computed score by at most 9 * 2^-f, so the self-score beats every other score when
   18 * 2^-f < 1/(8 W^4), i.e. f >= 4 log2 W + 8: p = 2f + 1 >= 8 log2 W + 17.
   This is the gadget that sets c: p0 <= 8 log2 N + 17.
3. Thresholds on readings (`zero_digit_ffn`: 1/2 against <= 1/sqrt 10, margin 0.18 at weight 10):
   f >= 7. Restriction terms read spins +-1/2 exactly (f >= 1) and have margin 4.
4. Comparisons of two canonical rationals at one token (E_s sets, B = 1, formula order groups,
   quantifier thresholds: c/m - theta/m - kappa has |.| >= 1/(4m); circuit gather: 1/(2 fan-in)):
   different values differ by at least 1/(4 W^2) and each side is off by at most 2^-(f+1) times a
   small weight, so f >= 2 log2 W + 4 keeps every sign.

So p >= 8 log2 N + 17 suffices for every route; the measured p0 (benchmarks/precision.py) lies below.

Construction: `construct(values)` puts one tail token per x in `values` with the key cells (x, 1, -x, -1)
(embedded, so rounded once like a mean) and runs the Q = K join of `gadgets.match_head` over them (the
self-tie plus any bit-identical key). `check` verifies 2 exactly on every pair of the canonical values
a/b with b <= W, and runs the join under fixed:p at p = 8 log2 W + 17 (rounded up) on those values:
every tie set must equal the exact one (each token ties with exactly the tokens of equal value).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import pairwise

from expressivity import Model, Simulator
from expressivity.compile.coordinates import key_cells
from expressivity.compile.gadgets import match_head
from expressivity.compile.program import Program
from expressivity.model import Layer
from proofs_as_code.hash_equality import hash_dot


def canonical_values(bound: int) -> list[Fraction]:
    """Every a/b with 1 <= a <= b <= bound, in increasing order (each once)."""
    return sorted({Fraction(a, b) for b in range(1, bound + 1) for a in range(1, b + 1)})


def bits_needed(bound: int) -> int:
    """p = 8 log2 W + 17, rounded up (statement, item 2)."""
    return math.ceil(8 * math.log2(bound) + 17)


def construct(values: list[Fraction]) -> Model:
    """Tail token j holds the key (values[j], 1, -values[j], -1); one causal Q = K join over the keys
    (BOS holds a zero group: it reads 0 and scores 0, below every self-score)."""
    program = Program("a")
    key, out = program.group("key", 4), program.cell("out")
    tail = []
    for j, x in enumerate(values):
        kind = f"t{j}"
        program.add_kind(kind)
        program.set(kind, key_cells(key, x))
        tail.append(kind)
    head = match_head("join", key, key, {out: {key[1]: 1}}, mask="causal")
    return program.model(prefix=[Layer(heads=[head])], tail=tail, name="key-join")


def check(bound: int) -> dict:
    """Item 2 exactly on all pairs of canonical values up to `bound`, and the join's tie sets under
    fixed:p at p = bits_needed(bound) against exact. Returns measured facts."""
    values = canonical_values(bound)
    smallest_gap = min(b - a for a, b in pairwise(values))
    margins = [1 - float(hash_dot(x, y)) for x in values for y in values if x != y]
    exact_margin_ok = all(m >= 1 / (8 * bound**4) for m in margins)
    simulator = Simulator(construct(values))
    exact = simulator.run("", "exact", record=False)
    bits = bits_needed(bound)
    fixed = simulator.run("", f"fixed:{bits}", record=False)
    key = ("prefix.layer0.attention", "join")
    same = exact.ties[key].as_lists() == fixed.ties[key].as_lists()
    agrees = [
        simulator.run("", f"fixed:{q}", record=False).ties[key].as_lists() == exact.ties[key].as_lists()
        for q in range(4, bits + 1)
    ]  # p >= 4: the constant 1 of the keys fits
    lowest = 4 + max((i + 1 for i, ok in enumerate(agrees) if not ok), default=0)
    return {
        "bound": bound,
        "values": len(values),
        "smallest_gap_at_least_1/W^2": smallest_gap >= Fraction(1, bound * bound),
        "exact_margin_at_least_1/(8W^4)": exact_margin_ok,
        "bits": bits,
        "tie_sets_equal_at_bits": same,
        "least_bits_from_which_all_agree": lowest,
    }
