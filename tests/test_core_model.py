"""The model as data: construction errors that name the part, r(n) and t(n) by hand, JSON model files
(exact round trip, errors that name the place, atomic saves)."""

from __future__ import annotations

import dataclasses
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expressivity import (
    FFN,
    Head,
    InputError,
    Layer,
    LoopCount,
    Model,
    ModelError,
    ModelFileError,
    OutputTap,
    Padding,
    View,
    load,
    run,
    save,
)
from expressivity.backends import SimulationError
from expressivity.examples import count_hash_retrieve_model, majority_model
from expressivity.serialize import dumps, loads
from expressivity.strategies import models

LABELS = ["x", "-x", "y"]


def head(name="h", view=None, query=None, key=None, value=None, writes=("y",), mask="causal") -> Head:
    view = view or View([["x", "-x"]])
    width = len(view.columns)
    return Head(
        name,
        view,
        query=query if query is not None else [[1] * width],
        key=key if key is not None else [[1] * width],
        value=value if value is not None else [[1] * width],
        writes=writes,
        mask=mask,
    )


def ffn(name="f", view=None, writes=("y",)) -> FFN:
    view = view or View([["x", "-x"]])
    return FFN(name, view, w1=[[1] * len(view.columns)], w2=[[1]] * len(writes), writes=writes)


def model(**changes) -> Model:
    fields = {
        "alphabet": "ab",
        "labels": LABELS,
        "embedding": {"a": {"x": 1, "-x": -1}},
        "prefix": [Layer([head()])],
    }
    fields.update(changes)
    return Model(**fields)


# ---------------------------------------------------------------------------------------------------
# Construction errors name the part.

