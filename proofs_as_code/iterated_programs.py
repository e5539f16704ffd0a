"""Iterated FO[M] programs and looped padded transformers: uniform TC^d with one model for every n.

Statement. For a language L over an alphabet and d >= 1 the following are equivalent:
(a) L is in FO-uniform TC^d;
(b) L is accepted by an iterated FO[M] program (expressivity.logic.program) whose update runs
    r(n) = c * ceil(log2 n)^d + c0 times;
(c) L is accepted by ONE padded AHAT transformer with layer norm (polynomial padding, a block repeated
    O(log^d n) times), the same weights for every input length n.

(a) => (b) [relied on, not constructed here]. An FO-uniform threshold circuit family of depth
O(log^d n) and polynomial size is evaluated level by level: the gates of level <= l form an
FO-definable set of tuples, and one majority-quantifier step computes the values of the next level
from the previous ones (a threshold gate is a counting quantifier over its FO-definable fan-in). So a
relation V(gate tuple) updated by one FO[M] formula, iterated depth-many times, evaluates the circuit;
this is the iteration characterisation of descriptive complexity (Immerman, "Descriptive Complexity",
FO[t(n)] = CRAM[t(n)], with majority for threshold circuits; Barrington-Immerman-Straubing for the
uniformity of FO[M] = uniform TC^0). We rely on it as stated there.

(b) => (c) [constructed: `construct`]. `expressivity.compile.iterated.compile_program` builds the
model: the padding holds one token per assignment of the program's k variables (n^k tokens); each
relation is a spin stored at those tokens; every relation atom is read by a lookup head joining the
layer-norm keys of its variables; one update is a fixed number of layers planned and instantiated by
the formula compiler (Theorem 1 of the padding paper: an FO[M] formula is a constant-depth block);
every scratch cell is undone by a sign-flipped twin after the new values are captured, so the block
can repeat with the same weights; the init is in the prefix and the accept sentence in the suffix.
The loop count of the model is the program's r(n), so the model has O(log^d n) layers at length n.
With `causal=True` every head is causal; the padding then holds C(n) >= F + A + 1 + U r(n) copies of
the assignment tokens, each copy updating from an earlier one (compile/iterated/causal.py), a
polynomial of degree k + d.

(c) => (a) [relied on]. An AHAT layer with rational weights on a polynomial number of positions is an
FO-uniform TC^0 computation on O(log n)-bit numbers (the padding paper's upper bound), so
r(n) = O(log^d n) repetitions are a TC^d circuit, uniform because the weights do not depend on n.

Check. `check(...)` draws random programs (hypothesis strategy `expressivity.logic.strategies.programs`:
k <= 3 variables, 1-2 relations, loops constant or c * ceil(log2 n)^d + c0) and random words, compiles
each program once, runs the model exactly (the simulator also checks that every scratch cell is 0
after every iteration) and compares with the interpreter, the model checker iterated
(`expressivity.logic.accepts`).
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressivity import Model, Simulator
from expressivity.compile.iterated import compile_program
from expressivity.logic import IteratedProgram, accepts_batch
from expressivity.logic.strategies import programs


def construct(program: IteratedProgram | str, alphabet: str | None, causal: bool = False) -> Model:
    """(b) => (c): the one looped model of `program` (purely causal with `causal=True`)."""
    return compile_program(program, alphabet, causal=causal, self_check=False)


def check(
    programs_count: int = 10,
    words_per_program: int = 4,
    max_length: int = 4,
    seed: int = 0,
    causal: bool = False,
) -> dict:
    """Compiles `programs_count` random programs over "ab" (in causal mode with `causal=True`) and runs
    each on random words of length <= max_length exactly; returns the number of runs, the agreements
    with the interpreter, the loop schedules seen and how many runs accepted."""
    rng = random.Random(seed)
    found: list[tuple[IteratedProgram, list[str]]] = []

    @settings(
        max_examples=programs_count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(programs(max_depth=2), st.just(None))
    def collect(program: IteratedProgram, _: None) -> None:
        words = [
            "".join(rng.choice("ab") for _ in range(rng.randint(0, max_length)))
            for _ in range(words_per_program)
        ]
        found.append((program, words))

    collect()
    runs = agreements = accepted = 0
    schedules: set[str] = set()
    for program, words in found:
        simulator = Simulator(construct(program, "ab", causal))
        expected = accepts_batch(program, words)
        schedules.add(program.loops.to_text())
        for word, want in zip(words, expected, strict=True):
            got = simulator.run(word, record=False).accept
            runs += 1
            agreements += got == bool(want)
            accepted += bool(got)
    return {"runs": runs, "agreements": agreements, "accepted": accepted, "schedules": sorted(schedules)}


if __name__ == "__main__":
    print(check())
