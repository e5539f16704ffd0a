"""The showcase programs: each against its plain Python definition (interpreter on many inputs, the one
compiled model on small ones), and r(n) - 1 iterations give a wrong answer on some input.

The compiled S5 model (one model file for every n) is run on every word up to length 5 and on 20
random words at n = 16 (five of them products equal to the identity), in batches.
"""

import itertools
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.compile.iterated import compile_program
from expressivity.logic import accepts, accepts_batch
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
from expressivity.simulator import Simulator


def all_words(alphabet, max_length):
    return ["".join(w) for n in range(max_length + 1) for w in itertools.product(alphabet, repeat=n)]


def test_s5_interpreter_matches_the_permutation_product():
    program = s5_program()
    words = all_words("abe", 5)
    rng = random.Random(5)
    words += ["".join(rng.choice("abe") for _ in range(16)) for _ in range(20)]
    words += ["ab" * 8, "a" * 16, "b" * 5 + "e" * 11]  # identities at n = 16 among them
    got = accepts_batch(program, words)
    assert [bool(g) for g in got] == [s5_is_identity(w) for w in words]
    assert sum(s5_is_identity(w) for w in words[-23:]) >= 2


@pytest.fixture(scope="module")
def s5_simulator():
    return Simulator(compile_program(s5_program(), "abe", self_check=False))


@pytest.mark.slow
@pytest.mark.parametrize("length", range(6))
def test_s5_compiled_model_on_every_word_up_to_length_5(s5_simulator, length):
    words = all_words("abe", length)[-(3**length) :]
    traces = s5_simulator.run_batch(words, record=False)
    assert [trace.accept for trace in traces] == [s5_is_identity(word) for word in words]


@pytest.mark.slow
@pytest.mark.parametrize("part", range(4))
def test_s5_compiled_model_on_20_random_words_at_n_16(s5_simulator, part):
    rng = random.Random(16)
    words = ["".join(rng.choice("abe") for _ in range(16)) for _ in range(15)]
    words += [s5_identity_word(rng, 16) for _ in range(5)]
    assert all(s5_is_identity(word) for word in words[15:])
    words = words[part * 5 : part * 5 + 5]
    traces = s5_simulator.run_batch(words, record=False)
    assert [trace.accept for trace in traces] == [s5_is_identity(word) for word in words]


@pytest.mark.parametrize("name", sorted(EXAMPLE_DFAS))
def test_dfa_programs_match_their_automaton(name):
    dfa = EXAMPLE_DFAS[name]
    program = program_from_dfa(dfa)
    rng = random.Random(len(name))
    words = all_words(dfa.alphabet, 6)
    words += ["".join(rng.choice(dfa.alphabet) for _ in range(rng.randint(7, 16))) for _ in range(40)]
    assert [bool(g) for g in accepts_batch(program, words)] == [dfa.accepts(w) for w in words]


def test_dfa_compiled_models_on_short_words():
    for name in ("parity", "ab_star"):
        dfa = EXAMPLE_DFAS[name]
        model = compile_program(program_from_dfa(dfa), dfa.alphabet, self_check=False)
        simulator = Simulator(model)
        for word in all_words(dfa.alphabet, 3):
            assert simulator.run(word, record=False).accept == dfa.accepts(word), (name, word)


def random_graph(rng, m):
    adjacency = [[int(rng.random() < 0.3) for _ in range(m)] for _ in range(m)]
    return adjacency, rng.randrange(m), rng.randrange(m)


def reachable(adjacency, s, t):
    graph = nx.DiGraph()
    m = len(adjacency)
    graph.add_nodes_from(range(m))
    graph.add_edges_from((i, j) for i in range(m) for j in range(m) if adjacency[i][j])
    return nx.has_path(graph, s, t)


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(1, 6), st.randoms(use_true_random=False))
def test_connectivity_program_interpreter_matches_networkx(m, rng):
    adjacency, s, t = random_graph(rng, m)
    assert accepts(connectivity_program(), connectivity_word(adjacency, s, t)) == reachable(adjacency, s, t)


def test_connectivity_program_model_matches_networkx_and_compares_with_the_hand_route():
    model = compile_program(connectivity_program(), self_check=False)
    hand = compile_connectivity()
    simulator = Simulator(model)
    rng = random.Random(3)
    for m in (1, 2, 3, 4):
        for _ in range(2):
            adjacency, s, t = random_graph(rng, m)
            word = connectivity_word(adjacency, s, t)
            assert simulator.run(word, record=False).accept == reachable(adjacency, s, t)
    for n in (4, 16, 64):
        assert model.loops(n) == hand.loops(n)
        assert model.sequence_length(n * n + n) == hand.sequence_length(n * n + n) - 1  # no END token


def path_graph(m):
    return [[int(j == i + 1) for j in range(m)] for i in range(m)]


def test_connectivity_needs_every_loop():
    program = connectivity_program()
    word = connectivity_word(path_graph(6), 0, 5)  # a path of length 5 > 2^(r(6) - 1) = 4
    assert accepts(program, word)
    assert not accepts(program, word, iterations=program.loops(6) - 1)