CONSTRUCTION_ERRORS = {
    "duplicate label": (lambda: model(labels=["x", "-x", "x", "y"]), r"coordinate 'x' is declared twice"),
    "unknown label in a view": (
        lambda: model(prefix=[Layer([head(view=View([["x", "zz"]]))])]),
        r"prefix layer 0 head 'h': norm group 0 reads unknown coordinate 'zz'",
    ),
    "overlapping norm groups": (
        lambda: model(prefix=[Layer([head(view=View([["x", "-x"], ["y", "x"]]))])]),
        r"prefix layer 0 head 'h': coordinate 'x' is in two norm groups",
    ),
    "empty norm group": (
        lambda: model(suffix=[Layer(ffns=[ffn(view=View([["x"], []]))])]),
        r"suffix layer 0 ffn 'f': norm group 1 is empty",
    ),
    "bad norm": (
        lambda: model(block=[Layer([head("h2", view=View([["x", "-x"]], norm="batch"))])]),
        r"block layer 0 head 'h2': norm must be one of .*'batch'",
    ),
    "query row too long": (lambda: head(query=[[1, 2, 3]]), r"head 'h' query row 0: 3 entries, expected 2"),
    "query and key rows differ": (
        lambda: head(query=[[1, 1], [0, 1]], key=[[1, 1]]),
        r"head 'h': query has 2 rows but key has 1",
    ),
    "value rows and writes differ": (
        lambda: head(value=[[1, 1]], writes=["x", "y"]),
        r"head 'h': value has 1 rows but writes 2 labels",
    ),
    "sparse row with an unknown column": (
        lambda: head(key=[{"x": 1, "y": 2}]),
        r"head 'h' key row 0: unknown column 'y'",
    ),
    "ffn w2 width": (
        lambda: FFN("f", View([["x", "-x"]]), w1=[[1, 0], [0, 1]], w2=[[1]], writes=["y"]),
        r"ffn 'f' w2 row 0: 1 entries, expected 2",
    ),
    "ffn w2 rows and writes": (
        lambda: FFN("f", View([["x", "-x"]]), w1=[[1, 0]], w2=[[1], [1]], writes=["y"]),
        r"ffn 'f': w2 has 2 rows but writes 1 labels",
    ),
    "ffn bias length": (
        lambda: FFN("f", View([["x", "-x"]]), w1=[[1, 0]], w2=[[1]], writes=["y"], b1=[1, 2]),
        r"ffn 'f' b1: 2 entries, expected 1",
    ),
    "unembedding rows": (
        lambda: model(unembedding=[[1, 0, 0]]),
        r"unembedding has 1 rows but there are 2 symbols",
    ),
    "unembedding width": (
        lambda: model(unembedding=[[1, 0], [0, 1]]),
        r"unembedding row 0: 2 entries, expected 3",
    ),
    "bad mask": (lambda: head(mask="future"), r"head 'h': mask must be one of .*'future'"),
    "unknown token kind": (
        lambda: model(embedding={"c": {"x": 1}}),
        r"embedding: unknown token kind 'c'",
    ),
    "unknown label in the embedding": (
        lambda: model(embedding={"BOS": {"z": 1}}),
        r"embedding of 'BOS': unknown coordinate 'z'",
    ),
    "non-rational weight": (
        lambda: model(embedding={"PAD": {"x": "one half"}}),
        r"embedding of 'PAD' at 'x': 'one half' is not an exact rational",
    ),
    "float weight": (
        lambda: head(value=[[0.1, 0]]),
        r"head 'h' value row 0: 0\.1 is a float, not an exact rational",
    ),
    "writes to an unknown label": (
        lambda: model(prefix=[Layer([head()]), Layer([], [ffn(writes=["nowhere"])])]),
        r"prefix layer 1 ffn 'f': writes unknown coordinate 'nowhere'",
    ),
    "writes a label twice": (
        lambda: model(prefix=[Layer([head(value=[[1, 0], [0, 1]], writes=["y", "y"])])]),
        r"prefix layer 0 head 'h': writes a coordinate twice",
    ),
    "duplicate sublayer names": (
        lambda: model(prefix=[Layer([head()])], suffix=[Layer([head()])]),
        r"suffix layer 0 head 'h': the name 'h' is used twice",
    ),
    "long alphabet symbol": (lambda: model(alphabet=["a", "bb"]), r"single characters, got 'bb'"),
    "alphabet clashes with a kind": (
        lambda: model(alphabet="ab", extra_kinds=["a"]),
        r"token kinds overlap",
    ),
    "tail of an unknown kind": (
        lambda: model(tail=["END"]),
        r"tail token 'END' is not one of the extra kinds",
    ),
    "scratch label": (
        lambda: model(scratch=["tmp"]),
        r"scratch coordinate 'tmp' is not a residual coordinate",
    ),
    "output label": (
        lambda: model(outputs=[OutputTap("out", -1, "tmp")]),
        r"output 'out' reads unknown coordinate 'tmp'",
    ),
    "negative padding": (lambda: Padding([1, -1]), r"padding coefficients must be non-negative"),
    "fractional padding": (lambda: Padding([1.5]), r"padding coefficient 0 must be an integer, got 1\.5"),
    "negative loop count": (
        lambda: model(block=[Layer(ffns=[ffn()])], loops=LoopCount(value=-1)),
        r"loop count: value must be a non-negative integer, got -1",
    ),
    "negative loop coefficient": (
        lambda: LoopCount(value=9, coefficient=-1, power=1),
        r"loop count: coefficient must be a non-negative integer, got -1",
    ),
}


@pytest.mark.parametrize("case", CONSTRUCTION_ERRORS.values(), ids=CONSTRUCTION_ERRORS.keys())
def test_construction_errors_name_the_part(case):
    build, message = case
    with pytest.raises(ModelError, match=message):
        build()


def test_a_valid_model_builds():
    built = model(block=[Layer(ffns=[ffn()])], suffix=[Layer([head("h2")])], scratch=["y"])
    assert built.width == 3
    assert built.kinds == ("BOS", "a", "b", "PAD")


def test_symbols_outside_the_alphabet_are_input_errors():
    with pytest.raises(InputError, match=r"symbol 'c' at input position 3 is not in the alphabet \{a, b\}"):
        run(model(), "abca")


# ---------------------------------------------------------------------------------------------------
# r(n), t(n), N and the layer count, by hand.


