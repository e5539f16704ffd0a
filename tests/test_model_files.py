"""Strict model files and input formats (issue 12), with a regression test for each reproducer:

1. a per-circuit model run on a word of another length refuses it, naming the expected count (Model,
   Simulator and the CLI alike); a graph program refuses a word that is not a graph word;
2. connectivity refuses malformed words (the CLI prints one error line, exit status 2);
3. a file with a missing, misspelt or unknown key, or a mistyped value, is refused, naming the file and
   the place (JSON pointer and line:col);
4. a file nested 100,000 deep is refused in one line before json recurses;
5. numbers beyond 4,300 digits and float-ish rationals ("1e-60") are refused in one line with a place;
6. version-1 files (what the previous release wrote) still load, with their route's input format;
7. the metadata keys `verify` relies on are required per route.
Also: the published schema is a valid draft-07 schema and names exactly the keys the writer writes.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from circuits.io import read_circuit
from expressivity import InputError, Model, Simulator
from expressivity.cli import main
from expressivity.compile.circuit import compile_circuit
from expressivity.compile.connectivity import compile_connectivity
from expressivity.compile.formula import compile_formula
from expressivity.compile.iterated import compile_program
from expressivity.examples import majority_model
from expressivity.inputs import AnyWord, FixedLength, GraphWord
from expressivity.logic import accepts, parse_program
from expressivity.model_file_checks import MAX_DEPTH, schema
from expressivity.precision import audit_words
from expressivity.serialize import ModelFileError, dumps, load, loads, save

ROOT = Path(__file__).resolve().parents[1]
GRAPH_PROGRAM = (ROOT / "examples" / "programs" / "connectivity.prog").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def c17() -> Model:
    return compile_circuit(read_circuit(ROOT / "examples" / "circuits" / "iscas85" / "c17.bench")).model


@pytest.fixture(scope="module")
def c17_file(c17, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("c17") / "c17.json"
    save(c17, path)
    return path


@pytest.fixture(scope="module")
def graph_program() -> Model:
    return compile_program(GRAPH_PROGRAM, self_check=False)


def invoke(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# 1. words of the wrong shape ---------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["101101", "1011", "", "1" * 40])
def test_a_circuit_model_refuses_a_word_of_another_length(c17, word):
    for run in (lambda: c17.run(word), lambda: Simulator(c17).run(word), lambda: c17.tokens(word)):
        with pytest.raises(
            InputError, match=rf"the word has {len(word)} symbols; this model reads exactly 5"
        ):
            run()


@pytest.mark.parametrize("word", ["101101", "1011"])
def test_the_cli_refuses_a_circuit_word_of_another_length(c17_file, word):
    one_line_error(invoke("run", c17_file, "--input", word), f"has {len(word)} symbols", "exactly 5")


def test_the_cli_runs_a_circuit_word_of_the_right_length(c17_file):
    result = invoke("run", c17_file, "--input", "10110", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outputs"] == {"22": 1, "23": 0}  # c17 on 1,0,1,1,0 by hand


@settings(max_examples=25)
@given(word=st.text("-stb01", max_size=12))
def test_a_graph_program_runs_exactly_the_graph_words(graph_program, word):
    """A graph program's reference reads any ruler over -stb (no source/target rule), so the model
    refuses only what is not a graph word: a length not m^2 + m, a symbol out of place."""
    m = next((m for m in range(13) if m * m + m == len(word)), None)
    graph_word = m is not None and set(word[:m]) <= set("-stb") and set(word[m:]) <= set("01")
    if not graph_word:
        with pytest.raises(InputError):
            graph_program.run(word, record=False)
    else:
        expected = accepts(parse_program(GRAPH_PROGRAM), word)
        assert graph_program.run(word, record=False).accept == bool(expected)


def test_audit_words_of_a_graph_program_are_graph_words(graph_program):
    """precision and softmax draw their words per size; for a graph program they must be graph words on
    `size` vertices (random ones and the path/cut/complete worst cases), which the model then runs."""
    words = audit_words(graph_program, 3, samples=4)
    assert len(words) >= 4 and all(len(word) == 3 * 3 + 3 for word in words)
    for word in words:
        graph_program.tokens(word)  # raises InputError for a word outside the format


def test_routes_set_their_input_formats(c17, graph_program):
    assert c17.input_format == FixedLength(5)
    assert compile_connectivity().input_format == GraphWord("-stb", "01", "sb", "tb")
    assert graph_program.input_format == GraphWord("-stb", "01")
    assert compile_formula("M x. Q_1(x)", alphabet="01").input_format == AnyWord()


# 2. connectivity words ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def connectivity_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("conn") / "conn.json"
    save(compile_connectivity(), path)
    return path


@pytest.mark.parametrize(
    ("word", "fragment"),
    [
        ("s-t01000100", "11 is not of that form"),
        ("sst010001000", "exactly one source"),
        ("010001000111", "symbol '0' at input position 1 is a ruler symbol"),
    ],
)
def test_the_cli_refuses_malformed_connectivity_words(connectivity_file, word, fragment):
    one_line_error(invoke("run", connectivity_file, "--input", word), fragment)


def test_the_cli_runs_a_connectivity_word(connectivity_file):
    result = invoke("run", connectivity_file, "--input", "s-t010001000")  # 0 -> 1 -> 2
    assert result.exit_code == 0 and result.stdout.startswith("accept"), result.output


# 3. keys and types ---------------------------------------------------------------------------------------


def good() -> dict:
    return json.loads(dumps(majority_model()))


def text_of(data: dict) -> str:
    return json.dumps(data, indent=1)


REQUIRED = ["padding", "stages", "unembedding", "outputs", "input_format"]


@pytest.mark.parametrize("key", REQUIRED)
def test_a_missing_top_level_key_is_refused(tmp_path, key):
    data = good()
    del data[key]
    path = tmp_path / "m.json"
    path.write_text(text_of(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match=rf"^{path}:1:1: /: missing key '{key}'$"):
        load(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["stages"][0]["layers"][0]["heads"][0].pop("mask"),
            r":\d+:\d+: /stages/0/layers/0/heads/0: missing key 'mask'",
        ),
        (lambda d: d["stages"][1]["loops"].pop("fixed"), r":\d+:\d+: /stages/1/loops: missing key 'fixed'"),
        (lambda d: d["stages"][1]["loops"].pop("value"), r":\d+:\d+: /stages/1/loops: missing key 'value'"),
        (
            lambda d: d["stages"][0]["layers"][0]["ffns"][0].pop("b1"),
            r": /stages/0/layers/0/ffns/0: missing key 'b1'",
        ),
        (lambda d: d["stages"][0]["layers"][0]["heads"][0]["view"].pop("norm"), r"/view: missing key 'norm'"),
        (
            lambda d: d.update(paddding=d.pop("padding")),
            r"key 'padding' \(and an unknown key 'paddding'",
        ),
        (lambda d: d.update(extra=1), r":\d+:\d+: /extra: unknown key 'extra'"),
        (
            lambda d: d["stages"][0]["layers"][0]["heads"][0].update(masks="causal"),
            r"/heads/0/masks: unknown key 'masks'",
        ),
        (
            lambda d: d.update(version=True),
            r":3:13: /version: .*versions 1, 2 and 3 \(an integer\), got true",
        ),
        (lambda d: d.update(version="1"), r"/version: .*got \"1\""),
        (lambda d: d.update(size_root=True), r"/size_root: expected a positive integer, got true"),
        (lambda d: d["stages"][1]["loops"].update(fixed=0), r"/stages/1/loops/fixed: expected true or false"),
        (
            lambda d: d["stages"][0]["layers"][0]["heads"][0].update(mask="future"),
            r"/mask: expected \"causal\"",
        ),
        (lambda d: d["stages"][0].pop("timestep"), r"/stages/0: missing key 'timestep'"),
        (lambda d: d["stages"][2].update(name="a.b"), r"/stages/2/name: expected an identifier"),
        (
            lambda d: d["stages"][1].update(
                timestep=[{"encoding": "binary", "labels": ["x", "-x", "a", "b"]}]
            ),
            r"/stages/1/timestep/0/encoding: expected \"parity\" or \"index\"",
        ),
        (
            lambda d: d["stages"][1].update(timestep=[{"encoding": "parity", "labels": ["x"]}]),
            r"/stages/1/timestep/0/labels: expected a list of 4 labels",
        ),
        (lambda d: d.update(prefix=[]), r"/prefix: the key 'prefix' is only in files of versions 1 and 2"),
        (lambda d: d.update(version=2), r"/stages: the key 'stages' is only in files of version 3"),
        (lambda d: d.update(input_format={"kind": "fixed_length", "length": -1}), r"/input_format/length"),
        (lambda d: d.update(input_format={"kind": "ring"}), r"/input_format/kind: expected \"any\""),
    ],
)
def test_keys_and_types_are_checked_with_the_place(tmp_path, edit, message):
    data = good()
    edit(data)
    path = tmp_path / "m.json"
    path.write_text(text_of(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match=message) as refused:
        load(path)
    assert str(refused.value).startswith(f"{path}") and "\n" not in str(refused.value)


def test_c17_without_loops_is_refused_not_run_with_a_default(c17_file, tmp_path):
    """The issue's example: without `loops` the old loader ran c17 once and answered 22=1, 23=1."""
    data = json.loads(c17_file.read_text(encoding="utf-8"))
    del data["stages"][1]["loops"]
    broken = tmp_path / "c17.json"
    broken.write_text(text_of(data), encoding="utf-8")
    one_line_error(invoke("run", broken, "--input", "10110"), "/stages/1: missing key 'loops'")


