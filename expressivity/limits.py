"""Up-front size estimates of a run, and the limits the command line refuses a run above.

A model runs on N = model.sequence_length(n) tokens through model.layer_count(n) layers, both known
before anything is allocated, and both can be astronomically large: a 6-variable formula at n = 20 has
N = 20^6 + 41 tokens, a loop count read from a file can be 2^63. `estimate` computes

- tokens N and layer applications L at the input length n;
- memory: a deliberately high estimate of the peak bytes of one run,
      P * score_bytes          (when the model has a head that is not uniform: P = N^2 for the score,
                                mask and tie matrices of float64 and fixed:P, which builds its N x N
                                mask for every head; on exact P = min(N^2, 2^22), the chunk of (query
                                group, key class) pairs its tie search holds at once, or N^2 when a
                                trace keeps every tie set to draw it)
    + N * width * cell_bytes * copies
  where copies is 1 + 2 L when every step's residual is recorded (`trace`), else 6 working copies.
  The per-entry sizes come from tracemalloc peaks of single runs of compiled MAJORITY and
  count-hash-retrieve at N = 200 .. 2000 (exact ~145 bytes per N^2 entry: float shadows, exact
  candidates, candidate masks; float64 ~30; fixed:p ~35 while p <= 31, scores in int64), rounded up to
  150, 40 and 40; above p = 31 the scores are Python ints of ~2p bits, 32 + 8*ceil(2p/30) bytes more.
  Exact residual cells are numerators over radical slots (int64, or Python ints when large), float64
  cells 8 bytes, fixed:p cells Python ints of p bits. docs/cli.md compares estimates with measured peaks.

`Limits` holds the three bounds (defaults: 10^6 tokens, 10^5 layer applications, 8 GiB), read from
the environment variables EXPRESSIVITY_MAX_TOKENS, EXPRESSIVITY_MAX_LAYERS, EXPRESSIVITY_MAX_MEMORY when
they are set (`parse_limit`: a whole number, memory with a unit; anything else is a one-line ValueError
naming the variable and the value); `check` raises `LimitError`, one line naming the limit, the
estimate and how to raise it.
The same function is meant for Python callers: `check(estimate(model, n, "exact"))` before a run.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from expressivity.backends.exact_ties import SEARCH_PAIRS
from expressivity.model import Model

DEFAULT_MAX_TOKENS = 10**6
DEFAULT_MAX_LAYERS = 10**5
DEFAULT_MAX_MEMORY = 8 * 2**30
DEFAULT_MAX_MEMORY_TEXT = "8GiB"  # DEFAULT_MAX_MEMORY as the command line shows it
ENVIRONMENT = {
    "tokens": "EXPRESSIVITY_MAX_TOKENS",
    "layers": "EXPRESSIVITY_MAX_LAYERS",
    "memory": "EXPRESSIVITY_MAX_MEMORY",
}
OPTIONS = {"tokens": "--max-tokens", "layers": "--max-layers", "memory": "--max-memory"}

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 2**10, "mi": 2**20, "gi": 2**30}
_UNITS["ti"] = 2**40
_SIZE = re.compile(r"([0-9]+)\s*(k|m|g|t|ki|mi|gi|ti)?b?", re.IGNORECASE)
_WORKING_COPIES = 6


class LimitError(ValueError):
    """A run whose estimate exceeds a limit; raised before anything is allocated."""


_NOT_A_SIZE = "is not a whole number of bytes with a unit such as 8GiB or 512M"
_COUNT = re.compile(r"[0-9]+")


def parse_bytes(text: str) -> int:
    """A memory size: a whole number of bytes with an optional unit, e.g. 8GiB, 512MiB, 2G, 1000000."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"memory size {text!r} {_NOT_A_SIZE}")
    return int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


def parse_limit(name: str, text: str, where: str | None = None) -> int:
    """The limit `name` ("tokens", "layers" or "memory") written as `text`: a whole number, for memory
    with an optional unit (`parse_bytes`). A bad value is a ValueError of one line naming `where` it
    came from (default: the limit's environment variable) and the value, e.g.
    `EXPRESSIVITY_MAX_TOKENS='1e99' is not a whole number (0, 1, 2, ...)`."""
    where = ENVIRONMENT[name] if where is None else where
    memory = name == "memory"
    if not (_SIZE if memory else _COUNT).fullmatch(text.strip()):
        raise ValueError(
            f"{where}={text!r} {_NOT_A_SIZE if memory else 'is not a whole number (0, 1, 2, ...)'}"
        )
    try:
        return parse_bytes(text) if memory else int(text)
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise ValueError(
            f"{where} has a value of {len(text.strip())} characters, too long for a limit"
        ) from None


