"""Dense weight export: a model as `model.safetensors` (tensors) plus `config.json` (structure).

Every sublayer's matrices are written densely over the residual stream, columns in the order of
`model.labels`, so a user can multiply them with a residual vector directly:

- head: W_Q, W_K (score rows x width), W_V (value rows x width) and the write map W_O (width x value
  rows, a 0/1 matrix: delta = W_O (mean of W_V z over the tie set));
- FFN: W1 (hidden x width), b1, W2 (writes x hidden), b2 and the write map W_out (width x writes);
- `embedding` (token kinds x width, kinds in `config["kinds"]` order; `config["embedded_kinds"]` lists
  the kinds the model file names, a kind left out embeds as 0) and `unembedding` (symbols x width).

A sublayer reads z = the concatenation of N(h[G]) over its norm groups G, placed at the residual indices
of G's labels (0 elsewhere); the groups, norm, mask, loop counts, padding, alphabet and tail are in
config.json. The float64 tensors are for use; the exact values are stored beside them as int64
numerator/denominator tensors `NAME.num`, `NAME.den` when every entry fits, else as "p/q" strings in
`config["exact"][NAME]`. `load_export` rebuilds the `Model` from the exact values alone (and checks that
each float64 tensor is the rounding of its exact form), so the round trip is always equal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file
from safetensors.numpy import save as safetensors_bytes

from expressivity import inputs
from expressivity.files import write_atomic
from expressivity.model import FFN, Head, Layer, LoopCount, Model, OutputTap, Padding, Stage, Timestep, View

FORMAT = "expressivity-safetensors"
VERSION = 2  # 2: every stage is a section with its loop count and timestep cells; 1: prefix, block, suffix
READS = (1, 2)
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
INT64 = (-(2**63), 2**63 - 1)


class ExportError(ValueError):
    """An export directory that cannot be read back; the message names the file and the tensor."""


def _loops(loops: LoopCount) -> dict[str, Any]:
    return {
        "value": loops.value,
        "coefficient": loops.coefficient,
        "power": loops.power,
        "fixed": loops.fixed,
    }


class _Writer:
    """Collects float64 tensors, their exact forms, and the config entries that name them."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.index = {label: k for k, label in enumerate(labels)}
        self.width = len(labels)
        self.tensors: dict[str, np.ndarray] = {}
        self.exact: dict[str, list[list[str]]] = {}

    def add(self, name: str, rows: Sequence[Sequence[Fraction]], columns: int) -> None:
        """Store a rational matrix (rows x columns; a bias vector is stored as one row)."""
        values = [list(row) for row in rows]
        self.tensors[name] = np.array([[float(x) for x in row] for row in values], dtype=np.float64).reshape(
            len(values), columns
        )
        flat = [x for row in values for x in row]
        if all(INT64[0] <= x.numerator <= INT64[1] and x.denominator <= INT64[1] for x in flat):
            shape = (len(values), columns)
            self.tensors[f"{name}.num"] = np.array([x.numerator for x in flat], dtype=np.int64).reshape(shape)
            self.tensors[f"{name}.den"] = np.array([x.denominator for x in flat], dtype=np.int64).reshape(
                shape
            )
        else:
            self.exact[name] = [[str(x) for x in row] for row in values]

    def over_residual(self, name: str, rows: Sequence[Sequence[Fraction]], columns: Sequence[str]) -> None:
        """A matrix given over `columns` (a view's labels), written over the whole residual stream."""
        dense = [[Fraction(0)] * self.width for _ in rows]
        for r, row in enumerate(rows):
            for label, value in zip(columns, row, strict=True):
                dense[r][self.index[label]] = value
        self.add(name, dense, self.width)

    def write_map(self, name: str, writes: Sequence[str]) -> None:
        matrix = np.zeros((self.width, len(writes)), dtype=np.float64)
        for r, label in enumerate(writes):
            matrix[self.index[label], r] = 1.0
        self.tensors[name] = matrix

    def head(self, prefix: str, head: Head) -> dict[str, Any]:
        columns = head.view.columns
        self.over_residual(f"{prefix}.W_Q", head.query, columns)
        self.over_residual(f"{prefix}.W_K", head.key, columns)
        self.over_residual(f"{prefix}.W_V", head.value, columns)
        self.write_map(f"{prefix}.W_O", head.writes)
        return {
            "name": head.name,
            "tensors": prefix,
            "mask": head.mask,
            "norm": head.view.norm,
            "groups": [list(g) for g in head.view.groups],
            "writes": list(head.writes),
        }

    def ffn(self, prefix: str, ffn: FFN) -> dict[str, Any]:
        self.over_residual(f"{prefix}.W1", ffn.w1, ffn.view.columns)
        self.add(f"{prefix}.b1", [ffn.b1], len(ffn.b1))
        self.add(f"{prefix}.W2", ffn.w2, len(ffn.w1))
        self.add(f"{prefix}.b2", [ffn.b2], len(ffn.b2))
        self.write_map(f"{prefix}.W_out", ffn.writes)
        return {
            "name": ffn.name,
            "tensors": prefix,
            "norm": ffn.view.norm,
            "groups": [list(g) for g in ffn.view.groups],
            "writes": list(ffn.writes),
        }


