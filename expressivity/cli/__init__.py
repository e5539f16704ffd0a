"""The `expressivity` command line: compile, run, verify, inspect, trace, precision, demo."""

from expressivity.cli import compile_commands, demo, inspect_commands, run_commands  # noqa: F401 (register)
from expressivity.cli.base import main

__all__ = ["main"]
