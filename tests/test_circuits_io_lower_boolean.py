"""to_and_inverter: only INPUT/CONST/2-input AND/NOT remain, every original net keeps its name and its
values, and the threshold adder-comparator is exact, constants and negative weights included."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.analysis import depth
from circuits.evaluation import evaluate_batch, net_values_batch
from circuits.ir import Circuit, CircuitBuilder, Gate, Op
from circuits.lower_boolean import is_and_inverter_gate, to_and_inverter
from circuits.strategies import circuits


def all_vectors(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8).reshape(2**n, n)


@settings(max_examples=150)
@given(circuits(max_inputs=6, max_gates=15, max_fanin=12, max_weight=9))
def test_every_original_net_keeps_its_name_and_values(circuit: Circuit):
    lowered = to_and_inverter(circuit)
    assert all(is_and_inverter_gate(g) for g in lowered.gates)
    assert lowered.inputs == circuit.inputs and lowered.outputs == circuit.outputs
    vectors = all_vectors(len(circuit.inputs))
    before, after = net_values_batch(circuit, vectors), net_values_batch(lowered, vectors)
    for name, values in before.items():
        assert np.array_equal(after[name], values), name


@settings(max_examples=150)
@given(
    weights=st.lists(st.integers(-40, 40), min_size=1, max_size=7),
    threshold=st.integers(-150, 150),
)
def test_threshold_gate_against_its_definition(weights: list[int], threshold: int):
    b = CircuitBuilder()
    x = [b.input(f"x{i}") for i in range(len(weights))]
    b.output(b.threshold(x, weights, threshold, name="t"))
    circuit = b.build()
    vectors = all_vectors(len(weights))
    expected = [
        [int(sum(w * v for w, v in zip(weights, row, strict=True)) >= threshold)] for row in vectors.tolist()
    ]
    assert evaluate_batch(to_and_inverter(circuit), vectors).tolist() == expected


def test_a_threshold_that_cannot_fail_or_cannot_hold_becomes_a_constant():
    b = CircuitBuilder()
    x, y = b.input("x"), b.input("y")
    b.output(b.threshold([x, y], [-2, 3], -2, name="always"))
    b.output(b.threshold([x, y], [-2, 3], 4, name="never"))
    lowered = to_and_inverter(b.build())
    assert lowered.gate("always") == Gate("always", Op.CONST, value=1)
    assert lowered.gate("never") == Gate("never", Op.CONST, value=0)


def test_wide_and_becomes_a_balanced_tree():
    b = CircuitBuilder()
    x = [b.input(f"x{i}") for i in range(16)]
    b.output(b.gate(Op.AND, *x, name="all"))
    lowered = to_and_inverter(b.build())
    assert depth(lowered) == 4
    assert sum(g.op is Op.AND for g in lowered.gates) == 15


def test_majority_of_101_stays_exact_and_small():
    b = CircuitBuilder()
    x = [b.input(f"x{i}") for i in range(101)]
    b.output(b.gate(Op.MAJ, *x, name="maj"))
    lowered = to_and_inverter(b.build())
    generator = np.random.default_rng(3)
    ones = generator.integers(40, 62, size=400)
    vectors = np.zeros((400, 101), dtype=np.uint8)
    for row, k in zip(vectors, ones, strict=True):
        row[generator.choice(101, size=k, replace=False)] = 1
    assert evaluate_batch(lowered, vectors)[:, 0].tolist() == [int(k >= 51) for k in ones]
    assert sum(g.op is Op.AND for g in lowered.gates) < 101 * 12


def test_keep_spares_the_chosen_gates():
    b = CircuitBuilder()
    x, y, z = b.input("x"), b.input("y"), b.input("z")
    b.output(b.gate(Op.XOR, x, y, z, name="p"))
    b.output(b.gate(Op.MAJ, x, y, z, name="m"))
    lowered = to_and_inverter(b.build(), keep=lambda gate: gate.op is Op.XOR)
    assert lowered.gate("p") == Gate("p", Op.XOR, ("x", "y", "z"))
    assert all(g.op in (Op.INPUT, Op.XOR, Op.AND, Op.NOT) for g in lowered.gates)
