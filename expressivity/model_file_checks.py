"""The checks a model file's text and JSON pass before a `Model` is built (docs/model-file.md).

In order:
1. limits on the raw text, before JSON parsing (which recurses once per nesting level, and converts
   digits to int in quadratic time): nesting of at most MAX_DEPTH arrays and objects, and no run of more
   than MAX_DIGITS decimal digits anywhere (a number, a rational string, a label);
2. JSON itself, with no key repeated within one object (json would keep the last silently);
3. the published JSON Schema, `expressivity/data/model.schema.json`: every key present, no unknown key,
   every value of its type (rationals are strings "p" or "p/q"; the version an integer, not true).

Every refusal is a ModelFileError of one line, `source:line:col: /json/pointer: what`; the line and column
are found again in the text (`locate`) from the JSON pointer the check names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects a model file may have (a written model needs about 12)."""
MAX_DIGITS = 4300
"""The longest run of decimal digits allowed anywhere in a file (Python's default int/str limit)."""

SCHEMA_FILE = "model.schema.json"
Path_ = Sequence[str | int]


class ModelFileError(ValueError):
    """A model file that cannot be read: bad JSON, wrong format or version, or an inconsistent model."""


# A JSON string (closed or running to the end of the text), one bracket, or a scalar token.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"?'
_STRUCTURE = re.compile(rf"{_STRING}|[\[\]{{}}]", re.DOTALL)
_TOKEN = re.compile(rf'({_STRING})|([\[\]{{}}:,])|([^\s\[\]{{}}:,"]+)', re.DOTALL)
_LONG_DIGITS = re.compile(rf"[0-9]{{{MAX_DIGITS + 1},}}")


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of the character at `offset`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def pointer(path: Path_) -> str:
    """The JSON pointer (RFC 6901) of `path`; '' is the whole document."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def fail(source: str, text: str, offset: int | None, path: Path_ | None, what: str) -> ModelFileError:
    """The one-line error `source:line:col: /pointer: what` (parts left out when unknown)."""
    place = source if offset is None else "{}:{}:{}".format(source, *line_col(text, offset))
    where = "" if path is None else f" {pointer(path) or '/'}:"
    return ModelFileError(f"{place}:{where} {what}")


def check_text(text: str, source: str) -> None:
    """Limits on the raw text (module docstring, item 1), checked without parsing."""
    digits = _LONG_DIGITS.search(text)
    if digits:
        raise fail(
            source,
            text,
            digits.start(),
            None,
            f"a run of {digits.end() - digits.start()} digits; numbers in a model file have at most "
            f"{MAX_DIGITS} digits",
        )
    depth = 0
    for match in _STRUCTURE.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise fail(
                    source,
                    text,
                    match.start(),
                    None,
                    f"arrays and objects nested more than {MAX_DEPTH} deep; a model file nests at most "
                    f"{MAX_DEPTH}",
                )
        elif bracket in "]}":
            depth -= 1


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        raise _Duplicate(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return found


def parse(text: str, source: str) -> Any:
    """The JSON value of `text` (after `check_text`), refusing repeated keys."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{source}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    except _Duplicate as err:
        path, offset = _first_duplicate(text)
        raise fail(source, text, offset, path, f"the key {err.key!r} appears twice in one object") from None


def _events(text: str) -> Iterator[tuple[str, list[str | int], int]]:
    """("value" | "key", path, offset) for every value and key of a valid JSON text, in order."""
    frames: list[list[Any]] = []  # [kind "{" or "[", current key or index]
    expect_key = False
    for match in _TOKEN.finditer(text):
        token, offset = match.group(), match.start()
        if token in ":":
            continue
        if token == ",":
            frame = frames[-1]
            if frame[0] == "[":
                frame[1] += 1
            else:
                expect_key = True
            continue
        if token in "]}":
            frames.pop()
            expect_key = False
            continue
        if expect_key:
            frames[-1][1] = json.loads(token)
            expect_key = False
            yield "key", [frame[1] for frame in frames], offset
            continue
        yield "value", [frame[1] for frame in frames], offset
        if token == "{":
            frames.append(["{", None])
            expect_key = True
        elif token == "[":
            frames.append(["[", 0])


def locate(text: str, path: Path_) -> int | None:
    """The offset of the value at `path` in the JSON `text`, or None if it is not there."""
    wanted = list(path)
    for kind, at, offset in _events(text):
        if kind == "value" and at == wanted:
            return offset
    return None


def _first_duplicate(text: str) -> tuple[list[str | int], int]:
    """The path and offset of the first key that repeats a key of its object."""
    seen: dict[tuple, set[str]] = {}
    for kind, at, offset in _events(text):
        if kind == "key":
            keys = seen.setdefault(tuple(at[:-1]), set())
            if at[-1] in keys:
                return at, offset
            keys.add(at[-1])
        elif kind == "value":
            # a value that opens an object starts a fresh key set at its path
            seen.pop(tuple(at), None)
    raise AssertionError("json reported a repeated key that the scan did not find")


@cache
def schema() -> dict[str, Any]:
    """The published schema of model files (expressivity/data/model.schema.json)."""
    return json.loads(resources.files("expressivity").joinpath("data", SCHEMA_FILE).read_text("utf-8"))


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def _short(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _explain(error: Any) -> tuple[list[str | int], str]:
    """The path and message of one jsonschema error, in our own words (the library's messages quote
    the whole instance, which can be megabytes)."""
    path = list(error.absolute_path)
    kind, spec, instance = error.validator, error.schema, error.instance
    if kind == "required":
        missing = [key for key in error.validator_value if key not in instance]
        return path, f"missing key {missing[0]!r}"
    if kind == "additionalProperties":
        known = set(spec.get("properties", {}))
        extra = sorted(key for key in instance if key not in known)
        expected = ", ".join(sorted(known))
        return [*path, extra[0]], f"unknown key {extra[0]!r} (the keys here are {expected})"
    if kind == "not":
        return path, "the key 'input_format' is only in files of version 2 on"
    described = spec.get("description")
    if described:
        return path, f"expected {described}, got {_short(instance)}"
    names = {
        "object": "an object",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "boolean": "true or false",
    }
    if kind == "type":
        return (
            path,
            f"expected {names.get(error.validator_value, error.validator_value)}, got {_short(instance)}",
        )
    return path, f"{kind} {_short(error.validator_value)} not met by {_short(instance)}"


def check_schema(data: Any, text: str, source: str) -> None:
    """Refuse `data` (parsed from `text`) unless it matches the published schema."""
    error = next(iter(_validator().iter_errors(data)), None)
    if error is None:
        return
    path, what = _explain(error)
    offset = locate(text, path)
    if offset is None:  # an unknown key's value is located; a missing key is shown at its object
        offset = locate(text, path[:-1])
    raise fail(source, text, offset, path, what)
