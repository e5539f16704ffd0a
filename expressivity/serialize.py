"""Model files: JSON with exact rationals as "p/q" strings, a format name and a version. Never pickle.

Matrices are stored sparsely, one {column label: "p/q"} object per row (hidden units of an FFN are
labelled h0, h1, ...), so a file reads like the model. Loading validates everything (the model's own
constructor does the consistency checks) and reports errors as `path: where: what`; saving writes a
temporary file and renames it, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from expressivity.files import write_atomic
from expressivity.model import FFN, Head, Layer, LoopCount, Model, ModelError, OutputTap, Padding, View

FORMAT = "expressivity-model"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be read: bad JSON, wrong format or version, or an inconsistent model."""


def _rational(x: Fraction) -> str:
    return str(x)


def _sparse(matrix: Sequence[Sequence[Fraction]], columns: Sequence[str]) -> list[dict[str, str]]:
    return [{c: _rational(x) for c, x in zip(columns, row, strict=True) if x} for row in matrix]


def _view(view: View) -> dict[str, Any]:
    return {"groups": [list(g) for g in view.groups], "norm": view.norm}


def _layer(layer: Layer) -> dict[str, Any]:
    heads = []
    for head in layer.heads:
        cols = head.view.columns
        heads.append(
            {
                "name": head.name,
                "mask": head.mask,
                "view": _view(head.view),
                "query": _sparse(head.query, cols),
                "key": _sparse(head.key, cols),
                "value": _sparse(head.value, cols),
                "writes": list(head.writes),
            }
        )
    ffns = []
    for ffn in layer.ffns:
        hidden = [f"h{k}" for k in range(len(ffn.w1))]
        ffns.append(
            {
                "name": ffn.name,
                "view": _view(ffn.view),
                "w1": _sparse(ffn.w1, ffn.view.columns),
                "b1": [_rational(b) for b in ffn.b1],
                "w2": _sparse(ffn.w2, hidden),
                "b2": [_rational(b) for b in ffn.b2],
                "writes": list(ffn.writes),
            }
        )
    return {"heads": heads, "ffns": ffns}


def model_to_dict(model: Model) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": model.name,
        "alphabet": list(model.alphabet),
        "extra_kinds": list(model.extra_kinds),
        "tail": list(model.tail),
        "labels": list(model.labels),
        "embedding": {
            k: {label: _rational(v) for label, v in row.items() if v} for k, row in model.embedding.items()
        },
        "padding": list(model.padding.coefficients),
        "size_root": model.size_root,
        "loops": {
            "value": model.loops.value,
            "coefficient": model.loops.coefficient,
            "power": model.loops.power,
            "fixed": model.loops.fixed,
        },
        "prefix": [_layer(layer) for layer in model.prefix],
        "block": [_layer(layer) for layer in model.block],
        "suffix": [_layer(layer) for layer in model.suffix],
        "symbols": list(model.symbols),
        "unembedding": _sparse(model.unembedding, model.labels),
        "outputs": [{"name": t.name, "position": t.position, "label": t.label} for t in model.outputs],
        "scratch": list(model.scratch),
        "metadata": dict(model.metadata),
    }


def dumps(model: Model) -> str:
    return json.dumps(model_to_dict(model), indent=1, ensure_ascii=False)


def save(model: Model, path: str | Path) -> None:
    """Write `model` to `path` atomically (`files.write_atomic`: temporary file, fsync, rename)."""
    write_atomic(path, dumps(model))


