"""The `expressivity` command line.

Every error a user can cause (missing or malformed model file, unknown backend, a word outside the
alphabet, a run that cannot go on) prints one line `error: ...` on stderr and exits with status 2.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from expressivity import serialize
from expressivity.backends import BACKEND_NAMES, SimulationError, get_backend
from expressivity.model import InputError, ModelError
from expressivity.simulator import Simulator

USER_ERRORS = (serialize.ModelFileError, InputError, ModelError, SimulationError, ValueError, OSError)


def _one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Exact averaging-hard-attention transformers: run model files, or the bundled demo."""


@main.command("run")
@click.argument("model_file", metavar="MODEL")
@click.option("--input", "word", required=True, help="The input word (use '' for the empty word).")
@click.option("--backend", default="exact", show_default=True, help=f"One of: {BACKEND_NAMES}.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@_one_line_errors
def run_command(model_file: str, word: str, backend: str, as_json: bool) -> None:
    """Run MODEL (a model JSON file) on one word and print the readout.

    Example: expressivity run majority.json --input 11010 --backend fixed:24
    """
    get_backend(backend)
    model = serialize.load(model_file)
    trace = Simulator(model).run(word, backend)
    summary = trace.summary()
    if as_json:
        click.echo(json.dumps(summary))
        return
    verdict = {True: "accept", False: "reject", None: trace.symbol}[trace.accept]
    click.echo(
        f"{verdict}  ({model.name}, {backend}, N={trace.positions} positions, {trace.layers_run} layers)"
    )
    for name, bit in trace.outputs.items():
        click.echo(f"  {name} = {bit}")


def _majority_reference(word: str) -> bool:
    return 2 * word.count("1") > len(word)


def _ends_in_zero(word: str) -> bool:
    return word.endswith("0")


@main.command("demo")
@click.option("--max-n", default=8, show_default=True, help="Check every word up to this length.")
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False),
    help="Also write the bundled models as JSON model files into this folder.",
)
@_one_line_errors
def demo_command(max_n: int, save_dir: str | None) -> None:
    """Run the bundled hand-built models exactly and against float64, and verify them.

    Example: expressivity demo --max-n 6 --save models/  (then: expressivity run models/majority.json
    --input 11010)
    """
    from expressivity.examples import count_hash_retrieve_model, majority_model

    cases = [
        (majority_model(), _majority_reference),
        (count_hash_retrieve_model(), _ends_in_zero),
    ]
    if save_dir is not None:
        Path(save_dir).mkdir(parents=True, exist_ok=True)
        for model, _ in cases:
            serialize.save(model, Path(save_dir) / f"{model.name}.json")
        click.echo(f"saved {', '.join(f'{m.name}.json' for m, _ in cases)} in {save_dir}")
    click.echo(f"{'model':<22}{'layers':>7}{'heads':>6}{'width':>6}{'params':>7}  verification")
    for model, reference in cases:
        simulator = Simulator(model)
        words = ["".join(w) for n in range(max_n + 1) for w in itertools.product(model.alphabet, repeat=n)]
        start = time.perf_counter()
        wrong = [w for w in words if simulator.run(w, record=False).accept != reference(w)]
        seconds = time.perf_counter() - start
        heads = sum(len(layer.heads) for _, layers in model.sections() for layer in layers)
        status = f"verified on {len(words)} inputs (exact, {seconds:.1f} s)"
        if wrong:
            status = f"MISMATCH on {wrong[0]!r}"
        size = f"{model.layer_count(1):>7}{heads:>6}{model.width:>6}{model.parameter_count():>7}"
        click.echo(f"{model.name:<22}{size}  {status}")
        if wrong:
            sys.exit(1)
    model = count_hash_retrieve_model()
    simulator = Simulator(model)
    rng = random.Random(0)
    click.echo("\nexact against float64 on count-hash-retrieve (random words):")
    click.echo(f"{'n':>6}  {'exact':>7}  {'float64':>7}  tie sets that differ")
    for n in (16, 256, 1024):
        word = "".join(rng.choice("01") for _ in range(n))
        exact = simulator.run(word, "exact", record=False)
        approx = simulator.run(word, get_backend("float64"), record=False)
        key = ("prefix.layer1.attention", "retrieve")
        differ = sum(
            exact.ties[key].of(i).tolist() != approx.ties[key].of(i).tolist() for i in range(exact.positions)
        )
        click.echo(f"{n:>6}  {exact.symbol:>7}  {approx.symbol:>7}  {differ} of {exact.positions} positions")
