"""Model files: JSON with exact rationals as "p/q" strings, a format name and a version. Never pickle.

The format is docs/model-file.md, published as the JSON Schema expressivity/data/model.schema.json.
Matrices are stored sparsely, one {column label: "p/q"} object per row (hidden units of an FFN are
labelled h0, h1, ...), so a file reads like the model. Loading is strict: the text's limits, JSON, the
schema (every key, no unknown key, every type: `model_file_checks`), then one reader per section builds
the parts and the model's own constructors check consistency. Every error is one line,
`file:line:col: /json/pointer: what`. Saving writes a temporary file and renames it, so a failure leaves
nothing half-written.

Versions: 3 (written) replaces the keys prefix, block, suffix and loops by `stages` (each with its name,
loop count, timestep groups and layers); 2 adds the key `input_format` to 1; a version-1 file is read
with the input format its route implies (`route_input_format`), the format that route's compiler now
sets. Versions 1 and 2 load as the three-stage form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from expressivity import inputs
from expressivity.files import write_atomic
from expressivity.inputs import InputFormat
from expressivity.model import (
    FFN,
    Head,
    Layer,
    LoopCount,
    Model,
    ModelError,
    OutputTap,
    Padding,
    Stage,
    Timestep,
    View,
)
from expressivity.model_file_checks import ModelFileError, check_schema, check_text, fail, locate, parse

FORMAT = "expressivity-model"
VERSION = 3
READS = (1, 2, 3)
"""The versions this program reads."""
READABLE = "1, 2 and 3"
RATIONAL = re.compile(r"-?[0-9]{1,4300}(?:/0*[1-9][0-9]{0,4299})?")
"""A rational in a file: an integer "p" or "p/q" with q > 0, in ASCII decimal digits, at most 4300 each
(the schema's pattern, matched in full here: a JSON Schema pattern may match before a final newline)."""

__all__ = ["FORMAT", "VERSION", "ModelFileError", "dumps", "load", "loads", "model_to_dict", "save"]


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


def _loops(loops: LoopCount) -> dict[str, Any]:
    return {
        "value": loops.value,
        "coefficient": loops.coefficient,
        "power": loops.power,
        "fixed": loops.fixed,
    }


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
        "stages": [
            {
                "name": stage.name,
                "loops": _loops(stage.loops),
                "timestep": [{"encoding": t.encoding, "labels": list(t.labels)} for t in stage.timestep],
                "layers": [_layer(layer) for layer in stage.layers],
            }
            for stage in model.stages
        ],
        "symbols": list(model.symbols),
        "unembedding": _sparse(model.unembedding, model.labels),
        "outputs": [{"name": t.name, "position": t.position, "label": t.label} for t in model.outputs],
        "scratch": list(model.scratch),
        "metadata": dict(model.metadata),
        "input_format": model.input_format.to_json(),
    }


def dumps(model: Model) -> str:
    return json.dumps(model_to_dict(model), indent=1, ensure_ascii=False)


def save(model: Model, path: str | Path) -> None:
    """Write `model` to `path` atomically (`files.write_atomic`: temporary file, fsync, rename)."""
    write_atomic(path, dumps(model))


def route_input_format(metadata: dict[str, Any]) -> InputFormat | None:
    """The input format a route's compiler sets, from the metadata it stores; None for a route that reads
    any word (formulas, word programs) or no route at all."""
    route = metadata.get("route")
    if route == "circuit":
        return inputs.FixedLength(len(metadata["inputs"]))
    if route == "connectivity":
        from expressivity.compile.connectivity import MATRIX, RULER, SOURCE_SYMBOLS, TARGET_SYMBOLS

        return inputs.GraphWord(RULER, MATRIX, SOURCE_SYMBOLS, TARGET_SYMBOLS)
    if route == "program" and metadata["input"] == "graph":
        from expressivity.logic import GRAPH_MATRIX, GRAPH_RULER

        return inputs.GraphWord(GRAPH_RULER, GRAPH_MATRIX)
    return None


Path_ = list[str | int]


