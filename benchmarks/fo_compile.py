"""Sizes and speed of compiled FO[M] sentences (Theorem 1): one model per library sentence and mode.

Per sentence and mode (mixed, causal): k variables, quantifier depth D, layers, heads, width, parameters
(all independent of n: one model for every length), padding at n = 4, 8, 16, compile time (with its
self-check), and one random word run exactly and with float64: the times and their ratio. The word has
length 16 for k <= 2 and 8 for k = 3 (the run-time goals: each exact run under 2 s on this machine);
`f64 ok` says whether float64 gave the same answer.

`--verify L` also runs every word up to length L exactly against the model checker and prints the
number of disagreements (none expected). The last line is `max layers / (quantifier depth + 1): R`.
"""

from __future__ import annotations

import argparse
import random
import time
from itertools import product

from expressivity import Simulator
from expressivity.compile.formula import compile_formula
from expressivity.logic import LIBRARY, holds, quantifier_depth, variables

LENGTHS = {0: 16, 1: 16, 2: 16, 3: 8}


def timed(simulator: Simulator, word: str, backend: str):
    start = time.perf_counter()
    trace = simulator.run(word, backend, record=False)
    return trace, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", type=int, default=None, metavar="L", help="check every word up to L")
    parser.add_argument("--modes", default="mixed,causal", help="comma-separated: mixed, causal")
    args = parser.parse_args()
    rng = random.Random(2026)
    header = (
        f"{'sentence':<24} {'mode':<6} {'k':>1} {'D':>1} {'layers':>6} {'heads':>5} {'width':>5} "
        f"{'params':>7} {'t(4)':>5} {'t(8)':>5} {'t(16)':>6} {'compile s':>9} {'n':>3} {'exact s':>8} "
        f"{'float s':>8} {'ratio':>6} {'f64 ok':>6}" + ("  wrong/words" if args.verify is not None else "")
    )
    print(header)
    worst = 0.0
    for name, sentence in LIBRARY.items():
        k, depth = len(variables(sentence.formula)), quantifier_depth(sentence.formula)
        for mode in args.modes.split(","):
            start = time.perf_counter()
            model = compile_formula(sentence.formula, sentence.alphabet, causal=mode == "causal")
            compile_seconds = time.perf_counter() - start
            simulator = Simulator(model)
            n = LENGTHS[k]
            word = "".join(rng.choice(sentence.alphabet) for _ in range(n))
            exact, exact_seconds = timed(simulator, word, "exact")
            approx, float_seconds = timed(simulator, word, "float64")
            assert exact.accept == holds(sentence.formula, word), (name, mode, word)
            heads = sum(len(layer.heads) for layer in model.prefix)
            worst = max(worst, len(model.prefix) / (depth + 1))
            line = (
                f"{name:<24} {mode:<6} {k:>1} {depth:>1} {len(model.prefix):>6} {heads:>5} {model.width:>5} "
                f"{model.parameter_count():>7} {model.padding(4):>5} {model.padding(8):>5} "
                f"{model.padding(16):>6} {compile_seconds:>9.2f} {n:>3} {exact_seconds:>8.2f} "
                f"{float_seconds:>8.3f} {exact_seconds / float_seconds:>6.1f} "
                f"{approx.accept == exact.accept!s:>6}"
            )
            if args.verify is not None:
                words = [
                    "".join(letters)
                    for length in range(args.verify + 1)
                    for letters in product(sentence.alphabet, repeat=length)
                ]
                wrong = sum(
                    simulator.run(w, record=False).accept != holds(sentence.formula, w) for w in words
                )
                line += f"  {wrong}/{len(words)}"
            print(line, flush=True)
    print(f"max layers / (quantifier depth + 1): {worst:.2f}")


if __name__ == "__main__":
    main()
