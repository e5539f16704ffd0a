"""safetensors export: the round trip Model -> model.safetensors + config.json -> Model is equal, the
dense tensors are the model's weights over the residual stream, and a damaged export is a clear error."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from safetensors.numpy import load_file, save_file

from circuits.io import read_circuit
from expressivity import FFN, Layer, Model, Simulator, View, load
from expressivity.cli import main
from expressivity.compile.circuit import compile_circuit
from expressivity.compile.connectivity import compile_connectivity
from expressivity.compile.formula import compile_formula
from expressivity.examples import count_hash_retrieve_model, majority_model
from expressivity.export import ExportError, export, load_export
from expressivity.strategies import models, staged_models


def round_trip(model: Model, directory) -> Model:
    export(model, directory)
    return load_export(directory)


@settings(max_examples=40)
@given(models(generic=False))
def test_random_hand_built_models_round_trip(tmp_path_factory, case):
    model, _ = case
    assert round_trip(model, tmp_path_factory.mktemp("e")) == model


@pytest.mark.parametrize(
    "build",
    [
        lambda: compile_formula("M x. Q_1(x)", "01"),
        lambda: compile_formula("M x. M y. (x < y -> Q_1(y))", "01", causal=True),
        compile_connectivity,
        count_hash_retrieve_model,
    ],
)
def test_every_route_round_trips(tmp_path, build):
    model = build()
    assert round_trip(model, tmp_path) == model


@pytest.mark.parametrize("causal", [False, True])
def test_c17_round_trips_and_runs_the_same(tmp_path, netlists, causal):
    model = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), causal=causal).model
    back = round_trip(model, tmp_path)
    assert back == model
    for word in ["00000", "10110", "11111"]:
        assert Simulator(back).run(word).outputs == Simulator(model).run(word).outputs


def test_the_tensors_are_the_weights_over_the_residual_stream(tmp_path):
    """The majority example (labels const x -x m -m vote): the FFN `sign` reads the group (m, -m) with
    w1 = [2, 0] and writes `vote`; the unembedding is (const/2, vote)."""
    export(majority_model(), tmp_path)
    tensors = load_file(str(tmp_path / "model.safetensors"))
    ffn = "prefix.layer0.ffn0"
    assert tensors[f"{ffn}.W1"].tolist() == [[0, 0, 0, 2, 0, 0]]
    assert tensors[f"{ffn}.W_out"].tolist() == [[0], [0], [0], [0], [0], [1]]
    assert tensors["unembedding"].tolist() == [[0.5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]]
    assert tensors["unembedding.num"].tolist() == [[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]]
    assert tensors["unembedding.den"][0, 0] == 2
    head = "prefix.layer0.head0"
    assert tensors[f"{head}.W_V"].tolist() == [[0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]]
    assert not tensors[f"{head}.W_Q"].any()
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["kinds"] == ["BOS", "0", "1", "PAD"]
    assert config["sections"][0]["layers"][0]["heads"][0]["groups"] == [["x", "-x"]]


def test_the_embedding_tensor_gives_the_float64_embedding(tmp_path):
    model = compile_formula("exists x. Q_a(x)", "ab")
    export(model, tmp_path)
    table = load_file(str(tmp_path / "model.safetensors"))["embedding"]
    config = json.loads((tmp_path / "config.json").read_text())
    trace = Simulator(model).run("abba", "float64")
    rows = [config["kinds"].index(kind) for kind in trace.tokens]
    assert np.array_equal(table[rows], trace.steps[0].residual)


def _wide_model() -> Model:
    """A model whose FFN weights do not fit int64 numerator/denominator pairs."""
    huge = Fraction(2**70 + 1, 3)
    tiny = Fraction(1, 2**64 + 7)
    ffn = FFN("wide", View([["a", "b"]]), w1=[[huge, tiny]], w2=[[1]], writes=["b"])
    return Model(
        "01", ["a", "b"], {"1": {"a": 1}}, prefix=[Layer(ffns=[ffn])], unembedding=[{"a": 1}, {"b": 1}]
    )


def test_rationals_beyond_int64_are_kept_exactly(tmp_path):
    model = _wide_model()
    assert round_trip(model, tmp_path) == model
    tensors = load_file(str(tmp_path / "model.safetensors"))
    assert "prefix.layer0.ffn0.W1.num" not in tensors
    assert "prefix.layer0.ffn0.W2.num" in tensors
    exact = json.loads((tmp_path / "config.json").read_text())["exact"]
    assert exact == {"prefix.layer0.ffn0.W1": [[f"{2**70 + 1}/3", f"1/{2**64 + 7}"]]}


def test_a_changed_float_tensor_is_reported_by_name(tmp_path):
    export(majority_model(), tmp_path)
    path = tmp_path / "model.safetensors"
    tensors = load_file(str(path))
    tensors["prefix.layer0.ffn0.W1"][0, 3] = 2.5
    save_file(tensors, str(path))
    with pytest.raises(ExportError, match=r"prefix\.layer0\.ffn0\.W1.*\(0, 3\)"):
        load_export(tmp_path)


def test_a_missing_export_is_one_error(tmp_path):
    with pytest.raises(ExportError, match="cannot read"):
        load_export(tmp_path / "nothing")


def test_cli_export_writes_a_loadable_pair(tmp_path):
    from click.testing import CliRunner

    source = tmp_path / "majority.json"
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", str(source)]
        ).exit_code
        == 0
    )
    result = runner.invoke(main, ["export", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert load_export(tmp_path / "out") == load(source)
    bad = runner.invoke(main, ["export", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: ")


def test_a_malformed_config_is_one_error_naming_the_file(tmp_path):
    export(_wide_model(), tmp_path)
    config_path = tmp_path / "config.json"
    config = json.loads(config_path.read_text())
    config["exact"]["prefix.layer0.ffn0.W1"][0][0] = "1/0/2"
    config_path.write_text(json.dumps(config))
    with pytest.raises(ExportError, match="1/0/2"):
        load_export(tmp_path)
    del config["labels"]
    config_path.write_text(json.dumps(config))
    with pytest.raises(ExportError, match=r"config\.json: missing or malformed entry 'labels'"):
        load_export(tmp_path)


@settings(max_examples=25, deadline=None)
@given(staged_models())
def test_staged_models_round_trip(tmp_path_factory, case):
    """Stages (names, loop counts, timestep cells) survive the export; version 2 is written."""
    model, _ = case
    directory = tmp_path_factory.mktemp("s")
    assert round_trip(model, directory) == model
    config = json.loads((directory / "config.json").read_text())
    assert config["version"] == 2
    assert [section["name"] for section in config["sections"]] == [stage.name for stage in model.stages]


def test_a_version_1_export_still_loads(tmp_path):
    """Exports written before stages existed have version 1 and sections prefix, block, suffix with no
    timestep: they load as the three-stage model."""
    model = compile_connectivity()
    export(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["version"] = 1
    for section in config["sections"]:
        del section["timestep"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert load_export(tmp_path) == model
