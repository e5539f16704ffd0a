"""The readers against real netlists written by others (examples/circuits, see its SOURCES.md).

Each expected value is plain integer arithmetic written here, from the meaning SOURCES.md states (or,
where it says so, from the file itself); the circuits are simulated with `evaluate_batch`. Bit vectors
are least significant bit first, in the file's order of inputs and outputs.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import aiger
import numpy as np
import pytest

from circuits.analysis import depth, size
from circuits.errors import NetlistError
from circuits.evaluation import evaluate_batch
from circuits.io import read_circuit
from circuits.ir import Circuit, Op

RNG_SEED = 20240601


def rng(offset: int = 0) -> np.random.Generator:
    return np.random.default_rng(RNG_SEED + offset)


def number(row: np.ndarray, positions: range | list[int]) -> int:
    """The unsigned integer whose bit k is row[positions[k]]."""
    return sum(int(row[p]) << k for k, p in enumerate(positions))


def bits_of(value: int, width: int) -> list[int]:
    return [value >> k & 1 for k in range(width)]


def all_vectors(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8).reshape(2**n, n)


def and_count_and_depth(circuit: Circuit) -> tuple[int, int]:
    """AND gates, and the most AND gates on a path (NOT and constants are free, as in an AIG)."""
    level: dict[str, int] = {}
    for gate in circuit.gates:
        below = max((level[s] for s in gate.fanin), default=0)
        level[gate.name] = below + (gate.op is Op.AND)
    return sum(g.op is Op.AND for g in circuit.gates), max(level.values(), default=0)


@pytest.fixture(scope="module")
def epfl(netlists: Path):
    """EPFL circuits, each parsed once for the whole module."""
    cache: dict[str, Circuit] = {}

    def load(name: str) -> Circuit:
        if name not in cache:
            cache[name] = read_circuit(netlists / "epfl" / f"{name}.aig")
        return cache[name]

    return load


LATCH_FILES = {"cnt1.aag", "notcnt1.aag"}
NO_OUTPUT_FILES = {"empty.aag"}


def netlist_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if p.suffix in {".bench", ".blif", ".aag", ".aig"})


def test_every_combinational_file_parses_with_its_declared_interface(netlists: Path, epfl):
    files = [p for p in netlist_files(netlists) if p.name not in LATCH_FILES | NO_OUTPUT_FILES]
    assert len(files) == 31
    for path in files:
        circuit = epfl(path.stem) if path.parent.name == "epfl" else read_circuit(path)
        declared_inputs, declared_outputs = _declared_interface(path)
        assert (len(circuit.inputs), len(circuit.outputs)) == (declared_inputs, declared_outputs), path


def _declared_interface(path: Path) -> tuple[int, int]:
    """Input and output counts as the file itself states them, read with a plain text scan."""
    if path.suffix in {".aag", ".aig"}:
        header = path.read_bytes().split(b"\n", 1)[0].split()
        return int(header[2]), int(header[4])
    text = path.read_text()
    if path.suffix == ".bench":
        return text.count("INPUT("), text.count("OUTPUT(")
    fields = {".inputs": 0, ".outputs": 0}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in fields:
            fields[parts[0]] += len(parts) - 1
    return fields[".inputs"], fields[".outputs"]


@pytest.mark.parametrize("name", sorted(LATCH_FILES))
def test_aiger_examples_with_a_latch_are_rejected_at_the_latch_count(netlists: Path, name: str):
    with pytest.raises(NetlistError) as caught:
        read_circuit(netlists / "aiger-examples" / name)
    err = caught.value
    assert (err.line, err.col) == (1, 9)
    assert "latches are not supported" in err.message


# --- sizes and depths (SOURCES.md) ---

BENCH_SIZE_DEPTH = {
    "c17": (6, 3),
    "c432": (160, 17),
    "c499": (202, 11),
    "c880": (383, 24),
    "c1355": (546, 24),
    "c6288": (2416, 124),
}
AIG_SIZE_DEPTH = {
    "ctrl": (174, 10),
    "int2float": (260, 16),
    "router": (257, 54),
    "dec": (304, 3),
    "cavlc": (693, 16),
    "priority": (978, 250),
    "voter": (13758, 70),
    "adder": (1020, 255),
    "bar": (3336, 12),
    "max": (2865, 287),
    "multiplier": (27062, 274),
}


@pytest.mark.parametrize("name", sorted(BENCH_SIZE_DEPTH))
def test_iscas_sizes_and_depths(netlists: Path, name: str):
    circuit = read_circuit(netlists / "iscas85" / f"{name}.bench")
    assert (size(circuit), depth(circuit)) == BENCH_SIZE_DEPTH[name]


@pytest.mark.parametrize("name", sorted(AIG_SIZE_DEPTH))
def test_epfl_and_counts_and_depths(epfl, name: str):
    assert and_count_and_depth(epfl(name)) == AIG_SIZE_DEPTH[name]


# --- EPFL meanings ---


def test_voter_is_majority_of_1001(epfl):
    circuit = epfl("voter")
    generator = rng(1)
    vectors = np.zeros((300, 1001), dtype=np.uint8)
    ones = generator.integers(470, 531, size=300)
    for row, k in zip(vectors, ones, strict=True):
        row[generator.choice(1001, size=k, replace=False)] = 1
    expected = [[int(int(row.sum()) >= 501)] for row in vectors]
    assert (ones >= 501).any() and (ones < 501).any()
    assert evaluate_batch(circuit, vectors).tolist() == expected


def test_adder_adds_two_128_bit_numbers(epfl):
    circuit = epfl("adder")
    vectors = rng(2).integers(0, 2, size=(300, 256), dtype=np.uint8)
    vectors[0] = 1
    for row, out in zip(vectors, evaluate_batch(circuit, vectors), strict=True):
        a, b = number(row, range(128)), number(row, range(128, 256))
        assert out.tolist() == bits_of(a + b, 129)


def test_multiplier_multiplies_two_64_bit_numbers(epfl):
    circuit = epfl("multiplier")
    vectors = rng(3).integers(0, 2, size=(300, 128), dtype=np.uint8)
    vectors[0] = 1
    for row, out in zip(vectors, evaluate_batch(circuit, vectors), strict=True):
        a, b = number(row, range(64)), number(row, range(64, 128))
        assert out.tolist() == bits_of(a * b, 128)


def test_bar_rotates_left_by_the_last_seven_inputs(epfl):
    circuit = epfl("bar")
    vectors = rng(4).integers(0, 2, size=(300, 135), dtype=np.uint8)
    mask = (1 << 128) - 1
    for row, out in zip(vectors, evaluate_batch(circuit, vectors), strict=True):
        x, shift = number(row, range(128)), number(row, range(128, 135))
        assert out.tolist() == bits_of((x << shift | x >> (128 - shift)) & mask, 128)


def test_max_is_the_signed_maximum_of_four_numbers_and_its_index(epfl):
    circuit = epfl("max")
    vectors = rng(5).integers(0, 2, size=(300, 512), dtype=np.uint8)
    vectors[0] = np.tile(vectors[0][:128], 4)

    def signed(row: np.ndarray, k: int) -> int:
        value = number(row, range(128 * k, 128 * (k + 1)))
        return value - (1 << 128) if value >> 127 else value

    for row, out in zip(vectors, evaluate_batch(circuit, vectors), strict=True):
        values = [signed(row, k) for k in range(4)]
        best = max(values)
        index = 3 if len(set(values)) == 1 else values.index(best)
        assert out.tolist() == bits_of(best % (1 << 128), 128) + bits_of(index, 2)


def test_priority_gives_the_highest_set_bit_and_whether_any_is_set(epfl):
    circuit = epfl("priority")
    generator = rng(6)
    highest = generator.integers(0, 128, size=300)
    vectors = generator.integers(0, 2, size=(300, 128), dtype=np.uint8)
    for row, h in zip(vectors, highest, strict=True):
        row[h] = 1
        row[h + 1 :] = 0
    for out, h in zip(evaluate_batch(circuit, vectors), highest, strict=True):
        assert out.tolist() == [*bits_of(int(h), 7), 1]
    assert evaluate_batch(circuit, np.zeros((1, 128), dtype=np.uint8))[0, 7] == 0


def test_dec_lights_output_x_xor_128(epfl):
    vectors = all_vectors(8)
    outputs = evaluate_batch(epfl("dec"), vectors)
    for row, out in zip(vectors, outputs, strict=True):
        x = number(row, range(8))
        assert out.tolist() == [int(k == x ^ 128) for k in range(256)]


def test_pyaiger_agrees_with_our_reader_on_every_epfl_file(netlists: Path, epfl):
    batch = 128
    for path in sorted((netlists / "epfl").glob("*.aig")):
        ours = epfl(path.stem)
        theirs = aiger.load(str(path))
        vectors = rng(7).integers(0, 2, size=(batch, len(ours.inputs)), dtype=np.uint8)
        expected = evaluate_batch(ours, vectors)
        assert theirs.inputs == set(ours.inputs) and theirs.outputs == set(ours.output_names)
        packed = {name: number(vectors[:, i], range(batch)) for i, name in enumerate(ours.inputs)}
        values, _ = theirs(packed, lift=int)
        for j, name in enumerate(ours.output_names):
            assert values[name] & ((1 << batch) - 1) == number(expected[:, j], range(batch)), (path, name)


# --- ISCAS-85 meanings ---


def test_c17_matches_its_truth_table(netlists: Path):
    """c17 is six NANDs; multiplied out by hand, with inputs 1 2 3 6 7 and outputs 22 23:
    22 = (1 AND 3) OR (2 AND NOT(3 AND 6)),  23 = NOT(3 AND 6) AND (2 OR 7)."""
    circuit = read_circuit(netlists / "iscas85" / "c17.bench")
    assert circuit.inputs == ("1", "2", "3", "6", "7") and circuit.output_names == ("22", "23")
    vectors = all_vectors(5)
    for (n1, n2, n3, n6, n7), out in zip(vectors.tolist(), evaluate_batch(circuit, vectors), strict=True):
        not_3_and_6 = 1 - (n3 & n6)
        assert out.tolist() == [(n1 & n3) | (n2 & not_3_and_6), not_3_and_6 & (n2 | n7)]


def test_c6288_multiplies_with_the_last_two_outputs_swapped(netlists: Path):
    circuit = read_circuit(netlists / "iscas85" / "c6288.bench")
    product_bit_of_output = [*range(30), 31, 30]
    vectors = rng(8).integers(0, 2, size=(300, 32), dtype=np.uint8)
    vectors[0] = 1
    for row, out in zip(vectors, evaluate_batch(circuit, vectors), strict=True):
        product = number(row, range(16)) * number(row, range(16, 32))
        assert out.tolist() == [product >> bit & 1 for bit in product_bit_of_output]


def test_c499_and_c1355_compute_the_same_function(netlists: Path):
    c499 = read_circuit(netlists / "iscas85" / "c499.bench")
    c1355 = read_circuit(netlists / "iscas85" / "c1355.bench")
    assert size(c1355) > size(c499)
    vectors = rng(9).integers(0, 2, size=(500, 41), dtype=np.uint8)
    assert np.array_equal(evaluate_batch(c499, vectors), evaluate_batch(c1355, vectors))


# --- MCNC meanings ---


def mcnc(netlists: Path, name: str) -> Circuit:
    return read_circuit(netlists / "mcnc" / f"{name}.blif")


def test_majority_blif_is_a_weighted_threshold(netlists: Path):
    circuit = mcnc(netlists, "majority")
    assert circuit.inputs == ("a", "b", "c", "d", "e")
    vectors = all_vectors(5)
    expected = [[int(a + b + c + 3 * d + e >= 3)] for a, b, c, d, e in vectors.tolist()]
    assert evaluate_batch(circuit, vectors).tolist() == expected


@pytest.mark.parametrize(("name", "n"), [("parity", 16), ("xor5", 5)])
def test_parity_files_compute_parity(netlists: Path, name: str, n: int):
    vectors = all_vectors(n)
    expected = [[sum(row) % 2] for row in vectors.tolist()]
    assert evaluate_batch(mcnc(netlists, name), vectors).tolist() == expected


# Which bit of the count of ones each output o_k carries, read off the covers: the cover whose rows
# all hold an odd number of 1s is bit 0; rd53's o_0_ rows are "four 1s" (bit 2 of a count <= 5);
# rd84's o_2_ is the single row 11111111 (bit 3, only count 8 has it).
COUNT_BIT_OF_OUTPUT = {"rd53": (5, [2, 0, 1]), "rd73": (7, [1, 0, 2]), "rd84": (8, [1, 0, 3, 2])}


@pytest.mark.parametrize("name", sorted(COUNT_BIT_OF_OUTPUT))
def test_rd_files_count_ones_with_permuted_output_bits(netlists: Path, name: str):
    n, bit_of_output = COUNT_BIT_OF_OUTPUT[name]
    vectors = all_vectors(n)
    expected = [[sum(row) >> bit & 1 for bit in bit_of_output] for row in vectors.tolist()]
    assert evaluate_batch(mcnc(netlists, name), vectors).tolist() == expected


def test_9sym_depends_only_on_the_number_of_ones(netlists: Path):
    vectors = all_vectors(9)
    outputs = evaluate_batch(mcnc(netlists, "9sym"), vectors)[:, 0]
    by_count: dict[int, set[int]] = {}
    for row, out in zip(vectors.tolist(), outputs.tolist(), strict=True):
        by_count.setdefault(sum(row), set()).add(out)
    assert all(len(values) == 1 for values in by_count.values())
    assert {v for values in by_count.values() for v in values} == {0, 1}


def test_sqrt8_is_the_integer_square_root(netlists: Path):
    """Not in SOURCES.md; the names say it: inputs v[7] .. v[0] (most significant first), sqrt[0..3]."""
    circuit = mcnc(netlists, "sqrt8")
    assert circuit.inputs == tuple(f"v[{k}]" for k in range(7, -1, -1))
    vectors = all_vectors(8)
    for row, out in zip(vectors, evaluate_batch(circuit, vectors), strict=True):
        assert out.tolist() == bits_of(math.isqrt(number(row, range(7, -1, -1))), 4)


# --- aiger examples ---

AIGER_EXAMPLES = {
    "and.aag": lambda x, y: [x & y],
    "or.aag": lambda x, y: [x | y],
    "halfadder.aag": lambda x, y: [x ^ y, x & y],
    "buffer.aag": lambda x: [x],
    "inverter.aag": lambda x: [1 - x],
    "false.aag": lambda: [0],
}


def test_the_empty_aiger_example_is_refused_as_a_netlist_without_outputs(netlists: Path):
    path = netlists / "aiger-examples" / "empty.aag"
    with pytest.raises(NetlistError, match=r"empty\.aag:1:11: O = 0: the file declares no outputs"):
        read_circuit(path)


@pytest.mark.parametrize("name", sorted(AIGER_EXAMPLES))
def test_aiger_examples_compute_their_obvious_function(netlists: Path, name: str):
    meaning = AIGER_EXAMPLES[name]
    circuit = read_circuit(netlists / "aiger-examples" / name)
    n = meaning.__code__.co_argcount
    vectors = all_vectors(n)
    assert evaluate_batch(circuit, vectors).tolist() == [meaning(*row) for row in vectors.tolist()]


def test_halfadder_names_come_from_its_symbol_table(netlists: Path):
    circuit = read_circuit(netlists / "aiger-examples" / "halfadder.aag")
    assert circuit.inputs == ("x", "y") and circuit.output_names == ("s", "c")
