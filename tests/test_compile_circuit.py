"""The circuit compiler (docs/routes.md): every compiled model agrees with circuits/ evaluation.

Expected values come from `circuits.evaluate` (the reference world), never from the compiler.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import Circuit, CircuitBuilder, Gate, Op, depth, evaluate, to_threshold
from circuits.io import read_circuit
from circuits.literal_form import literal_form
from circuits.strategies import circuits, input_vectors
from expressivity import LoopCount, Simulator, load, save
from expressivity.compile.circuit import compile_circuit, input_word
from expressivity.model import ModelError

MODES = st.sampled_from([False, True])
small_circuits = circuits(max_inputs=5, max_gates=40, max_depth=8, max_weight=3)


@given(small_circuits)
def test_literal_form_computes_the_same_outputs_on_every_input(circuit):
    form = literal_form(circuit)
    for bits in itertools.islice(itertools.product((0, 1), repeat=len(circuit.inputs)), 32):
        assert form.evaluate(bits) == evaluate(circuit, bits)
    assert form.depth <= depth(to_threshold(circuit))


@settings(max_examples=40)
@given(small_circuits.flatmap(lambda c: st.tuples(st.just(c), input_vectors(c))), MODES)
def test_compiled_circuit_equals_the_evaluator(case, causal):
    """Random circuits of every gate type (THRESHOLD with negative weights) on random inputs, in both
    masking modes; the exact run also checks that the scratch cells are 0 after every iteration."""
    circuit, bits = case
    compiled = compile_circuit(circuit, causal=causal, check=False)
    assert compiled.run(bits, check_scratch=True) == evaluate(circuit, bits)
    masks = {head.mask for _, layers in compiled.model.sections() for layer in layers for head in layer.heads}
    if causal:
        assert masks == {"causal"}
    else:
        assert "unmasked" in masks


def _state_after_each_iteration(trace, block_layers: int) -> list[list]:
    last = f"layer{block_layers - 1}.ffn"
    return [trace.column("state[0]", step.name) for step in trace.steps if step.name.endswith(last)]


@settings(max_examples=25)
@given(small_circuits.flatmap(lambda c: st.tuples(st.just(c), input_vectors(c))), MODES)
def test_three_more_iterations_change_nothing(case, causal):
    """After depth(C) iterations every node is right; iterations depth+1 .. depth+3 leave every state
    and every output as it was."""
    circuit, bits = case
    compiled = compile_circuit(circuit, causal=causal, check=False)
    loops = compiled.model.loops.value
    longer = dataclasses.replace(compiled.model, loops=LoopCount(value=loops + 3))
    trace = Simulator(longer).run(input_word(compiled.inputs, bits))
    assert trace.outputs == evaluate(circuit, bits)
    states = _state_after_each_iteration(trace, len(longer.block))
    assert len(states) == loops + 3
    settled = states[loops - 1] if loops else trace.column("state[0]", "prefix.layer2.ffn")
    assert all(state == settled for state in states[loops:])


def test_loop_count_is_the_depth_of_the_literal_form_and_nots_cost_nothing():
    b = CircuitBuilder()
    x, y = b.input("x"), b.input("y")
    a = b.gate(Op.AND, b.gate(Op.NOT, x), b.gate(Op.NOT, b.gate(Op.NOT, y)))
    b.output(b.gate(Op.NOT, a), "out")
    circuit = b.build()
    compiled = compile_circuit(circuit)
    assert depth(circuit) == 4
    assert compiled.model.loops.value == 2  # the AND, and the output NOT which stays a node
    for bits in itertools.product((0, 1), repeat=2):
        assert compiled.run(bits) == evaluate(circuit, bits)


def test_constants_and_inputs_read_directly_as_outputs():
    circuit = Circuit(
        [Gate("x", Op.INPUT), Gate("one", Op.CONST, value=1), Gate("zero", Op.CONST, value=0)],
        {"x": "x", "one": "one", "zero": "zero"},
    )
    compiled = compile_circuit(circuit)
    assert compiled.model.loops.value == 0
    for bit in (0, 1):
        assert compiled.run([bit]) == {"x": bit, "one": 1, "zero": 0}


def test_a_circuit_too_large_for_the_multiplicity_encoding_is_refused_before_building():
    from circuits.families import iterated_addition

    with pytest.raises(ModelError, match="wire tokens"):
        compile_circuit(iterated_addition(12, 12), check=False, max_tokens=100_000)


def test_bad_input_vectors_are_refused():
    compiled = compile_circuit(Circuit([Gate("x", Op.INPUT)], {"y": "x"}))
    with pytest.raises(ModelError, match="1 inputs, got 2 bits"):
        compiled.run([0, 1])
    with pytest.raises(ModelError, match="0 or 1"):
        compiled.run([2])


def test_the_model_file_round_trip_keeps_outputs_by_name(tmp_path, netlists):
    circuit = read_circuit(netlists / "iscas85" / "c17.bench")
    compiled = compile_circuit(circuit)
    save(compiled.model, tmp_path / "c17.json")
    model = load(tmp_path / "c17.json")
    assert model.metadata["inputs"] == list(circuit.inputs)
    for bits in itertools.product((0, 1), repeat=5):
        assert Simulator(model).run("".join(map(str, bits))).outputs == evaluate(circuit, bits)


REAL = [
    ("iscas85", "c17.bench"),
    *(
        pytest.param(family, name, marks=pytest.mark.slow)
        for family, name in [
            ("iscas85", "c432.bench"),
            ("iscas85", "c499.bench"),
            ("iscas85", "c880.bench"),
            ("epfl", "ctrl.aig"),
            ("epfl", "int2float.aig"),
            ("epfl", "dec.aig"),
            ("epfl", "router.aig"),
        ]
    ),
]


@pytest.mark.parametrize(("family", "name"), REAL)
def test_real_netlists_run_exactly_on_twenty_random_vectors(netlists, family, name):
    circuit = read_circuit(netlists / family / name)
    compiled = compile_circuit(circuit, check=False)
    vectors = np.random.default_rng(len(name)).integers(0, 2, size=(20, len(circuit.inputs)))
    for bits in vectors.tolist():
        assert compiled.run(bits, record=False) == evaluate(circuit, bits)


def test_c432_in_the_causal_mode(netlists):
    circuit = read_circuit(netlists / "iscas85" / "c432.bench")
    compiled = compile_circuit(circuit, causal=True, check=False)
    for bits in np.random.default_rng(7).integers(0, 2, size=(5, len(circuit.inputs))).tolist():
        assert compiled.run(bits, record=False) == evaluate(circuit, bits)


@pytest.mark.slow
def test_c6288_multiplies_two_16_bit_numbers(netlists):
    """c6288 is a 16 x 16 multiplier whose last two outputs are swapped (see test_circuits_io_real)."""
    circuit = read_circuit(netlists / "iscas85" / "c6288.bench")
    compiled = compile_circuit(circuit, check=False)
    a, b = 51_234, 40_961
    bits = [a >> k & 1 for k in range(16)] + [b >> k & 1 for k in range(16)]
    outputs = compiled.run(bits, record=False)
    got = [outputs[name] for name in compiled.output_names]
    product_bit_of_output = [*range(30), 31, 30]
    assert got == [(a * b) >> bit & 1 for bit in product_bit_of_output]


def test_bundled_c17_is_the_iscas_netlist(netlists):
    from circuits.examples import c17

    netlist = read_circuit(netlists / "iscas85" / "c17.bench")
    assert c17().inputs == netlist.inputs and c17().output_names == netlist.output_names
    for bits in itertools.product((0, 1), repeat=5):
        assert evaluate(c17(), bits) == evaluate(netlist, bits)


@pytest.mark.parametrize("name", ["majority", "parity", "iterated_addition"])
def test_tc0_families_need_a_constant_number_of_loops(name):
    """Constant depth families compile to a loop count that does not grow with n (TC^0)."""
    from circuits.families import FAMILIES

    loops = {n: compile_circuit(FAMILIES[name](n), check=False).model.loops.value for n in (3, 4, 6)}
    assert len(set(loops.values())) == 1, loops


@pytest.mark.slow
def test_reachability_needs_logarithmically_many_loops():
    """Repeated squaring: depth 2 ceil(log2 n) (circuits.families.reachability), so loops grow by a
    constant each time n doubles: O(log n), the TC^1 schedule."""
    from circuits.families import reachability

    loops = {n: compile_circuit(reachability(n), check=False).model.loops.value for n in (2, 4, 8, 16)}
    assert all(loops[n] <= 2 * (n - 1).bit_length() for n in loops), loops
    steps = [loops[2 * n] - loops[n] for n in (4, 8)]
    assert steps[0] == steps[1] > 0, loops
