"""The layer-norm hash equality lemma (G3, docs/theory.md), measured exactly.

Statement. For rationals a, b let phi(z) = (z, 1, -z, -1)/sqrt(2 z^2 + 2), the layer-norm reading of the
raw cells (z, 1, -z, -1). Then

    phi(a) . phi(b) = (ab + 1)/sqrt((a^2 + 1)(b^2 + 1)) <= 1, with equality iff a = b,

because 1 - (phi(a).phi(b))^2 = (a - b)^2/((a^2 + 1)(b^2 + 1)). So an attention head with query phi(a_i)
and keys phi(b_j) ties exactly on {j : b_j = a_i}. Near misses are far enough apart for O(log n) bits:
for integers 0 <= a != b <= i with i >= 2,

    1 - phi(a) . phi(b) >= (1 - (phi(a).phi(b))^2)/2 >= 1/(2 i^4),

(for |a - b| = 1 since (i^2 + 1)((i - 1)^2 + 1) <= i^4 when i >= 2; for |a - b| >= 2 since
4 i^4 >= (i^2 + 1)^2). At i = 1 the only pair has gap 1 - 1/sqrt 2 > 1/4 (the bound 1/2 fails there).

Construction: `hash_dot` computes phi(a).phi(b) in the square-root field; `construct` builds a model whose
tail tokens have keys phi(b) and queries phi(a) and one unmasked `match_head`, so a run exhibits the tie
sets. `check` verifies the inequality, the equality case and the gap bound on every pair up to a size,
exactly, and that the head's tie sets are exactly the tokens with equal keys.
"""

from __future__ import annotations

from fractions import Fraction

from expressivity import Model, run
from expressivity.compile.gadgets import match_head, spin_writes
from expressivity.compile.program import Program
from expressivity.model import Layer
from expressivity.numbers.sqrtfield import SqrtNumber


def phi(z: Fraction | int) -> list[SqrtNumber]:
    scale = SqrtNumber.sqrt_of(Fraction(1, 1) / (2 * Fraction(z) ** 2 + 2))
    return [SqrtNumber(Fraction(z)) * scale, scale, SqrtNumber(-Fraction(z)) * scale, -scale]


def hash_dot(a: Fraction | int, b: Fraction | int) -> SqrtNumber:
    """phi(a) . phi(b), exactly."""
    return sum((x * y for x, y in zip(phi(a), phi(b), strict=True)), SqrtNumber(0))


def construct(keys: list[int], queries: list[int]) -> Model:
    """Tail token j holds raw cells (keys[j], 1, -keys[j], -1) and (queries[j], 1, ...); one unmasked head
    matches query against key (BOS holds zero cells, which read 0 and never tie with a unit query)."""
    program = Program("a")
    query, key, out = program.group("query", 4), program.group("key", 4), program.group("out", 4)
    tail = []
    for j, (b, a) in enumerate(zip(keys, queries, strict=True)):
        program.add_kind(f"t{j}")
        program.set(
            f"t{j}",
            {**dict(zip(key, (b, 1, -b, -1), strict=True)), **dict(zip(query, (a, 1, -a, -1), strict=True))},
        )
        tail.append(f"t{j}")
    head = match_head("match", query, key, spin_writes(out, {key[1]: 1}))
    return program.model(prefix=[Layer([head])], tail=tail, name="hash-equality")


def check(max_value: int = 40) -> dict:
    """Every pair 0 <= a, b <= max_value exactly, and the tie sets of one run with repeated keys."""
    above_one = equality_failures = gap_violations = 0
    for a in range(max_value + 1):
        for b in range(max_value + 1):
            dot = hash_dot(a, b)
            above_one += dot > 1
            equality_failures += (dot == 1) != (a == b)
            i = max(a, b)
            if a != b and i >= 2:
                bound = Fraction(1, 2 * i**4)
                gap_violations += (SqrtNumber(1) - dot) < bound
    keys = [value % 5 for value in range(12)]
    queries = [(3 * value) % 5 for value in range(12)]
    trace = run(construct(keys, queries), "")
    step = "prefix.layer0.attention"
    tie_mismatches = sum(
        trace.tie_set(step, "match", j + 1) != [i + 1 for i, b in enumerate(keys) if b == queries[j]]
        for j in range(len(keys))
    )
    return {
        "pairs": (max_value + 1) ** 2,
        "dot_above_one": above_one,
        "equality_iff_equal_failures": equality_failures,
        "gap_bound_violations": gap_violations,
        "gap_at_1": float(SqrtNumber(1) - hash_dot(1, 0)),
        "smallest_gap_times_2i4": min(
            float(SqrtNumber(1) - hash_dot(i, i - 1)) * 2 * i**4 for i in range(2, max_value + 1)
        ),
        "tie_set_mismatches": tie_mismatches,
    }
