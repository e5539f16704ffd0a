"""Runs a `Model` on a word with any backend and records a `Trace`.

The schedule is DESIGN §2: embed; then for each layer of prefix, block (r(n) times) and suffix: all
heads read the same residual through their views and their outputs are added together, then all FFNs
read the result and their outputs are added. With `check_scratch` the scratch coordinates must be
exactly zero at every position after every loop iteration; otherwise the run stops naming the dirty
coordinate, position and iteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from expressivity.backends import Backend, CompiledMatrix, SimulationError, get_backend
from expressivity.model import FFN, Head, Layer, Model
from expressivity.trace import Step, Trace


@dataclass(frozen=True)
class _Sublayer:
    name: str
    groups: tuple[np.ndarray, ...]
    centre: bool
    writes: np.ndarray


@dataclass(frozen=True)
class _CompiledHead(_Sublayer):
    query: CompiledMatrix
    key: CompiledMatrix
    value: CompiledMatrix
    mask: str
    uniform: bool


@dataclass(frozen=True)
class _CompiledFFN(_Sublayer):
    w1: CompiledMatrix
    b1: tuple
    w2: CompiledMatrix
    b2: tuple


class Simulator:
    """A model prepared for running: weights compiled once, then `run(word, backend)` any number of times."""

    def __init__(self, model: Model) -> None:
        self.model = model
        index = {label: k for k, label in enumerate(model.labels)}
        self._index = index
        self._sections = [
            (section, [self._compile_layer(layer) for layer in layers])
            for section, layers in model.sections()
        ]
        self._unembedding = CompiledMatrix.of(model.unembedding, model.width) if model.unembedding else None
        self._scratch = np.array([index[label] for label in model.scratch], dtype=np.intp)

    def _base(self, sub: Head | FFN) -> dict[str, Any]:
        groups = tuple(np.array([self._index[x] for x in g], dtype=np.intp) for g in sub.view.groups)
        writes = np.array([self._index[x] for x in sub.writes], dtype=np.intp)
        return {"name": sub.name, "groups": groups, "centre": sub.view.norm == "layer", "writes": writes}

    def _compile_layer(self, layer: Layer) -> tuple[list[_CompiledHead], list[_CompiledFFN]]:
        heads = []
        for head in layer.heads:
            width = len(head.view.columns)
            heads.append(
                _CompiledHead(
                    **self._base(head),
                    query=CompiledMatrix.of(head.query, width),
                    key=CompiledMatrix.of(head.key, width),
                    value=CompiledMatrix.of(head.value, width),
                    mask=head.mask,
                    uniform=head.is_uniform,
                )
            )
        ffns = []
        for ffn in layer.ffns:
            ffns.append(
                _CompiledFFN(
                    **self._base(ffn),
                    w1=CompiledMatrix.of(ffn.w1, len(ffn.view.columns)),
                    b1=ffn.b1,
                    w2=CompiledMatrix.of(ffn.w2, len(ffn.w1)),
                    b2=ffn.b2,
                )
            )
        return heads, ffns

    def run(
        self,
        word: str,
        backend: str | Backend = "exact",
        check_scratch: bool | None = None,
        record: bool = True,
    ) -> Trace:
        """Run on `word`. `record=False` keeps only the final residual (tie sets are still kept)."""
        model = self.model
        backend = get_backend(backend)
        if check_scratch is None:
            check_scratch = backend.name == "exact"
        tokens = model.tokens(word)
        loops = model.loops(len(word))
        zero = Fraction(0)
        kinds = {kind: k for k, kind in enumerate(model.kinds)}
        rows = [[model.embedding.get(kind, {}).get(label, zero) for label in model.labels] for kind in kinds]
        h = backend.embed(rows, np.array([kinds[kind] for kind in tokens], dtype=np.intp))
        trace = Trace(model.name, backend, word, tokens, model.labels, loops)
        trace.steps.append(Step("embed", 0, "embedding", None, h))
        for section, layers in self._sections:
            repeats = loops if section == "block" else 1
            for iteration in range(repeats):
                loop_index = iteration if section == "block" else None
                for number, (heads, ffns) in enumerate(layers):
                    where = f"{section}{'' if loop_index is None else f'[{loop_index}]'} layer {number}"
                    h = self._attention(backend, h, heads, trace, section, number, loop_index, where, record)
                    h = self._feedforward(backend, h, ffns, trace, section, number, loop_index, where, record)
                    trace.layers_run += 1
                if section == "block" and check_scratch and len(self._scratch):
                    self._check_scratch(backend, h, iteration)
        if not record:
            trace.steps.append(Step("final", 0, "residual", None, h))
        last = len(tokens) - 1
        if self._unembedding is not None:
            best, scores = backend.readout(h, last, self._unembedding)
            trace.symbol = model.symbols[best]
            trace.readout_scores = scores
        for tap in model.outputs:
            position = tap.position if tap.position >= 0 else len(tokens) + tap.position
            if not 0 <= position < len(tokens):
                where = f"output {tap.name!r} reads position {tap.position}"
                raise SimulationError(f"{where}, but the run has {len(tokens)} positions")
            trace.outputs[tap.name] = int(backend.exceeds_half(h, position, self._index[tap.label]))
        return trace

    def _attention(self, backend, h, heads, trace, section, number, loop_index, where, record):
        if not heads:
            return h
        updates = []
        step_name = Step(section, number, "attention", loop_index, None).name
        for head in heads:
            try:
                z = backend.view(h, head.groups, head.centre)
            except SimulationError as err:
                raise SimulationError(f"{where} head {head.name!r}: {err}") from None
            q = backend.linear(z, head.query, None)
            k = backend.linear(z, head.key, None)
            v = backend.linear(z, head.value, None)
            out, ties = backend.attend(q, k, v, head.mask, head.uniform)
            trace.ties[(step_name, head.name)] = ties
            updates.append((head.writes, out))
        for writes, out in updates:
            h = backend.scatter_add(h, writes, out)
        if record:
            trace.steps.append(Step(section, number, "attention", loop_index, h))
        return h

    def _feedforward(self, backend, h, ffns, trace, section, number, loop_index, where, record):
        if not ffns:
            return h
        updates = []
        for ffn in ffns:
            try:
                z = backend.view(h, ffn.groups, ffn.centre)
            except SimulationError as err:
                raise SimulationError(f"{where} ffn {ffn.name!r}: {err}") from None
            hidden = backend.relu(backend.linear(z, ffn.w1, ffn.b1))
            updates.append((ffn.writes, backend.linear(hidden, ffn.w2, ffn.b2)))
        for writes, out in updates:
            h = backend.scatter_add(h, writes, out)
        if record:
            trace.steps.append(Step(section, number, "ffn", loop_index, h))
        return h

    def _check_scratch(self, backend, h, iteration: int) -> None:
        for c in self._scratch:
            dirty = np.nonzero(~backend.column_is_zero(h, int(c)))[0]
            if dirty.size:
                label = self.model.labels[c]
                value = backend.column(h, int(c))[dirty[0]]
                raise SimulationError(
                    f"scratch coordinate {label!r} is {value} (not 0) at position {dirty[0]} "
                    f"after loop iteration {iteration}"
                )


def run(model: Model, word: str, backend: str | Backend = "exact", **options: Any) -> Trace:
    """Run `model` on `word` once (see `Simulator.run`)."""
    return Simulator(model).run(word, backend, **options)
