"""The random-circuit strategy keeps its promises: names, bounds, and every gate kind shows up."""

import re
from collections import Counter

import pytest
from hypothesis import given, settings

from circuits import CircuitError, Op
from circuits.analysis import depth
from circuits.strategies import ALL_NON_SOURCE_OPS, circuits, input_vectors


@settings(max_examples=100)
@given(circuits(min_inputs=2, max_inputs=5, max_gates=12, max_fanin=3))
def test_names_and_bounds(circuit):
    inputs = circuit.inputs
    assert 2 <= len(inputs) <= 5 and inputs == tuple(f"x{i}" for i in range(len(inputs)))
    others = [g for g in circuit.gates if g.op is not Op.INPUT]
    assert len(others) <= 12
    assert all(re.fullmatch(r"g\d+", g.name) for g in others)
    assert all(len(g.fanin) <= 3 for g in others)
    assert 1 <= len(circuit.outputs) <= 3
    assert circuit.output_names == tuple(f"y{i}" for i in range(len(circuit.outputs)))


@settings(max_examples=100)
@given(circuits(max_depth=2, max_gates=15))
def test_depth_bound(circuit):
    assert depth(circuit) <= 2


@settings(max_examples=60)
@given(circuits(ops=[Op.AND, Op.NOT], allow_const=False, max_weight=0))
def test_restricted_ops(circuit):
    assert {g.op for g in circuit.gates} <= {Op.INPUT, Op.AND, Op.NOT}


def test_every_op_and_negative_weights_occur():
    seen: Counter = Counter()
    negative_weights = []

    @settings(max_examples=300, database=None)
    @given(circuits())
    def collect(circuit):
        seen.update(g.op for g in circuit.gates)
        negative_weights.extend(w for g in circuit.gates if g.op is Op.THRESHOLD for w in g.weights if w < 0)

    collect()
    assert set(ALL_NON_SOURCE_OPS) | {Op.INPUT, Op.CONST} <= set(seen)
    assert negative_weights


@given(circuits(max_inputs=4).flatmap(lambda c: input_vectors(c).map(lambda v: (c, v))))
def test_input_vectors_fit_the_circuit(pair):
    circuit, vector = pair
    assert len(vector) == len(circuit.inputs) and set(vector) <= {0, 1}


def test_bad_arguments():
    with pytest.raises(CircuitError, match="use allow_const for CONST"):
        circuits(ops=[Op.CONST])
    with pytest.raises(CircuitError, match="min_inputs <= max_inputs"):
        circuits(min_inputs=3, max_inputs=2)
