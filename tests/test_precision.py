"""The precision audit finds the least fixed:P that decides like exact, checked by running fixed:P and
fixed:(P-1) directly, on hand-built, example and compiled models."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.io import read_circuit
from expressivity import FFN, Head, Layer, Model, Padding, Simulator, View
from expressivity.backends import SimulationError
from expressivity.compile.circuit import compile_circuit
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.examples import count_hash_retrieve_model, majority_model
from expressivity.precision import PrecisionRow, fitted_constant, precision_table, smallest_precision

MAJORITY = Simulator(majority_model())
CONNECTIVITY = Simulator(compile_connectivity())


def inverse_length_model(pad: int = 0) -> Model:
    """Accepts every word over {a}, by the sign of 1/N at the last position.

    A uniform causal head reads the one-cell RMS group (bos), which is 1 at BOS and 0 elsewhere, and
    writes the mean over all N positions, 1/N, into `share`; the readout scores accept = share and
    reject = 0 (an exact tie goes to reject). Exactly, 1/N > 0: accept.

    In fixed:P every value before the mean is exact (1 and 0 are multiples of 2^-P below 2^P), and the
    mean is rounded once to floor(2^P / N + 1/2) units of 2^-P. That is >= 1 iff 2^P / N >= 1/2, i.e.
    2^(P+1) >= N; below that the share is 0 and the run rejects. So the least working P is
    max(1, ceil(log2 N) - 1), and every P >= it works (the rounded mean only grows with P).
    """
    return Model(
        alphabet="a",
        labels=["bos", "share"],
        embedding={"BOS": {"bos": 1}},
        prefix=[
            Layer(
                heads=[
                    Head(
                        "mean",
                        View([["bos"]], norm="rms"),
                        query=[[0]],
                        key=[[0]],
                        value=[[1]],
                        writes=["share"],
                    )
                ]
            )
        ],
        padding=Padding([pad]),
        unembedding=[{}, {"share": 1}],
        name="inverse-length",
    )


def hand_derived_bits(positions: int) -> int:
    """max(1, ceil(log2 N) - 1) (see inverse_length_model), by integers only."""
    return max(1, (positions - 1).bit_length() - 1)


def agrees(simulator: Simulator, word: str, bits: int) -> bool:
    """fixed:bits gives the exact symbol and output bits on `word` (an overflow does not)."""
    exact = simulator.run(word, "exact", record=False)
    try:
        fixed = simulator.run(word, f"fixed:{bits}", record=False)
    except SimulationError:
        return False
    return (fixed.symbol, fixed.outputs) == (exact.symbol, exact.outputs)


def assert_least_working(simulator: Simulator, words: list[str], bits: int | None) -> None:
    """`bits` works on every word and bits - 1 fails on at least one (unless bits is 1)."""
    assert bits is not None
    assert all(agrees(simulator, word, bits) for word in words)
    if bits > 1:
        assert not all(agrees(simulator, word, bits - 1) for word in words)


@settings(max_examples=40)
@given(st.integers(0, 300), st.integers(0, 200))
def test_hand_built_model_needs_the_derived_precision(n: int, pad: int) -> None:
    simulator = Simulator(inverse_length_model(pad))
    positions = simulator.model.sequence_length(n)
    assert positions == 1 + n + pad
    bits = smallest_precision(simulator, ["a" * n])
    assert bits == hand_derived_bits(positions)
    assert_least_working(simulator, ["a" * n], bits)


def test_hand_built_named_examples() -> None:
    model = inverse_length_model()
    # N = 4: 2^2 >= 4, so P = 1; N = 5 needs 2^3 >= 5, P = 2; N = 32: 2^5 >= 32, P = 4; N = 33: P = 5.
    assert smallest_precision(model, ["aaa"]) == 1
    assert smallest_precision(model, ["aaaa"]) == 2
    assert smallest_precision(model, ["a" * 31]) == 4
    assert smallest_precision(model, ["a" * 32]) == 5


def test_too_few_bits_gives_none() -> None:
    model = inverse_length_model()
    word = "a" * 40  # N = 41 needs 2^(P+1) >= 41, P = 5
    assert smallest_precision(model, [word], max_bits=4) is None
    assert smallest_precision(model, [word], max_bits=5) == 5


@settings(max_examples=15)
@given(st.lists(st.text("01", min_size=1, max_size=13), min_size=1, max_size=6))
def test_majority_least_precision_is_found(words: list[str]) -> None:
    assert_least_working(MAJORITY, words, smallest_precision(MAJORITY, words))


def test_majority_with_a_margin_of_two_at_length_twelve_needs_more_than_two_bits() -> None:
    """At P = 2 the reading 1/sqrt 2 of a symbol rounds to 3/4 (floor(4/sqrt 2 + 1/2) = 3 units of 1/4);
    seven 1s and five 0s sum to 6 units over the 13 positions, and floor(6/13 + 1/2) = 0: the vote is
    lost and fixed:2 rejects a word that exact accepts."""
    words = ["111111100000", "000001111111", "101010101011", "111111000000"]
    assert not agrees(MAJORITY, words[0], 2)
    bits = smallest_precision(MAJORITY, words)
    assert bits is not None and bits > 2
    assert_least_working(MAJORITY, words, bits)


GRAPHS = [
    ([[0, 1], [0, 0]], 0, 1),
    ([[0, 1], [0, 0]], 1, 0),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], 0, 2),
    ([[0, 0, 0], [1, 0, 0], [0, 1, 0]], 0, 2),
    ([[1, 0, 1], [0, 0, 0], [0, 1, 0]], 0, 1),
]


def test_connectivity_least_precision_is_found() -> None:
    words = [connectivity_word(adjacency, s, t) for adjacency, s, t in GRAPHS]
    assert_least_working(CONNECTIVITY, words, smallest_precision(CONNECTIVITY, words))


@settings(max_examples=5)
@given(st.integers(2, 3).flatmap(lambda m: st.tuples(st.just(m), st.integers(0, 2 ** (m * m) - 1))))
def test_connectivity_random_graphs(graph: tuple[int, int]) -> None:
    m, code = graph
    adjacency = np.array([(code >> k) & 1 for k in range(m * m)]).reshape(m, m)
    words = [connectivity_word(adjacency, s, t) for s, t in [(0, m - 1), (m - 1, 0)]]
    assert_least_working(CONNECTIVITY, words, smallest_precision(CONNECTIVITY, words))


def test_compiled_circuit_output_bits_decide_agreement(netlists) -> None:
    compiled = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"))
    simulator = Simulator(compiled.model)
    words = ["".join(bits) for bits in itertools.product("01", repeat=5)]
    bits = smallest_precision(simulator, words)
    assert_least_working(simulator, words, bits)


def test_agreement_is_not_monotone_and_the_first_working_precision_is_reported() -> None:
    simulator = Simulator(count_hash_retrieve_model())
    words = ["".join(bits) for bits in itertools.product("01", repeat=3)]
    bits = smallest_precision(simulator, words, max_bits=12)
    assert bits is not None
    assert all(not all(agrees(simulator, w, p) for w in words) for p in range(1, bits))
    assert any(not all(agrees(simulator, w, p) for w in words) for p in range(bits + 1, 13))


def test_a_custom_agreement_is_used() -> None:
    model = inverse_length_model()
    word = "a" * 100
    assert smallest_precision(model, [word]) == 6
    assert smallest_precision(model, [word], agree=lambda exact, fixed: True) == 1


def test_precision_table_rows() -> None:
    model = inverse_length_model(pad=3)
    lengths = [0, 1, 5, 12, 60, 200]
    rows = precision_table(model, lambda n: ["a" * n], lengths)
    assert [row.n for row in rows] == lengths
    assert [row.positions for row in rows] == [n + 4 for n in lengths]
    assert all(row.words == 1 for row in rows)
    assert [row.smallest_bits for row in rows] == [hand_derived_bits(n + 4) for n in lengths]
    # The fitted c is the least whose curve is on or above every measurement: it touches one row.
    constant = max(hand_derived_bits(n + 4) / math.log2(n + 4) for n in lengths)
    for row in rows:
        assert row.theory_bits == pytest.approx(constant * math.log2(row.positions))
    fixed = precision_table(model, lambda n: ["a" * n], lengths, constant=2.0)
    assert [row.theory_bits for row in fixed] == [2.0 * math.log2(n + 4) for n in lengths]


def test_precision_table_rows_by_vertex_count() -> None:
    """Rows may be indexed by a size other than the input length: m vertices give words of m^2 + m
    symbols and N = 1 + (m^2 + m) + m^3 (padding) + 1 (END)."""

    def words(m: int) -> list[str]:
        path = np.eye(m, k=1, dtype=int)
        return [connectivity_word(path, 0, m - 1), connectivity_word(path, m - 1, 0)]

    rows = precision_table(CONNECTIVITY, words, [2, 3])
    assert [(row.n, row.positions, row.words) for row in rows] == [(2, 16, 2), (3, 41, 2)]
    for row in rows:
        assert_least_working(CONNECTIVITY, words(row.n), row.smallest_bits)


def test_precision_table_on_majority_words() -> None:
    def words(n: int) -> list[str]:
        return ["".join(bits) for bits in itertools.product("01", repeat=n)]

    rows = precision_table(MAJORITY, words, range(1, 8), max_bits=16)
    for row in rows:
        assert row.words == 2**row.n
        assert_least_working(MAJORITY, words(row.n), row.smallest_bits)


def test_fitted_constant_without_measurements_is_nan() -> None:
    assert math.isnan(fitted_constant([(10, None), (1, 3)]))
    assert fitted_constant([(4, 3), (16, 4)]) == 1.5
    row = precision_table(inverse_length_model(), lambda n: ["a" * n], [40], max_bits=2)[0]
    assert row == PrecisionRow(40, 41, 1, None, row.theory_bits) and math.isnan(row.theory_bits)


def test_bad_arguments_are_refused() -> None:
    model = inverse_length_model()
    with pytest.raises(ValueError, match="at least one word"):
        smallest_precision(model, [])
    with pytest.raises(ValueError, match="max_bits must be a positive integer"):
        smallest_precision(model, ["a"], max_bits=0)
    with pytest.raises(ValueError, match=r"words_of_length\(3\) gave words of different lengths: 'aa' has 2"):
        precision_table(model, lambda n: ["aa", "aaa"], [3])
    with pytest.raises(ValueError, match=r"words_of_length\(2\) gave no words"):
        precision_table(model, lambda n: [], [2])
    silent = Model(alphabet="a", labels=["x"], embedding={}, name="silent")
    with pytest.raises(ValueError, match="'silent' has no unembedding and no output taps"):
        smallest_precision(silent, ["a"])
    assert smallest_precision(silent, ["a"], agree=lambda exact, fixed: True) == 1


def test_a_failing_exact_run_names_the_word() -> None:
    # The group (x, y) = (1, 2) reads (-1, 1)/sqrt 2, so z = 1/sqrt 2; the group (x, z) = (1, 1/sqrt 2) then
    # has the irrational centred squared norm (1 - 1/sqrt 2)^2 / 2: a nested radical.
    model = Model(
        alphabet="a",
        labels=["x", "y", "z", "w"],
        embedding={"a": {"x": 1, "y": 2}},
        prefix=[
            Layer(ffns=[FFN("root", View([["x", "y"]]), w1=[[0, 1]], w2=[[1]], writes=["z"])]),
            Layer(ffns=[FFN("nested", View([["x", "z"]]), w1=[[1, 0]], w2=[[1]], writes=["w"])]),
        ],
        unembedding=[{}, {"w": 1}],
    )
    with pytest.raises(SimulationError, match="exact run on word 'a' failed"):
        smallest_precision(model, ["a"])
