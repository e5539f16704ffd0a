"""`expressivity export` (safetensors + config.json) and `expressivity softmax` (the softmax bridge)."""

from __future__ import annotations

import click

from expressivity import serialize
from expressivity.cli.base import main, one_line_errors


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
