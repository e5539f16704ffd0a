"""Connectivity: the compiled model accepts exactly when networkx finds a path, on the exact backend."""

from __future__ import annotations

import dataclasses
import random

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity import InputError, Layer, LoopCount, load, run, save
from expressivity.backends import SimulationError
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from proofs_as_code.connectivity import check

MODEL = compile_connectivity()


def graph(adjacency: list[list[int]]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(len(adjacency)))
    g.add_edges_from((i, j) for i, row in enumerate(adjacency) for j, a in enumerate(row) if a)
    return g


@st.composite
def instances(draw, max_m: int = 6):
    m = draw(st.integers(1, max_m))
    density = draw(st.sampled_from([0.1, 0.2, 0.35, 0.6]))
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    adjacency = [[int(rng.random() < density) for _ in range(m)] for _ in range(m)]
    return adjacency, draw(st.integers(0, m - 1)), draw(st.integers(0, m - 1))


def smallest_power(m: int) -> int:
    """The least l with 2^l >= m (ceil(log2 m)), by counting."""
    loops = 0
    while 2**loops < m:
        loops += 1
    return loops


@settings(max_examples=30)
@given(instances())
def test_accepts_iff_reachable(instance) -> None:
    adjacency, s, t = instance
    trace = run(MODEL, connectivity_word(adjacency, s, t), check_scratch=True, record=False)
    assert trace.accept == nx.has_path(graph(adjacency), s, t)
    assert trace.loops == smallest_power(len(adjacency))


@pytest.mark.slow
def test_eight_vertices() -> None:
    rng = random.Random(0)
    adjacency = [[int(rng.random() < 0.15) for _ in range(8)] for _ in range(8)]
    for s, t in [(0, 7), (6, 1)]:
        trace = run(MODEL, connectivity_word(adjacency, s, t), record=False)
        assert trace.accept == nx.has_path(graph(adjacency), s, t)
    assert nx.has_path(graph(adjacency), 6, 1) != nx.has_path(graph(adjacency), 0, 7)


@settings(max_examples=20)
@given(instances(max_m=5), st.integers(0, 3))
def test_l_iterations_find_the_paths_of_length_at_most_two_to_the_l(instance, loops: int) -> None:
    """The loop invariant, with the loop count forced to l: accept iff s = t or some path from s to t has
    length <= 2^l."""
    adjacency, s, t = instance
    forced = dataclasses.replace(MODEL, loops=LoopCount(value=loops))
    trace = run(forced, connectivity_word(adjacency, s, t), record=False)
    g = graph(adjacency)
    lengths = [nx.shortest_path_length(g, s, t)] if nx.has_path(g, s, t) else []
    if s == t:
        lengths.append(0)
    assert trace.accept == any(length <= 2**loops for length in lengths)


@settings(max_examples=10)
@given(instances(max_m=5), st.integers(1, 3))
def test_more_iterations_change_nothing(instance, extra: int) -> None:
    adjacency, s, t = instance
    word = connectivity_word(adjacency, s, t)
    longer = run(compile_connectivity(extra_iterations=extra), word, record=False)
    assert longer.loops == smallest_power(len(adjacency)) + extra
    assert longer.accept == nx.has_path(graph(adjacency), s, t)


@pytest.mark.parametrize("m", [4, 6])
def test_path_of_length_m_minus_one_needs_every_loop(m: int) -> None:
    """A directed path 0 -> 1 -> ... -> m-1: with l = ceil(log2 m) loops t = m - 1 is reached; here
    m - 1 > 2^(l-1), so l - 1 loops are not enough."""
    adjacency = [[int(j == i + 1) for j in range(m)] for i in range(m)]
    word = connectivity_word(adjacency, 0, m - 1)
    assert run(MODEL, word, record=False).accept
    fewer = dataclasses.replace(MODEL, loops=LoopCount(value=smallest_power(m) - 1))
    assert not run(fewer, word, record=False).accept
    assert not run(MODEL, connectivity_word(adjacency, m - 1, 0), record=False).accept


def test_named_examples() -> None:
    disconnected = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    assert not run(MODEL, connectivity_word(disconnected, 0, 3)).accept
    assert run(MODEL, connectivity_word(disconnected, 2, 3)).accept
    no_edges = np.zeros((3, 3), dtype=int)
    assert run(MODEL, connectivity_word(no_edges, 1, 1)).accept  # s = t
    assert not run(MODEL, connectivity_word(no_edges, 1, 2)).accept
    assert run(MODEL, connectivity_word([[1]], 0, 0)).accept


