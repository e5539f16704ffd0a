"""The three arithmetic backends (docs/backends.md) and `get_backend`, which parses a backend name."""

from __future__ import annotations

from expressivity.backends.base import Backend, CompiledMatrix, SimulationError, TieSets
from expressivity.backends.exact import ExactBackend
from expressivity.backends.fixed import FixedBackend
from expressivity.backends.float64 import Float64Backend

BACKEND_NAMES = "exact, float64, fixed:P (P a positive number of bits)"


def get_backend(spec: str | Backend) -> Backend:
    """`exact`, `float64` or `fixed:P`; raises ValueError naming the accepted forms otherwise."""
    if not isinstance(spec, str):
        return spec
    if spec == "exact":
        return ExactBackend()
    if spec == "float64":
        return Float64Backend()
    if spec.startswith("fixed:"):
        bits = spec.removeprefix("fixed:")
        if bits.isdigit() and int(bits) > 0:
            return FixedBackend(int(bits))
    raise ValueError(f"unknown backend {spec!r}; use one of: {BACKEND_NAMES}")


__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "CompiledMatrix",
    "ExactBackend",
    "FixedBackend",
    "Float64Backend",
    "SimulationError",
    "TieSets",
    "get_backend",
]
