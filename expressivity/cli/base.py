"""The `expressivity` command group and what every command shares: the error convention, signals, size
limits, progress bars and the one way layer counts are written.

Every error a user can cause (missing or malformed file, bad formula or netlist, unknown backend, a word
outside the alphabet, a run above a size limit, a run that cannot go on) prints ONE line `error: ...` on
stderr and exits with status 2; a formula or program that does not parse adds the source line and a
caret under the column. `verify` exits with status 1 when the model disagrees with its reference.
Ctrl-C (SIGINT) prints one line and exits with 130, SIGTERM with 143; a file being written is either
complete or absent (`expressivity.files`), and a file already written before the signal is named.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from expressivity import __version__, files
from expressivity.backends import BACKEND_NAMES, Backend, SimulationError, get_backend
from expressivity.limits import (
    DEFAULT_MAX_LAYERS,
    DEFAULT_MAX_MEMORY_TEXT,
    DEFAULT_MAX_TOKENS,
    ENVIRONMENT,
    OPTIONS,
    Estimate,
    Limits,
    check,
    estimate,
    parse_limit,
)
from expressivity.logic import FormulaSyntaxError
from expressivity.model import LoopCount, Model
from expressivity.serialize import ModelFileError

T = TypeVar("T")

BACKEND = click.option("--backend", default="exact", show_default=True, help=f"One of: {BACKEND_NAMES}.")
"""The --backend option of every command that runs a model (checked with get_backend in the command, so
that an unknown name is a one-line error like the others)."""

USER_ERRORS = (ModelFileError, SimulationError, ValueError, OSError)
INTERRUPTED, TERMINATED = 130, 143  # 128 + the signal number, as shells report them


class SourceSyntaxError(ValueError):
    """A formula or program that does not parse: `source:line:col: message`, then the source line and a
    caret under the column (as `FormulaSyntaxError` draws them)."""

    def __init__(self, source: str, err: FormulaSyntaxError) -> None:
        super().__init__(f"{source}:{err.line}:{err.col}: {err.message}")
        self.picture = str(err).splitlines()[1:]


class Terminated(BaseException):
    """SIGTERM turned into an exception, so that `finally` blocks (a temporary file's removal) run."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated


def _stop(status: int, what: str, written_before: int) -> None:
    done = files.written()[written_before:]
    after = f" after writing {', '.join(map(str, done))}" if done else ""
    click.echo(f"{what}{after}", err=True)
    sys.exit(status)


class CommandGroup(click.Group):
    """A click group whose commands end cleanly on SIGINT (exit 130) and SIGTERM (exit 143)."""

    def invoke(self, ctx: click.Context) -> Any:
        before = len(files.written())
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _stop(INTERRUPTED, "interrupted (SIGINT)", before)
        except Terminated:
            _stop(TERMINATED, "terminated (SIGTERM)", before)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user error raised by `command` into `error: ...` on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SourceSyntaxError as err:
            click.echo(f"error: {err}", err=True)
            for line in err.picture:
                click.echo(f"  {line}", err=True)
            sys.exit(2)
        except USER_ERRORS as err:
            message = str(err).strip().splitlines() or [type(err).__name__]
            click.echo(f"error: {message[0]}", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo(
                "error: ran out of memory (the machine's, below the estimated limit); lower the input size, "
                f"or lower --max-memory / {ENVIRONMENT['memory']} to refuse such runs up front",
                err=True,
            )
            sys.exit(2)

    return wrapper


def _limits(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, max_tokens: str, max_layers: str, max_memory: str, **kwargs: Any) -> Any:
        context = click.get_current_context()
        given = {"tokens": max_tokens, "layers": max_layers, "memory": max_memory}
        found = {}
        for name, text in given.items():
            source = context.get_parameter_source(f"max_{name}")
            where = ENVIRONMENT[name] if source == ParameterSource.ENVIRONMENT else OPTIONS[name]
            found[name] = parse_limit(name, text, where)
        return command(*args, limits=Limits(**found), **kwargs)

    return wrapper


def limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --max-tokens, --max-layers and --max-memory (each also read from its environment variable)
    and pass them to `command` as one `limits` argument. Put it below `one_line_errors`: a bad value,
    given as an option or in the environment, is then one line `error: NAME='VALUE' is not ...` naming
    the option or the variable it came from, exit status 2 (not click's usage message)."""
    options = [
        click.option(
            "--max-memory",
            default=DEFAULT_MAX_MEMORY_TEXT,
            metavar="SIZE",
            envvar=ENVIRONMENT["memory"],
            show_default=True,
            show_envvar=True,
            help="Refuse a run whose estimated memory is larger (bytes; units K M G, KiB MiB GiB).",
        ),
        click.option(
            "--max-layers",
            default=str(DEFAULT_MAX_LAYERS),
            metavar="COUNT",
            envvar=ENVIRONMENT["layers"],
            show_default=True,
            show_envvar=True,
            help="Refuse a run of more layer applications (prefix + r(n) x block + suffix); a whole number.",
        ),
        click.option(
            "--max-tokens",
            default=str(DEFAULT_MAX_TOKENS),
            metavar="COUNT",
            envvar=ENVIRONMENT["tokens"],
            show_default=True,
            show_envvar=True,
            help="Refuse a run of more tokens N = 1 + n + t(n) + tail; a whole number.",
        ),
    ]
    wrapped = _limits(command)
    for option in options:
        wrapped = option(wrapped)
    return wrapped


def checked_run(
    model: Model, length: int, backend: str, limits: Limits, record: bool = False
) -> tuple[Backend, Estimate]:
    """The backend named `backend` and the run's size estimate, after refusing (LimitError, one line)
    a run of `model` on `length` symbols above `limits`."""
    engine = get_backend(backend)
    return engine, check(estimate(model, length, engine.name, record), limits)


def progress(items: Iterable[T], **options: Any) -> Iterator[T]:
    """`tqdm(items, ...)` on stderr when stderr is a terminal; the items unchanged otherwise (no bar
    in logs, pipes or files)."""
    from tqdm import tqdm

    return iter(tqdm(items, file=sys.stderr, disable=not sys.stderr.isatty(), **options))


def layers_text(model: Model, n: int | None = None) -> str:
    """The one way layer counts are written: `prefix 3 + block 2 x r(n) + suffix 1` for the three-stage
    form, `setup 7 + closure 2 x ceil(log2 n) + ...` for other stages (a stage run once shows no factor),
    and with an input length `= 11 layers at n=8` (the sum over stages of layers x loops(s), s = size(n))."""
    if model.is_three_stage:
        text = f"prefix {len(model.prefix)} + block {len(model.block)} x r(n) + suffix {len(model.suffix)}"
    else:
        once = LoopCount(value=1)
        text = " + ".join(
            f"{stage.name} {len(stage.layers)}"
            + ("" if stage.loops == once else f" x {stage.loops.describe()}")
            for stage in model.stages
        )
    return text if n is None else f"{text} = {model.layer_count(n)} layers at n={n}"


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="expressivity", message="%(prog)s %(version)s")
def main() -> None:
    """Compile FO[M] formulas, threshold circuits and graph connectivity into padded, looped AHAT
    transformers with layer norm, run them exactly, and verify them.

    Start with `expressivity demo`; every command has --help with an example. Commands that run a
    model refuse, before running, a run above --max-tokens, --max-layers or --max-memory (defaults
    10^6 tokens, 10^5 layer applications, 8 GiB; see docs/cli.md).
    """
