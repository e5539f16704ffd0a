"""One circuit evaluated three ways: loop, chain of thought (CoT) and masked diffusion (MDM).

For each circuit (ISCAS-85 netlists; the adder of two n-bit numbers, the n x n multiplier and parity
of n bits from circuits.families, at several n) on one random input, exactly: the nodes of the
literal form ("gates": NOT and BUF are folded into literals),
its depth, the steps of each mode (loop iterations, generated tokens, denoising steps), the positions
of the final sequence ("tokens"), the layer applications (positions x layers actually run, summed
over the steps; CoT runs the new position only at each step, from a cache of the earlier rows) and the
exact run time of each mode. Every mode's outputs are checked against `circuits.evaluate`.

    python benchmarks/cot_loop_mdm.py            # everything (c6288 takes several minutes)
    python benchmarks/cot_loop_mdm.py --quick    # leave out c6288

The last line is `c6288 CoT steps / loop iterations: R` (omitted with --quick).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# benchmarks/circuits.py would shadow the circuits package: put the repository root first instead
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from circuits import evaluate  # noqa: E402
from circuits.families import iterated_addition, multiplication, parity  # noqa: E402
from circuits.io import read_circuit  # noqa: E402
from expressivity.compile.circuit import compile_circuit, input_word  # noqa: E402
from expressivity.decoding import run_decoder  # noqa: E402

ROOT = _HERE.parent
NETLISTS = ["c17", "c432", "c499", "c880", "c6288"]
FAMILIES = [
    *(("adder", n, lambda n: iterated_addition(2, n)) for n in (2, 4, 8)),
    *(("multiplier", n, multiplication) for n in (2, 3, 4)),
    *(("parity", n, parity) for n in (4, 8, 16)),
]
COLUMNS = (
    f"{'circuit':<14} {'gates':>6} {'depth':>5} | {'loop it':>7} {'CoT st':>6} {'MDM st':>6} | "
    f"{'tokens L/C/M':>18} | {'layer applications L / C / M':>30} | {'seconds L / C / M':>20}"
)


def measure(name: str, circuit, rng: random.Random) -> dict:
    bits = [rng.randrange(2) for _ in circuit.inputs]
    expected = evaluate(circuit, bits)
    row: dict = {"name": name}
    for mode in ("loop", "cot", "mdm"):
        compiled = compile_circuit(circuit, mode=mode, check=False)
        model = compiled.model
        word = input_word(compiled.inputs, bits)
        start = time.perf_counter()
        if mode == "loop":
            trace = compiled.simulator.run(word, "exact", record=False)
            outputs, steps, tokens = trace.outputs, trace.loops, trace.positions
            layers = trace.positions * trace.layers_run
        else:
            decoded = run_decoder(model, word, "exact", simulator=compiled.simulator)
            outputs, steps, tokens, layers = (
                decoded.outputs,
                decoded.steps,
                len(decoded.tokens),
                decoded.layers_run,
            )
        row[mode] = {
            "steps": steps,
            "tokens": tokens,
            "layers": layers,
            "seconds": time.perf_counter() - start,
        }
        if outputs != expected:
            raise AssertionError(f"{name} {mode}: {outputs} != {expected} on {bits}")
        row["gates"], row["depth"] = len(compiled.form.nodes), compiled.form.depth
    return row


def show(row: dict) -> None:
    loop, cot, mdm = row["loop"], row["cot"], row["mdm"]
    tokens = f"{loop['tokens']}/{cot['tokens']}/{mdm['tokens']}"
    layers = f"{loop['layers']} / {cot['layers']} / {mdm['layers']}"
    seconds = f"{loop['seconds']:.1f} / {cot['seconds']:.1f} / {mdm['seconds']:.1f}"
    print(
        f"{row['name']:<14} {row['gates']:>6} {row['depth']:>5} | {loop['steps']:>7} {cot['steps']:>6} "
        f"{mdm['steps']:>6} | {tokens:>18} | {layers:>30} | {seconds:>20}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out c6288")
    args = parser.parse_args()
    rng = random.Random(0)
    print(COLUMNS)
    rows = {}
    for name in NETLISTS:
        if args.quick and name == "c6288":
            continue
        circuit = read_circuit(ROOT / "examples" / "circuits" / "iscas85" / f"{name}.bench")
        rows[name] = measure(name, circuit, rng)
        show(rows[name])
    for family, n, build in FAMILIES:
        row = measure(f"{family} n={n}", build(n), rng)
        show(row)
    print("every output of every mode agrees with circuits.evaluate")
    if "c6288" in rows:
        c6288 = rows["c6288"]
        print(f"c6288 CoT steps / loop iterations: {c6288['cot']['steps'] / c6288['loop']['steps']:.2f}")


if __name__ == "__main__":
    main()
