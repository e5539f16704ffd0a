"""s-t connectivity with ceil(log2 m) loops and m^3 padding (log-depth paper, Thm 2; docs/routes.md).

Statement. There is one looped AHAT transformer with layer norm, rational weights and no positional
encoding such that for every directed graph on m >= 1 vertices with source s and target t, run on
`connectivity_word(A, s, t)` (m + m^2 symbols) with m^3 padding tokens and r(m) = ceil(log2 m)
repetitions of its 2-layer block, it accepts iff t is reachable from s. After l repetitions the state
at matrix token (i, j) says whether some path of length 1..2^l leads from i to j (repeated squaring),
and every path between distinct vertices has length <= m - 1 <= 2^ceil(log2 m).

Construction: `expressivity.compile.connectivity.compile_connectivity` (its module docstring gives the
layers). Check: random graphs of every size up to max_m, run exactly, compared with networkx.
"""

from __future__ import annotations

import random
import time

import networkx as nx

from expressivity import Model, Simulator
from expressivity.compile.connectivity import compile_connectivity, connectivity_word


def construct(extra_iterations: int = 0) -> Model:
    return compile_connectivity(extra_iterations)


def random_instance(m: int, rng: random.Random) -> tuple[list[list[int]], int, int]:
    density = rng.choice([0.1, 0.2, 0.35])
    adjacency = [[int(rng.random() < density) for _ in range(m)] for _ in range(m)]
    return adjacency, rng.randrange(m), rng.randrange(m)


def check(max_m: int, samples: int, seed: int = 0) -> dict:
    """Runs `samples` random graphs for each m = 1..max_m exactly; returns agreement with networkx, the
    loop count and layers run at each m, and the slowest run."""
    model = construct()
    simulator = Simulator(model)
    rng = random.Random(seed)
    runs = agreements = accepted = 0
    loops: dict[int, int] = {}
    layers_run: dict[int, int] = {}
    slowest = 0.0
    for m in range(1, max_m + 1):
        for _ in range(samples):
            adjacency, s, t = random_instance(m, rng)
            graph = nx.DiGraph()
            graph.add_nodes_from(range(m))
            graph.add_edges_from((i, j) for i in range(m) for j in range(m) if adjacency[i][j])
            start = time.perf_counter()
            trace = simulator.run(connectivity_word(adjacency, s, t), "exact", record=False)
            slowest = max(slowest, time.perf_counter() - start)
            runs += 1
            agreements += trace.accept == nx.has_path(graph, s, t)
            accepted += bool(trace.accept)
            loops[m], layers_run[m] = trace.loops, trace.layers_run
    return {
        "runs": runs,
        "agreements": agreements,
        "accepted": accepted,
        "loops": loops,
        "layers_run": layers_run,
        "layers": {"prefix": len(model.prefix), "block": len(model.block), "suffix": len(model.suffix)},
        "width": model.width,
        "parameters": model.parameter_count(),
        "slowest_run_seconds": round(slowest, 3),
    }