class _Reader:
    """Reads the dict form, naming the JSON location of anything wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> ModelFileError:
        return ModelFileError(f"{self.source}: {where}: {what}")

    def field(
        self, data: dict, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...
    ) -> Any:
        if key not in data:
            if default is ...:
                raise self.fail(where or "top level", f"missing field {key!r}")
            return default
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise self.fail(f"{where}.{key}" if where else key, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def strings(self, data: dict, key: str, where: str, default: Any = ...) -> list[str]:
        values = self.field(data, key, list, where, default)
        for k, v in enumerate(values):
            if not isinstance(v, str):
                raise self.fail(
                    f"{where}.{key}[{k}]" if where else f"{key}[{k}]", f"expected a string, got {v!r}"
                )
        return values

    def rows(self, data: dict, key: str, where: str) -> list[dict[str, str]]:
        rows = self.field(data, key, list, where)
        for k, row in enumerate(rows):
            if not isinstance(row, dict):
                raise self.fail(f"{where}.{key}[{k}]", f'expected an object {{label: "p/q"}}, got {row!r}')
        return rows

    def objects(self, data: dict, key: str, where: str) -> list[tuple[str, dict]]:
        """The JSON objects in the (optional) list data[key], each with its location for messages."""
        found = []
        for k, item in enumerate(self.field(data, key, list, where, [])):
            at = f"{where}.{key}[{k}]" if where else f"{key}[{k}]"
            if not isinstance(item, dict):
                raise self.fail(at, f"expected an object, got {item!r}")
            found.append((at, item))
        return found

    def view(self, data: dict, where: str) -> View:
        view = self.field(data, "view", dict, where)
        groups = self.field(view, "groups", list, f"{where}.view")
        for k, g in enumerate(groups):
            if not isinstance(g, list) or not all(isinstance(x, str) for x in g):
                raise self.fail(f"{where}.view.groups[{k}]", "expected a list of labels")
        return View(groups, self.field(view, "norm", str, f"{where}.view", "layer"))

    def layer(self, data: Any, where: str) -> Layer:
        if not isinstance(data, dict):
            raise self.fail(where, f"expected an object, got {data!r}")
        heads = []
        for at, h in self.objects(data, "heads", where):
            heads.append(
                Head(
                    self.field(h, "name", str, at),
                    self.view(h, at),
                    query=self.rows(h, "query", at),
                    key=self.rows(h, "key", at),
                    value=self.rows(h, "value", at),
                    writes=self.strings(h, "writes", at),
                    mask=self.field(h, "mask", str, at, "causal"),
                )
            )
        ffns = []
        for at, f in self.objects(data, "ffns", where):
            ffns.append(
                FFN(
                    self.field(f, "name", str, at),
                    self.view(f, at),
                    w1=self.rows(f, "w1", at),
                    w2=self.rows(f, "w2", at),
                    writes=self.strings(f, "writes", at),
                    b1=self.field(f, "b1", list, at, None),
                    b2=self.field(f, "b2", list, at, None),
                )
            )
        return Layer(heads, ffns)

    def model(self, data: Any) -> Model:
        if not isinstance(data, dict):
            raise self.fail("top level", "expected a JSON object")
        if data.get("format") != FORMAT:
            raise self.fail("format", f"expected {FORMAT!r}, got {data.get('format')!r}")
        if data.get("version") != VERSION:
            raise self.fail("version", f"this program reads version {VERSION}, got {data.get('version')!r}")
        loops = self.field(data, "loops", dict, "", {})
        outputs = []
        for at, tap in self.objects(data, "outputs", ""):
            outputs.append(
                OutputTap(
                    self.field(tap, "name", str, at),
                    self.field(tap, "position", int, at),
                    self.field(tap, "label", str, at),
                )
            )
        embedding = self.field(data, "embedding", dict, "")
        for kind, row in embedding.items():
            if not isinstance(row, dict):
                raise self.fail(f"embedding.{kind}", 'expected an object {label: "p/q"}')
        return Model(
            alphabet=self.strings(data, "alphabet", ""),
            labels=self.strings(data, "labels", ""),
            embedding=embedding,
            prefix=[
                self.layer(x, f"prefix[{k}]") for k, x in enumerate(self.field(data, "prefix", list, "", []))
            ],
            block=[
                self.layer(x, f"block[{k}]") for k, x in enumerate(self.field(data, "block", list, "", []))
            ],
            suffix=[
                self.layer(x, f"suffix[{k}]") for k, x in enumerate(self.field(data, "suffix", list, "", []))
            ],
            loops=LoopCount(
                value=self.field(loops, "value", int, "loops", None),
                coefficient=self.field(loops, "coefficient", int, "loops", 0),
                power=self.field(loops, "power", int, "loops", 0),
                fixed=self.field(loops, "fixed", bool, "loops", False),
            ),
            padding=Padding(self.field(data, "padding", list, "", [])),
            size_root=self.field(data, "size_root", int, "", 1),
            symbols=self.strings(data, "symbols", "", ["reject", "accept"]),
            unembedding=self.rows(data, "unembedding", "") if "unembedding" in data else (),
            outputs=outputs,
            scratch=self.strings(data, "scratch", "", []),
            extra_kinds=self.strings(data, "extra_kinds", "", []),
            tail=self.strings(data, "tail", "", []),
            name=self.field(data, "name", str, "", "model"),
            metadata=self.field(data, "metadata", dict, "", {}),
        )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {list: "a list", dict: "an object", str: "a string", int: "an integer", bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def loads(text: str, source: str = "<string>") -> Model:
    """Parse a model file's text; raises ModelFileError (source:line:col for bad JSON)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{source}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    try:
        return _Reader(source).model(data)
    except (ModelError, TypeError, ValueError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(f"{source}: {err}") from None


def load(path: str | Path) -> Model:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ModelFileError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: not a UTF-8 text file") from None
    return loads(text, str(path))
