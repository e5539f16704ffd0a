"""Fuzzing the model-file loader (issue 12): a file written by `dumps` loads to an equal model; any of the
mutations below makes it raise ModelFileError, one line with a location (file:line:col or a JSON
pointer), within a time and memory bound per case (tests/fuzz_bounds.py).

Mutations, at a random place of a random model's file: a key of a fixed-shape object (the model, a
layer, head, FFN, view, loop count, output tap, input format) deleted or renamed; any value outside the
free-form parts (metadata, and the label keys of embedding and sparse rows) replaced by one of another
JSON type; a value wrapped in more brackets than the format nests; an integer or a rational made
thousands of digits long or a float-ish string; the text cut short.
The two schema validators (fastjsonschema decides, jsonschema locates) must agree on every mutated file.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fuzz_bounds import within_bounds
from hypothesis import given, settings
from hypothesis import strategies as st

from expressivity.model_file_checks import MAX_DEPTH, _fast_validator, _reference_validator
from expressivity.serialize import ModelFileError, dumps, loads
from expressivity.strategies import models

CASE = settings(max_examples=60)
LOCATED = re.compile(r"^fuzz\.json(:\d+:\d+)?: (/\S*: )?\S")
FREE_FORM = {"metadata", "embedding"}
SPARSE = {"query", "key", "value", "w1", "w2", "unembedding"}
OTHER_TYPES = [None, True, 3, -1, 0.5, "x", [], {}, ["x"], {"x": "1"}]


def fixed_objects(value: Any, path: list) -> list[list]:
    """Paths of the objects whose keys the format fixes (module docstring)."""
    found: list[list] = []
    if isinstance(value, dict):
        found.append(path)
        for key, item in value.items():
            if key not in FREE_FORM and not (key in SPARSE and isinstance(item, list)):  # label keys: data
                found += fixed_objects(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += fixed_objects(item, [*path, index])
    return found


def values(value: Any, path: list) -> list[list]:
    """Paths of every value outside the free-form parts (the whole file excluded)."""
    found: list[list] = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FREE_FORM:
                continue
            if key in SPARSE and isinstance(item, list):
                found.append([*path, key])
                rows = [([*path, key, r], row) for r, row in enumerate(item)]
                found += [p for p, _ in rows]
                found += [[*p, label] for p, row in rows for label in row]
            else:
                found += values(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += values(item, [*path, index])
    return found


def leaves(value: Any, path: list) -> list[list]:
    """Paths of every string or number outside metadata (the random models' only digit-strings are
    their rationals: labels are c0, c1, ...)."""
    if isinstance(value, dict):
        return [p for key, item in value.items() if key != "metadata" for p in leaves(item, [*path, key])]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in leaves(item, [*path, index])]
    return [path]


def at(data: Any, path: list) -> Any:
    for part in path:
        data = data[part]
    return data


def replace(data: Any, path: list, new: Any) -> None:
    at(data, path[:-1])[path[-1]] = new


def type_of(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, bool) else "bool"


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    """(kind of mutation, mutated file text) of a random model's file."""
    model, _ = draw(models())
    text = dumps(model)
    data = json.loads(text)
    kind = draw(st.sampled_from(["delete", "rename", "type", "nest", "huge", "truncate"]))
    if kind in ("delete", "rename"):
        path = draw(st.sampled_from(fixed_objects(data, [])))
        target = at(data, path)
        key = draw(st.sampled_from(sorted(target)))
        value = target.pop(key)
        if kind == "rename":
            target[key + draw(st.sampled_from(["s", "_", "X"]))] = value
    elif kind == "type":
        path = draw(st.sampled_from(values(data, [])))
        old = at(data, path)
        new = draw(st.sampled_from([v for v in OTHER_TYPES if type_of(v) != type_of(old)]))
        replace(data, path, new)
    elif kind == "nest":
        path = draw(st.sampled_from(values(data, [])))
        wrapped = at(data, path)
        for _ in range(MAX_DEPTH + draw(st.integers(0, 100))):
            wrapped = [wrapped]
        replace(data, path, wrapped)
    elif kind == "huge":
        digits = "9" * draw(st.integers(4301, 6000))
        integers = [p for p in values(data, []) if type(at(data, p)) is int]
        rationals = [p for p in leaves(data, []) if re.fullmatch(r"-?[0-9]+(/[0-9]+)?", str(at(data, p)))]
        rationals = [p for p in rationals if isinstance(at(data, p), str)]
        path = draw(st.sampled_from(integers + rationals))
        if path in integers:
            replace(data, path, "HUGE")
            return kind, json.dumps(data, indent=1).replace('"HUGE"', digits)
        replace(data, path, draw(st.sampled_from([f"1/{digits}", digits, "1e-60", "0.5", "1/0", " 1"])))
    else:
        return kind, text[: draw(st.integers(0, len(text) - 1))]
    return kind, json.dumps(data, indent=1)


@CASE
@given(case=models())
def test_written_files_load_to_an_equal_model(case):
    model, _ = case
    assert loads(dumps(model), "fuzz.json") == model


@CASE
@given(case=mutated())
def test_mutated_files_are_refused_with_a_location(case):
    kind, text = case
    with pytest.raises(ModelFileError) as refused, within_bounds(seconds=30, megabytes=512):
        loads(text, "fuzz.json")
    message = str(refused.value)
    assert "\n" not in message and LOCATED.match(message), (kind, message)


@CASE
@given(case=mutated())
def test_the_two_validators_agree(case):
    _, text = case
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return  # not JSON, or too deep for json itself: the loader refuses it before any schema
    from fastjsonschema import JsonSchemaValueException

    try:
        _fast_validator()(data)
        fast = True
    except JsonSchemaValueException:
        fast = False
    reference = next(iter(_reference_validator().iter_errors(data)), None) is None
    assert fast == reference
