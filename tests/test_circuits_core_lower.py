"""to_threshold keeps the function, the names and the order, uses only threshold gates, and grows depth
only at XOR/XNOR gates."""

import itertools

import numpy as np
from hypothesis import given, settings

from circuits import Circuit, CircuitBuilder, Gate, Op, to_threshold
from circuits.analysis import levels, size
from circuits.evaluation import evaluate, evaluate_batch
from circuits.strategies import circuits

THRESHOLD_ONLY = {Op.INPUT, Op.CONST, Op.THRESHOLD}


def all_vectors(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8).reshape(2**n, n)


def is_parity_pair(gate: Gate) -> bool:
    return gate.op in (Op.XOR, Op.XNOR) and len(gate.fanin) >= 2


@settings(max_examples=200)
@given(circuits(max_inputs=8, max_gates=25, max_fanin=6))
def test_same_function_on_all_inputs(circuit):
    lowered = to_threshold(circuit)
    assert {g.op for g in lowered.gates} <= THRESHOLD_ONLY
    vectors = all_vectors(len(circuit.inputs))
    assert np.array_equal(evaluate_batch(lowered, vectors), evaluate_batch(circuit, vectors))


@settings(max_examples=100)
@given(circuits(max_inputs=6, max_gates=25, max_fanin=6))
def test_names_order_and_growth(circuit):
    lowered = to_threshold(circuit)
    assert lowered.inputs == circuit.inputs and lowered.outputs == circuit.outputs
    original = [g.name for g in circuit.gates]
    assert [g.name for g in lowered.gates if g.name in set(original)] == original
    parity_gates = [g for g in circuit.gates if is_parity_pair(g)]
    assert size(lowered) == size(circuit) + sum(len(g.fanin) // 2 for g in parity_gates)
    old, new = levels(circuit), levels(lowered)
    for gate in circuit.gates:
        if gate.op in (Op.INPUT, Op.CONST):
            assert new[gate.name] == 0
        else:
            extra = 2 if is_parity_pair(gate) else 1
            assert new[gate.name] == extra + max(new[s] for s in gate.fanin)
    if not parity_gates:
        assert new == old


def test_each_rewrite_by_hand():
    b = CircuitBuilder("all_kinds")
    x, y, z = b.input("x"), b.input("y"), b.input("z")
    for op in (Op.AND, Op.OR, Op.NAND, Op.NOR, Op.MAJ):
        b.output(b.gate(op, x, y, z, name=op.value.lower()), op.value.lower())
    b.output(b.gate(Op.NOT, x, name="not"), "not")
    b.output(b.gate(Op.BUF, x, name="buf"), "buf")
    lowered = {g.name: g for g in to_threshold(b.build()).gates}
    assert (lowered["and"].weights, lowered["and"].threshold) == ((1, 1, 1), 3)
    assert (lowered["or"].weights, lowered["or"].threshold) == ((1, 1, 1), 1)
    assert (lowered["nand"].weights, lowered["nand"].threshold) == ((-1, -1, -1), -2)
    assert (lowered["nor"].weights, lowered["nor"].threshold) == ((-1, -1, -1), 0)
    assert (lowered["maj"].weights, lowered["maj"].threshold) == ((1, 1, 1), 2)
    assert (lowered["not"].weights, lowered["not"].threshold) == ((-1,), 0)
    assert (lowered["buf"].weights, lowered["buf"].threshold) == ((1,), 1)


def test_xor_of_five_uses_two_helpers_and_keeps_parity():
    inputs = [Gate(f"x{i}", Op.INPUT) for i in range(5)]
    names = tuple(g.name for g in inputs)
    gates = [*inputs, Gate("p", Op.XOR, names), Gate("q", Op.XNOR, names)]
    circuit = Circuit(gates, [("p", "p"), ("q", "q")])
    lowered = to_threshold(circuit)
    helpers = [g for g in lowered.gates if g.name not in circuit]
    assert sorted(h.threshold for h in helpers) == [2, 2, 4, 4]
    for bits in itertools.product((0, 1), repeat=5):
        assert evaluate(lowered, bits) == {"p": sum(bits) % 2, "q": 1 - sum(bits) % 2}


def test_helper_names_never_clash():
    # A net already named like the helper the XOR would get.
    circuit = Circuit(
        [
            Gate("a", Op.INPUT),
            Gate("b", Op.INPUT),
            Gate("p__ev2", Op.AND, ("a", "b")),
            Gate("p", Op.XOR, ("a", "b", "p__ev2")),
        ],
        [("p", "p"), ("and", "p__ev2")],
    )
    lowered = to_threshold(circuit)
    assert len({g.name for g in lowered.gates}) == len(lowered.gates) == 5
    assert lowered.gate("p__ev2").fanin == ("a", "b")
    # p = a xor b xor (a and b) = a or b.
    for a, b in itertools.product((0, 1), repeat=2):
        assert evaluate(lowered, (a, b)) == {"p": a | b, "and": a & b}
