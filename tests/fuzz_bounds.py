"""A time and memory bound for one fuzz case, so that a hang or a blow-up fails the test instead of the
machine.

`within_bounds(seconds, megabytes)` runs the body with a wall-clock alarm (`signal.alarm`, so it must run
in the main thread, as pytest and its xdist workers do) and an address-space limit of `megabytes` above
what the process already maps (`RLIMIT_AS`, restored on exit). Running past the alarm raises
`CaseTooSlow` (again on leaving the block, should the case have swallowed it, e.g. inside a garbage
collector callback); allocating past the limit raises MemoryError inside the case. Both are failures of the
code under test: the bound is on behaviour (a reader must refuse absurd input early), not a speed
assertion, so it is set far above what a sound case needs.
"""

from __future__ import annotations

import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class CaseTooSlow(Exception):
    """The case ran past its wall-clock bound (a hang)."""


def _mapped_bytes() -> int:
    """The process's current virtual size (VmSize in /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmSize not found in /proc/self/status")


@contextmanager
def within_bounds(seconds: int = 30, megabytes: int = 512) -> Iterator[None]:
    """Run the body under `seconds` of wall clock and `megabytes` more address space (module docstring)."""
    fired: list[bool] = []

    def alarm(signum: int, frame: object) -> None:
        fired.append(True)
        raise CaseTooSlow(f"the case ran longer than {seconds} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _mapped_bytes() + megabytes * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    previous = signal.signal(signal.SIGALRM, alarm)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, previous)
    if fired:
        raise CaseTooSlow(f"the case ran longer than {seconds} s")