class _Reader:
    """Builds a Model from a file's JSON value once the schema has passed; one method per section, each
    given the JSON path of what it reads, so an inconsistency names its place."""

    def __init__(self, source: str, text: str) -> None:
        self.source, self.text = source, text
        self.rationals: dict[str, Fraction] = {}

    def fail(self, path: Path_, what: str) -> ModelFileError:
        return fail(self.source, self.text, locate(self.text, path), path, what)

    def rational(self, value: str, path: Path_) -> Fraction:
        known = self.rationals.get(value)  # a file repeats a few values (1, -1, 1/2) many times
        if known is None:
            if not RATIONAL.fullmatch(value):
                raise self.fail(path, f'expected an exact rational "p" or "p/q", got {value[:40]!r}')
            known = self.rationals[value] = Fraction(value)
        return known

    def row(self, row: dict[str, str], path: Path_) -> dict[str, Fraction]:
        return {label: self.rational(v, [*path, label]) for label, v in row.items()}

    def rows(self, rows: list[dict[str, str]], path: Path_) -> list[dict[str, Fraction]]:
        return [self.row(row, [*path, k]) for k, row in enumerate(rows)]

    def vector(self, values: list[str], path: Path_) -> list[Fraction]:
        return [self.rational(v, [*path, k]) for k, v in enumerate(values)]

    def part(self, build: Any, path: Path_ | None) -> Any:
        """build(), with a ModelError turned into a file error at `path` (None: the model as a whole,
        whose messages name the layer, head or label themselves)."""
        try:
            return build()
        except ModelError as err:
            if path is None:
                raise ModelFileError(f"{self.source}: {err}") from None
            raise self.fail(path, str(err)) from None

    def view(self, data: dict) -> View:
        return View(data["groups"], data["norm"])

    def head(self, data: dict, path: Path_) -> Head:
        query, key, value = (self.rows(data[m], [*path, m]) for m in ("query", "key", "value"))
        view = self.view(data["view"])
        return self.part(
            lambda: Head(data["name"], view, query, key, value, data["writes"], data["mask"]), path
        )

    def ffn(self, data: dict, path: Path_) -> FFN:
        w1, w2 = self.rows(data["w1"], [*path, "w1"]), self.rows(data["w2"], [*path, "w2"])
        b1, b2 = self.vector(data["b1"], [*path, "b1"]), self.vector(data["b2"], [*path, "b2"])
        view = self.view(data["view"])
        return self.part(lambda: FFN(data["name"], view, w1, w2, data["writes"], b1, b2), path)

    def layers(self, data: list[dict], path: Path_) -> list[Layer]:
        return [
            Layer(
                [self.head(h, [*path, k, "heads", j]) for j, h in enumerate(layer["heads"])],
                [self.ffn(f, [*path, k, "ffns", j]) for j, f in enumerate(layer["ffns"])],
            )
            for k, layer in enumerate(data)
        ]

    def loops(self, data: dict, path: Path_) -> LoopCount:
        return self.part(
            lambda: LoopCount(data["value"], data["coefficient"], data["power"], data["fixed"]), path
        )

    def stages(self, data: dict) -> list[Stage]:
        """Version 3: the listed stages. Versions 1 and 2: prefix (once), block (loops), suffix (once)."""
        if data["version"] < 3:
            return [
                Stage("prefix", self.layers(data["prefix"], ["prefix"])),
                Stage("block", self.layers(data["block"], ["block"]), self.loops(data["loops"], ["loops"])),
                Stage("suffix", self.layers(data["suffix"], ["suffix"])),
            ]
        stages = []
        for k, stage in enumerate(data["stages"]):
            path: Path_ = ["stages", k]
            layers = self.layers(stage["layers"], [*path, "layers"])
            loops = self.loops(stage["loops"], [*path, "loops"])
            timestep = [
                self.part(lambda t=t: Timestep(t["encoding"], t["labels"]), [*path, "timestep", j])
                for j, t in enumerate(stage["timestep"])
            ]
            name = stage["name"]
            stages.append(self.part(lambda n=name, s=layers, r=loops, t=timestep: Stage(n, s, r, t), path))
        return stages

    def embedding(self, data: dict[str, dict[str, str]]) -> dict[str, dict[str, Fraction]]:
        return {kind: self.row(row, ["embedding", kind]) for kind, row in data.items()}

    def input_format(self, data: dict) -> InputFormat:
        """The stored format (versions 2, 3) or the route's (version 1), which must agree with the route."""
        implied = route_input_format(data["metadata"])
        if data["version"] == 1:
            return implied or inputs.ANY_WORD
        stored = inputs.from_json(data["input_format"])
        inconsistency = stored.inconsistency(data["alphabet"], data["size_root"])
        if inconsistency is not None:
            raise self.fail(["input_format"], inconsistency)
        if implied is not None and stored != implied:
            route = data["metadata"]["route"]
            raise self.fail(
                ["input_format"],
                f"the {route} route reads {implied.describe()}; the file says {stored.describe()}",
            )
        return stored

    def model(self, data: dict) -> Model:
        stages = self.stages(data)
        unembedding = self.rows(data["unembedding"], ["unembedding"])
        outputs = [OutputTap(t["name"], t["position"], t["label"]) for t in data["outputs"]]
        return self.part(
            lambda: Model(
                alphabet=data["alphabet"],
                labels=data["labels"],
                embedding=self.embedding(data["embedding"]),
                stages=stages,
                padding=Padding(data["padding"]),
                symbols=data["symbols"],
                unembedding=unembedding,
                outputs=outputs,
                scratch=data["scratch"],
                extra_kinds=data["extra_kinds"],
                tail=data["tail"],
                name=data["name"],
                metadata=data["metadata"],
                size_root=data["size_root"],
                input_format=self.input_format(data),
            ),
            None,
        )


def _check_header(data: Any, text: str, source: str) -> None:
    """The format name and version, checked before the schema so that a file of another format or
    version says so rather than listing keys."""
    if not isinstance(data, dict):
        raise fail(source, text, locate(text, []), [], "expected a JSON object (a model file)")
    if data.get("format") != FORMAT:
        got = "no 'format' key" if "format" not in data else f"{data['format']!r}"[:60]
        raise fail(source, text, locate(text, ["format"]), ["format"], f"expected {FORMAT!r}, got {got}")
    version = data.get("version")
    if type(version) is not int or version not in READS:
        got = "no 'version' key" if "version" not in data else json.dumps(version)[:40]
        raise fail(
            source,
            text,
            locate(text, ["version"]),
            ["version"],
            f"this program reads versions {READABLE} (an integer), got {got}",
        )


def loads(text: str, source: str = "<string>") -> Model:
    """Parse a model file's text; raises ModelFileError, one line naming the place."""
    check_text(text, source)
    data = parse(text, source)
    _check_header(data, text, source)
    check_schema(data, text, source)
    return _Reader(source, text).model(data)


def load(path: str | Path) -> Model:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ModelFileError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: not a UTF-8 text file") from None
    return loads(text, str(path))
