"""Every compiled route keeps its ties under log precision: at p = ceil(C log2 N), C the constant printed
by benchmarks/precision.py, fixed:p gives every tie set of every head at every position (and loop
iteration) and every output of the exact run.

The families are those of the compile tests, at sizes that keep this file fast: FO[M] sentences with
k <= 3 variables in both modes, s-t connectivity up to m = 6 vertices, random circuits and c432 in both
modes, and iterated programs (random ones with k <= 3, the showcases at small n, one in causal mode),
whose fixed:p runs also check that every scratch cell is 0 after every loop iteration. The exact run is
the reference; `precision.compare` names the first difference.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circuits.io import read_circuit
from circuits.strategies import circuits, input_vectors
from expressivity import Simulator
from expressivity.compile.circuit import compile_circuit, input_word
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.compile.formula import compile_formula
from expressivity.compile.iterated import compile_program
from expressivity.logic.program_library import (
    EXAMPLE_DFAS,
    clock_program,
    connectivity_program,
    program_from_dfa,
    s5_program,
)
from expressivity.logic.strategies import programs, words
from expressivity.precision import compare

C = 8.58
"""max over routes of p0 / log2 N, as printed by benchmarks/precision.py (formula k = 3, causal, n = 2)."""

SENTENCES = {
    1: ["M x. Q_a(x)", "exists x. (Q_a(x) & ~Q_b(x))"],
    2: ["exists x. exists y. (x < y & Q_a(x) & Q_b(y))", "M2 x y. Q_a(x) | Q_a(y)"],
    3: ["exists x. exists y. exists z. (x < y & y < z & Q_a(x) & Q_b(z))"],
}
MAX_LENGTH = {1: 8, 2: 5, 3: 3}


def bits_for(simulator: Simulator, word: str) -> int:
    return math.ceil(C * math.log2(simulator.model.sequence_length(len(word))))


def assert_same_ties(simulator: Simulator, word: str) -> None:
    bits = bits_for(simulator, word)
    exact = simulator.run(word, "exact", record=False)
    fixed = simulator.run(word, f"fixed:{bits}", check_scratch=True, record=False)
    assert set(fixed.ties) == set(exact.ties)
    found = compare(exact, fixed, bits)
    assert found is None, found.describe()


COMPILED = {
    (text, causal): Simulator(compile_formula(text, "ab", causal=causal))
    for texts in SENTENCES.values()
    for text in texts
    for causal in (False, True)
}


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(sorted(COMPILED)), st.data())
def test_formulas_keep_every_tie(key, data) -> None:
    text, _ = key
    k = next(k for k, texts in SENTENCES.items() if text in texts)
    word = data.draw(st.text("ab", min_size=1, max_size=MAX_LENGTH[k]))
    assert_same_ties(COMPILED[key], word)


CONNECTIVITY = Simulator(compile_connectivity())


@settings(max_examples=6, deadline=None)
@given(st.integers(2, 5).flatmap(lambda m: st.tuples(st.just(m), st.integers(0, 2 ** (m * m) - 1))))
def test_connectivity_keeps_every_tie(graph) -> None:
    m, bits = graph
    adjacency = [[(bits >> (i * m + j)) & 1 for j in range(m)] for i in range(m)]
    rng = random.Random(bits)
    assert_same_ties(CONNECTIVITY, connectivity_word(adjacency, rng.randrange(m), rng.randrange(m)))


def test_connectivity_path_of_length_five() -> None:
    """m = 6: the path 0 -> 1 -> ... -> 5, reachable only through every loop iteration."""
    adjacency = [[int(j == i + 1) for j in range(6)] for i in range(6)]
    assert_same_ties(CONNECTIVITY, connectivity_word(adjacency, 0, 5))


@settings(max_examples=8, deadline=None)
@given(
    circuits(max_inputs=4, max_gates=12, max_depth=4, max_weight=3).flatmap(
        lambda c: st.tuples(st.just(c), input_vectors(c))
    ),
    st.booleans(),
)
def test_random_circuits_keep_every_tie(case, causal) -> None:
    circuit, bits = case
    compiled = compile_circuit(circuit, causal=causal, check=False)
    assert_same_ties(compiled.simulator, input_word(compiled.inputs, bits))


@pytest.mark.parametrize("causal", [False, True])
def test_c432_keeps_every_tie(netlists, causal) -> None:
    circuit = read_circuit(netlists / "iscas85" / "c432.bench")
    compiled = compile_circuit(circuit, causal=causal, check=False)
    bits = random.Random(432).choices((0, 1), k=len(compiled.inputs))
    assert_same_ties(compiled.simulator, input_word(compiled.inputs, bits))


@pytest.mark.parametrize(
    ("model", "size"),
    [
        (compile_connectivity(), 4),
        (compile_formula("exists x. exists y. (x<y & Q_a(x) & Q_b(y))", "ab"), 5),
        (compile_formula("M2 x y. Q_a(x) | Q_a(y)", "ab"), 6),
    ],
)
def test_the_issue_table_has_no_disagreement_at_64_and_100(model, size) -> None:
    """The three models of the issue's table, on 4 of its random inputs each: at p = 64 and 100 (both at
    least ceil(C log2 N) here) every tie set and every decision equals exact."""
    from expressivity.verification import words_of_size

    simulator = Simulator(model)
    for word in words_of_size(model, size, 4, seed=1):
        exact = simulator.run(word, "exact", record=False)
        assert bits_for(simulator, word) <= 64
        for bits in (64, 100):
            found = compare(exact, simulator.run(word, f"fixed:{bits}", record=False), bits)
            assert found is None, found.describe()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(programs(max_depth=2), st.lists(words("ab", 1, 3), min_size=1, max_size=2))
def test_random_programs_keep_every_tie(program, inputs) -> None:
    """Every tie set at every loop iteration, the answer and a clean scratch under fixed:p."""
    simulator = Simulator(compile_program(program, "ab", self_check=False))
    for word in inputs:
        assert_same_ties(simulator, word)


A_BEFORE_B = """relation Seen(x): init Q_a(x); update Seen(x) | exists y. y < x & Seen(y);
loops ceil(log2 n) + 1; accept exists x. Q_b(x) & Seen(x);"""


@pytest.mark.parametrize(
    ("program", "alphabet", "word", "causal"),
    [
        (program_from_dfa(EXAMPLE_DFAS["parity"]), "01", "0110", False),
        (program_from_dfa(EXAMPLE_DFAS["ab_star"]), "ab", "abab", False),
        (clock_program(), "ab", "abab", False),
        (A_BEFORE_B, "ab", "ab", True),
        pytest.param(s5_program(), "abe", "ab", False, marks=pytest.mark.slow),
    ],
)
def test_showcase_programs_keep_every_tie(program, alphabet, word, causal) -> None:
    model = compile_program(program, alphabet, causal=causal, self_check=False)
    assert_same_ties(Simulator(model), word)


def test_connectivity_program_keeps_every_tie() -> None:
    """The path 0 -> 1 -> 2 on m = 3 vertices, found at the last loop iteration."""
    adjacency = [[int(j == i + 1) for j in range(3)] for i in range(3)]
    model = compile_program(connectivity_program(), None, self_check=False)
    assert_same_ties(Simulator(model), connectivity_word(adjacency, 0, 2))
