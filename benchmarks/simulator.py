"""Exact against float64 on one model that counts, hashes and retrieves (expressivity.examples).

For N = 256, 1024, 4096 positions (input length N - 1, random bits) the same model runs on the exact
backend and on float64, in one process; the table gives both times, their ratio, and how many
positions' tie sets float64 got wrong. The last line is `exact/float64 at N=4096: R`.
"""

from __future__ import annotations

import random
import time

from expressivity.backends import get_backend
from expressivity.examples import count_hash_retrieve_model
from expressivity.simulator import Simulator

SIZES = (256, 1024, 4096)
HEAD = ("prefix.layer1.attention", "retrieve")


def timed_run(simulator: Simulator, word: str, backend: str):
    start = time.perf_counter()
    trace = simulator.run(word, get_backend(backend), record=False)
    return trace, time.perf_counter() - start


def main() -> None:
    simulator = Simulator(count_hash_retrieve_model())
    rng = random.Random(2026)
    print(f"{'N':>6} {'exact s':>9} {'float64 s':>10} {'ratio':>7} {'float64 tie sets wrong':>24}")
    ratio = float("nan")
    for size in SIZES:
        word = "".join(rng.choice("01") for _ in range(size - 1))
        exact, exact_seconds = timed_run(simulator, word, "exact")
        approx, float_seconds = timed_run(simulator, word, "float64")
        wrong = sum(exact.ties[HEAD].of(i).tolist() != approx.ties[HEAD].of(i).tolist() for i in range(size))
        ratio = exact_seconds / float_seconds
        print(f"{size:>6} {exact_seconds:>9.3f} {float_seconds:>10.3f} {ratio:>7.2f} {wrong:>17} of {size}")
    print(f"exact/float64 at N={SIZES[-1]}: {ratio:.2f}")


if __name__ == "__main__":
    main()
