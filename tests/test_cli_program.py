"""`expressivity compile program` end to end: compile a program file, run, verify, inspect."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from expressivity import load
from expressivity.cli import main
from expressivity.logic import accepts, parse_program
from expressivity.logic.program_library import EXAMPLE_DFAS

PROGRAMS = Path(__file__).resolve().parent.parent / "examples" / "programs"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_compile_program_file_runs_verifies_and_reports_loops(tmp_path):
    path = tmp_path / "parity.json"
    result = invoke("compile", "program", PROGRAMS / "dfa_parity.prog", "--alphabet", "01", "-o", path)
    assert result.exit_code == 0, result.output
    program = parse_program(load(path).metadata["program"])
    for word in ("1", "0110", "111"):
        result = invoke("run", path, "--input", word)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("accept" if EXAMPLE_DFAS["parity"].accepts(word) else "reject")
        assert accepts(program, word) == EXAMPLE_DFAS["parity"].accepts(word)
    result = invoke("verify", path, "--samples", "6", "--max-n", "4")
    assert result.exit_code == 0, result.output
    report = json.loads(invoke("inspect", path, "--json", "--n", 8, "--n", 16, "--n", 32).stdout)
    assert [run["loops"] for run in report["runs"]] == [3, 4, 5]
    assert [run["positions"] for run in report["runs"]] == [1 + n + n**3 for n in (8, 16, 32)]


def test_a_bad_program_file_is_one_line_with_its_place(tmp_path):
    bad = tmp_path / "bad.prog"
    bad.write_text("# a comment\nrelation R(x):\n  init Q_a(x) &;\nloops 1; accept true;\n")
    result = invoke("compile", "program", bad, "--alphabet", "ab", "-o", tmp_path / "x.json")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"error: {bad}:3:16: expected a formula"), result.stderr
    assert lines[1:] == ["    init Q_a(x) &;", "  " + " " * 15 + "^"]  # the line, a caret under column 16
    assert not (tmp_path / "x.json").exists()


def test_a_letter_outside_the_alphabet_is_reported(tmp_path):
    result = invoke(
        "compile", "program", PROGRAMS / "dfa_parity.prog", "--alphabet", "ab", "-o", tmp_path / "x"
    )
    assert result.exit_code == 2 and "not in the alphabet" in result.stderr


def test_the_first_program_of_the_docs_compiles_and_means_what_it_says(tmp_path):
    docs = (Path(__file__).resolve().parent.parent / "docs" / "program-grammar.md").read_text()
    text = docs.split("```\n", 2)[1]  # the first code block
    (tmp_path / "first.prog").write_text(text)
    path = tmp_path / "first.json"
    assert (
        invoke("compile", "program", tmp_path / "first.prog", "--alphabet", "ab", "-o", path).exit_code == 0
    )
    for word in ("bbab", "abbb", "ba", "aaa", "bab"):
        result = invoke("run", path, "--input", word)
        expected = any(word[i] == "a" and "b" in word[i + 1 :] for i in range(len(word)))
        assert result.stdout.startswith("accept" if expected else "reject"), (word, result.output)


def test_compile_program_causal_gives_a_purely_causal_model(tmp_path):
    source = tmp_path / "seen.prog"
    source.write_text(
        "relation Seen(x): init Q_a(x); update Seen(x) | exists y. y < x & Seen(y);\n"
        "loops ceil(log2 n) + 1; accept exists x. Q_b(x) & Seen(x);\n"
    )
    path = tmp_path / "seen.json"
    result = invoke("compile", "program", source, "--alphabet", "ab", "--causal", "-o", path)
    assert result.exit_code == 0, result.output
    model = load(path)
    assert model.metadata["mode"] == "causal"
    heads = [head for _, layers in model.sections() for layer in layers for head in layer.heads]
    assert heads and all(head.mask in ("causal", "strict") for head in heads)
    for word, want in (("ab", True), ("ba", False), ("bab", True), ("bb", False)):
        result = invoke("run", path, "--input", word)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("accept" if want else "reject"), word


def test_a_self_check_above_a_limit_is_refused_before_it_runs(tmp_path, monkeypatch):
    """A loop count of 10^18: the self-check's first run (the empty word) would be 2 * 10^18 + 6 layer
    applications; the compile stops before any run and writes nothing."""
    from expressivity.simulator import Simulator

    def must_not_run(*args, **kwargs):
        raise AssertionError("the self-check ran")

    monkeypatch.setattr(Simulator, "run", must_not_run)
    program = tmp_path / "long.prog"
    program.write_text(f"relation R(x): init Q_a(x); update R(x); loops {10**18}; accept exists x. R(x);\n")
    out = tmp_path / "long.json"
    result = invoke("compile", "program", program, "--alphabet", "ab", "-o", out)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: self-check: the run at n = 0 on exact"), lines
    assert "layer applications" in lines[0] and "--max-layers" in lines[0]
    assert not out.exists()


def test_the_self_check_is_refused_exactly_above_its_largest_run(tmp_path):
    """dfa_parity's largest self-check run is a word of 2 letters; --max-tokens just below its token
    count refuses the compile, at it the compile succeeds. Likewise for a formula and --max-layers."""
    from expressivity.compile.formula import compile_formula
    from expressivity.compile.iterated import compile_program

    source = PROGRAMS / "dfa_parity.prog"
    tokens = compile_program(source.read_text(), "01", self_check=False).sequence_length(2)
    out = tmp_path / "parity.json"
    refused = CliRunner().invoke(
        main,
        ["compile", "program", str(source), "--alphabet", "01", "-o", str(out)],
        env={"EXPRESSIVITY_MAX_TOKENS": str(tokens - 1)},
    )
    assert (
        refused.exit_code == 2
        and f"self-check: the run at n = 2 on exact needs {tokens} tokens" in refused.stderr
    )
    assert not out.exists()
    assert (
        invoke("compile", "program", source, "--alphabet", "01", "-o", out, "--max-tokens", tokens).exit_code
        == 0
    )
    sentence = "forall x. exists y. x < y | Q_1(x)"
    layers = compile_formula(sentence, "01", self_check=False).layer_count(2)
    formula_out = tmp_path / "formula.json"
    refused = invoke(
        "compile", "formula", sentence, "--alphabet", "01", "-o", formula_out, "--max-layers", layers - 1
    )
    assert refused.exit_code == 2 and f"needs {layers} layer applications" in refused.stderr
    assert not formula_out.exists()
    assert (
        invoke(
            "compile", "formula", sentence, "--alphabet", "01", "-o", formula_out, "--max-layers", layers
        ).exit_code
        == 0
    )