def format_bytes(count: int) -> str:
    """count in the largest binary unit that keeps it at least 1, e.g. 113.0 GiB."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


@dataclass(frozen=True)
class Limits:
    """Largest tokens N, layer applications L and estimated bytes a run may have."""

    tokens: int = DEFAULT_MAX_TOKENS
    layers: int = DEFAULT_MAX_LAYERS
    memory: int = DEFAULT_MAX_MEMORY

    @classmethod
    def from_environment(cls) -> Limits:
        """The defaults, each replaced by its environment variable when that is set and not empty (an
        empty variable counts as unset, as it does for the command line's options)."""
        found = {name: os.environ.get(variable) or None for name, variable in ENVIRONMENT.items()}
        defaults = cls()
        return cls(
            **{
                name: getattr(defaults, name) if text is None else parse_limit(name, text)
                for name, text in found.items()
            }
        )


@dataclass(frozen=True)
class Estimate:
    """The size of one run of a model on an input of `length` symbols on `backend`."""

    length: int
    tokens: int
    layers: int
    memory: int
    backend: str


def _fixed_bits(backend: str) -> int:
    return int(backend.removeprefix("fixed:"))


def _cell_bytes(backend: str) -> int:
    """Bytes of one residual entry."""
    if backend == "float64":
        return 8
    if backend.startswith("fixed:"):
        return 8 + 28 + 4 * math.ceil(_fixed_bits(backend) / 30)
    return 64  # exact: int64 numerators over ~2 radical slots, with room for Python-int fallbacks


def _score_bytes(backend: str) -> int:
    """Bytes per entry of the N x N attention matrices (score, mask, ties) of one step."""
    if backend == "float64":
        return 40
    if backend.startswith("fixed:"):
        bits = _fixed_bits(backend)
        return 40 if bits <= 31 else 40 + 32 + 8 * math.ceil(2 * bits / 30)
    return 150


def has_full_attention(model: Model, backend: str) -> bool:
    """Whether a run builds N x N attention matrices: a head that is not uniform (scores that depend
    on the position), or any head on fixed:P (whose mask is always an N x N matrix)."""
    heads = [head for _, layers in model.sections() for layer in layers for head in layer.heads]
    if backend.startswith("fixed:"):
        return bool(heads)
    return any(not head.is_uniform for head in heads)


def estimate(model: Model, length: int, backend: str = "exact", record: bool = False) -> Estimate:
    """Tokens, layer applications and a high estimate of the peak memory (module docstring) of one run
    on a word of `length` symbols; `record`: every step's residual is kept (`Simulator.run`'s default)."""
    tokens = model.sequence_length(length)
    layers = model.layer_count(length)
    copies = 1 + 2 * layers if record else _WORKING_COPIES
    memory = tokens * model.width * _cell_bytes(backend) * copies
    if has_full_attention(model, backend):
        pairs = tokens * tokens
        if backend == "exact" and not record:  # tie sets searched over key classes in bounded chunks
            pairs = min(pairs, SEARCH_PAIRS)
        memory += pairs * _score_bytes(backend)
    return Estimate(length, tokens, layers, memory, backend)


def largest_length(model: Model, size: int) -> int:
    """The longest word a sweep up to `size` runs: a circuit's fixed input length; m + m^root symbols
    for a structured input on m = size vertices (a graph: a ruler of m, then the m x m matrix); else
    `size` itself."""
    inputs = model.metadata.get("inputs")
    if model.metadata.get("route") == "circuit" and isinstance(inputs, list):
        return len(inputs)
    if model.size_root > 1:
        return size + size**model.size_root
    return size


def check(found: Estimate, limits: Limits | None = None) -> Estimate:
    """`found` itself when it is within `limits` (default: `Limits.from_environment()`); else LimitError,
    one line naming the limit, the estimate and the option and environment variable that raise it."""
    limits = Limits.from_environment() if limits is None else limits
    where = f"n = {found.length} on {found.backend}"
    over = [
        ("tokens", found.tokens, limits.tokens, f"{found.tokens} tokens", f"{limits.tokens}"),
        ("layers", found.layers, limits.layers, f"{found.layers} layer applications", f"{limits.layers}"),
        (
            "memory",
            found.memory,
            limits.memory,
            f"about {format_bytes(found.memory)} of memory",
            format_bytes(limits.memory),
        ),
    ]
    for name, value, bound, shown, bound_shown in over:
        if value > bound:
            raise LimitError(
                f"the run at {where} needs {shown}, above the limit of {bound_shown} "
                f"(raise it with {OPTIONS[name]} or {ENVIRONMENT[name]})"
            )
    return found


def check_self_check(model: Model, lengths: Iterable[int], limits: Limits) -> None:
    """Refuse, before its first run, a compiler's self-check that runs `model` exactly on words of
    these `lengths`: LimitError `self-check: ` + check's line, at the first length above `limits`.
    (A model too large to check on short words is too large to run on longer ones: N and r(n) grow with n.)"""
    for length in sorted(set(lengths)):
        try:
            check(estimate(model, length, "exact"), limits)
        except LimitError as err:
            raise LimitError(f"self-check: {err}") from None
