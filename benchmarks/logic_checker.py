"""Time the FO[M] model checker: one k = 3, quantifier-depth-3 sentence on 1,000 random words of length 12.

Run `python benchmarks/logic_checker.py`. It prints the best of several runs of `holds_batch` (all words at
once, so n^k = 1,728 assignments per word are evaluated together), and, for comparison, one word at a time.
"""

from __future__ import annotations

import random
import time

from expressivity.logic import holds, holds_batch, parse, quantifier_depth, variables

SENTENCE = parse("forall x. (Q_a(x) -> exists y. (x < y & M z. (y < z -> Q_b(z) | z = x)))")
WORD_COUNT = 1000
WORD_LENGTH = 12
REPEATS = 5


def best_seconds(run, repeats: int) -> float:
    """The fastest of `repeats` wall-clock timings of run()."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    rng = random.Random(0)
    words = ["".join(rng.choice("ab") for _ in range(WORD_LENGTH)) for _ in range(WORD_COUNT)]
    batch = best_seconds(lambda: holds_batch(SENTENCE, words), REPEATS)
    one_by_one = best_seconds(lambda: [holds(SENTENCE, word) for word in words], 1)
    accepted = int(holds_batch(SENTENCE, words).sum())
    print(f"sentence: {SENTENCE}")
    print(f"k = {len(variables(SENTENCE))}, quantifier depth = {quantifier_depth(SENTENCE)}")
    print(f"{WORD_COUNT} words of length {WORD_LENGTH} over ab, {accepted} accepted")
    print(f"holds_batch:          {batch:.4f} s (best of {REPEATS})")
    print(f"holds, word by word:  {one_by_one:.4f} s")


if __name__ == "__main__":
    main()
