"""`expressivity inspect`, `expressivity trace` and `expressivity precision`."""

from __future__ import annotations

import json
import math

import click

from expressivity import serialize
from expressivity.backends import get_backend
from expressivity.cli.base import BACKEND, main, one_line_errors
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
        "layers": {"prefix": len(model.prefix), "block": len(model.block), "suffix": len(model.suffix)},
        "heads": heads,
        "ffns": ffns,
        "width": model.width,
        "parameters": model.parameter_count(),
        "padding": model.padding.describe(),
        "loops": model.loops.describe(),
        "size_root": model.size_root,
        "mode": run_mode(model),
        "runs": [
            {
                "n": n,
                "positions": model.sequence_length(n),
                "loops": model.loops(model.size(n)),
                "layers_run": model.layer_count(n),
            }
            for n in lengths
        ],
    }


def run_mode(model: Model) -> str:
    """How the model is run: once (with its loops), or by generation or denoising and for how long."""
    kind = model.metadata.get("run")
    steps = model.metadata.get("steps")
    if kind == "generate":
        return f"chain of thought: generates {steps} tokens, one per gate (expressivity.decoding.generate)"
    if kind == "denoise":
        return f"masked diffusion: at most {steps} denoising steps (expressivity.decoding.denoise)"
    return f"loop: one run, the block repeated r(n) = {model.loops.describe()} times"


@main.command("inspect")
@click.argument("model_file", metavar="MODEL")
@click.option("--n", "lengths", type=int, multiple=True, help="Input lengths to size runs at (repeatable).")
@click.option("--labels", is_flag=True, help="Also list the residual coordinates by label.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@one_line_errors
def inspect_command(model_file: str, lengths: tuple[int, ...], labels: bool, as_json: bool) -> None:
    """Print the size table of MODEL: layers, heads, width, parameters, padding t(n), loops r(n).

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
    layers = report["layers"]
    click.echo(f"{model.name}  (route {report['route']}, alphabet {report['alphabet']})")
    click.echo(f"  mode        {report['mode']}")
    sections = f"{layers['prefix']} prefix + {layers['block']} block x r(n) + {layers['suffix']} suffix"
    click.echo(f"  layers      {sections}")
    click.echo(f"  heads/ffns  {report['heads']} / {report['ffns']}")
    click.echo(f"  width       {report['width']}")
    click.echo(f"  parameters  {report['parameters']}")
    click.echo(f"  padding     t(n) = {report['padding']}")
    click.echo(f"  loops       r(n) = {report['loops']}")
    click.echo(f"  {'n':>6} {'positions N':>12} {'loops':>6} {'layers run':>11}")
    for run in report["runs"]:
        click.echo(f"  {run['n']:>6} {run['positions']:>12} {run['loops']:>6} {run['layers_run']:>11}")
    if labels:
        click.echo("  residual: " + ", ".join(model.labels))


@main.command("trace")
@click.argument("model_file", metavar="MODEL")
@click.option("--input", "word", required=True, help="The input word.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--step", default=None, help="Attention step to draw, e.g. 'block[0].layer1.attention'.")
@click.option("--head", "heads", multiple=True, help="Heads to draw (repeatable; default: all of the step).")
@BACKEND
@one_line_errors
def trace_command(
    model_file: str, word: str, output: str, step: str | None, heads: tuple[str, ...], backend: str
) -> None:
    """Run MODEL on one word and draw the tie sets of an attention step and the residual stream by label.

    Example: expressivity trace majority.json --input 11010 -o trace.png
    """
    from expressivity.plots import save_trace_png

    get_backend(backend)
    trace = Simulator(serialize.load(model_file)).run(word, backend)
    path = save_trace_png(trace, output, step=step, heads=list(heads) or None)
    click.echo(f"wrote {path} ({trace.positions} positions, {len(trace.ties)} attention heads run)")


@main.command("precision")
@click.argument("model_file", metavar="MODEL")
@click.option("--min-n", default=1, show_default=True, help="Smallest input size.")
@click.option("--max-n", default=6, show_default=True, help="Largest input size (vertices for connectivity).")
@click.option(
    "--samples", default=8, show_default=True, help="Random inputs per size (worst cases are added)."
)
@click.option("--max-bits", default=96, show_default=True, help="Largest p0 searched for.")
@one_line_errors
def precision_command(model_file: str, min_n: int, max_n: int, samples: int, max_bits: int) -> None:
    """p0 per input size: the least p such that fixed:p' gives every tie set and every output of the
    exact run for p' = p .. p + 16 and p' = 2p, on random inputs plus the route's worst cases; beside
    c log2 N with the fitted c.

    Example: expressivity precision majority.json --max-n 12
    """
    from expressivity.precision import audit_words, fitted_constant, precision_table

    model = serialize.load(model_file)
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
