"""Pictures of runs and sweeps: attention tie sets, the residual stream by label, and line plots (loops vs
n, precision vs n).

Everything is drawn on `matplotlib.figure.Figure` objects, never through pyplot, so no global figure
state is created or leaked, and no GUI backend is needed (savefig renders PNG with Agg by itself).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure, SubFigure

from expressivity.files import write_atomic
from expressivity.precision import PrecisionRow
from expressivity.trace import Trace

TOKEN_TICKS_UP_TO = 40  # positions labelled by token kind when N is at most this
LABEL_TICKS_UP_TO = 80  # residual columns labelled by name when there are at most this many
PANELS_PER_ROW = 4
PANEL_INCHES = 4.0
MAX_INCHES = 30.0
DPI = 100

Canvas = Figure | SubFigure


def attention_steps(trace: Trace) -> list[str]:
    """The names of the attention steps that recorded tie sets, in the order they ran."""
    return list(dict.fromkeys(step for step, _ in trace.ties))


def _choose_heads(trace: Trace, step: str | None, heads: Sequence[str] | None) -> tuple[str, list[str]]:
    steps = attention_steps(trace)
    if not steps:
        raise ValueError(f"the trace of {trace.model_name!r} on {trace.word!r} has no attention tie sets")
    step = steps[-1] if step is None else step
    if step not in steps:
        raise ValueError(f"no attention step named {step!r}; the attention steps are {steps}")
    available = [head for name, head in trace.ties if name == step]
    if heads is None:
        return step, available
    heads = list(heads)
    if not heads:
        raise ValueError(f"no heads chosen for step {step!r}; its heads are {available}")
    for head in heads:
        if head not in available:
            raise ValueError(f"step {step!r} has no head {head!r}; its heads are {available}")
    return step, heads


def tie_matrix(trace: Trace, step: str, head: str) -> np.ndarray:
    """The N x N boolean matrix whose row i marks the tie set T_i of `head` in attention step `step`."""
    ties = trace.ties[(step, head)]
    matrix = np.zeros((ties.size, ties.size), dtype=bool)
    for i in range(ties.size):
        matrix[i, ties.of(i)] = True
    return matrix


def _token_ticks(ax, tokens: Sequence[str], axis: str) -> None:
    """Label the positions of `axis` ("x" or "y") by token kind when there are few enough."""
    if len(tokens) > TOKEN_TICKS_UP_TO:
        return
    positions = range(len(tokens))
    if axis == "x":
        ax.set_xticks(positions, tokens, rotation=90, fontsize=6)
    else:
        ax.set_yticks(positions, tokens, fontsize=6)


def _panel_grid(count: int) -> tuple[int, int]:
    columns = min(count, PANELS_PER_ROW)
    return math.ceil(count / columns), columns


def _draw_tie_sets(canvas: Canvas, trace: Trace, step: str, heads: Sequence[str]) -> None:
    rows, columns = _panel_grid(len(heads))
    for k, head in enumerate(heads):
        ax = canvas.add_subplot(rows, columns, k + 1)
        ax.imshow(tie_matrix(trace, step, head), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{step}\n{head}", fontsize=8)
        ax.set_xlabel("key position j (in T_i: dark)", fontsize=7)
        ax.set_ylabel("query position i", fontsize=7)
        _token_ticks(ax, trace.tokens, "x")
        _token_ticks(ax, trace.tokens, "y")


def tie_set_figure(trace: Trace, step: str | None = None, heads: Sequence[str] | None = None) -> Figure:
    """One panel per head of attention step `step` (default: the last attention step; heads default to
    all of its heads): an N x N image whose cell (i, j) is dark iff j is in the tie set T_i."""
    step, heads = _choose_heads(trace, step, heads)
    rows, columns = _panel_grid(len(heads))
    figure = Figure(
        figsize=(PANEL_INCHES * columns, PANEL_INCHES * rows + 0.5), dpi=DPI, layout="constrained"
    )
    _draw_tie_sets(figure, trace, step, heads)
    return figure


def residual_values(trace: Trace, step: int | str = -1, labels: Sequence[str] | None = None) -> np.ndarray:
    """The residual after `step` as floats, positions x labels (float() of the backend's exact values)."""
    labels = list(trace.labels if labels is None else labels)
    unknown = [label for label in labels if label not in trace.labels]
    if unknown:
        raise ValueError(f"the residual of {trace.model_name!r} has no coordinate {unknown[0]!r}")
    if not labels:
        raise ValueError("no residual labels chosen")
    if isinstance(step, int) and not -len(trace.steps) <= step < len(trace.steps):
        raise ValueError(f"step {step} is out of range: the trace has {len(trace.steps)} steps")
    try:
        index = trace.step_index(step)
    except KeyError as err:
        raise ValueError(err.args[0]) from None
    columns = [[float(x) for x in trace.column(label, index)] for label in labels]
    return np.array(columns, dtype=np.float64).reshape(len(labels), trace.positions).T


def _residual_inches(positions: int, labels: int) -> tuple[float, float]:
    width = min(MAX_INCHES, max(6.0, 0.12 * labels + 2.5))
    height = min(MAX_INCHES, max(4.0, 0.15 * positions + 2.0))
    return width, height


def _draw_residual(canvas: Canvas, trace: Trace, step: int | str, labels: Sequence[str] | None) -> None:
    labels = list(trace.labels if labels is None else labels)
    values = residual_values(trace, step, labels)
    scale = float(np.abs(values).max(initial=0.0)) or 1.0
    ax = canvas.add_subplot(1, 1, 1)
    image = ax.imshow(values, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest")
    canvas.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(f"residual after {trace.steps[trace.step_index(step)].name}", fontsize=9)
    ax.set_ylabel("position", fontsize=7)
    if len(labels) <= LABEL_TICKS_UP_TO:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    else:
        ax.set_xlabel(f"{len(labels)} residual coordinates", fontsize=7)
    _token_ticks(ax, trace.tokens, "y")


def residual_figure(trace: Trace, step: int | str = -1, labels: Sequence[str] | None = None) -> Figure:
    """A positions x labels heat map of the residual after `step` (index or name; default the last),
    over `labels` (default all), coloured symmetrically around 0."""
    count = len(trace.labels if labels is None else labels)
    figure = Figure(figsize=_residual_inches(trace.positions, count), dpi=DPI, layout="constrained")
    _draw_residual(figure, trace, step, labels)
    return figure


def series_figure(
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    xlabel: str,
    ylabel: str,
    title: str,
    logx: bool = False,
) -> Figure:
    """A line plot with markers, one line per series (None values are gaps); a series whose name starts
    with "theory" is drawn dashed. `logx` puts x on a log2 scale."""
    if not series:
        raise ValueError(f"series_figure {title!r}: no series to draw")
    xs = np.array(x, dtype=np.float64)
    figure = Figure(figsize=(7, 4.5), dpi=DPI, layout="constrained")
    ax = figure.add_subplot(1, 1, 1)
    for name, values in series.items():
        if len(values) != len(xs):
            raise ValueError(f"series {name!r} has {len(values)} values but there are {len(xs)} x values")
        ys = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
        style = "--" if name.startswith("theory") else "-"
        ax.plot(xs, ys, linestyle=style, marker="o", label=name)
    if logx:
        ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure


def precision_figure(rows: Sequence[PrecisionRow], title: str = "precision vs input length") -> Figure:
    """Measured smallest P and the theory's c * log2 N against n (a `precision_table`)."""
    return series_figure(
        [row.n for row in rows],
        {
            "smallest P (fixed agrees with exact)": [row.smallest_bits for row in rows],
            "theory: c log2 N": [row.theory_bits for row in rows],
        },
        xlabel="input length n",
        ylabel="fractional bits P",
        title=title,
    )


def trace_figure(trace: Trace, step: str | None = None, heads: Sequence[str] | None = None) -> Figure:
    """Tie sets of `step` (as `tie_set_figure`) above the residual after that step (the final residual
    when the run kept no intermediate steps)."""
    step, heads = _choose_heads(trace, step, heads)
    recorded = [s.name for s in trace.steps]
    residual_step: int | str = step if step in recorded else -1
    rows, columns = _panel_grid(len(heads))
    ties_height = PANEL_INCHES * rows + 0.5
    width, residual_height = _residual_inches(trace.positions, len(trace.labels))
    figure = Figure(
        figsize=(max(width, PANEL_INCHES * columns), ties_height + residual_height),
        dpi=DPI,
        layout="constrained",
    )
    top, bottom = figure.subfigures(2, 1, height_ratios=[ties_height, residual_height])
    _draw_tie_sets(top, trace, step, heads)
    _draw_residual(bottom, trace, residual_step, None)
    return figure


PICTURE_FORMATS = ("png", "svg", "pdf")
"""The file suffixes pictures are written with (matplotlib renders each without a GUI backend)."""


def picture_format(path: str | os.PathLike, what: str = "picture") -> str:
    """The matplotlib format named by the suffix of `path`; ValueError (one line) for another suffix."""
    path = Path(path)
    kind = path.suffix.lower().removeprefix(".")
    if kind not in PICTURE_FORMATS:
        known = ", ".join(f".{k}" for k in PICTURE_FORMATS)
        raise ValueError(f"cannot write the {what} {path}: unknown suffix {path.suffix!r} (use {known})")
    return kind


def save_figure(figure: Figure, path: str | os.PathLike, what: str = "picture") -> Path:
    """Write `figure` to `path` in the format its suffix names (.png, .svg or .pdf) atomically
    (`files.write_atomic`: a temporary file in the same directory, then a rename); return the path."""
    path = Path(path)
    kind = picture_format(path, what)
    return write_atomic(path, lambda stream: figure.savefig(stream, format=kind))


def save_trace_picture(
    trace: Trace, path: str | os.PathLike, step: str | None = None, heads: Sequence[str] | None = None
) -> Path:
    """Write `trace_figure` to `path` as `save_figure` does, and return the path. The directory must
    exist, and a suffix other than .png, .svg, .pdf is refused before anything is drawn."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"cannot write the trace picture {path}: the directory {path.parent} does not exist")
    if path.is_dir():
        raise ValueError(f"cannot write the trace picture {path}: it is a directory")
    picture_format(path, "trace picture")
    return save_figure(trace_figure(trace, step, heads), path, "trace picture")
