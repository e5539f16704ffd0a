"""Every writer then its reader keeps the function, the input order and the output order; py-aiger reads
what write_aag writes the same way we do; read_circuit/write_circuit dispatch by suffix and write
atomically."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import aiger
import numpy as np
import pytest
from hypothesis import given, settings

from circuits.errors import NetlistError
from circuits.evaluation import evaluate_batch
from circuits.io import (
    parse_aag,
    parse_aig,
    parse_bench,
    parse_blif,
    parse_threshold,
    read_circuit,
    write_aag,
    write_aig,
    write_bench,
    write_blif,
    write_circuit,
    write_threshold,
)
from circuits.ir import Circuit, CircuitBuilder, Gate, Op
from circuits.strategies import circuits

ROUND_TRIPS: dict[str, tuple[Callable[[Circuit], str | bytes], Callable[..., Circuit]]] = {
    "bench": (write_bench, parse_bench),
    "blif": (write_blif, parse_blif),
    "aag": (write_aag, parse_aag),
    "aig": (write_aig, parse_aig),
    "th": (write_threshold, parse_threshold),
}


def all_vectors(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8).reshape(2**n, n)


def same_function(a: Circuit, b: Circuit, vectors: np.ndarray) -> bool:
    return len(a.inputs) == len(b.inputs) and np.array_equal(
        evaluate_batch(a, vectors), evaluate_batch(b, vectors)
    )


@pytest.mark.parametrize("fmt", sorted(ROUND_TRIPS))
@settings(max_examples=80)
@given(circuit=circuits(min_inputs=0, max_inputs=6, max_gates=20))
def test_round_trip_keeps_the_function(fmt: str, circuit: Circuit):
    write, parse = ROUND_TRIPS[fmt]
    again = parse(write(circuit))
    assert same_function(circuit, again, all_vectors(len(circuit.inputs)))
    assert len(again.outputs) == len(circuit.outputs)


@pytest.mark.parametrize("fmt", ["aag", "aig"])
@given(circuit=circuits(max_inputs=6, max_gates=20))
def test_aiger_keeps_input_and_output_names(fmt: str, circuit: Circuit):
    write, parse = ROUND_TRIPS[fmt]
    again = parse(write(circuit))
    assert again.inputs == circuit.inputs and again.output_names == circuit.output_names


@pytest.mark.parametrize("fmt", ["bench", "blif", "th"])
@given(circuit=circuits(max_inputs=6, max_gates=20))
def test_net_named_formats_keep_input_and_output_names(fmt: str, circuit: Circuit):
    """The strategy's names (x0.., y0..) are legal everywhere, so none needs renaming."""
    write, parse = ROUND_TRIPS[fmt]
    again = parse(write(circuit))
    assert again.inputs == circuit.inputs and again.output_names == circuit.output_names


def wide_circuit() -> Circuit:
    """Gates wider than the BLIF truth-table limit of 10 and thresholds with large negative weights."""
    b = CircuitBuilder("wide")
    x = [b.input(f"x{i}") for i in range(14)]
    b.output(b.threshold(x, [7, -5, 3, 1, -1, 2, 9, -8, 4, 1, 1, -2, 6, 5], 6), "t")
    b.output(b.threshold(x[:12] + x[:3], [1] * 12 + [-3] * 3, 4), "repeated")
    b.output(b.gate(Op.XOR, *x[:13]), "parity13")
    b.output(b.gate(Op.XNOR, *x[1:], x[1]), "xnor_repeated")
    b.output(b.gate(Op.MAJ, *x[:13]), "maj13")
    b.output(b.gate(Op.NOR, *x), "nor14")
    b.output(b.threshold(x[:11], [-1] * 11, -20), "always")
    return b.build()


@pytest.mark.parametrize("fmt", sorted(ROUND_TRIPS))
def test_wide_gates_round_trip(fmt: str):
    circuit = wide_circuit()
    write, parse = ROUND_TRIPS[fmt]
    assert same_function(circuit, parse(write(circuit)), all_vectors(14))


