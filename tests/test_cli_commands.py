"""The CLI end to end: compile, run, verify, inspect, demo; and every user error is one line, exit 2."""

from __future__ import annotations

import itertools
import json

import pytest
from click.testing import CliRunner

from circuits import evaluate
from circuits.io import read_circuit
from expressivity import load
from expressivity.cli import main
from expressivity.logic import holds, parse


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def majority_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "majority.json"
    result = invoke("compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", path)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "padding t(n) = 1*n^1" in result.stdout
    return path


def test_compiled_formula_runs_and_verifies(majority_file):
    sentence = parse("M x. Q_1(x)")
    for word in ["", "1", "10", "110", "0101", "11100"]:
        summary = json.loads(invoke("run", majority_file, "--input", word, "--json").stdout)
        assert summary["accept"] == holds(sentence, word), word
    result = invoke("verify", majority_file, "--samples", 30, "--max-n", 7)
    assert result.exit_code == 0, result.output
    assert "verified on 30 inputs" in result.stdout


def test_verify_reports_the_first_counterexample_and_exits_1(majority_file, tmp_path):
    """A model file whose stored sentence is not the one compiled: verify must find a word where they
    differ (majority vs 'contains a 1')."""
    data = json.loads(majority_file.read_text())
    data["metadata"]["sentence"] = "exists x. Q_1(x)"
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(data))
    result = invoke("verify", wrong, "--samples", 200, "--max-n", 6)
    assert result.exit_code == 1
    assert "MISMATCH" in result.stderr and "expected True, the model gave False" in result.stderr


def test_inspect_reports_sizes_and_padding(majority_file):
    report = json.loads(invoke("inspect", majority_file, "--n", 4, "--n", 9, "--json", "--labels").stdout)
    model = load(majority_file)
    assert report["width"] == model.width == len(report["labels"])
    assert [run["positions"] for run in report["runs"]] == [1 + 4 + 4, 1 + 9 + 9]
    text = invoke("inspect", majority_file).stdout
    assert "t(n) = 1*n^1" in text and "parameters" in text


def test_compile_and_run_a_circuit_file_gives_outputs_by_name(netlists, tmp_path):
    netlist = netlists / "iscas85" / "c17.bench"
    out = tmp_path / "c17.json"
    assert invoke("compile", "circuit", netlist, "-o", out).exit_code == 0
    circuit = read_circuit(netlist)
    for bits in itertools.islice(itertools.product((0, 1), repeat=5), 0, 32, 5):
        word = "".join(map(str, bits))
        summary = json.loads(invoke("run", out, "--input", word, "--json").stdout)
        assert summary["outputs"] == evaluate(circuit, bits)
        text = invoke("run", out, "--input", word).stdout
        assert all(f"{name} = {bit}" in text for name, bit in evaluate(circuit, bits).items())
    assert "verified on 20 inputs" in invoke("verify", out, "--samples", 20).stdout


def test_compile_family_and_connectivity(tmp_path):
    parity = tmp_path / "parity.json"
    assert invoke("compile", "family", "parity", "--n", 5, "-o", parity).exit_code == 0
    assert json.loads(invoke("run", parity, "--input", "10110", "--json").stdout)["outputs"] == {"out": 1}
    conn = tmp_path / "conn.json"
    assert invoke("compile", "connectivity", "-o", conn).exit_code == 0
    # vertices 0, 1, 2 with edges 0 -> 1 -> 2; s = 0, t = 2 (ruler "s-t"), then the other way round
    assert invoke("run", conn, "--input", "s-t" + "010001000").stdout.startswith("accept")
    assert invoke("run", conn, "--input", "t-s" + "010001000").stdout.startswith("reject")
    assert "verified on 8 inputs" in invoke("verify", conn, "--samples", 8, "--max-n", 4).stdout


@pytest.mark.parametrize(("mode", "run"), [("cot", "generate"), ("mdm", "denoise")])
def test_compile_family_in_a_decoding_mode_runs_and_verifies(tmp_path, mode, run):
    """`compile family --mode cot|mdm` writes the decoding model of the family's circuit (as `compile
    circuit --mode` does), whose decoded outputs are the circuit's and which `verify` accepts; the size
    check before building counts the decoded sequence's positions for it."""
    from circuits.families import FAMILIES
    from expressivity.cli.compile_commands import _family_tokens
    from expressivity.decoding import run_decoder

    path = tmp_path / f"parity-{mode}.json"
    result = invoke("compile", "family", "parity", "--n", 6, "--mode", mode, "-o", path)
    assert result.exit_code == 0, result.output
    model = load(path)
    assert (model.metadata["mode"], model.metadata["run"]) == (mode, run)
    circuit = FAMILIES["parity"](6)
    for word in ("101100", "111111", "000001"):
        decoded = run_decoder(model, word)
        assert decoded.outputs == evaluate(circuit, [int(b) for b in word])
        assert len(decoded.tokens) == _family_tokens("parity", 6, mode)
    assert "verified on 12 inputs" in invoke("verify", path, "--samples", 12).stdout
    looped = tmp_path / "parity.json"
    assert invoke("compile", "family", "parity", "--n", 6, "-o", looped).exit_code == 0
    assert "run" not in load(looped).metadata  # the default mode, loop: run once


def test_a_formula_that_does_not_parse_shows_its_place_and_a_caret(tmp_path):
    result = invoke("compile", "formula", "exists x. Q_1(x) &", "--alphabet", "01", "-o", tmp_path / "f")
    assert result.exit_code == 2 and "Traceback" not in result.output
    message, source, caret = result.stderr.splitlines()
    assert message.startswith("error: formula:1:19: expected a formula")
    assert source == "  exists x. Q_1(x) &"
    assert caret == " " * 20 + "^"  # two spaces of indent, then column 19
    assert not (tmp_path / "f").exists()


