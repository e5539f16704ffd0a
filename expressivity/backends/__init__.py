"""The three arithmetic backends (docs/backends.md) and `get_backend`, which parses a backend name."""

from __future__ import annotations

import re

from expressivity.backends.base import Backend, CompiledMatrix, SimulationError, TieSets
from expressivity.backends.exact import ExactBackend
from expressivity.backends.fixed import FixedBackend
from expressivity.backends.float64 import Float64Backend

MAX_FIXED_BITS = 4096
"""The largest P of `fixed:P`: a fixed:P run works on Python ints of P bits, and the precision audits
need a few dozen to a few hundred; a larger P only makes a run slower (fixed:10^8 would not finish)."""
BACKEND_NAMES = f"exact, float64, fixed:P (P = 2 .. {MAX_FIXED_BITS} bits)"


def get_backend(spec: str | Backend) -> Backend:
    """`exact`, `float64` or `fixed:P` with P written in ASCII digits, 2 <= P <= MAX_FIXED_BITS; raises
    ValueError naming the accepted forms otherwise."""
    if not isinstance(spec, str):
        return spec
    if spec == "exact":
        return ExactBackend()
    if spec == "float64":
        return Float64Backend()
    if spec.startswith("fixed:"):
        bits = spec.removeprefix("fixed:")
        if re.fullmatch("[0-9]{1,9}", bits) and 2 <= int(bits) <= MAX_FIXED_BITS:
            return FixedBackend(int(bits))
        raise ValueError(
            f"unknown backend {spec!r}: fixed:P needs P = 2 .. {MAX_FIXED_BITS} in decimal digits "
            f"(use one of: {BACKEND_NAMES})"
        )
    raise ValueError(f"unknown backend {spec!r}; use one of: {BACKEND_NAMES}")


__all__ = [
    "BACKEND_NAMES",
    "MAX_FIXED_BITS",
    "Backend",
    "CompiledMatrix",
    "ExactBackend",
    "FixedBackend",
    "Float64Backend",
    "SimulationError",
    "TieSets",
    "get_backend",
]