@pytest.mark.parametrize(
    ("loops", "table"),
    [
        (LoopCount(value=4), {0: 4, 1: 4, 2: 4, 1000: 4}),
        (
            LoopCount(value=0, coefficient=1, power=1),
            {0: 0, 1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 8: 3, 9: 4, 1024: 10},
        ),
        (LoopCount(value=1, coefficient=3, power=2), {1: 1, 2: 4, 3: 13, 4: 13, 5: 28, 16: 49, 17: 76}),
        # Beyond float precision: log2(2^60 + 1) rounds to 60.0, yet ceil(log2 n) is 61.
        (LoopCount(value=0, coefficient=1, power=1), {2**60: 60, 2**60 + 1: 61, 2**200 + 1: 201}),
    ],
)
def test_loop_count_by_hand(loops, table):
    assert {n: loops(n) for n in table} == table


def test_loop_count_documented_forms():
    """As documented: LoopCount(value=r) is r, LoopCount(coefficient=c, power=d) is c * ceil(log2 n)^d
    (no constant term), LoopCount() is 1."""
    assert [LoopCount(coefficient=1, power=1)(n) for n in (1, 2, 3, 4, 5, 9)] == [0, 1, 2, 2, 3, 4]
    assert [LoopCount(coefficient=2, power=2)(n) for n in (1, 2, 3, 5)] == [0, 2, 8, 18]
    assert [LoopCount()(n) for n in (1, 100)] == [1, 1]
    assert LoopCount(value=5)(10**9) == 5


def test_loop_count_descriptions():
    assert LoopCount(value=3).describe() == "3"
    assert LoopCount(value=0, coefficient=2, power=1).describe() == "2*ceil(log2 n)^1"
    assert LoopCount(value=1, coefficient=1, power=2, fixed=True).describe() == "1 + 1*ceil(log2 n)^2 (fixed)"


@pytest.mark.parametrize(
    ("coefficients", "table"),
    [
        ((), {0: 0, 5: 0}),
        ((3,), {0: 3, 7: 3}),
        ((0, 1), {0: 0, 4: 4}),
        ((1, 0, 2), {0: 1, 1: 3, 3: 19, 10: 201}),
    ],
)
def test_padding_by_hand(coefficients, table):
    assert {n: Padding(coefficients)(n) for n in table} == table


def test_sequence_length_tokens_and_layer_count():
    built = model(
        padding=Padding([1, 1]),
        extra_kinds=["END"],
        tail=["END"],
        block=[Layer(ffns=[ffn("f1")]), Layer(ffns=[ffn("f2")])],
        suffix=[Layer(ffns=[ffn("f3")])],
        loops=LoopCount(value=1, coefficient=1, power=1),
    )
    # n = 3: 1 BOS + 3 input + t(3) = 4 PAD + 1 tail = 9; layers 1 + 2 * (1 + 2) + 1 = 8.
    assert built.sequence_length(3) == 9
    assert built.tokens("aba") == ["BOS", "a", "b", "a", "PAD", "PAD", "PAD", "PAD", "END"]
    assert built.layer_count(3) == 8
    trace = run(built, "aba")
    assert trace.positions == 9
    assert trace.layers_run == 8
    assert trace.loops == 3


# ---------------------------------------------------------------------------------------------------
# JSON round trip.


@st.composite
def rich_models(draw) -> tuple[Model, str]:
    """A random model plus the parts the simulation strategy leaves out: arbitrary exact rationals,
    an extra token kind in the tail, output taps, scratch cells, metadata."""
    base, word = draw(models())
    label = st.sampled_from(base.labels)
    embedding = {kind: dict(row) for kind, row in base.embedding.items()}
    # Exact rationals well beyond int64 (but small enough for norms to be factored quickly).
    rationals = st.fractions(min_value=-(10**12), max_value=10**12, max_denominator=10**12)
    embedding["END"] = {draw(label): draw(rationals)}
    embedding.setdefault("BOS", {})[draw(label)] = draw(rationals)
    changed = dataclasses.replace(
        base,
        embedding=embedding,
        extra_kinds=("END",),
        tail=("END",) * draw(st.integers(0, 1)),
        outputs=[
            OutputTap(f"out{k}", draw(st.integers(-2, 0)), draw(label))
            for k in range(draw(st.integers(0, 2)))
        ],
        scratch=draw(st.lists(label, unique=True, max_size=2)),
        name=draw(st.text(min_size=1, max_size=8)),
        metadata={"note": draw(st.text(max_size=10)), "depth": draw(st.integers(0, 9))},
    )
    return changed, word


