"""One circuit, three evaluations: loop (depth iterations), chain of thought (size steps) and masked
diffusion (depth steps), each compared with `circuits.evaluate`, never with another mode."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import evaluate
from circuits.io import read_circuit
from circuits.literal_form import literal_form
from circuits.strategies import circuits, input_vectors
from expressivity import load, save
from expressivity.compile.circuit import compile_circuit, input_word
from expressivity.decoding import run_decoder
from expressivity.model import ModelError
from expressivity.verification import verify

random_circuits = circuits(max_inputs=5, max_gates=40, max_depth=8, max_weight=3)


@settings(max_examples=12, deadline=None)
@given(random_circuits.flatmap(lambda c: st.tuples(st.just(c), input_vectors(c))))
def test_loop_cot_and_mdm_all_equal_the_evaluator(case):
    """Depth <= 8, up to 40 gates of every kind: the three modes give the circuit's outputs; MDM takes
    exactly depth steps and CoT exactly size steps (nodes of the literal form)."""
    circuit, bits = case
    form = literal_form(circuit)
    expected = evaluate(circuit, bits)
    word = input_word(form.inputs, bits)
    loop = compile_circuit(circuit, check=False)
    assert loop.run(bits) == expected
    assert loop.model.loops(len(bits)) == form.depth
    for mode, steps in (("cot", len(form.nodes)), ("mdm", form.depth)):
        compiled = compile_circuit(circuit, mode=mode, check=False)
        decoded = run_decoder(compiled.model, word)
        assert decoded.outputs == expected, mode
        assert decoded.steps == steps, mode
        assert not compiled.model.block and compiled.model.layer_count(len(bits)) == 4


@pytest.mark.parametrize("mode", ["cot", "mdm"])
def test_c17_on_every_input_and_on_every_backend(netlists, mode):
    circuit = read_circuit(netlists / "iscas85" / "c17.bench")
    compiled = compile_circuit(circuit, mode=mode)
    for value in range(32):
        bits = [value >> k & 1 for k in range(5)]
        assert compiled.run(bits) == evaluate(circuit, bits)
    for backend in ("float64", "fixed:64"):
        assert compiled.run([1, 0, 1, 1, 0], backend) == evaluate(circuit, [1, 0, 1, 1, 0])


def test_the_modes_record_how_they_are_run(tmp_path, netlists):
    """A model file says how it is run and where its outputs are; verify checks it against the circuit."""
    circuit = read_circuit(netlists / "iscas85" / "c17.bench")
    for mode, run in (("cot", "generate"), ("mdm", "denoise")):
        save(compile_circuit(circuit, mode=mode).model, tmp_path / f"{mode}.json")
        model = load(tmp_path / f"{mode}.json")
        assert (model.metadata["mode"], model.metadata["run"]) == (mode, run)
        assert run_decoder(model, "10110").outputs == evaluate(circuit, [1, 0, 1, 1, 0])
        report = verify(model, samples=6)
        assert report.ok and report.checked == 6


def test_verify_catches_a_wrong_chain_of_thought_model(netlists):
    """A model whose outputs are read from the wrong token must fail verification."""
    import dataclasses

    circuit = read_circuit(netlists / "iscas85" / "c17.bench")
    model = compile_circuit(circuit, mode="cot").model
    read = [[name, position, not negated] for name, position, negated in model.metadata["read"]]
    broken = dataclasses.replace(model, metadata={**model.metadata, "read": read})
    assert not verify(broken, samples=4).ok


def test_an_unknown_mode_is_refused():
    with pytest.raises(ModelError, match="unknown circuit mode 'tree'"):
        compile_circuit(read_circuit_text(), mode="tree")


def read_circuit_text():
    from circuits.examples import c17

    return c17()


REAL = [
    pytest.param("c432.bench", marks=pytest.mark.slow),
    pytest.param("c880.bench", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("name", REAL)
@pytest.mark.parametrize("mode", ["cot", "mdm"])
def test_real_netlists_on_random_vectors(netlists, name, mode):
    circuit = read_circuit(netlists / "iscas85" / name)
    compiled = compile_circuit(circuit, mode=mode, check=False)
    for bits in np.random.default_rng(len(name)).integers(0, 2, size=(3, len(circuit.inputs))).tolist():
        assert compiled.run(bits) == evaluate(circuit, bits)


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "a", "b"), [("mdm", 65_535, 3)])
def test_c6288_multiplies(netlists, mode, a, b):
    """c6288 is a 16 x 16 multiplier whose last two outputs are swapped (see test_circuits_io_real).
    One product by masked diffusion (122 denoising steps over 4833 positions, about 40 s); the chain of
    thought (2384 generated tokens, over two minutes) is checked on c6288 by benchmarks/cot_loop_mdm.py,
    which compares every mode with circuits.evaluate, to keep the suite inside CI's time."""
    circuit = read_circuit(netlists / "iscas85" / "c6288.bench")
    compiled = compile_circuit(circuit, mode=mode, check=False)
    bits = [a >> k & 1 for k in range(16)] + [b >> k & 1 for k in range(16)]
    outputs = compiled.run(bits)
    got = [outputs[name] for name in compiled.output_names]
    product_bit_of_output = [*range(30), 31, 30]
    assert got == [(a * b) >> bit & 1 for bit in product_bit_of_output]


