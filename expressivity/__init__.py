"""expressivity: compile FO[M] formulas, iterated FO[M] programs (uniform TC^d: one model for every n)
and threshold circuits (a per-circuit evaluator) into padded, looped AHAT transformers and run them
exactly. The core: `Model` (docs/semantics.md), `Simulator` / `run` (or `Model.run`) with the backends
"exact", "fixed:P" and "float64" (docs/backends.md), `Trace`, and JSON model files (`save`, `load`).
The compile routes live in `expressivity.compile` (`formula.compile_formula`,
`iterated.compile_program`, `circuit.compile_circuit`, `connectivity.compile_connectivity`);
`expressivity.verification.verify` checks a compiled model against the reference stored in it."""

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it from here

from expressivity.model import (
    FFN,
    Head,
    InputError,
    Layer,
    LoopCount,
    Model,
    ModelError,
    OutputTap,
    Padding,
    Stage,
    Timestep,
    View,
)
from expressivity.serialize import ModelFileError, load, save
from expressivity.simulator import Simulator, run
from expressivity.trace import Trace

__all__ = [
    "FFN",
    "Head",
    "InputError",
    "Layer",
    "LoopCount",
    "Model",
    "ModelError",
    "ModelFileError",
    "OutputTap",
    "Padding",
    "Simulator",
    "Stage",
    "Timestep",
    "Trace",
    "View",
    "load",
    "run",
    "save",
]