def export_parts(model: Model) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(tensors, config) of `model`, as `export` writes them."""
    writer = _Writer(model.labels)
    zero = Fraction(0)
    embedding = [
        [model.embedding.get(kind, {}).get(label, zero) for label in model.labels] for kind in model.kinds
    ]
    writer.add("embedding", embedding, model.width)
    if model.unembedding:
        writer.add("unembedding", model.unembedding, model.width)
    sections = []
    for stage in model.stages:
        described = []
        for number, layer in enumerate(stage.layers):
            at = f"{stage.name}.layer{number}"
            described.append(
                {
                    "heads": [writer.head(f"{at}.head{k}", head) for k, head in enumerate(layer.heads)],
                    "ffns": [writer.ffn(f"{at}.ffn{k}", ffn) for k, ffn in enumerate(layer.ffns)],
                }
            )
        timestep = [{"encoding": t.encoding, "labels": list(t.labels)} for t in stage.timestep]
        sections.append(
            {"name": stage.name, "loop_count": _loops(stage.loops), "timestep": timestep, "layers": described}
        )
    config = {
        "format": FORMAT,
        "version": VERSION,
        "name": model.name,
        "alphabet": list(model.alphabet),
        "extra_kinds": list(model.extra_kinds),
        "kinds": list(model.kinds),
        "embedded_kinds": list(model.embedding),
        "tail": list(model.tail),
        "labels": list(model.labels),
        "symbols": list(model.symbols),
        "has_unembedding": bool(model.unembedding),
        "padding": list(model.padding.coefficients),
        "size_root": model.size_root,
        "input_format": model.input_format.to_json(),
        "sections": sections,
        "outputs": [{"name": t.name, "position": t.position, "label": t.label} for t in model.outputs],
        "scratch": list(model.scratch),
        "metadata": dict(model.metadata),
        "exact": writer.exact,
    }
    return writer.tensors, config


def export(model: Model, directory: str | Path) -> tuple[Path, Path]:
    """Write `directory/model.safetensors` and `directory/config.json` (created if missing). Both files
    are encoded in memory first and then written with `files.write_atomic` (temporary file, fsync,
    rename), so a failure leaves no half-written file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors, config = export_parts(model)
    weights = safetensors_bytes(tensors, metadata={"format": FORMAT, "version": str(VERSION)})
    settings = json.dumps(config, indent=1, ensure_ascii=False)
    return write_atomic(directory / WEIGHTS, weights), write_atomic(directory / CONFIG, settings)


