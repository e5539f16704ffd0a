"""Atomic file writes: every file the package writes goes through `write_atomic`.

The bytes go to a temporary file `.<name>.<random>.tmp` in the target's directory, are flushed and
fsynced, and the temporary file is renamed over the target in one step (`os.replace`), so a reader sees
either the old file or the new one, never half of one. On any exception, KeyboardInterrupt included, the
temporary file is removed. (SIGTERM kills a process without running cleanup code unless a handler turns
it into an exception; the command line installs one, see `expressivity.cli.base`.)

Permissions: a new file gets 0666 & ~umask, like `open(path, "w")` (a bare `mkstemp` would leave 0600
whatever the umask); overwriting keeps the existing file's mode. A symbolic link is written through: the
file it points to is replaced, the link stays.

`written()` lists the paths renamed into place since the process started, so a command interrupted
after its file was written can say so.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_WRITTEN: list[Path] = []
_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def written() -> list[Path]:
    """The files `write_atomic` has renamed into place so far, oldest first."""
    return list(_WRITTEN)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the rename and its bookkeeping, so that an interrupt lands
    either before the target exists or after `written()` records it (main thread on POSIX only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def write_atomic(path: str | os.PathLike, content: bytes | str | Callable[[BinaryIO], None]) -> Path:
    """Write `content` (bytes, text written as UTF-8, or a function that writes to a binary stream) to
    `path` atomically and return the path. The directory must exist (OSError naming it otherwise)."""
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the directory {target.parent} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(content):
                content(stream)
            else:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        with _signals_deferred():
            os.replace(temporary, target)
            _WRITTEN.append(Path(path))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)
    return Path(path)


def _sync_directory(directory: Path) -> None:
    """fsync the directory so the rename itself survives a crash (not possible on every platform)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
