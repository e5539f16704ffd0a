"""p0 per compiled route and size: the least p from which fixed:p gives every tie set and every output of
the exact run (p .. p + 16 and 2p all agree, `expressivity.precision`), beside log2 N.

Routes: FO[M] sentences with k = 1, 2, 3 variables in both masking modes, s-t connectivity, the
circuit compiler (majority circuits of growing fan-in, both modes), and iterated programs
(`compile_program`: a k = 2 program in both modes, the DFA, connectivity, clock and S5 showcases, and
random programs with k <= 3 drawn with a fixed seed); a program's tie sets are compared at every loop
iteration. `--only program` measures the program route alone.
Inputs per size: random words plus the route's worst cases (`precision.audit_words`). Each row prints
n, N, log2 N, p0 and p0 / log2 N; the line before the last names the route and size of the maximum and
the first tie that breaks just below its p0 (the gadget that sets c); the last line is
`max over routes of p0 / log2 N: c`. One run; nothing here is timed.
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
from expressivity.compile.iterated import compile_program  # noqa: E402
from expressivity.compile.iterated.validate import validate_program  # noqa: E402
from expressivity.logic.program_library import (  # noqa: E402
    EXAMPLE_DFAS,
    clock_program,
    connectivity_program,
    program_from_dfa,
    s5_program,
)
from expressivity.precision import Audit, audit_words  # noqa: E402

SENTENCES = {
    1: "M x. Q_a(x)",
    2: "exists x. exists y. (x < y & Q_a(x) & Q_b(y))",
    3: "exists x. exists y. exists z. (x < y & y < z & Q_a(x) & Q_b(z))",
}
FORMULA_SIZES = {1: [2, 4, 8], 2: [2, 3, 4], 3: [2, 3]}
A_BEFORE_B = """relation Seen(x): init Q_a(x); update Seen(x) | exists y. y < x & Seen(y);
loops ceil(log2 n) + 1; accept exists x. Q_b(x) & Seen(x);"""
RANDOM_PROGRAMS = 3


def programs():
    """(name, program, alphabet, sizes, causal) of the program route: showcases, then random programs."""
    yield "program a-before-b k=2", A_BEFORE_B, "ab", [2, 4, 8], False
    yield "program a-before-b k=2 causal", A_BEFORE_B, "ab", [2, 3], True
    yield "program dfa parity k=3", program_from_dfa(EXAMPLE_DFAS["parity"]), "01", [2, 3, 4], False
    yield "program connectivity k=3", connectivity_program(), None, [2, 3], False
    yield "program clock d=2 k=3", clock_program(), "ab", [2, 3, 4], False
    yield "program S5 k=3", s5_program(), "abe", [2, 3], False
    for index, program in enumerate(random_programs(RANDOM_PROGRAMS)):
        yield f"program random #{index}", program, "ab", [2, 3], False


def random_programs(count: int) -> list:
    """`count` programs of the random-program strategy (k <= 3, 1-2 relations), fixed seed: of the first
    20 drawn, those with the most variables, then the longest text."""
    from hypothesis import HealthCheck, given, settings

    from expressivity.logic import program_to_text
    from expressivity.logic.strategies import programs as program_strategy

    found = []

    @settings(max_examples=20, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(program_strategy(max_depth=2))
    def collect(program) -> None:
        found.append(program)

    collect()
    size = {id(p): (len(validate_program(p, "ab").variables), len(program_to_text(p))) for p in found}
    return sorted(found, key=lambda p: size[id(p)], reverse=True)[:count]


def routes(only: str = ""):
    """(route name, model, sizes) for every route measured whose name starts with `only`."""
    for name, model, sizes in all_routes():
        if name.startswith(only):
            yield name, model, sizes


def all_routes():
    """(route name, model, sizes) for every route, each model compiled when it is reached."""
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
    for name, program, alphabet, sizes, causal in programs():
        yield name, compile_program(program, alphabet, causal=causal, self_check=False), sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="random words per size (worst cases added)")
    parser.add_argument("--max-bits", type=int, default=96, help="largest p0 searched for")
    parser.add_argument("--only", default="", help="measure only the routes whose name starts with this")
    args = parser.parse_args()
    print(f"{'route':<34} {'n':>3} {'N':>6} {'log2 N':>7} {'p0':>5} {'p0/log2 N':>10}")
    worst, where = 0.0, ""
    for name, model, sizes in routes(args.only):
        for n in sizes:
            size = n if n else len(model.metadata.get("inputs", []))
            words = audit_words(model, size, args.samples, seed=size)
            positions = model.sequence_length(len(words[0]))
            audit = Audit(model, words)
            p0 = audit.stable_from(args.max_bits)
            ratio = p0 / math.log2(positions) if p0 is not None else math.nan
            if p0 is not None and ratio > worst:
                below = audit.check(p0 - 1) if p0 > 2 else None
                broken = f"; below p0: {below.describe()}" if below else ""
                worst, where = ratio, f"{name}, n = {size}{broken}"
            shown = "none" if p0 is None else str(p0)
            print(
                f"{name:<34} {size:>3} {positions:>6} {math.log2(positions):>7.2f} {shown:>5} {ratio:>10.2f}",
                flush=True,
            )
    print(f"# the maximum is at {where}")
    print(f"max over routes of p0 / log2 N: {worst:.2f}")


if __name__ == "__main__":
    main()