class _Reader:
    """Rebuilds rational matrices from the exact parts, naming the tensor of anything wrong."""

    def __init__(self, tensors: dict[str, np.ndarray], config: dict[str, Any], source: str) -> None:
        self.tensors, self.config, self.source = tensors, config, source
        self.labels: list[str] = config["labels"]

    def fail(self, what: str) -> ExportError:
        return ExportError(f"{self.source}: {what}")

    def matrix(self, name: str) -> list[list[Fraction]]:
        if name in self.config["exact"]:
            values = [[Fraction(x) for x in row] for row in self.config["exact"][name]]
        else:
            for part in (name, f"{name}.num", f"{name}.den"):
                if part not in self.tensors:
                    raise self.fail(f"tensor {part!r} is missing")
            num, den = self.tensors[f"{name}.num"], self.tensors[f"{name}.den"]
            if np.any(den <= 0):
                raise self.fail(f"tensor {name!r}: a denominator is not positive")
            values = [
                [Fraction(int(p), int(q)) for p, q in zip(a, b, strict=True)]
                for a, b in zip(num, den, strict=True)
            ]
        floats = self.tensors.get(name)
        if floats is None or floats.ndim != 2 or floats.shape[0] != len(values):
            raise self.fail(f"tensor {name!r} is missing or is not a matrix of {len(values)} rows")
        if any(len(row) != floats.shape[1] for row in values):
            raise self.fail(f"tensor {name!r}: its exact form is not of shape {floats.shape}")
        expected = np.array([[float(x) for x in row] for row in values], dtype=np.float64).reshape(
            floats.shape
        )
        mismatch = np.argwhere(floats != expected)
        if mismatch.size:
            where = tuple(int(i) for i in mismatch[0])
            raise self.fail(f"tensor {name!r} at {where}: float64 value differs from its exact value")
        return values

    def over_view(self, name: str, columns: Sequence[str]) -> list[list[Fraction]]:
        index = {label: k for k, label in enumerate(self.labels)}
        return [[row[index[label]] for label in columns] for row in self.matrix(name)]

    def layer(self, data: dict[str, Any]) -> Layer:
        heads = []
        for spec in data["heads"]:
            view = View(spec["groups"], spec["norm"])
            at = spec["tensors"]
            heads.append(
                Head(
                    spec["name"],
                    view,
                    query=self.over_view(f"{at}.W_Q", view.columns),
                    key=self.over_view(f"{at}.W_K", view.columns),
                    value=self.over_view(f"{at}.W_V", view.columns),
                    writes=spec["writes"],
                    mask=spec["mask"],
                )
            )
        ffns = []
        for spec in data["ffns"]:
            view = View(spec["groups"], spec["norm"])
            at = spec["tensors"]
            ffns.append(
                FFN(
                    spec["name"],
                    view,
                    w1=self.over_view(f"{at}.W1", view.columns),
                    w2=self.matrix(f"{at}.W2"),
                    writes=spec["writes"],
                    b1=self.matrix(f"{at}.b1")[0],
                    b2=self.matrix(f"{at}.b2")[0],
                )
            )
        return Layer(heads, ffns)

    def model(self) -> Model:
        config = self.config
        version = config.get("version")
        if config.get("format") != FORMAT or version not in READS:
            raise self.fail(f"not an {FORMAT} export of version 1 or 2")
        if version == 1:
            unknown = {spec["name"] for spec in config["sections"]} - {"prefix", "block", "suffix"}
            if unknown:
                raise self.fail(f"unknown sections {sorted(unknown)} (version 1 has prefix, block, suffix)")
        stages = [
            Stage(
                spec["name"],
                [self.layer(x) for x in spec["layers"]],
                LoopCount(**spec["loop_count"]),
                [Timestep(t["encoding"], t["labels"]) for t in spec.get("timestep", [])],
            )
            for spec in config["sections"]
        ]
        kinds = config["kinds"]
        embedding = {
            kind: {label: v for label, v in zip(self.labels, row, strict=True) if v}
            for kind, row in zip(kinds, self.matrix("embedding"), strict=True)
            if kind in config["embedded_kinds"]
        }
        return Model(
            alphabet=config["alphabet"],
            labels=self.labels,
            embedding=embedding,
            stages=stages,
            padding=Padding(config["padding"]),
            symbols=config["symbols"],
            unembedding=self.matrix("unembedding") if config["has_unembedding"] else (),
            outputs=[OutputTap(t["name"], t["position"], t["label"]) for t in config["outputs"]],
            scratch=config["scratch"],
            extra_kinds=config["extra_kinds"],
            tail=config["tail"],
            name=config["name"],
            metadata=config["metadata"],
            size_root=config["size_root"],
            input_format=inputs.from_json(config.get("input_format", {"kind": "any"})),
        )


def load_export(directory: str | Path) -> Model:
    """The `Model` written by `export` to `directory`; raises ExportError naming what is wrong."""
    directory = Path(directory)
    try:
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(directory / WEIGHTS))
    except OSError as err:
        raise ExportError(f"{directory}: cannot read the export: {err.strerror or err}") from None
    except json.JSONDecodeError as err:
        raise ExportError(f"{directory / CONFIG}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    except Exception as err:  # safetensors raises its own error type for a corrupt file
        raise ExportError(f"{directory / WEIGHTS}: not a safetensors file: {err}") from None
    try:
        return _Reader(tensors, config, str(directory)).model()
    except (KeyError, TypeError) as err:
        raise ExportError(f"{directory / CONFIG}: missing or malformed entry {err}") from None
    except (ValueError, ZeroDivisionError) as err:
        if isinstance(err, ExportError):
            raise
        raise ExportError(f"{directory}: {err}") from None
