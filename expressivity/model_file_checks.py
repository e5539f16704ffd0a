"""The checks a model file's text and JSON pass before a `Model` is built (docs/model-file.md).

In order:
1. the nesting of the raw text, before JSON parsing (which recurses once per level): at most MAX_DEPTH
   arrays and objects, found by counting brackets outside strings;
2. JSON itself, with no key repeated within one object (json would keep the last silently) and no
   integer of more than MAX_DIGITS digits (Python refuses to convert longer ones: the conversion is
   quadratic); rational strings have the same limit in the schema;
3. the published JSON Schema (draft-07), `expressivity/data/model.schema.json`: every key present, no
   unknown key, every value of its type (rationals are strings "p" or "p/q"; the version an integer, not
   true). fastjsonschema decides (it compiles the schema to Python: 1.1 s for the 9 MB c6288 file in
   one measurement, where jsonschema took 18.6 s); when it refuses, jsonschema, the reference
   implementation, finds the error again with its exact JSON path.

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

import numpy as np

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects a model file may have (the compilers' files nest 8 deep)."""
MAX_DIGITS = 4300
"""The most digits of an integer, or of a rational's numerator or denominator (Python's default limit
for converting between int and str)."""

SCHEMA_FILE = "model.schema.json"
Path_ = Sequence[str | int]


class ModelFileError(ValueError):
    """A model file that cannot be read: bad JSON, wrong format or version, or an inconsistent model."""


# A JSON string (closed or running to the end of the text), one bracket, or a scalar token.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"?'
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
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
    # Fast: drop escapes, keep only quotes and brackets (bytes.translate), then count with numpy.
    structure = _ESCAPE.sub("", text).encode().translate(None, _NOT_STRUCTURE)
    if _deepest(structure) <= MAX_DEPTH:
        return
    depth = 0  # too deep: scan again, slowly, for the place
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


def _deepest(structure: bytes) -> int:
    """The deepest nesting of brackets outside strings in a text of quotes and brackets only (escapes
    already removed, so every quote opens or closes a string)."""
    codes = np.frombuffer(structure, dtype=np.uint8)
    outside = np.cumsum(codes == ord('"')) % 2 == 0
    step = (
        (codes == ord("[")).astype(np.int64) + (codes == ord("{")) - (codes == ord("]")) - (codes == ord("}"))
    )
    return int(np.cumsum(step * outside).max(initial=0))


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class _TooLong(Exception):
    pass


def _integer(digits: str) -> int:
    """A JSON integer, refused past MAX_DIGITS digits (int() of a longer one is a ValueError anyway)."""
    if len(digits) - digits.startswith("-") > MAX_DIGITS:
        raise _TooLong
    return int(digits)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        raise _Duplicate(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return found


def parse(text: str, source: str) -> Any:
    """The JSON value of `text` (after `check_text`), refusing repeated keys."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_integer)
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{source}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    except _TooLong:
        run = _LONG_DIGITS.search(text)
        offset = None if run is None else run.start()
        raise fail(
            source,
            text,
            offset,
            None,
            f"a number of more than {MAX_DIGITS} digits (the most a file may have)",
        ) from None
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
def _fast_validator() -> Any:
    import fastjsonschema

    return fastjsonschema.compile(schema())


@cache
def _reference_validator() -> Any:
    from jsonschema import Draft7Validator

    return Draft7Validator(schema())


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
        closed = spec.get("additionalProperties") is False
        unknown = [key for key in instance if closed and key not in spec.get("properties", {})]
        misspelt = f" (and an unknown key {unknown[0]!r}: misspelt?)" if unknown else ""
        return path, f"missing key {missing[0]!r}{misspelt}"
    if kind == "additionalProperties":
        known = set(spec.get("properties", {}))
        extra = sorted(key for key in instance if key not in known)
        expected = ", ".join(sorted(known))
        return [*path, extra[0]], f"unknown key {extra[0]!r} (the keys here are {expected})"
    if kind == "not":  # a key that this file's version does not have; the schema says why
        return path, spec.get("description", "this key is not allowed here")
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


def _resolve(parts: list[str], data: Any) -> list[str | int] | None:
    """fastjsonschema's path (strings, split at dots and brackets) as a JSON path, if it names a value."""
    path: list[str | int] = []
    for part in parts:
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            path.append(int(part))
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            path.append(part)
            data = data[part]
        else:
            return None
    return path


def check_schema(data: Any, text: str, source: str) -> None:
    """Refuse `data` (parsed from `text`) unless it matches the published schema."""
    from fastjsonschema import JsonSchemaValueException

    try:
        _fast_validator()(data)
        return
    except JsonSchemaValueException as refusal:
        error = next(iter(_reference_validator().iter_errors(data)), None)
        if error is None:  # the validators disagree (a pattern matched before a final newline, say)
            path = _resolve(refusal.path[1:], data)
            described = (refusal.definition or {}).get("description")
            what = f"expected {described}, got {_short(refusal.value)}" if described else refusal.message
            offset = None if path is None else locate(text, path)
            raise fail(source, text, offset, path, what[:300]) from None
    path, what = _explain(error)
    offset = locate(text, path)
    if offset is None:  # an unknown key's value is located; a missing key is shown at its object
        offset = locate(text, path[:-1])
    raise fail(source, text, offset, path, what)