def test_a_repeated_key_is_refused_with_its_place():
    text = dumps(majority_model()).replace('"norm": "layer"', '"norm": "layer", "norm": "rms"', 1)
    with pytest.raises(
        ModelFileError, match=r"^m\.json:\d+:\d+: /stages/0/layers/0/heads/0/view/norm: the key 'norm'"
    ):
        loads(text, "m.json")


# 4. nesting ------------------------------------------------------------------------------------------------


def test_a_file_nested_100000_deep_is_one_line_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ModelFileError, match=rf"^{path}:1:{MAX_DEPTH + 1}: .*nested more than {MAX_DEPTH}"):
        load(path)
    one_line_error(invoke("run", path, "--input", "1"), f"nested more than {MAX_DEPTH}")


def nested_metadata(depth: int) -> str:
    """majority's file with metadata["deep"] = [[...[]...]] making the whole file `depth` deep."""
    data = good()
    data["metadata"]["deep"] = "SLOT"
    inner = "[" * (depth - 2) + "]" * (depth - 2)  # the file object and metadata are 2 levels
    return text_of(data).replace('"SLOT"', inner)


def test_the_depth_limit_is_exact():
    assert loads(nested_metadata(MAX_DEPTH)).metadata["deep"] is not None
    with pytest.raises(ModelFileError, match=f"nested more than {MAX_DEPTH}"):
        loads(nested_metadata(MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count():
    data = good()
    data["metadata"]["note"] = "[" * 1000 + '\\"{' * 100
    assert loads(text_of(data)).metadata["note"] == data["metadata"]["note"]


# 5. numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["1/" + "7" * 5000, "7" * 4301, "1e-60", "0.5", "1/0", " 1", "+1", "1_000", "٣", "1\n"]
)
def test_only_plain_rationals_are_read(cell):
    data = good()
    data["embedding"]["BOS"]["const"] = cell
    with pytest.raises(
        ModelFileError, match=r"^m\.json:\d+:\d+: /embedding/BOS/const: expected an exact rational"
    ):
        loads(text_of(data), "m.json")


def test_the_longest_rationals_are_read():
    data = good()
    data["embedding"]["BOS"]["const"] = "-" + "7" * 4300 + "/" + "9" * 4300
    const = loads(text_of(data)).embedding["BOS"]["const"]
    assert const == -Fraction(int("7" * 4300), int("9" * 4300))


def test_a_bare_huge_integer_is_one_line_with_its_place():
    text = text_of(good()).replace('"size_root": 1', '"size_root": ' + "9" * 5000)
    with pytest.raises(ModelFileError, match=r"^m\.json:\d+:15: a number of more than 4300 digits"):
        loads(text, "m.json")


# 6. version-1 files ----------------------------------------------------------------------------------------


def as_version_2(model: Model) -> str:
    """A file of version 2 (no stages): prefix, block, suffix and loops in place of the three stages."""
    data = json.loads(dumps(model))
    data["version"] = 2
    prefix, block, suffix = data.pop("stages")
    data.update(loops=block["loops"], prefix=prefix["layers"], block=block["layers"], suffix=suffix["layers"])
    return text_of(data)


def as_version_1(model: Model) -> str:
    """The file the release before wrote: version 2's keys but no input_format."""
    data = json.loads(as_version_2(model))
    data["version"] = 1
    del data["input_format"]
    return text_of(data)


def test_version_2_files_load_as_three_stages(c17, graph_program):
    for model in (c17, compile_connectivity(), graph_program, majority_model()):
        assert loads(as_version_2(model)) == model
    data = json.loads(as_version_2(c17))
    data["stages"] = []
    with pytest.raises(ModelFileError, match=r"/stages: the key 'stages' is only in files of version 3"):
        loads(text_of(data), "m.json")


def test_version_1_files_load_with_their_route_format(c17, graph_program):
    for model in (c17, compile_connectivity(), graph_program, majority_model()):
        assert loads(dumps(model)) == model
        assert loads(as_version_1(model)) == model
    with pytest.raises(InputError, match="this model reads exactly 5"):
        loads(as_version_1(c17)).run("101101")


def test_a_stored_format_must_match_the_route(c17):
    data = json.loads(dumps(c17))
    data["input_format"] = {"kind": "any"}
    with pytest.raises(ModelFileError, match=r"/input_format: the circuit route reads words of exactly 5"):
        loads(text_of(data), "m.json")


# 7. metadata -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "key"),
    [("formula", "sentence"), ("circuit", "circuit"), ("circuit", "inputs"), ("program", "program")],
)
def test_the_reference_a_route_verifies_against_is_required(c17, graph_program, route, key):
    model = {"formula": majority_model(), "circuit": c17, "program": graph_program}[route]
    data = json.loads(dumps(model))
    data["metadata"]["route"] = route
    data["metadata"].pop(key, None)
    with pytest.raises(ModelFileError, match=rf"/metadata: missing key '{key}'"):
        loads(text_of(data), "m.json")


# the schema ------------------------------------------------------------------------------------------------


def test_the_schema_is_valid_and_names_what_the_writer_writes(c17):
    Draft7Validator.check_schema(schema())
    written = json.loads(dumps(c17))
    properties = schema()["properties"]
    assert set(properties) - set(written) == {"prefix", "block", "suffix", "loops"}  # versions 1 and 2
    assert set(written) <= set(properties)
    definitions = schema()["definitions"]
    assert set(definitions["stage"]["properties"]) == set(written["stages"][1])
    layer = written["stages"][0]["layers"][2]
    assert set(definitions["head"]["properties"]) == set(layer["heads"][0])
    assert set(definitions["ffn"]["properties"]) == set(layer["ffns"][0])
    assert set(definitions["view"]["properties"]) == set(layer["heads"][0]["view"])
    assert set(definitions["loops"]["properties"]) == set(written["stages"][1]["loops"])


def test_the_schema_ships_with_the_package():
    import expressivity

    shipped = Path(expressivity.__file__).parent / "data" / "model.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == schema()
