"""`run_batch` against one-by-one runs: the same traces (every recorded residual, tie sets, readout,
output taps), the same stop when a word cannot run, and the circuit evaluator's answers on a compiled
circuit."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from exact_cases import root_sum_model
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.backends import SimulationError
from expressivity.simulator import Simulator
from expressivity.strategies import models


def assert_same_trace(one, batched) -> None:
    assert batched.word == one.word
    assert [step.name for step in batched.steps] == [step.name for step in one.steps]
    for a, b in zip(one.steps, batched.steps, strict=True):
        # Values, not storage: a batch may keep more (unused) radical slots than a single run.
        assert b.residual.shape == a.residual.shape and b.residual.rows_equal(a.residual).all(), a.name
    assert {k: t.as_lists() for k, t in batched.ties.items()} == {
        k: t.as_lists() for k, t in one.ties.items()
    }
    assert (batched.symbol, batched.readout_scores, batched.outputs) == (
        one.symbol,
        one.readout_scores,
        one.outputs,
    )
    assert batched.layers_run == one.layers_run


@given(models(), st.data())
@settings(max_examples=40, deadline=None)
def test_run_batch_equals_one_by_one(case, data):
    model, word = case
    words = [word, *data.draw(st.lists(st.text("ab", min_size=len(word), max_size=len(word)), max_size=3))]
    simulator = Simulator(model)
    try:
        singles = [simulator.run(w) for w in words]
    except SimulationError:
        with pytest.raises(SimulationError, match="word " if len(words) > 1 else None):
            simulator.run_batch(words)
        return
    for one, batched in zip(singles, simulator.run_batch(words), strict=True):
        assert_same_trace(one, batched)


def test_model_run_batch_is_the_simulators():
    model = root_sum_model(4)
    traces = model.run_batch(["a", "a", "a"])
    assert len(traces) == 3
    for trace in traces:
        assert_same_trace(model.run("a"), trace)


def test_run_batch_needs_one_length():
    with pytest.raises(ValueError, match="one length"):
        Simulator(root_sum_model(2)).run_batch(["a", "aa"])


def test_run_batch_on_an_approximate_backend_runs_one_by_one():
    model = root_sum_model(5)
    simulator = Simulator(model)
    batched = simulator.run_batch(["aa", "aa"], backend="float64")
    expected = simulator.run("aa", backend="float64").column("acc")
    assert [trace.column("acc") for trace in batched] == [expected, expected]
    assert expected[0] == pytest.approx(sum((1 + t * t) ** -0.5 for t in range(5)))


CIRCUITS = Path(__file__).resolve().parents[1] / "examples" / "circuits"


def test_run_batch_on_a_compiled_circuit_matches_the_evaluator():
    from circuits import evaluate
    from circuits.io import read_circuit
    from expressivity.compile.circuit import compile_circuit, input_word

    path = CIRCUITS / "iscas85" / "c17.bench"
    circuit = read_circuit(path)
    compiled = compile_circuit(circuit)
    rng = random.Random(1)
    vectors = [[rng.randint(0, 1) for _ in circuit.inputs] for _ in range(6)]
    traces = compiled.simulator.run_batch([input_word(compiled.inputs, v) for v in vectors], record=False)
    for bits, trace in zip(vectors, traces, strict=True):
        assert trace.outputs == evaluate(circuit, bits)


@given(models(), st.data())
@settings(max_examples=40, deadline=None)
def test_larger_batches_share_only_what_every_word_has(case, data):
    # Up to 8 words of one length: columns, views, queries and keys that some word changes must not be
    # taken from the first word (every word's trace is compared with its own run).
    model, word = case
    others = st.lists(st.text("ab", min_size=len(word), max_size=len(word)), min_size=4, max_size=7)
    words = [word, *data.draw(others)]
    simulator = Simulator(model)
    try:
        singles = [simulator.run(w) for w in words]
    except SimulationError:
        with pytest.raises(SimulationError, match="word "):
            simulator.run_batch(words)
        return
    batched = simulator.run_batch(words)
    for one, trace in zip(singles, batched, strict=True):
        assert_same_trace(one, trace)


def test_a_batch_shares_the_columns_no_input_changes():
    from circuits.io import read_circuit
    from expressivity.backends.exact import ExactBackend
    from expressivity.compile.circuit import compile_circuit, input_word
    from expressivity.numbers.column_array import Shared

    circuit = read_circuit(CIRCUITS / "iscas85" / "c17.bench")
    compiled = compile_circuit(circuit)
    model = compiled.model
    words = [input_word(compiled.inputs, [b >> k & 1 for k in range(len(circuit.inputs))]) for b in (0, 31)]
    tokens = [kind for word in words for kind in model.tokens(word)]
    kinds = np.array([model.kinds.index(kind) for kind in tokens])
    backend = ExactBackend()
    rows = [[model.embedding.get(kind, {}).get(label, 0) for label in model.labels] for kind in model.kinds]
    h = backend.embed(backend.kind_table(rows), kinds, len(tokens) // 2)
    shared = [isinstance(column, Shared) for column in h.columns]
    differs = [
        any(
            model.embedding.get(a, {}).get(label, 0) != model.embedding.get(b, {}).get(label, 0)
            for a, b in zip(model.tokens(words[0]), model.tokens(words[1]), strict=True)
        )
        for label in model.labels
    ]
    assert any(shared) and any(differs)
    assert shared == [not d for d in differs]
