"""Netlist files: read and write circuits as ISCAS .bench, BLIF, AIGER (.aag/.aig) and threshold .th.

`read_circuit(path)` and `write_circuit(circuit, path)` pick the format from the file's suffix. Every
reader reports a malformed file as `NetlistError` with `path:line:col: message` and never returns part of
a circuit; every writer handles every gate kind (rewriting the ones a format lacks) and keeps the
function, the order of inputs and the order of outputs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from circuits.errors import NetlistError
from circuits.io.aiger import parse_aag, parse_aig, read_aiger, write_aag, write_aig
from circuits.io.bench import parse_bench, read_bench, write_bench
from circuits.io.blif import parse_blif, read_blif, write_blif
from circuits.io.threshold import parse_threshold, read_threshold, write_threshold
from circuits.ir import Circuit

READERS: dict[str, Callable[[Path], Circuit]] = {
    ".bench": read_bench,
    ".blif": read_blif,
    ".aag": read_aiger,
    ".aig": read_aiger,
    ".th": read_threshold,
}
WRITERS: dict[str, Callable[[Circuit], str | bytes]] = {
    ".bench": write_bench,
    ".blif": write_blif,
    ".aag": write_aag,
    ".aig": write_aig,
    ".th": write_threshold,
}


def _suffix(path: Path, table: dict) -> str:
    suffix = path.suffix.lower()
    if suffix not in table:
        known = " ".join(sorted(table))
        raise NetlistError(f"unknown netlist suffix {path.suffix!r} (known: {known})", str(path), 0, 0)
    return suffix


def _umask() -> int:
    """The process's file-creation mask (mkstemp makes owner-only files; the result should not be)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_circuit(path: str | Path) -> Circuit:
    """Read a netlist, its format chosen by suffix: .bench .blif .aag .aig .th."""
    path = Path(path)
    return READERS[_suffix(path, READERS)](path)


def write_circuit(circuit: Circuit, path: str | Path) -> None:
    """Write `circuit` to `path` in the format its suffix names.

    The content goes to a temporary file in the same folder, which then replaces `path` in one step, so
    a failed write leaves neither a half-written file nor a stray temporary one.
    """
    path = Path(path)
    content = WRITERS[_suffix(path, WRITERS)](circuit)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = [
    "parse_aag",
    "parse_aig",
    "parse_bench",
    "parse_blif",
    "parse_threshold",
    "read_aiger",
    "read_bench",
    "read_blif",
    "read_circuit",
    "read_threshold",
    "write_aag",
    "write_aig",
    "write_bench",
    "write_blif",
    "write_circuit",
    "write_threshold",
]
