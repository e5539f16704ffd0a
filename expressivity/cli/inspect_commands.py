"""`expressivity inspect`, `expressivity trace` and `expressivity precision`."""

from __future__ import annotations

import json
import math

import click

from expressivity import serialize
from expressivity.backends import MAX_FIXED_BITS, get_backend
from expressivity.cli.base import BACKEND, checked_run, layers_text, limit_options, main, one_line_errors
from expressivity.limits import Limits, estimate, format_bytes, largest_length
from expressivity.model import Model
from expressivity.simulator import Simulator


def size_report(model: Model, lengths: list[int]) -> dict:
    """The sizes of a model, and of its runs at the given input lengths (JSON-ready)."""
    heads = sum(len(layer.heads) for _, layers in model.sections() for layer in layers)
    ffns = sum(len(layer.ffns) for _, layers in model.sections() for layer in layers)
    return {
        "name": model.name,
        "route": model.metadata.get("route"),
        "alphabet": "".join(model.alphabet),
        "token_kinds": len(model.kinds),
        "layers": {stage.name: len(stage.layers) for stage in model.stages},
        "stages": [
            {
                "name": stage.name,
                "layers": len(stage.layers),
                "loops": stage.loops.describe(),
                "looped": model.is_looped(stage),
                "timestep": [{"encoding": t.encoding, "labels": list(t.labels)} for t in stage.timestep],
            }
            for stage in model.stages
        ],
        "heads": heads,
        "ffns": ffns,
        "width": model.width,
        "parameters": model.parameter_count(),
        "padding": model.padding.describe(),
        "loops": model.loops.describe() if model.is_three_stage else None,
        "size_root": model.size_root,
        "mode": run_mode(model),
        "runs": [
            {
                "n": n,
                "positions": model.sequence_length(n),
                "loops": _iterations(model, n),
                "stage_loops": {stage.name: stage.loops(model.size(n)) for stage in model.stages},
                "layers_run": model.layer_count(n),
                "memory_estimate_exact": estimate(model, n, "exact").memory,
            }
            for n in lengths
        ],
    }


def _iterations(model: Model, n: int) -> int:
    """What a trace reports as `loops`: r(s) of the block (three-stage form), else the iterations of all
    looped stages."""
    s = model.size(n)
    if model.is_three_stage:
        return model.loops(s)
    return sum(stage.loops(s) for stage in model.stages if model.is_looped(stage))


def _stage_line(stage: dict) -> str:
    plural = "" if stage["layers"] == 1 else "s"
    times = f"x r(n) = {stage['loops']}" if stage["looped"] else "once"
    line = f"{stage['name']}: {stage['layers']} layer{plural} {times}"
    for cells in stage["timestep"]:
        line += f"; reads t as {cells['encoding']} in {', '.join(cells['labels'])}"
    return line


def run_mode(model: Model) -> str:
    """How the model is run: once (with its loops), or by generation or denoising and for how long."""
    kind = model.metadata.get("run")
    steps = model.metadata.get("steps")
    if kind == "generate":
        return f"chain of thought: generates {steps} tokens, one per gate (expressivity.decoding.generate)"
    if kind == "denoise":
        return f"masked diffusion: at most {steps} denoising steps (expressivity.decoding.denoise)"
    return f"loop: one run of {layers_text(model)}"


@main.command("inspect")
@click.argument("model_file", metavar="MODEL")
@click.option("--n", "lengths", type=int, multiple=True, help="Input lengths to size runs at (repeatable).")
@click.option("--labels", is_flag=True, help="Also list the residual coordinates by label.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@one_line_errors
def inspect_command(model_file: str, lengths: tuple[int, ...], labels: bool, as_json: bool) -> None:
    """Print the size table of MODEL: layers (per stage, with each stage's loop count and timestep cells),
    heads, width, parameters, padding t(n), loops r(n).

    Example: expressivity inspect majority.json --n 4 --n 16 --labels
    """
    model = serialize.load(model_file)
    fixed = model.metadata.get("inputs")
    chosen = list(lengths) or ([len(fixed)] if isinstance(fixed, list) else [4, 8, 16])
    report = size_report(model, chosen)
    if labels:
        report["labels"] = list(model.labels)
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"{model.name}  (route {report['route']}, alphabet {report['alphabet']})")
    click.echo(f"  mode        {report['mode']}")
    click.echo(f"  layers      {layers_text(model)}")
    if not model.is_three_stage or model.timestep_labels:
        click.echo(f"  stages      {len(model.stages)} (timestep cells: {len(model.timestep_labels)})")
        for stage in report["stages"]:
            click.echo(f"    {_stage_line(stage)}")
    click.echo(f"  heads/ffns  {report['heads']} / {report['ffns']}")
    click.echo(f"  width       {report['width']}")
    click.echo(f"  parameters  {report['parameters']}")
    click.echo(f"  padding     t(n) = {report['padding']}")
    if report["loops"] is not None:
        click.echo(f"  loops       r(n) = {report['loops']}")
    click.echo(f"  {'n':>6} {'positions N':>12} {'loops':>6} {'layers run':>11}  memory (exact, estimated)")
    for run in report["runs"]:
        memory = format_bytes(run["memory_estimate_exact"])
        click.echo(
            f"  {run['n']:>6} {run['positions']:>12} {run['loops']:>6} {run['layers_run']:>11}  {memory}"
        )
    if labels:
        click.echo("  residual: " + ", ".join(model.labels))


