"""p0 per compiled route and size: the least p from which fixed:p gives every tie set and every output of
the exact run (p .. p + 16 and 2p all agree, `expressivity.precision`), beside log2 N.

Routes: FO[M] sentences with k = 1, 2, 3 variables in both masking modes, s-t connectivity, and the
circuit compiler (majority circuits of growing fan-in, both modes). Inputs per size: random words plus
the route's worst cases (`precision.audit_words`). Each row prints n, N, log2 N, p0 and p0 / log2 N;
the last line is `max over routes of p0 / log2 N: c`. One run; nothing here is timed.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

# Run as a file, Python puts benchmarks/ first on sys.path, where benchmarks/circuits.py would shadow the
# `circuits` package: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from circuits.families import majority  # noqa: E402
from expressivity.compile.circuit import compile_circuit  # noqa: E402
from expressivity.compile.connectivity import compile_connectivity  # noqa: E402
from expressivity.compile.formula import compile_formula  # noqa: E402
from expressivity.precision import Audit, audit_words  # noqa: E402

SENTENCES = {
    1: "M x. Q_a(x)",
    2: "exists x. exists y. (x < y & Q_a(x) & Q_b(y))",
    3: "exists x. exists y. exists z. (x < y & y < z & Q_a(x) & Q_b(z))",
}
FORMULA_SIZES = {1: [2, 4, 8], 2: [2, 3, 4], 3: [2, 3]}


def routes():
    """(route name, model, sizes, words of a size) for every route measured."""
    for k, sentence in SENTENCES.items():
        for causal in (False, True):
            model = compile_formula(sentence, "ab", causal=causal)
            mode = "causal" if causal else "mixed"
            yield f"formula k={k} {mode}", model, FORMULA_SIZES[k]
    yield "connectivity", compile_connectivity(), [2, 3, 4]
    for causal in (False, True):
        mode = "causal" if causal else "mixed"
        for fan_in in (3, 5, 9):
            yield (
                f"circuit majority({fan_in}) {mode}",
                compile_circuit(majority(fan_in), causal=causal).model,
                [0],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="random words per size (worst cases added)")
    parser.add_argument("--max-bits", type=int, default=96, help="largest p0 searched for")
    args = parser.parse_args()
    print(f"{'route':<30} {'n':>3} {'N':>6} {'log2 N':>7} {'p0':>5} {'p0/log2 N':>10}")
    worst = 0.0
    for name, model, sizes in routes():
        for n in sizes:
            size = n if n else len(model.metadata.get("inputs", []))
            words = audit_words(model, size, args.samples, seed=size)
            positions = model.sequence_length(len(words[0]))
            p0 = Audit(model, words).stable_from(args.max_bits)
            ratio = p0 / math.log2(positions) if p0 is not None else math.nan
            worst = max(worst, ratio) if p0 is not None else worst
            shown = "none" if p0 is None else str(p0)
            print(
                f"{name:<30} {size:>3} {positions:>6} {math.log2(positions):>7.2f} {shown:>5} {ratio:>10.2f}",
                flush=True,
            )
    print(f"max over routes of p0 / log2 N: {worst:.2f}")


if __name__ == "__main__":
    main()
