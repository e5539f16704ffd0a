"""Errors raised by the circuit layer.

`CircuitError` means a circuit is not well formed (a gate names an undefined net, a name is defined
twice, a gate has the wrong arity ...). `NetlistError` is the same failure found while reading a file:
it carries the file, line and column so a user can go straight to the offending text.
"""

from __future__ import annotations


class CircuitError(ValueError):
    """A circuit that is not well formed; the message names the offending gate or net."""


class NetlistError(CircuitError):
    """A malformed netlist file. `str(err)` reads `path:line:col: message`."""

    def __init__(self, message: str, path: str = "<string>", line: int = 0, col: int = 0):
        self.message = message
        self.path = str(path)
        self.line = line
        self.col = col
        super().__init__(f"{self.path}:{line}:{col}: {message}")