def outcome(built: Model, word: str):
    try:
        trace = run(built, word)
    except SimulationError as err:
        return str(err)
    return (
        trace.symbol,
        trace.outputs,
        {key: ties.as_lists() for key, ties in trace.ties.items()},
        [trace.column(label) for label in built.labels],
    )


@given(rich_models())
def test_json_round_trip_is_exact(case):
    built, word = case
    text = dumps(built)
    again = loads(text)
    assert again == built
    assert dumps(again) == text
    assert outcome(again, word) == outcome(built, word)


def test_explicit_zeros_do_not_change_the_model():
    assert model(embedding={"a": {"x": 1, "-x": -1, "y": 0}, "b": {"y": "0/5"}}) == model(
        embedding={"a": {"x": 1, "-x": -1}, "b": {}}
    )


@pytest.mark.parametrize("build", [majority_model, count_hash_retrieve_model])
def test_save_and_load_a_file(tmp_path, build):
    built = build()
    path = tmp_path / "model.json"
    save(built, path)
    assert load(path) == built
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "expressivity-model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left behind
    for word in ["", "1", "0110", "11101"]:
        assert outcome(load(path), word) == outcome(built, word)


def test_rationals_are_stored_as_strings(tmp_path):
    built = model(embedding={"a": {"x": Fraction(-7, 3), "-x": 10**30}})
    data = json.loads(dumps(built))
    assert data["embedding"]["a"] == {"x": "-7/3", "-x": str(10**30)}


# ---------------------------------------------------------------------------------------------------
# Bad files: ModelFileError naming the place.


def good() -> dict:
    return json.loads(dumps(majority_model()))


def edited(change) -> str:
    data = good()
    change(data)
    return json.dumps(data, indent=1)


def set_query_entry(data):
    data["stages"][0]["layers"][0]["heads"][0]["query"][0] = {"x": "abc"}


