"""Compiled circuits against the circuit evaluator, on real netlists (examples/circuits).

For each netlist: tokens N of the compiled model, loop iterations (depth of the literal form), layers
per iteration, parameters, compile time, the exact run time of one random input vector, the reference
evaluation time of the same vector (`circuits.evaluate`), and exact/float64 run time on that vector
(float64 attention is dense N x N, so it is skipped above 3,000 tokens). Every exact run is checked
against the evaluator. Then loops against n for uniform families (constant for majority, parity and
iterated addition; growing by 2 per doubling of n for reachability). The last line is
`c6288 exact run seconds: T` (one 16 x 16 product, checked).

Run from the repository root: python benchmarks/circuit_compile.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from circuits import evaluate  # noqa: E402
from circuits.io import read_circuit  # noqa: E402
from expressivity.compile.circuit import compile_circuit  # noqa: E402

DATA = _HERE.parent / "examples" / "circuits"
NETLISTS = [
    "iscas85/c17.bench",
    "iscas85/c432.bench",
    "iscas85/c499.bench",
    "iscas85/c880.bench",
    "epfl/ctrl.aig",
    "epfl/int2float.aig",
    "epfl/dec.aig",
    "epfl/router.aig",
    "iscas85/c6288.bench",
]
FLOAT64_MAX_TOKENS = 3000


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"the example netlists are not at {DATA}")
    rng = random.Random(0)
    header = f"{'netlist':<20}{'tokens':>8}{'loops':>6}{'l/loop':>7}{'params':>9}"
    print(header + f"{'compile s':>10}{'exact s':>9}{'ref s':>9}{'exact/float64':>14}")
    c6288_seconds = None
    for name in NETLISTS:
        circuit = read_circuit(DATA / name)
        start = time.perf_counter()
        compiled = compile_circuit(circuit, check=False)
        compile_seconds = time.perf_counter() - start
        bits = [rng.randint(0, 1) for _ in circuit.inputs]
        start = time.perf_counter()
        outputs = compiled.run(bits, record=False)
        exact_seconds = time.perf_counter() - start
        start = time.perf_counter()
        expected = evaluate(circuit, bits)
        reference_seconds = time.perf_counter() - start
        if outputs != expected:
            sys.exit(f"{name}: the compiled model disagrees with the evaluator on {bits}")
        model = compiled.model
        tokens = model.sequence_length(len(circuit.inputs))
        ratio = "skipped"
        if tokens <= FLOAT64_MAX_TOKENS:
            start = time.perf_counter()
            compiled.run(bits, backend="float64", record=False)
            ratio = f"{exact_seconds / (time.perf_counter() - start):.1f}"
        row = f"{name.split('/')[-1]:<20}{tokens:>8}{model.loops.value:>6}{len(model.block):>7}"
        row += f"{model.parameter_count():>9}{compile_seconds:>10.2f}{exact_seconds:>9.2f}"
        print(row + f"{reference_seconds:>9.4f}{ratio:>14}", flush=True)
        if name.endswith("c6288.bench"):
            c6288_seconds = exact_seconds
    _families()
    print(f"c6288 exact run seconds: {c6288_seconds:.1f}")


def _families() -> None:
    """Loops against n for uniform families: constant for the TC^0 ones, O(log n) for reachability."""
    from circuits.families import FAMILIES

    sizes = {"majority": (4, 8, 16, 32), "parity": (4, 8, 16, 32), "iterated_addition": (2, 3, 4, 5)}
    sizes["reachability"] = (2, 4, 8, 16)
    print("\nloops against n (uniform families):")
    for name, ns in sizes.items():
        loops = [compile_circuit(FAMILIES[name](n), check=False).model.loops.value for n in ns]
        print(f"  {name:<18}" + "  ".join(f"n={n}: {r}" for n, r in zip(ns, loops, strict=True)))


if __name__ == "__main__":
    main()
