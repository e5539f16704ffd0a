"""The `expressivity` command line: `run` (text and --json, every backend), one-line errors with exit
status 2, and `demo`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from test_core_handbuilt import nested_model

from expressivity import save
from expressivity.cli import main
from expressivity.examples import majority_model


@pytest.fixture
def majority_file(tmp_path):
    path = tmp_path / "majority.json"
    save(majority_model(), path)
    return path


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def run_json(path, word: str, *extra: str) -> dict:
    result = invoke("run", path, "--input", word, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("word", "accept"),
    [("110", True), ("100", False), ("1010", False), ("10101", True), ("", False)],
)
def test_run_json_on_majority(majority_file, word, accept):
    summary = run_json(majority_file, word)
    assert summary["accept"] is accept
    assert summary["symbol"] == ("accept" if accept else "reject")
    assert summary["positions"] == len(word) + 1  # BOS + the word, no padding
    assert summary["layers_run"] == 1
    assert summary["word"] == word
    assert summary["backend"] == "exact"


@pytest.mark.parametrize("backend", ["fixed:24", "float64", "exact"])
def test_run_on_every_backend(majority_file, backend):
    for word, accept in [("110", True), ("0", False), ("1100001", False), ("11011", True)]:
        summary = run_json(majority_file, word, "--backend", backend)
        assert summary["accept"] is accept, (backend, word)
        assert summary["backend"] == backend


def test_run_text_output(majority_file):
    result = invoke("run", majority_file, "--input", "110")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("accept")
    assert "N=4 positions" in first and "1 layers" in first


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_unknown_backend(majority_file):
    for backend in ["double", "fixed:0", "fixed:", "fixed:x"]:
        assert_one_line_error(
            invoke("run", majority_file, "--input", "1", "--backend", backend), repr(backend)
        )


def test_missing_file(tmp_path):
    assert_one_line_error(
        invoke("run", tmp_path / "nowhere.json", "--input", "1"), "nowhere.json", "cannot read"
    )


def test_malformed_json_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "expressivity-model",\n "version": 1,,}', encoding="utf-8")
    assert_one_line_error(invoke("run", path, "--input", "1"), "broken.json:2:15", "invalid JSON")


def test_inconsistent_model_file(majority_file):
    data = json.loads(majority_file.read_text(encoding="utf-8"))
    data["labels"].append("const")
    majority_file.write_text(json.dumps(data), encoding="utf-8")
    assert_one_line_error(invoke("run", majority_file, "--input", "1"), "'const' is declared twice")


def test_symbol_outside_the_alphabet(majority_file):
    assert_one_line_error(invoke("run", majority_file, "--input", "1021"), "'2'", "position 3")


def test_a_run_that_cannot_go_on(tmp_path):
    path = tmp_path / "nested.json"
    save(nested_model(), path)
    assert_one_line_error(invoke("run", path, "--input", "ab"), "head 'reader'", "norm group 1", "position 2")


def test_errors_from_the_real_process(majority_file):
    """The installed entry point behaves the same: status 2, one line on stderr, nothing on stdout."""
    command = [sys.executable, "-c", "from expressivity.cli import main; main()"]
    done = subprocess.run(
        [*command, "run", str(majority_file), "--input", "1x"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error:")
    done = subprocess.run(
        [*command, "run", str(majority_file), "--input", "111", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["accept"] is True