def test_blif_writes_small_gates_as_single_covers():
    b = CircuitBuilder("small")
    x, y, z = b.input("x"), b.input("y"), b.input("z")
    b.output(b.gate(Op.NAND, x, y, x, name="nand"))
    b.output(b.threshold([x, y, z], [2, -1, 1], 2, name="th"))
    text = write_blif(b.build())
    assert ".names x y nand\n11 0\n" in text
    assert ".names x y z th\n" in text
    # [2x - y + z >= 2] holds on 100, 101, 111 (x y z): ON-set of 3 rows beats the OFF-set of 5.
    assert "100 1\n101 1\n111 1\n" in text


@pytest.mark.parametrize("fmt", sorted(ROUND_TRIPS))
def test_outputs_whose_names_clash_with_other_nets(fmt: str):
    """Output 'a' reads b while an input is called 'a'; output 'b' reads the input 'a'."""
    gates = [Gate("a", Op.INPUT), Gate("b", Op.NOT, ("a",)), Gate("c", Op.CONST, value=1)]
    circuit = Circuit(gates, [("a", "b"), ("b", "a"), ("c", "c"), ("bad name", "a")])
    write, parse = ROUND_TRIPS[fmt]
    assert same_function(circuit, parse(write(circuit)), all_vectors(1))


def test_aig_binary_layout_orders_and_gates():
    """Written ANDs satisfy lhs > rhs0 >= rhs1 and the inputs are 2, 4, ..., as binary AIGER needs."""
    b = CircuitBuilder()
    x, y, z = b.input("x"), b.input("y"), b.input("z")
    b.output(b.gate(Op.OR, b.gate(Op.AND, z, x), b.gate(Op.NOT, y)), "out")
    lines = write_aag(b.build()).splitlines()
    m, i, latches, o, a = map(int, lines[0].split()[1:])
    assert (m, i, latches, o) == (i + a, 3, 0, 1)
    assert lines[1:4] == ["2", "4", "6"]
    for line in lines[5 : 5 + a]:
        lhs, rhs0, rhs1 = map(int, line.split())
        assert lhs > rhs0 >= rhs1


@given(circuit=circuits(max_inputs=6, max_gates=20))
@settings(max_examples=40)
def test_pyaiger_evaluates_our_aag_like_we_do(circuit: Circuit):
    theirs = aiger.parse(write_aag(circuit))
    vectors = all_vectors(len(circuit.inputs))
    expected = evaluate_batch(circuit, vectors)
    for row, out in zip(vectors.tolist(), expected.tolist(), strict=True):
        values, _ = theirs(dict(zip(circuit.inputs, map(bool, row), strict=True)))
        assert [int(values[name]) for name in circuit.output_names] == out


def test_pyaiger_reads_c6288_as_we_write_it(netlists: Path):
    circuit = read_circuit(netlists / "iscas85" / "c6288.bench")
    theirs = aiger.parse(write_aag(circuit))
    vectors = np.random.default_rng(11).integers(0, 2, size=(64, 32), dtype=np.uint8)
    packed = {name: int("".join(map(str, vectors[::-1, i])), 2) for i, name in enumerate(circuit.inputs)}
    values, _ = theirs(packed, lift=int)
    expected = evaluate_batch(circuit, vectors)
    for j, name in enumerate(circuit.output_names):
        assert values[name] & ((1 << 64) - 1) == int("".join(map(str, expected[::-1, j])), 2)


@pytest.mark.parametrize("suffix", [".bench", ".blif", ".aag", ".aig", ".th", ".AIG"])
def test_write_circuit_then_read_circuit(tmp_path: Path, suffix: str):
    circuit = wide_circuit()
    path = tmp_path / f"wide{suffix}"
    write_circuit(circuit, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    vectors = np.random.default_rng(12).integers(0, 2, size=(500, 14), dtype=np.uint8)
    assert same_function(circuit, read_circuit(path), vectors)


def test_unknown_suffix_is_a_netlist_error(tmp_path: Path):
    with pytest.raises(NetlistError, match=r"unknown netlist suffix '\.v'"):
        read_circuit(tmp_path / "adder.v")
    with pytest.raises(NetlistError, match="unknown netlist suffix"):
        write_circuit(wide_circuit(), tmp_path / "adder")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch):
    path = tmp_path / "c.bench"
    path.write_text("old content\n")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("circuits.io.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_circuit(wide_circuit(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["c.bench"]
    assert path.read_text() == "old content\n"
