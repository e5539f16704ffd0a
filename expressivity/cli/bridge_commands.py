"""`expressivity export` (safetensors + config.json) and `expressivity softmax` (the softmax bridge)."""

from __future__ import annotations

import click

from expressivity import serialize
from expressivity.cli.base import checked_run, limit_options, main, one_line_errors
from expressivity.limits import Limits, largest_length


@main.command("export")
@click.argument("model_file", metavar="MODEL")
@click.option(
    "-o", "--output", "directory", required=True, type=click.Path(file_okay=False), help="Directory to write."
)
@one_line_errors
def export_command(model_file: str, directory: str) -> None:
    """Write MODEL as DIR/model.safetensors (dense float64 tensors over the residual stream, plus exact
    int64 numerator/denominator tensors) and DIR/config.json (labels, norm groups, masks, loop counts,
    padding, alphabet, tail). `expressivity.export.load_export(DIR)` reads it back into the same model.

    Example: expressivity export majority.json -o majority/
    """
    from expressivity.export import export

    model = serialize.load(model_file)
    weights, config = export(model, directory)
    click.echo(f"wrote {weights} and {config} ({model.name}, width {model.width})")


@main.command("softmax")
@click.argument("model_file", metavar="MODEL")
@click.option(
    "--max-n", type=int, required=True, help="Largest input size n (vertex count for connectivity)."
)
@click.option("--min-n", type=int, default=1, show_default=True, help="Smallest input size n.")
@click.option("--words", type=int, default=4, show_default=True, help="Random test words per size.")
@click.option("--bound", type=float, default=1e-3, show_default=True, help="Allowed tie-set mean deviation.")
@click.option(
    "--norm-floor",
    type=float,
    default=0.0,
    show_default=True,
    help="Read a norm group as 0 when ||x - mean|| is at most this (0: the model's exact N).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the test words.")
@click.option("--threads", type=int, default=1, show_default=True, help="torch CPU threads.")
@click.option(
    "-o",
    "--output",
    "plot",
    type=click.Path(dir_okay=False),
    help="Write the beta-n plot (.png, .svg or .pdf).",
)
@one_line_errors
@limit_options
def softmax_command(
    model_file: str,
    max_n: int,
    min_n: int,
    words: int,
    bound: float,
    norm_floor: float,
    seed: int,
    threads: int,
    plot: str | None,
    limits: Limits,
) -> None:
    """For n = min-n .. max-n, the smallest inverse temperature beta at which softmax attention makes every
    decision of the exact AHAT run of MODEL (same outputs, tie-set means within --bound), and a power-law
    fit of beta against n. Needs the optional extra `torch`.

    Example: expressivity softmax majority.json --max-n 12 -o beta.png
    """
    import torch

    from expressivity.plots import picture_format, save_figure
    from expressivity.softmax import bridge, bridge_figure

    if plot:
        picture_format(plot, "beta-n plot")  # before the sweep: an unknown suffix costs nothing
    torch.set_num_threads(threads)
    model = serialize.load(model_file)
    checked_run(model, largest_length(model, max_n), "float64", limits)
    result = bridge(model, max_n, min_n, words, bound, seed, norm_floor)
    click.echo(result.table())
    if plot:
        save_figure(bridge_figure(result), plot, "beta-n plot")
        click.echo(f"wrote {plot}")
