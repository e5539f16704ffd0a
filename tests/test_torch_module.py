"""The PyTorch module runs the same models: AHAT residuals equal the exact run's (as floats) to 1e-9,
the float64 backend's wherever float64 decided every tie as exact did, and every decision is exact's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings

from circuits.io import read_circuit
from expressivity import Simulator
from expressivity.backends import SimulationError
from expressivity.compile.circuit import compile_circuit
from expressivity.compile.connectivity import compile_connectivity
from expressivity.compile.formula import compile_formula
from expressivity.examples import majority_model
from expressivity.strategies import models, staged_models
from expressivity.torch_module import to_module
from expressivity.verification import words_of_size

torch.set_num_threads(1)  # the test machine has 2 shared cores; more threads only contend


def exact_floats(trace) -> np.ndarray:
    return np.array([[float(x) for x in trace.column(label)] for label in trace.labels]).T


def tie_sets(trace) -> dict:
    return {key: ties.as_lists() for key, ties in trace.ties.items()}


def check(model, words) -> int:
    """Compare the torch module with exact and float64 on `words`; returns how many words float64
    decided every tie of exactly as exact did."""
    simulator, module = Simulator(model), to_module(model)
    float64_exact_ties = 0
    for word in words:
        exact = simulator.run(word, record=False)
        float64 = simulator.run(word, "float64", record=False)
        ours = module.run(word)
        residual = ours.residual.numpy()
        assert np.allclose(residual, exact_floats(exact), rtol=0, atol=1e-9), word
        assert (ours.symbol, ours.outputs) == (exact.symbol, exact.outputs), word
        if tie_sets(float64) == tie_sets(exact):
            float64_exact_ties += 1
            assert np.allclose(residual, float64.final, rtol=0, atol=1e-9), word
    return float64_exact_ties


@pytest.mark.parametrize("causal", [False, True])
def test_majority_formula_matches_exact_and_float64(causal):
    model = compile_formula("M x. Q_1(x)", "01", causal=causal)
    words = [w for n in (0, 1, 4, 7) for w in words_of_size(model, n, 3, seed=n)]
    assert check(model, words) > 0  # the float64 comparison above was made at least once


@pytest.mark.parametrize("causal", [False, True])
def test_a_two_variable_formula_matches_exact_where_float64_misses_ties(causal):
    """Pairwise majority hashes positions with layer norm; float64 decides those ties by float equality
    and misses some, the module's tolerance finds them all."""
    model = compile_formula("M x. M y. (x < y -> Q_1(y))", "01", causal=causal)
    check(model, [w for n in (2, 5, 8) for w in words_of_size(model, n, 2, seed=n)])


def test_connectivity_matches_exact():
    model = compile_connectivity()
    check(model, [w for m in (2, 3, 4) for w in words_of_size(model, m, 2, seed=m)])


@pytest.mark.parametrize(("name", "count"), [("c17.bench", 8), ("c432.bench", 2)])
def test_real_circuits_match_exact_and_float64(netlists, name, count):
    model = compile_circuit(read_circuit(netlists / "iscas85" / name), check=False).model
    inputs = len(model.metadata["inputs"])
    words = words_of_size(model, inputs, count, seed=1)
    assert check(model, words) == len(words)


@settings(max_examples=25)
@given(models(max_positions=5, generic=True))
def test_random_generic_models_match_exact(case):
    model, word = case
    try:
        exact = Simulator(model).run(word, record=False)
    except SimulationError:  # a nested radical: no exact reference to compare with
        assume(False)
    ours = to_module(model).run(word)
    assert np.allclose(ours.residual.numpy(), exact_floats(exact), rtol=1e-9, atol=1e-9)
    assert ours.symbol == exact.symbol


def test_softmax_with_a_cold_temperature_agrees_and_a_hot_one_does_not():
    """Majority (k = 1): at beta = 1e4 softmax picks the same tie sets; at beta = 1e-3 it averages
    nearly uniformly and some word's decision changes."""
    model = compile_formula("M x. Q_1(x)", "01")
    simulator = Simulator(model)
    words = [w for n in (3, 4, 5, 6) for w in words_of_size(model, n, 4, seed=n)]
    expected = [simulator.run(w, record=False).symbol for w in words]
    assert [to_module(model, "softmax", beta=1e4).run(w).symbol for w in words] == expected
    assert [to_module(model, "softmax", beta=1e-3).run(w).symbol for w in words] != expected


def test_a_module_is_an_nn_module_with_buffers_and_checks_its_options():
    module = to_module(majority_model(), device="cpu")
    assert isinstance(module, torch.nn.Module)
    names = dict(module.named_buffers())
    assert names["embedding"].dtype == torch.float64
    assert names["sections.prefix.0.ffns.0.w1"].tolist() == [[2.0, 0.0]]
    with pytest.raises(ValueError, match="attention must be one of"):
        to_module(majority_model(), attention="linear")
    with pytest.raises(ValueError, match="beta must be positive"):
        to_module(majority_model(), attention="softmax", beta=0)


def test_staged_models_with_timestep_cells_match_exact():
    """Every stage with its own loop count, and psi(t) written before each iteration: the alternating
    connectivity model (parity timestep) and the shared-descendant stages run as the exact backend does."""
    from expressivity.compile.connectivity import connectivity_word
    from expressivity.compile.connectivity_stages import (
        compile_alternating_connectivity,
        compile_shared_descendant,
    )

    graphs = [([[0, 1], [1, 0]], 0, 1), ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], 2, 0)]
    graphs.append(([[0, 0, 1], [0, 0, 1], [0, 0, 0]], 0, 1))  # 0 and 1 share the descendant 2
    words = [connectivity_word(*graph) for graph in graphs]
    for model in (compile_alternating_connectivity(), compile_shared_descendant("stages")):
        check(model, words)


# generic staged models often meet a nested radical (about half of the draws, and 50 of 58 for some
# seeds), which exact refuses: those draws are filtered, not failed, and 15 valid ones are still run
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(staged_models(max_positions=5, generic=True))
def test_random_staged_models_match_exact(case):
    model, word = case
    try:
        exact = Simulator(model).run(word, record=False, check_scratch=False)
    except SimulationError:  # a nested radical: no exact reference to compare with
        assume(False)
    ours = to_module(model).run(word)
    assert np.allclose(ours.residual.numpy(), exact_floats(exact), rtol=1e-9, atol=1e-9)
