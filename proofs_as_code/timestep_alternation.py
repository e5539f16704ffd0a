"""Connectivity with one layer per half-squaring, its phase read from a parity timestep (docs/semantics.md).

Statement. For every directed graph on m >= 1 vertices with source s and target t, the model
`compile_alternating_connectivity()` (one 1-layer looped stage, run 2 ceil(log2 m) times, reading psi(t)
= spin of (t mod 2) from four timestep cells) accepts `connectivity_word(A, s, t)` iff t is reachable
from s, as compile_connectivity does with a 2-layer block run ceil(log2 m) times. Iterations 2l and
2l + 1 together do one squaring B <- B or B.B: the even one fetches and ANDs, the odd one composes and
erases, so after iteration 2l + 1 the work cells are 0 everywhere. Without timestep cells the same layer
needs the parity as a state cell of the same width and one more FFN that flips it every iteration.

Construction: `expressivity.compile.connectivity_stages.compile_alternating_connectivity`. Check: random
graphs of every size up to max_m run exactly on the three models, compared with networkx; the sizes
(block layers, heads, FFNs, width) and the layers run at each m.
"""

from __future__ import annotations

import random

import networkx as nx

from expressivity import Model, Simulator
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.compile.connectivity_stages import compile_alternating_connectivity


def construct(timestep: bool = True) -> Model:
    return compile_alternating_connectivity(timestep)


def sizes(model: Model) -> dict:
    """Block layers, heads and FFNs per block iteration, width, parameters."""
    block = next(stage for stage in model.stages if stage.name == "block").layers
    return {
        "block_layers": len(block),
        "block_heads": sum(len(layer.heads) for layer in block),
        "block_ffns": sum(len(layer.ffns) for layer in block),
        "width": model.width,
        "parameters": model.parameter_count(),
    }


def check(max_m: int, samples: int, seed: int = 0) -> dict:
    """Runs `samples` random graphs per m = 1..max_m on the original, the timestep and the state-cell
    model; returns agreement with networkx, sizes and the layers run per m for each."""
    models = {
        "original": compile_connectivity(),
        "timestep": construct(timestep=True),
        "state cell": construct(timestep=False),
    }
    simulators = {name: Simulator(model) for name, model in models.items()}
    rng = random.Random(seed)
    runs = 0
    agreements = dict.fromkeys(models, 0)
    layers_run: dict[str, dict[int, int]] = {name: {} for name in models}
    for m in range(1, max_m + 1):
        for _ in range(samples):
            adjacency = [[int(rng.random() < 0.25) for _ in range(m)] for _ in range(m)]
            s, t = rng.randrange(m), rng.randrange(m)
            graph = nx.DiGraph()
            graph.add_nodes_from(range(m))
            graph.add_edges_from((i, j) for i in range(m) for j in range(m) if adjacency[i][j])
            expected = nx.has_path(graph, s, t)
            runs += 1
            for name, simulator in simulators.items():
                trace = simulator.run(connectivity_word(adjacency, s, t), "exact", record=False)
                agreements[name] += trace.accept == expected
                layers_run[name][m] = trace.layers_run
    return {
        "runs": runs,
        "agreements": agreements,
        "layers_run": layers_run,
        "sizes": {name: sizes(model) for name, model in models.items()},
    }


if __name__ == "__main__":
    facts = check(max_m=5, samples=2)
    print(f"runs per model: {facts['runs']}, agreements with networkx: {facts['agreements']}")
    print(f"{'model':<11} {'block layers':>12} {'heads':>6} {'ffns':>5} {'width':>6}  layers run by m")
    for name, size in facts["sizes"].items():
        row = f"{name:<11} {size['block_layers']:>12} {size['block_heads']:>6} {size['block_ffns']:>5}"
        print(f"{row} {size['width']:>6}  {facts['layers_run'][name]}")
