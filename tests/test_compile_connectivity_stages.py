"""Connectivity with a parity timestep (one layer per half-squaring) and the shared-descendant two-phase
computation as stages: each agrees with its reference on the exact backend, and the counts are the ones
docs/routes.md states."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile_connectivity import graph, instances, smallest_power

from expressivity import Simulator, run
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.compile.connectivity_stages import (
    compile_alternating_connectivity,
    compile_shared_descendant,
)
from proofs_as_code import staged_phases, timestep_alternation

ORIGINAL = compile_connectivity()
TIMESTEP = compile_alternating_connectivity(timestep=True)
STATE_CELL = compile_alternating_connectivity(timestep=False)
FORMS = {form: compile_shared_descendant(form) for form in ("stages", "parallel", "whole")}
WORK = [f"conn.{name}[{k}]" for name in ("left", "right", "path") for k in range(4)]


def reachable(adjacency, s: int, t: int) -> bool:
    return nx.has_path(graph(adjacency), s, t)


def shared_descendant_chain(adjacency, s: int, t: int) -> bool:
    """Reference by boolean matrices: B = A + A^2 + ... + A^m > 0, S = B B^T > 0, then S's closure."""
    a = np.array(adjacency, dtype=np.int64)
    m = len(a)
    b = a.copy()
    for _ in range(m):
        b = ((b + b @ a) > 0).astype(np.int64)
    shared = ((b @ b.T) > 0).astype(np.int64)
    closure = shared.copy()
    for _ in range(m):
        closure = ((closure + closure @ shared) > 0).astype(np.int64)
    return s == t or bool(closure[s, t])


@settings(max_examples=25, deadline=None)
@given(instances())
def test_alternating_models_accept_iff_reachable(instance):
    adjacency, s, t = instance
    word = connectivity_word(adjacency, s, t)
    for model in (TIMESTEP, STATE_CELL):
        trace = run(model, word, record=False)
        assert trace.accept == reachable(adjacency, s, t)
        assert trace.loops == 2 * smallest_power(len(adjacency))


@settings(max_examples=15, deadline=None)
@given(instances(max_m=4), st.integers(1, 2))
def test_extra_alternations_change_nothing(instance, extra):
    adjacency, s, t = instance
    longer = run(
        compile_alternating_connectivity(True, extra), connectivity_word(adjacency, s, t), record=False
    )
    assert longer.loops == 2 * (smallest_power(len(adjacency)) + extra)
    assert longer.accept == reachable(adjacency, s, t)


@pytest.mark.parametrize("model", [TIMESTEP, STATE_CELL], ids=["timestep", "state cell"])
def test_work_cells_are_zero_after_every_odd_iteration(model):
    """A path 0 -> 1 -> 2 -> 3: after each even iteration the fetched bits sit in the work cells; after
    each odd one everything is erased (which is why they cannot be scratch cells of this model)."""
    adjacency = [[int(j == i + 1) for j in range(4)] for i in range(4)]
    trace = run(model, connectivity_word(adjacency, 0, 3))
    assert trace.accept and trace.loops == 4
    for t in range(4):
        values = [x for label in WORK for x in trace.column(label, f"block[{t}].layer0.ffn")]
        assert all(x == 0 for x in values) == (t % 2 == 1)


def test_sizes_with_and_without_the_timestep():
    """The timestep replaces the phase state cell (same width, 4 cells) and its flipping FFN; both halve
    the block of the original (2 layers -> 1) and run as many layers at every m."""
    sizes = {name: timestep_alternation.sizes(model) for name, model in [("t", TIMESTEP), ("s", STATE_CELL)]}
    original = timestep_alternation.sizes(ORIGINAL)
    assert (original["block_layers"], sizes["t"]["block_layers"], sizes["s"]["block_layers"]) == (2, 1, 1)
    assert sizes["t"]["width"] == sizes["s"]["width"] == original["width"] + 4
    assert sizes["s"]["block_ffns"] == sizes["t"]["block_ffns"] + 1
    assert (original["block_heads"], sizes["t"]["block_heads"]) == (5, 3)
    assert "conn.phase[0]" in STATE_CELL.labels and "conn.phase[0]" not in TIMESTEP.labels
    assert TIMESTEP.timestep_labels == ("conn.t[0]", "conn.t[1]", "conn.t[2]", "conn.t[3]")
    for m in range(1, 9):
        n = m * m + m
        assert TIMESTEP.layer_count(n) == STATE_CELL.layer_count(n) == ORIGINAL.layer_count(n)
        assert TIMESTEP.layer_count(n) == len(ORIGINAL.prefix) + 2 * smallest_power(m) + 1