def test_dfa_and_s5_need_every_loop():
    word = "ababab"  # n = 6: the interval (1, 6] has length 5 > 2^(r(6) - 1)
    program = program_from_dfa(EXAMPLE_DFAS["ab_star"])
    assert accepts(program, word)
    assert not accepts(program, word, iterations=program.loops(6) - 1)
    s5 = s5_program()
    identity = "aaaaaa"
    assert s5_is_identity(identity) and accepts(s5, identity)
    assert not accepts(s5, identity, iterations=s5.loops(6) - 1)


def test_clock_schedule_is_log_squared_and_needed():
    program = clock_program()
    assert (program.loops.coefficient, program.loops.power) == (1, 2)
    words = all_words("ab", 9)
    got = accepts_batch(program, words)
    assert [bool(g) for g in got] == [clock_accepts(w, program.loops(len(w))) for w in words]
    word = "aba"  # n = 3: r = 4 iterations give 2 rounds (b at 2 is within), 3 iterations only 1
    assert accepts(program, word)
    assert not accepts(program, word, iterations=program.loops(3) - 1)
    model = compile_program(program, "ab", self_check=False)
    simulator = Simulator(model)
    for word in all_words("ab", 3):
        assert simulator.run(word, record=False).accept == clock_accepts(word, program.loops(len(word)))


@pytest.mark.parametrize("name", sorted(EXAMPLE_DFAS))
def test_every_dfa_program_needs_every_loop(name):
    dfa = EXAMPLE_DFAS[name]
    program = program_from_dfa(dfa)
    words = all_words(dfa.alphabet, 6)[-(len(dfa.alphabet) ** 6) :]  # n = 6: r(6) = 3
    fewer = accepts_batch(program, words, iterations=program.loops(6) - 1)
    assert any(bool(f) != dfa.accepts(w) for f, w in zip(fewer, words, strict=True))


def test_scratch_check_is_not_vacuous():
    """The block's scratch (lookups, counts, tables, next) is listed, clean with the erasers, and a
    block without its erasers is caught by the simulator's scratch check."""
    import dataclasses

    from expressivity.backends import SimulationError
    from expressivity.model import Layer

    model = compile_program(connectivity_program(), self_check=False)
    assert any(label.startswith("next(") for label in model.scratch)
    assert any(label.startswith("quantifier") for label in model.scratch)
    word = connectivity_word(path_graph(3), 0, 2)
    assert Simulator(model).run(word, record=False).accept
    kept = [
        Layer(
            heads=[h for h in layer.heads if "erase" not in h.name],
            ffns=[f for f in layer.ffns if "erase" not in f.name],
        )
        for layer in model.block
    ]
    broken = dataclasses.replace(model, block=kept)
    with pytest.raises(SimulationError, match="scratch coordinate"):
        Simulator(broken).run(word, record=False)


def all_heads_causal(model):
    heads = [head for _, layers in model.sections() for layer in layers for head in layer.heads]
    return bool(heads) and all(head.mask in ("causal", "strict") for head in heads)


@pytest.mark.slow
def test_causal_showcases_at_small_n():
    """Causal mode (every head causal, copies that move the relations forward): the parity DFA on every
    word of length <= 2 and connectivity on the path 0 -> 1 both ways, against their definitions;
    the padding is C(n) n^k with C(n) >= F + A + 1 + U r(n) copies."""
    dfa = EXAMPLE_DFAS["parity"]
    model = compile_program(program_from_dfa(dfa), dfa.alphabet, causal=True, self_check=False)
    assert all_heads_causal(model)
    simulator = Simulator(model)
    for word in all_words(dfa.alphabet, 2):
        assert simulator.run(word, record=False).accept == dfa.accepts(word), word
    model = compile_program(connectivity_program(), causal=True, self_check=False)
    assert all_heads_causal(model)
    simulator = Simulator(model)
    for s, t in ((0, 1), (1, 0)):
        word = connectivity_word(path_graph(2), s, t)
        assert simulator.run(word, record=False).accept == reachable(path_graph(2), s, t)
    assert model.padding(3) > model.loops(3) * 3**3  # more than r(n) copies of the n^3 tokens


@pytest.mark.slow
def test_causal_clock_s5_and_connectivity_at_small_n():
    simulator = Simulator(compile_program(connectivity_program(), causal=True, self_check=False))
    for s, t in ((0, 2), (2, 0)):  # the path 0 -> 1 -> 2 needs the last loop
        word = connectivity_word(path_graph(3), s, t)
        assert simulator.run(word, record=False).accept == reachable(path_graph(3), s, t)
    program = clock_program()
    simulator = Simulator(compile_program(program, "ab", causal=True, self_check=False))
    for word in all_words("ab", 2):
        assert simulator.run(word, record=False).accept == clock_accepts(word, program.loops(len(word)))
    simulator = Simulator(compile_program(s5_program(), "abe", causal=True, self_check=False))
    for word in ("", "a", "e", "aa", "ab", "ee"):
        assert simulator.run(word, record=False).accept == s5_is_identity(word), word
