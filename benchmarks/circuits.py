"""Bit-parallel batch evaluation against py-aiger on two real multipliers.

Circuits (from the repository's examples/circuits, see its SOURCES.md):

- iscas85/c6288.bench, a 16x16 multiplier of 2416 gates: read with our .bench reader, written with our
  .aag writer, and that text parsed by py-aiger, so py-aiger also checks our writer;
- epfl/multiplier.aig, a 64x64 multiplier of 27062 AND gates in binary AIGER: read by our reader and
  loaded by py-aiger directly (py-aiger reads binary .aig too).

For each circuit, 10,000 random input vectors go through `evaluate_batch` (timed as one call, which
includes planning the batch schedule) and the first few hundred through py-aiger's `AIG.__call__`
(one dict of bools per vector). The two must agree on every shared vector, and our outputs must be
the product a * b on all 10,000 (c6288 lists product bit 31 before bit 30 as its last two outputs).
The last line prints ours / py-aiger time per vector, taking the WORSE (larger) of the two circuits'
ratios, so it is an upper bound for both.

Run from the repository root: python benchmarks/circuits.py (or python -m benchmarks.circuits).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

# Run as a file, Python puts benchmarks/ first on sys.path, where this very file would shadow the
# `circuits` package: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import aiger  # noqa: E402
import numpy as np  # noqa: E402

from circuits import Circuit, evaluate_batch  # noqa: E402
from circuits.io.aiger import read_aiger, write_aag  # noqa: E402
from circuits.io.bench import read_bench  # noqa: E402

NETLISTS = Path(__file__).resolve().parents[1] / "examples" / "circuits"
OUR_VECTORS = 10_000
PY_AIGER_VECTORS = 200


def number(bits: np.ndarray) -> list[int]:
    """Each row of bits (LSB first) as a Python integer."""
    return [sum(int(bit) << i for i, bit in enumerate(row)) for row in bits]


def time_ours(circuit: Circuit, vectors: np.ndarray) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    outputs = evaluate_batch(circuit, vectors)
    return outputs, (time.perf_counter() - start) / len(vectors)


def time_py_aiger(
    model: aiger.AIG, input_names: list[str], output_names: list[str], vectors: np.ndarray
) -> tuple[np.ndarray, float]:
    """py-aiger's outputs (in `output_names` order) on each vector, and its time per vector."""
    rows = []
    start = time.perf_counter()
    for vector in vectors:
        outputs, _ = model(dict(zip(input_names, map(bool, vector), strict=True)))
        rows.append([int(outputs[name]) for name in output_names])
    return np.array(rows, dtype=np.uint8), (time.perf_counter() - start) / len(vectors)


def compare(
    label: str,
    circuit: Circuit,
    model: aiger.AIG,
    names: tuple[list[str], list[str]],
    product_bits: Callable[[np.ndarray], np.ndarray],
    width: int,
    rng: np.random.Generator,
) -> float:
    """Time both evaluators on one multiplier, check them, print a table row, return the ratio."""
    vectors = rng.integers(0, 2, size=(OUR_VECTORS, len(circuit.inputs)), dtype=np.uint8)
    ours, our_time = time_ours(circuit, vectors)
    theirs, their_time = time_py_aiger(model, *names, vectors[:PY_AIGER_VECTORS])
    if not np.array_equal(ours[:PY_AIGER_VECTORS], theirs):
        raise SystemExit(f"{label}: evaluate_batch and py-aiger disagree")
    products = [a * b for a, b in zip(number(vectors[:, :width]), number(vectors[:, width:]), strict=True)]
    if number(product_bits(ours)) != products:
        raise SystemExit(f"{label}: evaluate_batch does not compute a * b")
    ratio = our_time / their_time
    print(f"{label:<22}{len(circuit.gates):>8}{our_time * 1e6:>14.2f}{their_time * 1e6:>16.1f}{ratio:>12.2e}")
    return ratio


def main() -> None:
    rng = np.random.default_rng(2024)
    print(f"{'circuit':<22}{'nets':>8}{'ours us/vec':>14}{'py-aiger us/vec':>16}{'ratio':>12}")

    c6288 = read_bench(NETLISTS / "iscas85" / "c6288.bench")
    c6288_in_py_aiger = aiger.parse(write_aag(c6288))
    c6288_names = (list(c6288.inputs), list(c6288.output_names))
    swap_last_two = [*range(30), 31, 30]
    ratios = [
        compare(
            "c6288 (via our .aag)",
            c6288,
            c6288_in_py_aiger,
            c6288_names,
            lambda bits: bits[:, swap_last_two],
            16,
            rng,
        )
    ]

    path = NETLISTS / "epfl" / "multiplier.aig"
    multiplier = read_aiger(path)
    multiplier_names = (list(multiplier.inputs), list(multiplier.output_names))
    ratios.append(
        compare(
            "epfl multiplier", multiplier, aiger.load(str(path)), multiplier_names, lambda bits: bits, 64, rng
        )
    )
    print(f"ours/py-aiger time per vector: {max(ratios):.3g}")


if __name__ == "__main__":
    main()