@main.command("trace")
@click.argument("model_file", metavar="MODEL")
@click.option("--input", "word", required=True, help="The input word.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Picture to write; its suffix picks the format: .png, .svg or .pdf.",
)
@click.option("--step", default=None, help="Attention step to draw, e.g. 'block[0].layer1.attention'.")
@click.option("--head", "heads", multiple=True, help="Heads to draw (repeatable; default: all of the step).")
@BACKEND
@one_line_errors
@limit_options
def trace_command(
    model_file: str,
    word: str,
    output: str,
    step: str | None,
    heads: tuple[str, ...],
    backend: str,
    limits: Limits,
) -> None:
    """Run MODEL on one word and draw the tie sets of an attention step and the residual stream by label
    (PNG, SVG or PDF, from the suffix of -o). Every step's residual is kept for the picture, so the
    memory estimate grows with the layers run.

    Example: expressivity trace majority.json --input 11010 -o trace.png
    """
    from expressivity.plots import picture_format, save_trace_picture

    picture_format(output, "trace picture")  # before the run: an unknown suffix costs nothing
    get_backend(backend)
    model = serialize.load(model_file)
    engine, _ = checked_run(model, len(word), backend, limits, record=True)
    trace = Simulator(model).run(word, engine)
    path = save_trace_picture(trace, output, step=step, heads=list(heads) or None)
    click.echo(f"wrote {path} ({trace.positions} positions, {len(trace.ties)} attention heads run)")


@main.command("precision")
@click.argument("model_file", metavar="MODEL")
@click.option("--min-n", default=1, show_default=True, help="Smallest input size.")
@click.option("--max-n", default=6, show_default=True, help="Largest input size (vertices for connectivity).")
@click.option(
    "--samples", default=8, show_default=True, help="Random inputs per size (worst cases are added)."
)
@click.option(
    "--max-bits",
    default=96,
    show_default=True,
    type=click.IntRange(2, MAX_FIXED_BITS // 2),
    help="Largest p0 searched for (runs go up to fixed:2p).",
)
@one_line_errors
@limit_options
def precision_command(
    model_file: str, min_n: int, max_n: int, samples: int, max_bits: int, limits: Limits
) -> None:
    """p0 per input size: the least p such that fixed:p' gives every tie set and every output of the
    exact run for p' = p .. p + 16 and p' = 2p, on random inputs plus the route's worst cases; beside
    c log2 N with the fitted c.

    Example: expressivity precision majority.json --max-n 12
    """
    from expressivity.precision import WINDOW, audit_words, fitted_constant, precision_table

    model = serialize.load(model_file)
    longest = largest_length(model, max_n)
    for backend in ("exact", f"fixed:{max(2 * max_bits, max_bits + WINDOW)}"):
        checked_run(model, longest, backend, limits)
    rows = precision_table(
        model, lambda n: audit_words(model, n, samples, seed=n), range(min_n, max_n + 1), max_bits=max_bits
    )
    click.echo(f"{'n':>4} {'positions N':>12} {'log2 N':>7} {'p0':>5} {'c log2 N':>9}  first split below p0")
    for row in rows:
        p = "none" if row.smallest_bits is None else str(row.smallest_bits)
        log_n = math.log2(row.positions)
        below = row.below.describe() if row.below else ""
        click.echo(f"{row.n:>4} {row.positions:>12} {log_n:>7.2f} {p:>5} {row.theory_bits:>9.1f}  {below}")
    c = fitted_constant((row.positions, row.smallest_bits) for row in rows)
    click.echo(f"c = {c:.2f}: the least c with c log2 N >= p0 on every row (rows with a p0 and N >= 2)")
