"""The single-vector evaluator against hand-worked truth tables, and the batch evaluator against it."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import circuits.evaluation as evaluation_module
from circuits import Circuit, CircuitBuilder, CircuitError, Gate, Op
from circuits.evaluation import evaluate, evaluate_batch, net_values, net_values_batch
from circuits.strategies import circuits, input_vectors


def full_adder() -> Circuit:
    b = CircuitBuilder("full_adder")
    x, y, cin = b.input("x"), b.input("y"), b.input("cin")
    half = b.gate(Op.XOR, x, y, name="half")
    b.output(b.gate(Op.XOR, half, cin, name="sum"), "sum")
    carry = b.gate(Op.OR, b.gate(Op.AND, x, y), b.gate(Op.AND, half, cin), name="carry")
    b.output(carry, "cout")
    return b.build()


def one_gate(op: Op, arity: int, **fields) -> Circuit:
    inputs = [Gate(f"x{i}", Op.INPUT) for i in range(arity)]
    gate = Gate("g", op, tuple(f"x{i}" for i in range(arity)), **fields)
    return Circuit([*inputs, gate], [("out", "g")])


def test_full_adder_truth_table():
    table = {
        (0, 0, 0): (0, 0),
        (0, 0, 1): (1, 0),
        (0, 1, 0): (1, 0),
        (0, 1, 1): (0, 1),
        (1, 0, 0): (1, 0),
        (1, 0, 1): (0, 1),
        (1, 1, 0): (0, 1),
        (1, 1, 1): (1, 1),
    }
    adder = full_adder()
    for bits, (total, carry) in table.items():
        assert evaluate(adder, bits) == {"sum": total, "cout": carry}
    vectors = np.array(list(table), dtype=np.uint8)
    assert evaluate_batch(adder, vectors).tolist() == [list(v) for v in table.values()]


# Truth tables of 3-input gates on inputs 000, 001, ..., 111 (x0 is the first bit), written out by hand.
THREE_INPUT_TABLES = {
    Op.AND: [0, 0, 0, 0, 0, 0, 0, 1],
    Op.OR: [0, 1, 1, 1, 1, 1, 1, 1],
    Op.NAND: [1, 1, 1, 1, 1, 1, 1, 0],
    Op.NOR: [1, 0, 0, 0, 0, 0, 0, 0],
    Op.XOR: [0, 1, 1, 0, 1, 0, 0, 1],
    Op.XNOR: [1, 0, 0, 1, 0, 1, 1, 0],
    Op.MAJ: [0, 0, 0, 1, 0, 1, 1, 1],
}


@pytest.mark.parametrize("op", list(THREE_INPUT_TABLES))
def test_three_input_gates(op):
    circuit = one_gate(op, 3)
    vectors = list(itertools.product((0, 1), repeat=3))
    assert [evaluate(circuit, v)["out"] for v in vectors] == THREE_INPUT_TABLES[op]
    assert evaluate_batch(circuit, vectors)[:, 0].tolist() == THREE_INPUT_TABLES[op]


def test_majority_of_even_fanin_is_strict():
    circuit = one_gate(Op.MAJ, 4)
    assert evaluate(circuit, (1, 1, 0, 0)) == {"out": 0}
    assert evaluate(circuit, (1, 1, 1, 0)) == {"out": 1}
    assert evaluate_batch(circuit, [(1, 1, 0, 0), (0, 1, 1, 1)]).tolist() == [[0], [1]]


def test_threshold_with_negative_weights():
    circuit = one_gate(Op.THRESHOLD, 3, weights=(2, -1, -1), threshold=1)
    expected = {(0, 0, 0): 0, (1, 0, 0): 1, (1, 1, 0): 1, (1, 1, 1): 0, (0, 1, 1): 0}
    for bits, out in expected.items():
        assert evaluate(circuit, bits) == {"out": out}
    assert evaluate_batch(circuit, list(expected))[:, 0].tolist() == list(expected.values())


def test_not_buf_const_and_repeated_fanin():
    circuit = Circuit(
        [
            Gate("x", Op.INPUT),
            Gate("one", Op.CONST, value=1),
            Gate("nx", Op.NOT, ("x",)),
            Gate("same", Op.BUF, ("x",)),
            Gate("xx", Op.XOR, ("x", "x")),
            Gate("xo", Op.XOR, ("x", "one")),
        ],
        [("nx", "nx"), ("same", "same"), ("xx", "xx"), ("xo", "xo"), ("in", "x")],
    )
    assert evaluate(circuit, [0]) == {"nx": 1, "same": 0, "xx": 0, "xo": 1, "in": 0}
    assert evaluate(circuit, [1]) == {"nx": 0, "same": 1, "xx": 0, "xo": 0, "in": 1}
    assert evaluate_batch(circuit, [[0], [1]]).tolist() == [[1, 0, 0, 1, 0], [0, 1, 0, 0, 1]]


def test_outputs_come_back_in_output_order():
    b = CircuitBuilder()
    x, y = b.input("x"), b.input("y")
    b.output(b.gate(Op.AND, x, y), "z_last_alphabetically")
    b.output(x, "a_first")
    assert list(evaluate(b.build(), {"x": 1, "y": 0})) == ["z_last_alphabetically", "a_first"]


def test_mapping_input_and_net_values():
    values = net_values(full_adder(), {"x": 1, "y": 1, "cin": 0})
    assert values["half"] == 0 and values["sum"] == 0 and values["carry"] == 1
    assert list(values)[:3] == ["x", "y", "cin"]


def test_large_weights_are_exact():
    # Weights beyond int64 must still give exact sums: [2^70 x0 - (2^70 - 1) x1 - x2 >= 1].
    circuit = one_gate(Op.THRESHOLD, 3, weights=(2**70, -(2**70 - 1), -1), threshold=1)
    rows = [(1, 1, 0), (1, 1, 1), (1, 0, 1), (0, 0, 0)]
    assert evaluate_batch(circuit, rows)[:, 0].tolist() == [1, 0, 1, 0]
    assert [evaluate(circuit, r)["out"] for r in rows] == [1, 0, 1, 0]


@pytest.mark.parametrize("batch", [0, 1, 63, 64, 65, 200])
def test_batch_sizes_around_word_boundaries(batch):
    rng = np.random.default_rng(batch)
    vectors = rng.integers(0, 2, size=(batch, 3), dtype=np.uint8)
    result = evaluate_batch(full_adder(), vectors)
    assert result.shape == (batch, 2) and result.dtype == np.uint8
    total = vectors.sum(axis=1)
    assert result[:, 0].tolist() == (total % 2).tolist()
    assert result[:, 1].tolist() == (total >= 2).astype(int).tolist()


@settings(max_examples=150)
@given(data=st.data(), circuit=circuits(max_inputs=7, max_gates=25, max_fanin=5))
def test_batch_agrees_with_single_vector_evaluator(data, circuit):
    vectors = data.draw(st.lists(input_vectors(circuit), min_size=1, max_size=150))
    array = np.array(vectors, dtype=np.uint8).reshape(len(vectors), len(circuit.inputs))
    batch = evaluate_batch(circuit, array)
    nets = net_values_batch(circuit, array)
    for row, bits in enumerate(vectors):
        assert batch[row].tolist() == list(evaluate(circuit, bits).values())
        assert {net: int(values[row]) for net, values in nets.items()} == net_values(circuit, bits)


def test_wrong_length_is_rejected():
    with pytest.raises(CircuitError, match="has 3 inputs, got 2 bits"):
        evaluate(full_adder(), [0, 1])
    with pytest.raises(CircuitError, match=r"shape \(B, 3\)"):
        evaluate_batch(full_adder(), np.zeros((4, 2), dtype=np.uint8))


def test_non_bits_are_rejected():
    with pytest.raises(CircuitError, match="input 'y' must be 0 or 1, got 2"):
        evaluate(full_adder(), [0, 2, 1])
    with pytest.raises(CircuitError, match="only 0 and 1"):
        evaluate_batch(full_adder(), [[0, 1, 3]])


def test_unknown_and_missing_input_names_are_rejected():
    with pytest.raises(CircuitError, match="'carry_in' is not an input"):
        evaluate(full_adder(), {"x": 0, "y": 0, "carry_in": 1})
    with pytest.raises(CircuitError, match="no bit given for input 'cin'"):
        evaluate(full_adder(), {"x": 0, "y": 0})


def test_ragged_batch_is_rejected():
    with pytest.raises(CircuitError, match="same length"):
        evaluate_batch(full_adder(), [[0, 1, 1], [0, 1]])


@settings(max_examples=30)
@given(data=st.data(), circuit=circuits(max_inputs=5, max_gates=20, ops=[Op.THRESHOLD, Op.MAJ, Op.XOR]))
def test_small_chunks_and_gate_slices_give_the_same_answers(data, circuit):
    # Chunks of 64 vectors and one threshold gate per slice, to exercise the memory-bounding loops.
    module = evaluation_module
    vectors = data.draw(st.lists(input_vectors(circuit), min_size=130, max_size=300))
    array = np.array(vectors, dtype=np.uint8).reshape(len(vectors), len(circuit.inputs))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_MAX_CHUNK", 64)
        patch.setattr(module, "_UNPACKED_BITS", 1)
        batch = evaluate_batch(circuit, array)
    for row, bits in enumerate(vectors):
        assert batch[row].tolist() == list(evaluate(circuit, bits).values())