def test_user_errors_are_one_line(tmp_path, majority_file):
    one_line_error(invoke("compile", "formula", "Q_1(x)", "--alphabet", "01", "-o", tmp_path / "f"), "x")
    one_line_error(
        invoke("compile", "formula", "exists x. Q_2(x)", "--alphabet", "01", "-o", tmp_path / "f"), "2"
    )
    bad = tmp_path / "bad.bench"
    bad.write_text("INPUT(a)\nOUTPUT(b)\nb = FOO(a)\n")
    one_line_error(invoke("compile", "circuit", bad, "-o", tmp_path / "c.json"), "bad.bench:3:")
    one_line_error(
        invoke("compile", "circuit", tmp_path / "none.bench", "-o", tmp_path / "c.json"), "none.bench"
    )
    one_line_error(invoke("run", majority_file, "--input", "1", "--backend", "fixed:x"), "unknown backend")
    one_line_error(invoke("run", tmp_path / "missing.json", "--input", "1"), "missing.json")
    one_line_error(invoke("verify", tmp_path / "missing.json"), "missing.json")
    one_line_error(invoke("inspect", tmp_path / "missing.json"), "missing.json")
    assert not (tmp_path / "f").exists() and not (tmp_path / "c.json").exists()


def test_every_command_has_help_with_an_example():
    for command in [
        ["run"],
        ["verify"],
        ["inspect"],
        ["trace"],
        ["precision"],
        ["demo"],
        ["compile", "formula"],
        ["compile", "circuit"],
        ["compile", "family"],
        ["compile", "connectivity"],
    ]:
        result = invoke(*command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout, command


def test_demo_compiles_and_verifies_each_route_and_saves_runnable_models(tmp_path):
    result = invoke("demo", "--save", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("verified on") == 4 and "MISMATCH" not in result.stdout
    lines = result.stdout.splitlines()
    s5_rows = [line.split() for line in lines if "ok, model" in line or "ok, interp" in line]
    assert [(row[0], row[3]) for row in s5_rows] == [("4", "2"), ("8", "3"), ("16", "4")]  # one model's loops
    flips = [line.split() for line in lines if line.endswith("float64 flips")]
    assert flips  # float64 decides some exact ties of MAJORITY wrongly
    for n, m_exact, _, exact, approx, *_ in flips:
        word = "0" * (int(n) // 2) + "1" * (int(n) // 2)
        assert not holds(parse("M x. Q_1(x)"), word)  # a tie is not a majority
        assert (m_exact, exact, approx) == ("0", "reject", "accept")
    c17 = load(tmp_path / "c17.json")
    sections = f"prefix {len(c17.prefix)} + block {len(c17.block)} x r(n) + suffix {len(c17.suffix)}"
    assert f"    layers: {sections}" in lines  # as compile and inspect write it
    circuit = read_circuit_from_model(tmp_path / "c17.json")
    summary = json.loads(invoke("run", tmp_path / "c17.json", "--input", "10110", "--json").stdout)
    assert summary["outputs"] == evaluate(circuit, [1, 0, 1, 1, 0])


def read_circuit_from_model(path):
    from circuits.serial import circuit_from_dict

    return circuit_from_dict(load(path).metadata["circuit"])


def test_trace_writes_a_png_of_tie_sets_and_residual(majority_file, tmp_path):
    import matplotlib.image

    out = tmp_path / "trace.png"
    result = invoke("trace", majority_file, "--input", "11010", "-o", out)
    assert result.exit_code == 0, result.output
    image = matplotlib.image.imread(out)
    assert image.shape[0] > 200 and image.shape[1] > 200
    assert image.reshape(-1, image.shape[-1]).std(axis=0).max() > 0  # not a single colour
    one_line_error(invoke("trace", majority_file, "--input", "1", "-o", tmp_path / "no" / "t.png"), "no")


def test_precision_prints_p_against_n_for_majority_and_connectivity(majority_file, tmp_path):
    result = invoke("precision", majority_file, "--max-n", 5, "--samples", 3)
    assert result.exit_code == 0, result.output
    *table, fitted = result.stdout.splitlines()[1:]
    rows = [line.split() for line in table]
    assert [int(row[0]) for row in rows] == [1, 2, 3, 4, 5]
    assert all(row[3].isdigit() for row in rows)  # a smallest p was found at every n
    assert fitted.startswith("c = ")
    # the fitted theory curve (printed to 0.1) is on or above every measured p, and touches one
    assert all(float(row[4]) + 0.05 >= int(row[3]) for row in rows)
    assert any(abs(float(row[4]) - int(row[3])) <= 0.05 for row in rows)
    conn = tmp_path / "conn.json"
    assert invoke("compile", "connectivity", "-o", conn).exit_code == 0
    result = invoke("precision", conn, "--max-n", 3, "--samples", 2)
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()[1:-1]]
    # graphs on m = 1, 2, 3 vertices: N = 1 + (m^2 + m) + m^3 + 1 positions
    assert [int(row[1]) for row in rows] == [1 + (m * m + m) + m**3 + 1 for m in (1, 2, 3)]


def test_verify_names_a_missing_reference(majority_file, tmp_path):
    data = json.loads(majority_file.read_text())
    del data["metadata"]["sentence"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(data))
    one_line_error(invoke("verify", bare), "bare.json:", "/metadata: missing key 'sentence'")
    data["metadata"]["route"] = "unknown"
    bare.write_text(json.dumps(data))
    one_line_error(invoke("verify", bare), "no reference to verify against")