def test_the_statement_holds_on_c17_and_a_small_adder(netlists):
    """proofs_as_code/cot_loop_mdm.py: every mode agrees, loop and MDM take depth steps, CoT size steps,
    and no generated token, cached step or diffusion frame breaks the statement."""
    from circuits.families import iterated_addition
    from proofs_as_code import cot_loop_mdm

    for circuit in (read_circuit(netlists / "iscas85" / "c17.bench"), iterated_addition(2, 2)):
        report = cot_loop_mdm.check(circuit, samples=4)
        assert report["agreements"] == dict.fromkeys(cot_loop_mdm.MODES, report["runs"])
        assert report["steps"] == {
            "loop": [report["depth"]],
            "cot": [report["size"]],
            "mdm": [report["depth"]],
        }
        assert report["chain_violations"] == report["cache_violations"] == report["frame_violations"] == 0


def _cli(*args):
    from click.testing import CliRunner

    from expressivity.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_command_line_compiles_runs_inspects_and_verifies_each_mode(tmp_path, netlists):
    c17 = netlists / "iscas85" / "c17.bench"
    circuit = read_circuit(c17)
    form = literal_form(circuit)
    expected = evaluate(circuit, [1, 0, 1, 1, 0])
    for mode, how in (("cot", "chain of thought"), ("mdm", "masked diffusion"), ("loop", "loop")):
        path = tmp_path / f"{mode}.json"
        assert _cli("compile", "circuit", c17, "--mode", mode, "-o", path).exit_code == 0
        assert how in _cli("inspect", path).output
        result = _cli("run", path, "--input", "10110", "--json")
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["outputs"] == expected
        if mode == "cot":
            assert summary["steps"] == len(form.nodes) and len(summary["sequence"][-1]) == len(form.nodes)
        if mode == "mdm":
            assert summary["steps"] == form.depth and len(summary["sequence"]) == form.depth + 1
            assert summary["sequence"][0] == "_" * len(form.nodes) and "_" not in summary["sequence"][-1]
        verified = _cli("verify", path, "--samples", 3)
        assert verified.exit_code == 0 and "verified on 3 inputs" in verified.output


def test_run_steps_caps_a_decoding_run(tmp_path, netlists):
    path = tmp_path / "cot.json"
    _cli("compile", "circuit", netlists / "iscas85" / "c17.bench", "--mode", "cot", "-o", path)
    result = _cli("run", path, "--input", "10110", "--steps", 2)
    assert result.exit_code == 0
    assert "generated in 2 steps" in result.output and "22 = ?" in result.output