def test_word_format() -> None:
    assert connectivity_word([[0, 1, 0], [0, 0, 1], [1, 0, 0]], 2, 0) == "t-s" + "010001100"
    assert connectivity_word(np.eye(2, dtype=int), np.int64(1), 1) == "-b" + "1001"
    assert MODEL.size(len("t-s010001100")) == 3
    assert MODEL.padding(3) == 27


@pytest.mark.parametrize(
    ("adjacency", "s", "t", "message"),
    [
        ([], 0, 0, "at least one vertex"),
        ([[0, 1], [1]], 0, 1, "row 1 has 1 entries"),
        ([[0, 2], [1, 0]], 0, 1, r"entry \(0, 1\) is 2"),
        ([[0, 0.5], [1, 0]], 0, 1, r"entry \(0, 1\)"),
        ([[0, 1], [1, 0]], 2, 1, "source 2 is not a vertex"),
        ([[0, 1], [1, 0]], 0, -1, "target -1 is not a vertex"),
    ],
)
def test_bad_graphs_are_named(adjacency, s, t, message: str) -> None:
    with pytest.raises(InputError, match=message):
        connectivity_word(adjacency, s, t)


def graph_of(word: str) -> tuple[nx.DiGraph, int, int] | None:
    """The graph, source and target a word encodes, or None when it encodes none: m^2 + m symbols, a
    ruler over -stb with exactly one of s/b and one of t/b, then a matrix over 01."""
    m = next((m for m in range(len(word) + 1) if m * m + m == len(word)), None)
    if m is None or any(c not in "-stb" for c in word[:m]) or any(c not in "01" for c in word[m:]):
        return None
    sources = [v for v in range(m) if word[v] in "sb"]
    targets = [v for v in range(m) if word[v] in "tb"]
    if len(sources) != 1 or len(targets) != 1:
        return None
    graph = nx.DiGraph()
    graph.add_nodes_from(range(m))
    graph.add_edges_from((i, j) for i in range(m) for j in range(m) if word[m + i * m + j] == "1")
    return graph, sources[0], targets[0]


@settings(max_examples=25)
@given(st.text("-stb01", max_size=12))
def test_a_word_runs_iff_it_encodes_a_graph(word: str) -> None:
    """Issue 12: a malformed word (wrong length, symbol out of place, not one source and one target) is
    refused before the run; a well-formed one gets the reachability answer."""
    encoded = graph_of(word)
    if encoded is None:
        with pytest.raises(InputError):
            run(MODEL, word, record=False)
    else:
        graph, source, target = encoded
        assert run(MODEL, word, record=False).accept == nx.has_path(graph, source, target)


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("s-t01000100", r"11 is not of that form \(6 or 12 would be\)"),
        ("sst010001000", r"exactly one source \(one of 'sb'\); found at input positions 1, 2"),
        ("--t010001000", r"exactly one source \(one of 'sb'\); found none"),
        ("t-b010001000", r"exactly one target \(one of 'tb'\); found at input positions 1, 3"),
        ("010001000111", r"symbol '0' at input position 1 is a ruler symbol .* one of '-stb'"),
        ("s-t01000100s", r"symbol 's' at input position 12 is a matrix symbol .* one of '01'"),
    ],
)
def test_malformed_words_from_the_issue_are_refused(word: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        run(MODEL, word, record=False)


def test_scratch_is_checked() -> None:
    """Dropping the FFN that erases the path bits leaves a dirty scratch cell; the exact run names it."""
    first, second = MODEL.block
    dirty = dataclasses.replace(MODEL, block=(first, Layer(heads=second.heads)))
    word = connectivity_word([[0, 1], [1, 0]], 0, 1)
    with pytest.raises(SimulationError, match=r"scratch coordinate 'conn\.path\[0\]'"):
        run(dirty, word)
    assert MODEL.scratch


def test_model_file_round_trip(tmp_path) -> None:
    path = tmp_path / "connectivity.json"
    save(MODEL, path)
    loaded = load(path)
    assert loaded.metadata["route"] == "connectivity"
    word = connectivity_word([[0, 1, 0], [0, 0, 1], [0, 0, 0]], 0, 2)
    assert run(loaded, word).accept and not run(loaded, connectivity_word([[0, 1], [0, 0]], 1, 0)).accept


def test_proof_module_check() -> None:
    facts = check(max_m=4, samples=3, seed=5)
    assert facts["agreements"] == facts["runs"] == 12
    assert facts["loops"] == {1: 0, 2: 1, 3: 2, 4: 2}
