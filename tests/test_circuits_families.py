"""Uniform families against plain integer arithmetic, sorted() and networkx, and their depth growth.

References are written here from the definitions (never through circuits.*); vectors are all of
{0,1}^n for small inputs and a seeded random sample otherwise.
"""

import itertools
import random

import networkx as nx
import numpy as np
import pytest

from circuits import CircuitError, Op
from circuits.analysis import depth, depth_class, max_fanin
from circuits.evaluation import evaluate, evaluate_batch
from circuits.families import (
    at_least,
    comparison,
    exactly,
    iterated_addition,
    majority,
    multiplication,
    parity,
    reachability,
    sort_bits,
)


def vectors(n: int, sample: int = 512, seed: int = 0) -> list[tuple[int, ...]]:
    if n <= 10:
        return list(itertools.product((0, 1), repeat=n))
    rng = random.Random(seed + n)
    return [tuple(rng.randint(0, 1) for _ in range(n)) for _ in range(sample)]


def run(circuit, rows):
    return evaluate_batch(circuit, np.array(rows, dtype=np.uint8).reshape(len(rows), -1)).tolist()


def number(bits) -> int:
    return sum(bit << i for i, bit in enumerate(bits))


@pytest.mark.parametrize("n", range(1, 12))
def test_threshold_counting_families(n):
    rows = vectors(n)
    for row, out in zip(rows, run(majority(n), rows), strict=True):
        assert out == [int(2 * sum(row) > n)]
    for k in (0, 1, n // 2, n, n + 1):
        for row, out in zip(rows, run(at_least(n, k), rows), strict=True):
            assert out == [int(sum(row) >= k)]
    for k in {0, n // 2, n}:
        for row, out in zip(rows, run(exactly(n, k), rows), strict=True):
            assert out == [int(sum(row) == k)]
    for row, out in zip(rows, run(parity(n), rows), strict=True):
        assert out == [sum(row) % 2]
    for row, out in zip(rows, run(sort_bits(n), rows), strict=True):
        assert out == sorted(row, reverse=True)


def test_naming_and_order():
    assert comparison(2).inputs == ("a0", "a1", "b0", "b1")
    assert comparison(2).output_names == ("ge",)
    assert iterated_addition(2, 2).inputs == ("x0_0", "x0_1", "x1_0", "x1_1")
    assert iterated_addition(2, 2).output_names == ("s0", "s1", "s2")
    assert multiplication(2).output_names == ("p0", "p1", "p2", "p3")
    assert reachability(2).inputs == ("a_0_0", "a_0_1", "a_1_0", "a_1_1")
    assert sort_bits(3).output_names == ("s0", "s1", "s2")
    assert majority(3).output_names == ("out",)


@pytest.mark.parametrize("n", range(1, 9))
def test_comparison(n):
    rows = vectors(2 * n, sample=600)
    for row, out in zip(rows, run(comparison(n), rows), strict=True):
        assert out == [int(number(row[:n]) >= number(row[n:]))]


@pytest.mark.parametrize(("m", "n"), [(1, 1), (1, 4), (2, 1), (2, 3), (3, 3), (5, 2), (4, 4), (7, 3)])
def test_iterated_addition(m, n):
    circuit = iterated_addition(m, n)
    assert len(circuit.outputs) == (m * (2**n - 1)).bit_length()
    rows = vectors(m * n, sample=600)
    for row, out in zip(rows, run(circuit, rows), strict=True):
        assert number(out) == sum(number(row[i * n : (i + 1) * n]) for i in range(m))


@pytest.mark.parametrize("n", range(1, 7))
def test_multiplication(n):
    rows = vectors(2 * n, sample=600)
    for row, out in zip(rows, run(multiplication(n), rows), strict=True):
        assert len(out) == 2 * n
        assert number(out) == number(row[:n]) * number(row[n:])


def reference_closure(n: int, row) -> list[int]:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((i, j) for i in range(n) for j in range(n) if row[i * n + j])
    return [int(j == i or nx.has_path(graph, i, j)) for i in range(n) for j in range(n)]


@pytest.mark.parametrize("n", range(1, 8))
def test_reachability(n):
    rng = random.Random(n)
    rows = vectors(n * n, sample=200)
    # Sparse graphs too, where long paths are what matter.
    rows += [tuple(int(rng.random() < 1.2 / n) for _ in range(n * n)) for _ in range(200)]
    for row, out in zip(rows, run(reachability(n), rows), strict=True):
        assert out == reference_closure(n, row)


def test_reachability_along_a_long_path():
    n = 9
    edges = {(i, i + 1) for i in range(n - 1)}
    row = tuple(int((i, j) in edges) for i in range(n) for j in range(n))
    result = evaluate(reachability(n), row)
    assert all(result[f"r_{i}_{j}"] == int(j >= i) for i in range(n) for j in range(n))


def test_named_example_multiply_13_by_11():
    a, b = 13, 11
    bits = [(a >> i) & 1 for i in range(4)] + [(b >> i) & 1 for i in range(4)]
    result = evaluate(multiplication(4), bits)
    assert [result[f"p{j}"] for j in range(8)] == [1, 1, 1, 1, 0, 0, 0, 1]  # 143 = 0b10001111


SIZES = [2, 4, 8, 16, 32]


def test_constant_depth_families():
    assert [depth(parity(n)) for n in SIZES] == [2] * len(SIZES)
    assert [depth(iterated_addition(n, 4)) for n in SIZES] == [2] * len(SIZES)
    assert [depth(multiplication(n)) for n in [2, 4, 8, 12]] == [3] * 4
    assert depth_class(SIZES, [depth(iterated_addition(n, 4)) for n in SIZES]) == 0
    assert depth_class([2, 4, 8, 12], [depth(multiplication(n)) for n in [2, 4, 8, 12]]) == 0
    assert depth_class(SIZES, [depth(parity(n)) for n in SIZES]) == 0


def test_reachability_depth_is_logarithmic():
    sizes = [3, 4, 8, 9, 16, 17]
    depths = [depth(reachability(n)) for n in sizes]
    assert depths == [4, 4, 6, 8, 8, 10]  # 2 ceil(log2 n)
    assert depth_class(sizes, depths) == 1


def test_parity_is_a_threshold_circuit_and_majority_one_gate():
    assert {g.op for g in parity(6).gates} == {Op.INPUT, Op.THRESHOLD}
    assert majority(7).gates[-1].op is Op.MAJ and max_fanin(majority(7)) == 7


def test_bad_sizes_are_refused():
    with pytest.raises(CircuitError, match="exactly needs n >= 1 and 0 <= k <= n, got n=3, k=4"):
        exactly(3, 4)
    with pytest.raises(CircuitError, match="parity needs n >= 1, got 0"):
        parity(0)
    with pytest.raises(CircuitError, match="iterated_addition needs m, n >= 1"):
        iterated_addition(0, 3)