def test_alternating_model_under_fixed_point():
    adjacency = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    for s, t in [(0, 2), (2, 1)]:
        assert run(TIMESTEP, connectivity_word(adjacency, s, t), "fixed:40", record=False).accept


@settings(max_examples=8, deadline=None)
@given(instances(max_m=4))
def test_every_form_of_the_two_phase_computation_agrees_with_the_reference(instance):
    adjacency, s, t = instance
    word = connectivity_word(adjacency, s, t)
    expected = shared_descendant_chain(adjacency, s, t)
    assert expected == staged_phases.shares_a_descendant_chain(adjacency, s, t)
    for form, model in FORMS.items():
        assert run(model, word, record=False).accept == expected, form


def test_named_two_phase_examples():
    """0 -> 2 <- 1: 0 and 1 share the descendant 2; the edge 0 -> 2 is no S-step (2 has no descendant);
    3 -> 4 shares nothing with them."""
    adjacency = [[0] * 5 for _ in range(5)]
    for i, j in [(0, 2), (1, 2), (3, 4)]:
        adjacency[i][j] = 1
    cases = {(0, 1): True, (1, 0): True, (0, 2): False, (0, 3): False, (3, 3): True}
    simulator = Simulator(FORMS["stages"])
    for (s, t), expected in cases.items():
        assert simulator.run(connectivity_word(adjacency, s, t), record=False).accept == expected


@pytest.mark.parametrize("m", [1, 2, 3, 4, 8, 16, 64])
def test_stages_run_fewer_layers_than_one_whole_block(m):
    """r = ceil(log2 m), P prefix layers: stages P + 4r + 3, the whole 6-layer block 2r times P + 12r + 1,
    the parallel 2-layer block 2r + 1 times P + 4r + 3 layers but more heads and FFNs."""
    n, r = m * m + m, smallest_power(m)
    prefix = len(FORMS["stages"].stages[0].layers)
    layers = {form: model.layer_count(n) for form, model in FORMS.items()}
    assert layers == {
        "stages": prefix + 4 * r + 3,
        "parallel": prefix + 4 * r + 3,
        "whole": prefix + 12 * r + 1,
    }
    work = {form: model.sublayer_count(n) for form, model in FORMS.items()}
    if r:
        assert work["stages"] < work["whole"] < work["parallel"]


def test_layers_run_as_counted_by_the_traces():
    adjacency = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    word = connectivity_word(adjacency, 0, 3)
    runs = {form: run(model, word, record=False) for form, model in FORMS.items()}
    assert {form: trace.layers_run for form, trace in runs.items()} == {
        form: model.layer_count(len(word)) for form, model in FORMS.items()
    }
    assert runs["stages"].stage_loops == {
        "prefix": 1,
        "closure": 2,
        "share": 1,
        "closure_shared": 2,
        "suffix": 1,
    }
    assert all(trace.accept for trace in runs.values())


def test_proof_modules_check():
    facts = staged_phases.check(max_m=3, samples=2, seed=3)
    assert facts["agreements"] == dict.fromkeys(("stages", "parallel", "whole"), facts["runs"])
    facts = timestep_alternation.check(max_m=3, samples=2, seed=3)
    assert facts["agreements"] == dict.fromkeys(("original", "timestep", "state cell"), facts["runs"])
    assert facts["layers_run"]["timestep"] == facts["layers_run"]["original"]


def test_verify_checks_the_alternating_model_against_its_route_reference():
    from expressivity.verification import verify

    assert TIMESTEP.metadata["route"] == "connectivity"
    report = verify(TIMESTEP, samples=6, max_n=3)
    assert report.ok and report.checked == 6
