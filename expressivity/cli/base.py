"""The `expressivity` command group and its error convention.

Every error a user can cause (missing or malformed file, bad formula or netlist, unknown backend, a word
outside the alphabet, a run that cannot go on) prints ONE line `error: ...` on stderr and exits with
status 2. `verify` exits with status 1 when the model disagrees with its reference.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from expressivity.backends import BACKEND_NAMES, SimulationError
from expressivity.serialize import ModelFileError

BACKEND = click.option("--backend", default="exact", show_default=True, help=f"One of: {BACKEND_NAMES}.")
"""The --backend option of every command that runs a model (checked with get_backend in the command, so
that an unknown name is a one-line error like the others)."""

USER_ERRORS = (ModelFileError, SimulationError, ValueError, OSError)


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as err:
            message = str(err).strip().splitlines() or [type(err).__name__]
            click.echo(f"error: {message[0]}", err=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Compile FO[M] formulas, threshold circuits and graph connectivity into padded, looped AHAT
    transformers with layer norm, run them exactly, and verify them.

    Start with `expressivity demo`; every command has --help with an example.
    """
