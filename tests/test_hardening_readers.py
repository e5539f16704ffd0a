"""Regression tests for the netlist and circuit reproducers of issue 12: files that read as empty
circuits, Unicode look-alikes of keywords and digits, numbers too long to convert, AIGER headers that
promise more than the file holds, and threshold weights whose literal form would not fit in memory.

Each case runs under the fuzz bounds (tests/fuzz_bounds.py), so a hang or a blow-up fails it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_bounds import within_bounds
from hypothesis import given

from circuits.errors import CircuitError, NetlistError
from circuits.families import comparison, iterated_addition
from circuits.io import parse_aag, parse_aig, parse_bench, parse_blif, parse_threshold, read_circuit
from circuits.ir import Circuit, Gate, Op
from circuits.literal_form import literal_form, literal_form_size
from circuits.serial import circuit_from_dict, circuit_to_dict
from circuits.strategies import circuits
from expressivity.compile.circuit import compile_circuit
from expressivity.model import ModelError


def netlist_error(parse, data, path="bad") -> NetlistError:
    with within_bounds(), pytest.raises(NetlistError) as caught:
        parse(data, path)
    return caught.value


@pytest.mark.parametrize(
    ("suffix", "content", "where"),
    [
        (".th", "not a netlist\n", "2:1"),
        (".bench", "", "1:1"),
        (".bench", "# only a comment\nINPUT(a)\n", "3:1"),
        (".blif", "", "1:1"),
        (".blif", ".model m\n.inputs a\n.end\n", "4:1"),
        (".aag", "aag 0 0 0 0 0\n", "1:11"),
        (".aig", "aig 1 1 0 0 0\n", "1:11"),
    ],
)
def test_a_file_without_outputs_is_an_error_not_an_empty_circuit(tmp_path: Path, suffix, content, where):
    path = tmp_path / f"empty{suffix}"
    path.write_text(content)
    with pytest.raises(NetlistError, match="no outputs") as caught:
        read_circuit(path)
    assert str(caught.value).startswith(f"{path}:{where}: ")


@pytest.mark.parametrize(
    ("parse", "data", "line", "col"),
    [
        (parse_bench, "INPUT(a)\x00\nOUTPUT(a)\n", 1, 9),
        (parse_blif, ".model m\n.inputs a\x00\n", 2, 10),
        (parse_threshold, "\x00\x00\x00", 1, 1),
        (parse_aag, "aag 1 1 0 1 0\n2\n2\ni0 a\x00\n", 4, 5),
        (parse_aig, b"aig 1 1 0 1 0\n2\ni0 \x00\n", 3, 4),
    ],
)
def test_nul_bytes_are_an_error_at_their_place(parse, data, line, col):
    err = netlist_error(parse, data)
    assert "control character U+0000" in err.message
    assert (err.line, err.col) == (line, col)


def test_a_dotless_i_does_not_spell_input():
    err = netlist_error(parse_bench, "ınput(a)\nOUTPUT(a)\n")
    assert (err.line, err.col) == (1, 6)
    assert "expected '='" in err.message


def test_the_ff_ligature_does_not_spell_buff():
    err = netlist_error(parse_bench, "INPUT(a)\nOUTPUT(y)\ny = buﬀ(a)\n")
    assert (err.line, err.col, err.message) == (3, 5, "unknown gate type 'buﬀ'")


def test_ascii_keywords_still_read_in_any_case():
    circuit = parse_bench("input(a)\nOutput(y)\ny = buff(a)\n")
    assert circuit.inputs == ("a",) and circuit.output_names == ("y",)


def test_non_ascii_blif_directives_are_unknown():
    err = netlist_error(parse_blif, ".ınputs a\n.outputs a\n")
    assert (err.line, err.col) == (1, 1)
    assert "unknown directive" in err.message


@pytest.mark.parametrize("digit", ["٣", "３", "۳"])
def test_non_ascii_digits_are_not_threshold_weights(digit):
    err = netlist_error(parse_threshold, f".inputs a\n.outputs y\n.threshold a y\n{digit} 1\n")
    assert (err.line, err.col) == (4, 1)
    assert "must be an integer" in err.message and "ASCII digits" in err.message


@pytest.mark.parametrize("digit", ["٣", "３"])
def test_non_ascii_digits_are_not_aiger_numbers(digit):
    assert netlist_error(parse_aag, f"aag 1 1 0 1 0\n2\n{digit}\n").line == 3
    assert netlist_error(parse_aag, f"aag 1 {digit} 0 1 0\n2\n2\n").col == 7
    assert netlist_error(parse_aig, f"aig 1 1 0 1 0\n{digit}\n".encode()).line == 2


def test_non_ascii_digits_are_not_aiger_symbol_indices():
    err = netlist_error(parse_aag, "aag 1 1 0 1 0\n2\n2\ni٠ name\n")
    assert err.line == 4 and "expected a symbol" in err.message


def test_a_threshold_weight_of_5000_digits_is_an_error_at_the_weight():
    err = netlist_error(parse_threshold, f".inputs a\n.outputs y\n.threshold a y\n1 {'9' * 5000}\n")
    assert (err.line, err.col) == (4, 3)
    assert "has 5000 digits, more than the 4300" in err.message


@pytest.mark.parametrize(
    ("data", "col"),
    [(f"aag {'9' * 5000} 1 0 1 0\n2\n2\n", 5), (f"aag 1 1 0 1 0\n2\n{'9' * 5000}\n", 1)],
)
def test_an_aiger_number_of_5000_digits_is_an_error_at_the_number(data, col):
    err = netlist_error(parse_aag, data)
    assert err.col == col and "has 5000 digits" in err.message


@pytest.mark.parametrize(
    ("data", "line", "col", "words"),
    [
        (b"aig 0 0 0 1000000000 0\n", 1, 11, "O = 1000000000, A = 0, which needs 1999999999 bytes"),
        (b"aig 1000000000 1000000000 0 0 0\n", 1, 16, "a binary file may declare at most 100000"),
        (b"aig 3000000 3000000 0 0 0\n", 1, 13, "I = 3000000 inputs"),
        (b"aig 10 0 0 1 10\n2\n", 1, 14, "A = 10, which needs 21 bytes after the header; the file has 2"),
    ],
)
def test_binary_aiger_counts_are_checked_against_the_file_before_allocating(data, line, col, words):
    err = netlist_error(parse_aig, data)
    assert (err.line, err.col) == (line, col)
    assert words in err.message


def test_ascii_aiger_counts_are_checked_against_the_lines_of_the_file():
    err = netlist_error(parse_aag, "aag 2000000000 1000000000 0 1000000000 0\n")
    assert (err.line, err.col) == (1, 16)
    assert "which needs 2000000000 lines after the header; the file has 1" in err.message


def one_threshold_gate(weight: int) -> Circuit:
    return Circuit([Gate("a", Op.INPUT), Gate("y", Op.THRESHOLD, ("a",), (weight,), 1)], [("y", "y")])


@pytest.mark.parametrize("weight", [10**19, -(2**32), 10**8])
def test_huge_weights_are_refused_before_the_literal_form_is_built(weight):
    with within_bounds(megabytes=256), pytest.raises(ModelError) as caught:
        compile_circuit(one_threshold_gate(weight))
    message = str(caught.value)
    assert f"gate 'y' alone takes {abs(weight)}" in message
    assert "max_tokens=1000000" in message and "max_tokens argument raises the limit" in message
    with within_bounds(megabytes=256), pytest.raises(CircuitError, match="max_literals=10000000"):
        literal_form(one_threshold_gate(weight))


def test_comparison_40_is_refused_without_running_out_of_memory():
    with (
        within_bounds(megabytes=256),
        pytest.raises(ModelError, match=r"gate 'g0' alone takes 2199023255550"),
    ):
        compile_circuit(comparison(40))


def test_max_tokens_counts_the_same_tokens_the_compiler_builds():
    circuit = iterated_addition(3, 3)
    size = literal_form_size(circuit)
    tokens = len(circuit.inputs) + size.nodes + size.literals
    assert len(compile_circuit(circuit, check=False, max_tokens=tokens).model.tail) == tokens
    with pytest.raises(ModelError, match=f"would need {tokens} tokens"):
        compile_circuit(circuit, check=False, max_tokens=tokens - 1)


@given(circuits(max_inputs=4, max_gates=8, max_fanin=5, max_weight=4))
def test_the_literal_form_size_is_the_size_of_the_literal_form(circuit):
    size = literal_form_size(circuit)
    form = literal_form(circuit)
    assert (size.nodes, size.literals) == (len(form.nodes), form.wire_count)
    per_node = [len(form.literals[node]) for node in form.nodes]
    assert max(per_node, default=0) <= size.heaviest_literals <= size.literals


def stored_circuit() -> dict:
    return circuit_to_dict(comparison(2))


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda data: data.pop("outputs"), "exactly name, gates and outputs"),
        (lambda data: data.update(extra=1), "exactly name, gates and outputs"),
        (lambda data: data.update(outputs=[]), "non-empty list"),
        (lambda data: data["gates"][-1].__setitem__(3, [1.5, 2, -1, -2]), "its weights"),
        (lambda data: data["gates"][-1].__setitem__(4, "0"), "its threshold"),
        (lambda data: data["gates"][-1].__setitem__(4, True), "its threshold"),
        (lambda data: data["gates"][-1].__setitem__(1, ["AND"]), "its op"),
        (lambda data: data["gates"][-1].__setitem__(2, "a0"), "its fanin"),
    ],
)
def test_a_stored_circuit_with_a_missing_key_or_a_wrong_type_is_refused(edit, words):
    data = stored_circuit()
    assert circuit_from_dict(data) == comparison(2)
    edit(data)
    with pytest.raises(CircuitError, match=words):
        circuit_from_dict(data)
