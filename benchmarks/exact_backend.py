"""The exact backend on its hard cases and on real circuits, one run each (times in seconds).

- c6288 (16 x 16 multiplier): one exact run of the compiled circuit, checked against the evaluator;
- near ties: scores 1 + 10^-20 (j+1)/sqrt((j+1)^2 + 1), all 1.0 in float64, at N = 161 and 1000
  positions (every row's tie set is checked to be [i]);
- a loop of R = 400 iterations that adds 1/sqrt(1 + t^2) each time (the result has 400 radicals);
- a norm group whose squared norm has 171 digits (10^85 + 1, 1)), which the old code had to factor;
- c432 on 64 random input vectors, one by one and in one `run_batch`, which computes what the words
  share (the circuit's ids, hashes and wiring, and the wiring heads' tie sets) once (outputs checked).

The reproducer models are those of the regression tests (tests/exact_cases.py). The last line is
`batched/one-by-one time, c432 x 64: R`.

Run from the repository root: python benchmarks/exact_backend.py
"""

from __future__ import annotations

import random
import sys
import time
from fractions import Fraction
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent), str(_HERE.parent / "tests")] + [
    p for p in sys.path if Path(p or ".").resolve() != _HERE
]

from exact_cases import big_norm_model, near_tie_model, root_sum_model  # noqa: E402

from circuits import evaluate  # noqa: E402
from circuits.io import read_circuit  # noqa: E402
from expressivity.compile.circuit import compile_circuit, input_word  # noqa: E402
from expressivity.simulator import Simulator  # noqa: E402

DATA = _HERE.parent / "examples" / "circuits" / "iscas85"


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def c6288() -> None:
    circuit = read_circuit(DATA / "c6288.bench")
    compiled = compile_circuit(circuit, check=False)
    bits = [random.Random(0).randint(0, 1) for _ in circuit.inputs]
    outputs, seconds = timed(lambda: compiled.run(bits, record=False))
    if outputs != evaluate(circuit, bits):
        sys.exit("c6288: the exact run disagrees with the evaluator")
    print(f"c6288 exact run: {seconds:.1f} s ({compiled.model.sequence_length(len(circuit.inputs))} tokens)")


def near_ties(size: int) -> None:
    trace, seconds = timed(lambda: Simulator(near_tie_model()).run("a" * (size - 1), record=False))
    ties = trace.ties[("prefix.layer1.attention", "near-tie")].as_lists()
    if ties != [[i] for i in range(size)]:
        sys.exit(f"near ties at N = {size}: wrong tie sets")
    print(f"near-tie scores, N = {size}: {seconds:.2f} s")


def root_loop(loops: int) -> None:
    trace, seconds = timed(lambda: Simulator(root_sum_model(loops)).run("a", record=False))
    radicals = len(trace.value(1, "acc").terms)
    print(f"loop adding 1/sqrt(1 + t^2), R = {loops}: {seconds:.2f} s ({radicals} terms)")


def big_norm() -> None:
    p = Fraction(10**85 + 1)
    trace, seconds = timed(lambda: Simulator(big_norm_model(p)).run("a", record=False))
    digits = len(str(max(trace.value(1, "out").terms)))
    print(f"171-digit squared norm (p^2 + 1, p = 10^85 + 1): {seconds:.3f} s (radicand: {digits} digits)")


def c432_batch(count: int) -> None:
    circuit = read_circuit(DATA / "c432.bench")
    compiled = compile_circuit(circuit, check=False)
    rng = random.Random(0)
    vectors = [[rng.randint(0, 1) for _ in circuit.inputs] for _ in range(count)]
    words = [input_word(compiled.inputs, v) for v in vectors]
    simulator = compiled.simulator
    singles, one_by_one = timed(lambda: [simulator.run(w, record=False) for w in words])
    batched, batch_seconds = timed(lambda: simulator.run_batch(words, record=False))
    for bits, single, trace in zip(vectors, singles, batched, strict=True):
        if not single.outputs == trace.outputs == evaluate(circuit, bits):
            sys.exit("c432: a batched run disagrees with the one-by-one run or the evaluator")
    print(f"c432 x {count}: one by one {one_by_one:.1f} s, batched {batch_seconds:.1f} s")
    print(f"batched/one-by-one time, c432 x {count}: {batch_seconds / one_by_one:.2f}")


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"the netlists are not at {DATA}")
    c6288()
    near_ties(161)
    near_ties(1000)
    root_loop(400)
    big_norm()
    c432_batch(64)


if __name__ == "__main__":
    main()
