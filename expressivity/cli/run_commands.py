"""`expressivity run` and `expressivity verify`."""

from __future__ import annotations

import json
import sys

import click
from tqdm import tqdm

from expressivity import serialize
from expressivity.backends import get_backend
from expressivity.cli.base import BACKEND, checked_run, limit_options, main, one_line_errors, progress
from expressivity.decoding import MASK, Generation, run_decoder, run_kind
from expressivity.limits import Limits, largest_length
from expressivity.simulator import Simulator
from expressivity.verification import verify


@main.command("run")
@click.argument("model_file", metavar="MODEL")
@click.option(
    "--input", "word", required=True, help="The input word; for a circuit, its input bits in order."
)
@BACKEND
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option(
    "--steps",
    type=click.IntRange(min=0),
    default=None,
    help="For a generating or denoising model (compile circuit --mode cot|mdm): at most this many steps.",
)
@one_line_errors
@limit_options
def run_command(
    model_file: str, word: str, backend: str, as_json: bool, steps: int | None, limits: Limits
) -> None:
    """Run MODEL (a model JSON file) on one input and print accept/reject, or the output bits by name.
    A chain-of-thought model shows the tokens it generated, a masked-diffusion model the sequence after
    each denoising step (MASK shown as _).

    Examples: expressivity run majority.json --input 11010 --backend fixed:24
              expressivity run c17.json --input 10110 --json
              expressivity run c17-cot.json --input 10110 --steps 3
    """
    get_backend(backend)
    model = serialize.load(model_file)
    engine, _ = checked_run(model, len(word), backend, limits)
    if run_kind(model) is not None:
        _run_decoder(model, word, backend, as_json, steps)
        return
    trace = Simulator(model).run(word, engine, record=False)
    if as_json:
        click.echo(json.dumps(trace.summary()))
        return
    verdict = {True: "accept", False: "reject", None: trace.symbol or "outputs"}[trace.accept]
    click.echo(
        f"{verdict}  ({model.name}, {backend}, N={trace.positions} positions, {trace.layers_run} layers)"
    )
    for name, bit in trace.outputs.items():
        click.echo(f"  {name} = {bit}")


def _run_decoder(model, word: str, backend: str, as_json: bool, steps: int | None) -> None:
    """`run` for a model run by generation or denoising: the decoded sequence and the outputs."""
    decoded = run_decoder(model, word, backend, steps)
    prompt = len(model.tokens(word))
    if isinstance(decoded.run, Generation):
        shown = ["".join(decoded.run.generated)]
    else:
        first = prompt - decoded.run.frames[0].count(MASK)
        shown = ["".join("_" if t == MASK else t for t in frame[first:]) for frame in decoded.run.frames]
    if as_json:
        summary = {"model": model.name, "backend": backend, "word": word, "run": run_kind(model)}
        summary.update(steps=decoded.steps, layers_run=decoded.layers_run, outputs=decoded.outputs)
        click.echo(json.dumps({**summary, "sequence": shown}))
        return
    how = "generated" if isinstance(decoded.run, Generation) else "denoised"
    click.echo(
        f"{how} in {decoded.steps} steps ({model.name}, {backend}, {decoded.layers_run} layer applications)"
    )
    for step, line in enumerate(shown):
        click.echo(f"  {step:>4}  {line}" if len(shown) > 1 else f"  {line}")
    for name, bit in decoded.outputs.items():
        click.echo(f"  {name} = {'?' if bit is None else bit}")


@main.command("verify")
@click.argument("model_file", metavar="MODEL")
@click.option("--samples", default=100, show_default=True, help="How many random inputs to try.")
@click.option("--max-n", default=8, show_default=True, help="Largest word length (formulas) or vertex count.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@BACKEND
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Local worker processes (chunks of inputs in parallel).",
)
@click.option("--scheduler", default=None, help="Address of a Dask scheduler to run the chunks on instead.")
@one_line_errors
@limit_options
def verify_command(
    model_file: str,
    samples: int,
    max_n: int,
    seed: int,
    backend: str,
    workers: int,
    scheduler: str | None,
    limits: Limits,
) -> None:
    """Compare MODEL with the reference stored in it (the formula's model checker, the circuit's
    evaluator, or networkx reachability) on random inputs. Exit 0 if all agree, 1 and the first
    counterexample otherwise.

    Example: expressivity verify majority.json --samples 200 --max-n 10
             expressivity verify c432.json --samples 10000 --workers 2
             expressivity verify c432.json --samples 10000 --scheduler tcp://127.0.0.1:8786
    (see docs/sweeps.md for starting a Dask cluster)
    """
    get_backend(backend)
    model = serialize.load(model_file)
    checked_run(model, largest_length(model, max_n), backend, limits)

    def bar(stream):
        return progress(stream, total=samples, desc=f"verify {model.name}", unit="input", leave=False)

    if workers > 1 or scheduler:
        engine = f"dask at {scheduler}" if scheduler else f"{workers} processes"
        with tqdm(
            total=samples,
            desc=f"verify {model.name} ({engine})",
            unit="input",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        ) as chunks:
            report = verify(model, samples, max_n, seed, backend, None, workers, scheduler, chunks.update)
    else:
        report = verify(model, samples, max_n, seed, backend, bar)
    if report.ok:
        click.echo(f"verified on {report.checked} inputs ({model.name}, {report.route}, {backend})")
        return
    case = report.counterexample
    click.echo(f"MISMATCH after {report.checked} agreeing inputs on {case.shown}", err=True)
    click.echo(f"  expected {case.expected}, the model gave {report.got}", err=True)
    sys.exit(1)
