"""The `expressivity` command line: compile, run, verify, inspect, trace, precision, demo."""

from expressivity.cli import (  # noqa: F401 (register)
    bridge_commands,
    compile_commands,
    demo,
    inspect_commands,
    run_commands,
)
from expressivity.cli.base import main

__all__ = ["main"]
