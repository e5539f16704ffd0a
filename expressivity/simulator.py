"""Runs a `Model` on a word with any backend and records a `Trace`.

The schedule (docs/semantics.md): embed; then for each stage (prefix, block r(n) times, suffix in the
three-stage form), r_stage(n) times: set the stage's timestep cells to psi(t), then for each layer all
heads read the same residual through their views and their outputs are added together, then all FFNs
read the result and their outputs are added. With `check_scratch` the scratch coordinates must be
exactly zero at every position after every iteration of every looped stage; otherwise the run stops
naming the dirty coordinate, position, stage and iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import chain, repeat
from typing import Any

import numpy as np

from expressivity.backends import Backend, CompiledMatrix, SimulationError, TieSets, get_backend
from expressivity.model import FFN, Head, InputError, Layer, Model, Stage
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
    kind = "head"

    def apply(self, backend: Backend, z: Any, block: int | None = None) -> tuple[Any, Any]:
        """(mean of V z over each tie set, the tie sets); with `block`, the rows are words of `block`
        positions each and attention stays within a word."""
        q = backend.linear(z, self.query, None)
        k = backend.linear(z, self.key, None)
        v = backend.linear(z, self.value, None)
        if block is None:
            return backend.attend(q, k, v, self.mask, self.uniform)
        return backend.attend(q, k, v, self.mask, self.uniform, block=block)


@dataclass(frozen=True)
class _CompiledFFN(_Sublayer):
    w1: CompiledMatrix
    b1: CompiledMatrix | None
    w2: CompiledMatrix
    b2: CompiledMatrix | None
    kind = "ffn"

    def apply(self, backend: Backend, z: Any, block: int | None = None) -> tuple[Any, None]:
        """(W2 ReLU(W1 z + b1) + b2, no tie sets); a backend with its own `ffn` (the exact one: once per
        distinct row) computes the whole of it."""
        ffn = getattr(backend, "ffn", None)
        if ffn is not None:
            return ffn(z, self.w1, self.b1, self.w2, self.b2), None
        hidden = backend.relu(backend.linear(z, self.w1, self.b1))
        return backend.linear(hidden, self.w2, self.b2), None


_BATCH_ROWS = 65536  # positions per batched pass (what the words share is computed once per pass)


class Simulator:
    """A model prepared for running: weights compiled once, then `run(word, backend)` any number of times."""

    def __init__(self, model: Model) -> None:
        self.model = model
        index = {label: k for k, label in enumerate(model.labels)}
        self._index = index
        self._stages = [
            (stage, [self._compile_layer(layer) for layer in stage.layers]) for stage in model.stages
        ]
        self._unembedding = CompiledMatrix.of(model.unembedding, model.width) if model.unembedding else None
        self._scratch = np.array([index[label] for label in model.scratch], dtype=np.intp)
        self._kind_index = {kind: k for k, kind in enumerate(model.kinds)}
        self._kind_tables: dict[tuple[str, int | None], Any] = {}

    def _kind_entries(self) -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
        """The embedding's entries as (kind index, coordinate, value) in three flat sequences (entries
        whose label is not a coordinate are left out): one pass over the labels and values in C
        (`map`), not a Python step per entry, since a compiled circuit has about 50 per token kind."""
        tables = [self.model.embedding.get(kind, {}) for kind in self.model.kinds]
        counts = np.fromiter(map(len, tables), dtype=np.intp, count=len(tables))
        total = int(counts.sum())
        labels = chain.from_iterable(tables)
        cols = np.fromiter(map(self._index.get, labels, repeat(-1)), dtype=np.intp, count=total)
        values = list(chain.from_iterable(table.values() for table in tables))
        owner = np.repeat(np.arange(len(tables)), counts)
        known = np.nonzero(cols >= 0)[0]
        if len(known) < total:
            owner, cols, values = owner[known], cols[known], [values[k] for k in known.tolist()]
        return owner, cols, values

    def _kind_rows(self) -> list[list[Fraction]]:
        """The embedding rows of the token kinds, dense."""
        zero = Fraction(0)
        rows = [[zero] * self.model.width for _ in self.model.kinds]
        owner, cols, values = self._kind_entries()
        for kind, c, value in zip(owner.tolist(), cols.tolist(), values, strict=True):
            rows[kind][c] = value
        return rows

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
                    b1=CompiledMatrix.bias(ffn.b1),
                    w2=CompiledMatrix.of(ffn.w2, len(ffn.w1)),
                    b2=CompiledMatrix.bias(ffn.b2),
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
        """Run on `word`. `record=False` keeps only the final residual (in the backend's live form: the
        exact backend's `ColumnArray`, read through `Trace.column`) and the tie sets."""
        return self._run([word], get_backend(backend), check_scratch, record)[0]

    def run_batch(
        self,
        words: Sequence[str],
        backend: str | Backend = "exact",
        check_scratch: bool | None = None,
        record: bool = True,
    ) -> list[Trace]:
        """One trace per word, equal to `run` on each word, for words of one length.

        On a backend that runs batches (`batched`, the exact one) the words go through the model in
        passes of up to _BATCH_ROWS positions: their positions are stacked into one array, so every
        sublayer is one call for all words of a pass, and attention stays within each word. A run that
        stops names the word (its index in `words`). Other backends run the words one by one.
        """
        words = list(words)
        if len({len(word) for word in words}) > 1:
            raise ValueError("run_batch needs words of one length; group them by length first")
        if not words:
            return []
        engine = get_backend(backend)
        if not getattr(engine, "batched", False):
            return [self.run(word, backend, check_scratch, record) for word in words]
        per_pass = max(1, _BATCH_ROWS // len(self.model.tokens(words[0])))
        traces = []
        for start in range(0, len(words), per_pass):
            engine = get_backend(backend) if start else engine
            traces += self._run(words[start : start + per_pass], engine, check_scratch, record, start)
        return traces

    def run_tokens(
        self,
        tokens: Sequence[str],
        word: str,
        backend: str | Backend = "exact",
        check_scratch: bool | None = None,
        record: bool = True,
    ) -> Trace:
        """Run on an explicit sequence of token kinds (a decoding state: generated or masked positions)
        whose input word is `word`, which fixes the size s and so the loop count r(s). An unknown kind
        is an InputError naming its position."""
        return self._run([word], get_backend(backend), check_scratch, record, tokens=self._kinds(tokens))[0]

    def symbol_at(self, trace: Trace, position: int) -> str:
        """The unembedding's symbol at `position` of a finished run (argmax, an exact tie going to the
        earlier symbol): what a decoder reads at a position other than the last."""
        if self._unembedding is None:
            raise SimulationError(f"model {self.model.name!r} has no unembedding to read symbols with")
        best, _ = trace.backend.readout(trace.final, position, self._unembedding)
        return self.model.symbols[best]

    def start(
        self, word: str, backend: str | Backend = "exact", tokens: Sequence[str] | None = None
    ) -> Extension:
        """Run every layer on the tokens of `word` (or on `tokens`, whose input word is `word`) and keep
        what later positions need: every head's keys and values at every row (`extend`)."""
        sequence = list(tokens) if tokens is not None else self.model.tokens(word)
        empty = Extension(word, [], get_backend(backend), [], None)
        return self._rows(empty, sequence, self._kinds(sequence))

    def extend(self, state: Extension, tokens: Sequence[str]) -> Extension:
        """`state` with the positions `tokens` appended, running the layers on the new rows only.

        Under causal and strict masks a row never sees a later one, so the earlier rows' residuals, keys
        and values are those of a run on the whole sequence; the new rows attend to the kept keys and
        values (`Backend.attend_rows`). So the result equals `start` on the whole sequence, at the cost
        of the new rows (their scores against every kept key). A model with an unmasked head is refused."""
        for _, layers in self._stages:
            for heads, _ in layers:
                for head in heads:
                    if head.mask == "unmasked":
                        raise SimulationError(
                            f"head {head.name!r} is unmasked: earlier positions would change, so a run "
                            "cannot be extended; rerun the whole sequence instead"
                        )
        return self._rows(state, list(tokens), self._kinds(tokens))

    def next_symbol(self, state: Extension) -> str:
        """The unembedding's symbol at the last position of `state`."""
        if self._unembedding is None:
            raise SimulationError(f"model {self.model.name!r} has no unembedding to read symbols with")
        best, _ = state.backend.readout(state.last, state.added - 1, self._unembedding)
        return self.model.symbols[best]

    def _kinds(self, tokens: Sequence[str]) -> np.ndarray:
        """Kind indices of `tokens`; an unknown kind is an InputError naming its position."""
        for position, kind in enumerate(tokens):
            if kind not in self._kind_index:
                raise InputError(f"token {kind!r} at position {position} is not a token kind of the model")
        return np.array([self._kind_index[kind] for kind in tokens], dtype=np.intp)

    def _rows(self, state: Extension, tokens: list[str], kinds: np.ndarray) -> Extension:
        """Run the schedule on the rows of `tokens` placed after the rows of `state` (module docstring);
        heads read the kept keys and values of the earlier rows and keep their own (`_NewRows`)."""
        model, backend = self.model, state.backend
        start = len(state.tokens)
        s = model.size(len(state.word))
        h = backend.embed(self._kind_table(backend), kinds)
        rows = _NewRows(backend, state)
        check_scratch = backend.name == "exact" and len(self._scratch)
        for stage, layers in self._stages:
            looped, written = model.is_looped(stage), None
            for iteration in range(stage.loops(s)):
                if stage.timestep:
                    h, written = self._write_timestep(backend, h, stage, iteration, written)
                loop_index = iteration if looped else None
                for number, (heads, ffns) in enumerate(layers):
                    for sublayer, subs in (("attention", heads), ("ffn", ffns)):
                        step = Step(stage.name, number, sublayer, loop_index, None)
                        h = self._sublayer(backend, h, subs, step, rows, record=False)
                if looped and check_scratch:
                    try:
                        self._check_scratch(backend, h, stage.name, iteration, None, 0)
                    except SimulationError as err:
                        raise SimulationError(f"{err} (counting from position {start})") from None
        layers_run = len(tokens) * model.layer_count(len(state.word))
        return Extension(
            state.word,
            state.tokens + tokens,
            backend,
            rows.kept,
            h,
            len(tokens),
            state.layers_run + layers_run,
        )

    def _run(
        self,
        words: list[str],
        backend: Backend,
        check_scratch: bool | None,
        record: bool,
        first_word: int = 0,
        tokens: np.ndarray | None = None,
    ) -> list[Trace]:
        """The words stacked position-wise (word b holds rows b*N .. b*N + N - 1); block = N when there
        is more than one word, else None (a plain run). Errors number the words from `first_word`.
        `tokens` (kind indices) replaces the sequence of the one word (`run_tokens`)."""
        model = self.model
        if check_scratch is None:
            check_scratch = backend.name == "exact"
        if tokens is None:
            all_tokens = [model.tokens(word) for word in words]
        else:
            all_tokens = [[model.kinds[k] for k in tokens]]
        size = len(all_tokens[0])
        block = size if len(words) > 1 or first_word else None
        s = model.size(len(words[0]))
        stage_loops = {stage.name: stage.loops(s) for stage in model.stages}
        looped = [stage.name for stage in model.stages if model.is_looped(stage)]
        loops = model.loops(s) if model.is_three_stage else sum(stage_loops[name] for name in looped)
        token_kinds = np.array(
            [self._kind_index[kind] for tokens in all_tokens for kind in tokens], dtype=np.intp
        )
        table = self._kind_table(backend)
        h = backend.embed(table, token_kinds) if block is None else backend.embed(table, token_kinds, block)
        batch = _Batch(
            backend,
            block,
            first_word,
            [
                Trace(model.name, backend, w, t, model.labels, loops, stage_loops=dict(stage_loops))
                for w, t in zip(words, all_tokens, strict=True)
            ],
        )
        if record:
            batch.record(Step("embed", 0, "embedding", None, None), h)
        for stage, layers in self._stages:
            looped = model.is_looped(stage)
            written = None
            for iteration in range(stage_loops[stage.name]):
                if stage.timestep:
                    h, written = self._write_timestep(backend, h, stage, iteration, written)
                loop_index = iteration if looped else None
                for number, (heads, ffns) in enumerate(layers):
                    for sublayer, subs in (("attention", heads), ("ffn", ffns)):
                        step = Step(stage.name, number, sublayer, loop_index, None)
                        h = self._sublayer(backend, h, subs, step, batch, record)
                    for trace in batch.traces:
                        trace.layers_run += 1
                if looped and check_scratch and len(self._scratch):
                    self._check_scratch(backend, h, stage.name, iteration, block, first_word)
        if not record:
            batch.keep_final(Step("final", 0, "residual", None, None), h)
        for b, trace in enumerate(batch.traces):
            self._read_out(backend, h, b * size, trace)
        release = getattr(backend, "release", None)  # the run's caches (the exact backend's)
        if release is not None:
            release()
        return batch.traces

    def _kind_table(self, backend: Backend) -> Any:
        """The backend's table of embedding rows, one per token kind, built once per backend and width."""
        key = (backend.name, getattr(backend, "bits", None))
        if key not in self._kind_tables:
            from_entries = getattr(backend, "kind_table_entries", None)
            if from_entries is None:
                table = backend.kind_table(self._kind_rows())
            else:
                table = from_entries(len(self.model.kinds), self.model.width, *self._kind_entries())
            self._kind_tables[key] = table
        return self._kind_tables[key]

    def _read_out(self, backend: Backend, h: Any, offset: int, trace: Trace) -> None:
        """The readout symbol and the output taps of the word whose positions start at row `offset`."""
        model = self.model
        positions = len(trace.tokens)
        if self._unembedding is not None:
            best, scores = backend.readout(h, offset + positions - 1, self._unembedding)
            trace.symbol = model.symbols[best]
            trace.readout_scores = scores
        for tap in model.outputs:
            position = tap.position if tap.position >= 0 else positions + tap.position
            if not 0 <= position < positions:
                where = f"output {tap.name!r} reads position {tap.position}"
                raise SimulationError(f"{where}, but the run has {positions} positions")
            trace.outputs[tap.name] = int(backend.exceeds_half(h, offset + position, self._index[tap.label]))

    def _sublayer(self, backend, h, subs, step: Step, batch: _Batch | _NewRows, record: bool):
        """Every sublayer in `subs` reads the same h through its view; their outputs are added together.
        `batch` says how a sublayer reads h and computes its output: the stacked words of a run
        (`_Batch`), or the rows an extension adds (`_NewRows`)."""
        if not subs:
            return h
        loop = "" if step.iteration is None else f"[{step.iteration}]"
        updates = []
        for sub in subs:
            try:
                out, ties = batch.apply(sub, batch.view(h, sub))
            except SimulationError as err:
                place = f"{step.section}{loop} layer {step.layer} {sub.kind} {sub.name!r}"
                raise SimulationError(f"{place}{batch.rows_from}: {err}") from None
            if ties is not None:
                batch.add_ties((step.name, sub.name), ties)
            updates.append((sub.writes, out))
        try:
            for writes, out in updates:
                h = backend.scatter_add(h, writes, out)
        except SimulationError as err:
            place = f"{step.section}{loop} layer {step.layer} {step.sublayer}"
            raise SimulationError(f"{place}{batch.rows_from}: {err}") from None
        if record:
            batch.record(step, h)
        return h

    def _write_timestep(self, backend, h, stage: Stage, t: int, written):
        """Set the stage's timestep cells to psi(t) at every row: subtract what the previous iteration
        wrote (the cells hold exactly that: nothing else writes them and they embed as 0), then add
        psi(t), each value rounded once by the backend as an embedding value is. Returns (h, psi rows)."""
        columns = np.array([self._index[label] for label in stage.timestep_labels], dtype=np.intp)
        rows = np.zeros(h.shape[0], dtype=np.intp)
        values = [value for cells in stage.timestep for value in cells.values(t)]
        current = backend.snapshot(backend.embed(backend.kind_table([values]), rows))
        if written is not None:
            width = len(columns)
            negate = CompiledMatrix.of([[-(r == c) for c in range(width)] for r in range(width)], width)
            h = backend.scatter_add(h, columns, backend.linear(written, negate, None))
        return backend.scatter_add(h, columns, current), current

    def _check_scratch(
        self, backend, h, stage: str, iteration: int, block: int | None, first_word: int
    ) -> None:
        for c in self._scratch:
            dirty = np.nonzero(~backend.column_is_zero(h, int(c)))[0]
            if dirty.size:
                label = self.model.labels[c]
                value = backend.column(h, int(c))[dirty[0]]
                row = int(dirty[0])
                where = f"position {row}"
                if block is not None:
                    where = f"word {first_word + row // block}: position {row % block}"
                raise SimulationError(
                    f"scratch coordinate {label!r} is {value} (not 0) at {where} "
                    f"after iteration {iteration} of stage {stage!r}"
                )


@dataclass(frozen=True)
class Extension:
    """A causal run kept for extending it by new positions (`Simulator.start`, `Simulator.extend`).

    `tokens` are the token kinds run so far on input `word` (which fixes s and r(s)); `keys` holds, per
    head application in run order, that head's keys and values at every row; `last` is the final
    residual of the rows added by the latest call, and `layers_run` counts positions x layers run over
    all calls (what the run cost, not what a rerun of the whole sequence would); `added` is how many rows
    the latest call added (the rows of `last`)."""

    word: str
    tokens: list[str]
    backend: Backend
    keys: list[tuple[Any, Any]]
    last: Any
    added: int = 0
    layers_run: int = 0


class _Batch:
    """The traces of one pass and how to cut a stacked array (or tie sets) into one part per word; how a
    sublayer reads the stacked words (attention stays within a word)."""

    rows_from = ""  # nothing to add to an error's place: the rows are the words' own positions

    def __init__(self, backend: Backend, block: int | None, first_word: int, traces: list[Trace]) -> None:
        self.backend = backend
        self.block = block
        self.first_word = first_word
        self.traces = traces

    def view(self, h: Any, sub: _Sublayer) -> Any:
        if self.block is None:
            return self.backend.view(h, sub.groups, sub.centre)
        return self.backend.view(h, sub.groups, sub.centre, block=self.block, first_word=self.first_word)

    def apply(self, sub: _CompiledHead | _CompiledFFN, z: Any) -> tuple[Any, Any]:
        return sub.apply(self.backend, z, self.block)

    def record(self, step: Step, h: Any) -> None:
        if self.block is None:
            self.traces[0].steps.append(replace(step, residual=self.backend.snapshot(h)))
            return
        for b, trace in enumerate(self.traces):
            rows = np.arange(b * self.block, (b + 1) * self.block)
            trace.steps.append(replace(step, residual=self.backend.take_rows(h, rows)))

    def keep_final(self, step: Step, h: Any) -> None:
        """The final residual of a one-word run that records nothing else, in the backend's live form
        where it has one (`keep`; the exact backend's columns, which nothing modifies): writing a wide
        exact residual out as one array costs as much as a sublayer, and `Trace.column` reads either
        form."""
        keep = getattr(self.backend, "keep", None)
        if keep is None or self.block is not None:  # a batch is cut into words as `record` does
            self.record(step, h)
        else:
            self.traces[0].steps.append(replace(step, residual=keep(h)))

    def add_ties(self, key: tuple[str, str], ties: TieSets) -> None:
        if self.block is None:
            self.traces[0].ties[key] = ties
            return
        for b, trace in enumerate(self.traces):
            trace.ties[key] = ties.part(b * self.block, self.block)


class _NewRows:
    """The rows an extension adds (`Simulator._rows`): a head's queries at the new rows attend to the
    keys and values kept in `state` plus the new rows' own, which it appends to `kept` (one entry per
    head application, in run order, as `Extension.keys` holds them); nothing is recorded."""

    def __init__(self, backend: Backend, state: Extension) -> None:
        self.backend = backend
        self.state = state
        self.kept: list[tuple[Any, Any]] = []
        self.rows_from = f" (rows from {len(state.tokens)})"

    def view(self, h: Any, sub: _Sublayer) -> Any:
        return self.backend.view(h, sub.groups, sub.centre)

    def apply(self, sub: _CompiledHead | _CompiledFFN, z: Any) -> tuple[Any, None]:
        """The sublayer's output at the new rows (no tie sets: they would span the kept rows too)."""
        if isinstance(sub, _CompiledFFN):
            return sub.apply(self.backend, z)[0], None
        backend = self.backend
        q = backend.linear(z, sub.query, None)
        k = backend.linear(z, sub.key, None)
        v = backend.linear(z, sub.value, None)
        if not self.state.tokens:
            self.kept.append((k, v))
            return backend.attend(q, k, v, sub.mask, sub.uniform)[0], None
        old_k, old_v = self.state.keys[len(self.kept)]
        k, v = backend.append_rows(old_k, k), backend.append_rows(old_v, v)
        self.kept.append((k, v))
        return backend.attend_rows(q, k, v, sub.mask, sub.uniform), None

    def add_ties(self, key: tuple[str, str], ties: TieSets) -> None:
        """Nothing: an extension keeps no trace (and `apply` gives no tie sets)."""

    def record(self, step: Step, h: Any) -> None:
        """Nothing: an extension keeps no trace, only its last residual (`Extension.last`)."""


def run(model: Model, word: str, backend: str | Backend = "exact", **options: Any) -> Trace:
    """Run `model` on `word` once (see `Simulator.run`)."""
    return Simulator(model).run(word, backend, **options)