BAD_FILES = {
    "wrong format": (
        edited(lambda d: d.update(format="onnx")),
        r"m\.json:2:12: /format: expected 'expressivity-model', got 'onnx'",
    ),
    "wrong version": (
        edited(lambda d: d.update(version=4)),
        r"m\.json:3:13: /version: this program reads versions 1, 2 and 3 \(an integer\), got 4",
    ),
    "missing version": (edited(lambda d: d.pop("version")), r"m\.json: /version: .*got no 'version' key"),
    "top level not an object": ("[1, 2]", r"m\.json:1:1: /: expected a JSON object"),
    "missing top-level field": (edited(lambda d: d.pop("labels")), r"m\.json:1:1: /: missing key 'labels'"),
    "missing nested field": (
        edited(lambda d: d["stages"][0]["layers"][0]["heads"][0].pop("query")),
        r"m\.json:\d+:\d+: /stages/0/layers/0/heads/0: missing key 'query'",
    ),
    "wrong type": (edited(lambda d: d.update(labels="x")), r"m\.json:\d+:12: /labels: expected a list"),
    "wrong type nested": (
        edited(lambda d: d["stages"][0]["layers"][0]["ffns"][0].update(writes="vote")),
        r"m\.json:\d+:\d+: /stages/0/layers/0/ffns/0/writes: expected a list",
    ),
    "non-rational string": (
        edited(set_query_entry),
        r"m\.json:\d+:\d+: /stages/0/layers/0/heads/0/query/0/x: expected an exact rational.*, got 'abc'",
    ),
    "float weight": (
        edited(lambda d: d["embedding"]["BOS"].update(const=0.1)),
        r"m\.json:\d+:\d+: /embedding/BOS/const: expected an exact rational.*, got 0\.1",
    ),
    "unknown label": (
        edited(lambda d: d["stages"][0]["layers"][0]["ffns"][0].update(writes=["ballot"])),
        r"m\.json: prefix layer 0 ffn 'sign': writes unknown coordinate 'ballot'",
    ),
    "padding not integers": (
        edited(lambda d: d.update(padding=["n"])),
        r"m\.json:\d+:\d+: /padding/0: expected a non-negative integer, got 'n'",
    ),
    "loop count not an integer": (
        edited(lambda d: d["stages"][1]["loops"].update(value="2")),
        r"m\.json:\d+:\d+: /stages/1/loops/value: expected a non-negative integer, got '2'",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_name_the_place(tmp_path, case):
    text, message = case
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{\n  "format": "expressivity-model",\n  "version": 1,\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"m\.json:4:3: invalid JSON"):
        load(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(ModelFileError, match=r"absent\.json: cannot read"):
        load(tmp_path / "absent.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ModelFileError, match=r"binary\.json: not a UTF-8 text file"):
        load(binary)


# ---------------------------------------------------------------------------------------------------
# A failed save leaves no file (and never a half-written one).


def test_failed_save_leaves_no_file(tmp_path):
    unserialisable = dataclasses.replace(majority_model(), metadata={"callback": print})
    path = tmp_path / "m.json"
    with pytest.raises(TypeError):
        save(unserialisable, path)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    save(majority_model(), path)
    before = path.read_bytes()

    def refuse(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        save(count_hash_retrieve_model(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_save_onto_a_directory_fails_cleanly(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(OSError):
        save(majority_model(), target)
    assert target.is_dir() and list(target.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_saved_text_is_stable(tmp_path):
    """Saving twice gives the same bytes (a model file can live under version control)."""
    first, second = Path(tmp_path / "a.json"), Path(tmp_path / "b.json")
    save(count_hash_retrieve_model(), first)
    save(load(first), second)
    assert first.read_bytes() == second.read_bytes()


def test_loop_count_read_from_a_file_without_a_constant():
    data = good()
    data["stages"][1]["loops"] = {"value": 0, "coefficient": 1, "power": 1, "fixed": False}
    assert loads(json.dumps(data)).loops(9) == 4  # ceil(log2 9), no constant term


def test_output_taps_read_the_named_cell():
    built = dataclasses.replace(
        majority_model(), outputs=[OutputTap("last", -1, "vote"), OutputTap("bos", 0, "vote")]
    )
    # vote = sqrt 2 > 1/2 at the last position exactly when the 1s are a strict majority; BOS votes 0.
    assert run(built, "110").outputs == {"last": 1, "bos": 0}
    assert run(built, "100").outputs == {"last": 0, "bos": 0}


@pytest.mark.parametrize("position", [4, -5])
def test_output_tap_outside_the_run(position):
    built = dataclasses.replace(majority_model(), outputs=[OutputTap("late", position, "vote")])
    with pytest.raises(
        SimulationError, match=rf"output 'late' reads position {position}, but the run has 4 positions"
    ):
        run(built, "110")


@given(st.integers(0, 10**6), st.integers(1, 4))
def test_size_is_the_integer_root_of_the_length(length, root):
    size = Model(alphabet="01", labels=["c"], embedding={}, size_root=root).size(length)
    assert size**root <= length < (size + 1) ** root


def test_padding_and_loops_are_polynomials_in_the_size(tmp_path):
    model = Model(
        alphabet="01",
        labels=["c"],
        embedding={},
        padding=Padding([0, 0, 0, 1]),
        loops=LoopCount(coefficient=1, power=1),
        size_root=2,
    )
    # a graph on 3 vertices given by 3^2 + 3 = 12 symbols: size 3, padding 27, ceil(log2 3) = 2 loops
    assert model.tokens("0" * 12).count("PAD") == 27
    assert model.layer_count(12) == 0 and model.loops(model.size(12)) == 2
    save(model, tmp_path / "m.json")
    assert load(tmp_path / "m.json").size_root == 2
    with pytest.raises(ModelError, match="size_root"):
        Model(alphabet="01", labels=["c"], embedding={}, size_root=0)
