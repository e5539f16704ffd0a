"""Two looped phases as stages: fewer layer applications than one looped block (docs/semantics.md).

Statement. Let B(i, j) hold iff a path of length >= 1 leads from i to j, S(i, j) iff B(i, k) and B(j, k)
for some k (i and j share a descendant), and accept iff s = t or a chain of S-steps leads from s to t.
With r = ceil(log2 m) and P set-up layers:

- "stages": closure of B (2 layers x r), the S step (2 layers once), closure of S (2 layers x r),
  readout: P + 4r + 3 layer applications;
- "whole": one looped block holding the 6 layers one after the other, 2r times: P + 12r + 1;
- "parallel": one looped block of 2 layers holding all three steps side by side, 2r + 1 times:
  P + 4r + 3 layers, as many as the stages, but every layer runs the heads and FFNs of all three steps,
  so it runs more sublayers.

All three accept exactly the same words (S is monotone in B and B only grows, so the looped forms never
add a false S-step, and r iterations after B is complete the closure of S is reached).

Construction: `expressivity.compile.connectivity_stages.compile_shared_descendant(form)`. Check: random
graphs run exactly on each form against a networkx reference; layer and sublayer applications per m.
"""

from __future__ import annotations

import random

import networkx as nx

from expressivity import Model, Simulator
from expressivity.compile.connectivity import connectivity_word
from expressivity.compile.connectivity_stages import FORMS, compile_shared_descendant


def construct(form: str = "stages") -> Model:
    return compile_shared_descendant(form)


def shares_a_descendant_chain(adjacency: list[list[int]], s: int, t: int) -> bool:
    """The reference, with networkx: S from the sets reached by paths of length >= 1."""
    m = len(adjacency)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(m))
    graph.add_edges_from((i, j) for i in range(m) for j in range(m) if adjacency[i][j])
    reached = {u: {w for v in graph.successors(u) for w in {v, *nx.descendants(graph, v)}} for u in range(m)}
    shared = nx.Graph()
    shared.add_nodes_from(range(m))
    shared.add_edges_from((i, j) for i in range(m) for j in range(m) if reached[i] & reached[j])
    return s == t or nx.has_path(shared, s, t)


def counts(model: Model, sizes: range) -> dict[int, tuple[int, int]]:
    """(layer applications, sublayer applications) at m vertices (a word of m^2 + m symbols)."""
    return {m: (model.layer_count(m * m + m), model.sublayer_count(m * m + m)) for m in sizes}


def check(max_m: int, samples: int, seed: int = 0) -> dict:
    """Runs `samples` random graphs per m = 1..max_m on each form; returns the agreements with the
    reference, the layers run as the traces count them, and the counts of each form for m up to 64."""
    models = {form: construct(form) for form in FORMS}
    simulators = {form: Simulator(model) for form, model in models.items()}
    rng = random.Random(seed)
    runs, accepted = 0, 0
    agreements = dict.fromkeys(FORMS, 0)
    layers_run: dict[str, dict[int, int]] = {form: {} for form in FORMS}
    for m in range(1, max_m + 1):
        for _ in range(samples):
            adjacency = [[int(rng.random() < 0.2) for _ in range(m)] for _ in range(m)]
            s, t = rng.randrange(m), rng.randrange(m)
            expected = shares_a_descendant_chain(adjacency, s, t)
            runs += 1
            accepted += expected
            for form, simulator in simulators.items():
                trace = simulator.run(connectivity_word(adjacency, s, t), "exact", record=False)
                agreements[form] += trace.accept == expected
                layers_run[form][m] = trace.layers_run
    sizes = range(1, 65)
    return {
        "runs": runs,
        "accepted": accepted,
        "agreements": agreements,
        "layers_run": layers_run,
        "counts": {form: counts(model, sizes) for form, model in models.items()},
        "prefix_layers": len(models["stages"].stages[0].layers),
    }


if __name__ == "__main__":
    facts = check(max_m=4, samples=2)
    print(f"runs per form: {facts['runs']} ({facts['accepted']} accepted), agreements: {facts['agreements']}")
    print(f"{'m':>3} " + "".join(f"{form + ' layers/sublayers':>28}" for form in FORMS))
    for m in (2, 4, 8, 16, 64):
        cells = "".join(f"{'{} / {}'.format(*facts['counts'][form][m]):>28}" for form in FORMS)
        print(f"{m:>3} {cells}")
