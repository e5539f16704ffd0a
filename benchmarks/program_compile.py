"""Iterated programs: one compiled model per showcase, run at growing n (uniform TC^d, loops grow).

Per showcase and n: tokens N = 1 + n + n^3 (graph words: 1 + m + m^2 + m^3), loops r(n), layers run,
the time of one exact run of the one model (and whether its answer equals the plain definition), and
the time of the reference interpreter on the same word. `exact s` is wall-clock time and `cpu s` the
process's CPU time of the same run (they differ when the machine is shared). Compile time (without
the self-check) and the model's size are printed once per showcase. Times are from one run on this
machine; no timing is asserted anywhere.

The S5 word problem at n = 32 is the expensive line (32768 assignment tokens, 25 relations, a
residual of 1665 cells per token); `--s5-words K` runs K random words there (default 10; every second
one is a product equal to the identity) and `--s5-sizes` picks the n of the S5 lines. The last line is
`S5 word problem n=32 exact run seconds: T` (wall clock, the mean over those words), or says that n = 32
was left out.
"""

from __future__ import annotations

import argparse
import random
import time

from expressivity import Simulator
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.compile.iterated import compile_program
from expressivity.logic import accepts
from expressivity.logic.program_library import (
    EXAMPLE_DFAS,
    clock_accepts,
    clock_program,
    connectivity_program,
    program_from_dfa,
    s5_identity_word,
    s5_is_identity,
    s5_program,
)


def random_graph_word(rng: random.Random, m: int) -> tuple[str, bool]:
    import networkx as nx

    adjacency = [[int(rng.random() < 0.3) for _ in range(m)] for _ in range(m)]
    s, t = rng.randrange(m), rng.randrange(m)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(m))
    graph.add_edges_from((i, j) for i in range(m) for j in range(m) if adjacency[i][j])
    return connectivity_word(adjacency, s, t), nx.has_path(graph, s, t)


def line(name: str, n: int, model, word: str, expected: bool, program) -> float:
    simulator = Simulator(model)
    start, cpu = time.perf_counter(), time.process_time()
    got = simulator.run(word, record=False).accept
    exact, exact_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    interpreted = accepts(program, word)
    interpreter = time.perf_counter() - start
    size = model.size(len(word))
    ok = "ok" if got == expected == interpreted else "WRONG"
    print(
        f"{name:<22} {n:>4} {model.sequence_length(len(word)):>7} {model.loops(size):>5} "
        f"{model.layer_count(len(word)):>6} {exact:>9.2f} {exact_cpu:>9.2f} {interpreter:>9.4f}  {ok}",
        flush=True,
    )
    return exact


def compiled(name: str, program, alphabet: str | None):
    start = time.perf_counter()
    model = compile_program(program, alphabet, self_check=False)
    elapsed = time.perf_counter() - start
    layers = f"{len(model.prefix)}+{len(model.block)}*r(n)+{len(model.suffix)}"
    sizes = f"layers {layers}, width {model.width}, loops {model.loops.describe()}"
    print(f"# {name}: compiled in {elapsed:.1f} s; {sizes}")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--s5-words", type=int, default=10, help="random words at n = 32 (default 10)")
    parser.add_argument("--s5-sizes", default="4,8,16,32", help="the n of the S5 lines (default 4,8,16,32)")
    parser.add_argument("--only-s5", action="store_true", help="only the S5 lines")
    args = parser.parse_args()
    rng = random.Random(2026)
    columns = f"{'tokens':>7} {'loops':>5} {'layers':>6} {'exact s':>9} {'cpu s':>9} {'interp s':>9}"
    print(f"{'showcase':<22} {'n':>4} {columns}")
    if not args.only_s5:
        smaller_showcases(rng)
    program = s5_program()
    model = compiled("S5 word problem", program, "abe")
    shape = ", ".join(
        f"n={n}: {model.loops(n)} loops, {model.sequence_length(n)} tokens" for n in (8, 16, 32)
    )
    print(f"# S5 word problem (as `inspect --json` reports them): {shape}")
    sizes = [int(n) for n in args.s5_sizes.split(",")]
    times = []
    for n in sizes:
        for index in range(args.s5_words if n == 32 else 1):
            identity = n == 8 or (n == 32 and index % 2 == 1)
            word = s5_identity_word(rng, n) if identity else "".join(rng.choice("abe") for _ in range(n))
            seconds = line("S5 word problem", n, model, word, s5_is_identity(word), program)
            if n == 32:
                times.append(seconds)
    measured = f"{sum(times) / len(times):.1f}" if times else "not measured (n = 32 left out by --s5-sizes)"
    print(f"S5 word problem n=32 exact run seconds: {measured}")


def smaller_showcases(rng: random.Random) -> None:
    """Connectivity (with the hand-built route's sizes beside it), the DFA programs and the clock."""
    program = connectivity_program()
    model = compiled("connectivity", program, None)
    hand = compile_connectivity()
    print(
        f"# compile_connectivity (hand-built): layers {len(hand.prefix)}+{len(hand.block)}*r(n)+"
        f"{len(hand.suffix)}, width {hand.width}, loops {hand.loops.describe()}"
    )
    for m in (4, 8):
        word, reachable = random_graph_word(rng, m)
        line("connectivity", m, model, word, reachable, program)
    for name in ("parity", "ab_star", "a_mod_3", "binary_mod_5"):
        dfa = EXAMPLE_DFAS[name]
        program = program_from_dfa(dfa)
        model = compiled(f"dfa {name}", program, dfa.alphabet)
        for n in (4, 8):
            word = "".join(rng.choice(dfa.alphabet) for _ in range(n))
            line(f"dfa {name}", n, model, word, dfa.accepts(word), program)
    program = clock_program()
    model = compiled("clock (d = 2)", program, "ab")
    for n in (4, 8):
        word = "".join(rng.choice("aaab") for _ in range(n))
        line("clock (d = 2)", n, model, word, clock_accepts(word, program.loops(n)), program)


if __name__ == "__main__":
    main()
