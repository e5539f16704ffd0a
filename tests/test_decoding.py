"""Generation and denoising (expressivity.decoding) and the Simulator's extension API.

References: full reruns of the whole sequence (for the cached extension) and `circuits.net_values`
(what each generated or denoised token must be); never the decoder under test.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import net_values, to_threshold
from circuits.strategies import circuits, input_vectors
from expressivity.compile.circuit import compile_circuit, input_word
from expressivity.decoding import MASK, denoise, generate
from expressivity.model import InputError
from expressivity.simulator import SimulationError, Simulator

small_circuits = circuits(max_inputs=4, max_gates=12, max_depth=5, max_weight=2)
cases = small_circuits.flatmap(lambda c: st.tuples(st.just(c), input_vectors(c)))


def _node_values(circuit, form, bits) -> list[str]:
    values = net_values(to_threshold(circuit), bits)
    return [str(values[node]) for node in form.nodes]


@settings(max_examples=12, deadline=None)
@given(cases, st.sampled_from(["exact", "fixed:64"]))
def test_a_cached_step_equals_a_full_rerun_at_every_step(case, backend):
    """After every appended token, the new position's final residual (every coordinate) and its symbol
    are those of a run of the whole sequence from scratch."""
    circuit, bits = case
    compiled = compile_circuit(circuit, mode="cot", check=False)
    model, simulator = compiled.model, compiled.simulator
    word = input_word(compiled.inputs, bits)
    state = simulator.start(word, backend)
    for _ in range(model.metadata["steps"]):
        full = simulator.run_tokens(state.tokens, word, backend, record=False)
        for c, label in enumerate(model.labels):
            assert state.backend.column(state.last, c)[-1] == full.column(label)[-1], label
        symbol = simulator.next_symbol(state)
        assert symbol == full.symbol
        state = simulator.extend(state, [symbol])
    assert state.tokens[len(model.tokens(word)) :] == _node_values(circuit, compiled.form, bits)


@settings(max_examples=10, deadline=None)
@given(cases)
def test_generation_writes_every_node_value_in_topological_order(case):
    circuit, bits = case
    compiled = compile_circuit(circuit, mode="cot", check=False)
    word = input_word(compiled.inputs, bits)
    cached = generate(compiled.model, word, len(compiled.form.nodes))
    rerun = generate(compiled.model, word, len(compiled.form.nodes), cache=False)
    assert list(cached.generated) == _node_values(circuit, compiled.form, bits)
    assert cached.tokens == rerun.tokens
    layers = compiled.model.layer_count(len(word))
    assert cached.layers_run == (len(cached.tokens) - 1) * layers if cached.steps else cached.layers_run == 0
    assert rerun.layers_run == sum(range(cached.prompt, len(cached.tokens))) * layers


@settings(max_examples=10, deadline=None)
@given(cases)
def test_generation_stops_at_the_stop_symbol(case):
    circuit, bits = case
    compiled = compile_circuit(circuit, mode="cot", check=False)
    values = _node_values(circuit, compiled.form, bits)
    run = generate(compiled.model, input_word(compiled.inputs, bits), len(values), stop="1")
    expected = values[: values.index("1") + 1] if "1" in values else values
    assert list(run.generated) == expected
    assert run.stopped == ("1" in values)


@settings(max_examples=10, deadline=None)
@given(cases)
def test_each_denoising_step_unmasks_exactly_the_next_level(case):
    """After step t the node positions of level <= t hold their values and the others are MASK."""
    circuit, bits = case
    compiled = compile_circuit(circuit, mode="mdm", check=False)
    word = input_word(compiled.inputs, bits)
    run = denoise(compiled.model, word)
    level = compiled.form.levels()
    values = _node_values(circuit, compiled.form, bits)
    first = len(run.tokens) - len(compiled.form.nodes)
    assert run.steps == compiled.form.depth
    for step, frame in enumerate(run.frames):
        shown = [
            value if level[node] <= step else MASK
            for node, value in zip(compiled.form.nodes, values, strict=True)
        ]
        assert list(frame[first:]) == shown
        assert frame[:first] == run.frames[0][:first]
    assert run.layers_run == run.steps * len(run.tokens) * compiled.model.layer_count(len(word))


def test_a_denoising_step_limit_leaves_the_rest_masked(netlists):
    from circuits.io import read_circuit

    compiled = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), mode="mdm", check=False)
    run = denoise(compiled.model, "10110", max_steps=1)
    assert run.steps == 1
    assert run.tokens.count(MASK) == len(compiled.form.nodes) - len(run.unmasked_at(1)) > 0


def test_a_model_with_an_unmasked_head_cannot_be_extended(netlists):
    from circuits.io import read_circuit

    compiled = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), mode="mdm", check=False)
    simulator = Simulator(compiled.model)
    state = simulator.start("10110")
    with pytest.raises(SimulationError, match="unmasked"):
        simulator.extend(state, ["0"])
    with pytest.raises(SimulationError, match="unmasked"):
        generate(compiled.model, "10110", 2)


def test_unknown_token_kinds_are_named_with_their_position(netlists):
    from circuits.io import read_circuit

    compiled = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), mode="cot", check=False)
    tokens = compiled.model.tokens("10110")
    with pytest.raises(InputError, match="'x' at position 3"):
        Simulator(compiled.model).run_tokens([*tokens[:3], "x"], "10110")


@pytest.mark.parametrize("bits", range(3, 17))
def test_a_cached_start_fails_where_a_run_fails_and_names_the_same_place(netlists, bits):
    """Runs and extensions share one sublayer loop: on fixed:p too narrow for c17's chain-of-thought
    model, `start` stops at the sublayer where `run_tokens` stops, with the run's message plus the rows it
    was adding ("(rows from 0)"); where the run succeeds so does `start`, with the same last residual."""
    from circuits.io import read_circuit

    compiled = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), mode="cot", check=False)
    simulator, backend = compiled.simulator, f"fixed:{bits}"
    tokens = compiled.model.tokens("10110")
    try:
        full = simulator.run_tokens(tokens, "10110", backend, record=False)
    except SimulationError as err:
        place, message = str(err).split(": ", 1)
        with pytest.raises(SimulationError) as caught:
            simulator.start("10110", backend)
        assert str(caught.value) == f"{place} (rows from 0): {message}"
        return
    state = simulator.start("10110", backend)
    for c, label in enumerate(compiled.model.labels):
        assert list(state.backend.column(state.last, c)) == list(full.column(label)), label
