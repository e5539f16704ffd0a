"""Verification sweeps beyond one process: chunks of cases on local processes or on a Dask cluster.

The cases (input word and expected outcome) are drawn in the calling process, exactly as the
one-process `verify` draws them, and cut into chunks of consecutive cases. Each worker receives the model
once, as the text of its JSON model file (never a pickled model object), builds a `Simulator` from it
and keeps it for every chunk it runs; a chunk reports how many of its cases agreed before the first
disagreement and what the model said there. Merged, the report is the one `verify` gives in one process:
the number of agreeing cases before the first counterexample in case order, and that counterexample.

Engines:
- local (the default): `concurrent.futures.ProcessPoolExecutor` with `workers` processes. If a process
  dies the pool is broken; the chunks not yet finished are run again on a fresh pool (up to `retries`
  times), so no case is lost.
- Dask: `scheduler` is the address of a `distributed` scheduler (e.g. "tcp://10.0.0.5:8786", see
  docs/sweeps.md). The model text is scattered to every worker once; chunks are tasks. When a worker
  dies, the scheduler runs its unfinished tasks on the other workers (and `retries` covers a task that
  raised).
Once a disagreement is known, chunks after it are cancelled: they cannot change the report.
"""

from __future__ import annotations

import hashlib
import math
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from expressivity import serialize
from expressivity.model import Model
from expressivity.simulator import Simulator

DEFAULT_RETRIES = 2
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class ChunkResult:
    """`agreeing` cases of the chunk agreed before the first disagreement (all of them if `got` is None)."""

    index: int
    size: int
    agreeing: int
    got: Any = None

    @property
    def ok(self) -> bool:
        return self.agreeing == self.size


@dataclass(frozen=True)
class SweepResult:
    """`checked` cases agreed before the first disagreement, the case number of which is `first_bad`
    (None when every case agreed), where the model gave `got`."""

    checked: int
    first_bad: int | None
    got: Any = None


_SIMULATORS: dict[str, Simulator] = {}


def _simulator(model_text: str) -> Simulator:
    """The worker's Simulator for this model text, parsed once per process and model."""
    key = hashlib.sha256(model_text.encode()).hexdigest()
    if key not in _SIMULATORS:
        _SIMULATORS.clear()  # a worker serves one sweep at a time; keep one model
        _SIMULATORS[key] = Simulator(serialize.loads(model_text, "<sweep model>"))
    return _SIMULATORS[key]


def check_chunk(model_text: str, backend: str, index: int, chunk: Sequence[tuple[str, Any]]) -> ChunkResult:
    """Run the model on each (word, expected) of the chunk, stopping at the first disagreement (a model
    run by generation or denoising is decoded, as `verify` does in one process)."""
    from expressivity.verification import model_outcome

    simulator = _simulator(model_text)
    for k, (word, expected) in enumerate(chunk):
        got = model_outcome(simulator, word, backend)
        if got != expected:
            return ChunkResult(index, len(chunk), k, got)
    return ChunkResult(index, len(chunk), len(chunk))


_INSTALLED: list[str] = []


def _install(model_text: str) -> None:
    """Pool initializer: the model text arrives once per process, then chunks refer to it.

    Ctrl-C reaches every process of the terminal's process group; the calling process handles it (it
    stops the pool, see `_local`), so a worker ignores SIGINT, and a SIGTERM ends a worker at once
    (whatever handler it inherited from the calling process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _INSTALLED[:] = [model_text]
    _simulator(model_text)


def _check_installed(backend: str, index: int, chunk: Sequence[tuple[str, Any]]) -> ChunkResult:
    return check_chunk(_INSTALLED[0], backend, index, chunk)


def chunked(cases: Sequence[tuple[str, Any]], size: int) -> list[list[tuple[str, Any]]]:
    return [list(cases[start : start + size]) for start in range(0, len(cases), size)]


class _Merge:
    """Collects chunk results; knows which chunks still matter once a disagreement is found."""

    def __init__(self, chunks: Sequence[Sequence[tuple[str, Any]]], progress: Callable[[int], None] | None):
        self.chunks = chunks
        self.results: dict[int, ChunkResult] = {}
        self.first_bad_chunk = math.inf
        self.progress = progress

    def add(self, result: ChunkResult) -> None:
        self.results[result.index] = result
        if not result.ok:
            self.first_bad_chunk = min(self.first_bad_chunk, result.index)
        if self.progress:
            self.progress(result.size)

    def needed(self, index: int) -> bool:
        return index not in self.results and index < self.first_bad_chunk

    def outcome(self) -> SweepResult:
        checked = 0
        for index in range(len(self.chunks)):
            result = self.results[index]
            checked += result.agreeing
            if not result.ok:
                return SweepResult(checked, checked, result.got)
        return SweepResult(checked, None)


def _local(model_text: str, backend: str, merge: _Merge, workers: int, retries: int) -> None:
    for attempt in range(retries + 1):
        pending = [index for index in range(len(merge.chunks)) if merge.needed(index)]
        if not pending:
            return
        try:
            with ProcessPoolExecutor(workers, initializer=_install, initargs=(model_text,)) as pool:
                try:
                    _run_pool(pool, backend, merge, pending)
                except BaseException:
                    _stop_workers(pool)
                    raise
        except BrokenProcessPool:
            if attempt == retries:
                raise RuntimeError(f"sweep: worker processes died {retries + 1} times; giving up") from None


def _run_pool(pool: ProcessPoolExecutor, backend: str, merge: _Merge, pending: list[int]) -> None:
    futures = {pool.submit(_check_installed, backend, index, merge.chunks[index]): index for index in pending}
    while futures:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        for future in done:
            futures.pop(future)
            merge.add(future.result())
        for future, index in list(futures.items()):
            if not merge.needed(index) and future.cancel():
                futures.pop(future)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """On an error or an interrupt: drop the queued chunks and end the running ones now, so that leaving
    the pool does not wait for chunks whose results nobody will read."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _dask(model_text: str, backend: str, merge: _Merge, scheduler: Any, retries: int) -> None:
    """The chunks as tasks on a Dask cluster. On an error, Ctrl-C (KeyboardInterrupt) or SIGTERM (the
    command line's `Terminated`) every chunk is cancelled on the scheduler (the queued ones never run,
    finished results are let go), so the cluster stops working for nobody even when the caller's Client
    stays open; a Client opened here is closed. A chunk already running on a worker finishes there,
    unread: Dask does not stop a running task."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    futures: dict[Any, int] = {}
    try:
        text = client.scatter(model_text, broadcast=True)
        futures = {
            client.submit(check_chunk, text, backend, index, chunk, retries=retries, pure=False): index
            for index, chunk in enumerate(merge.chunks)
        }
        stream = as_completed(futures)
        for future in stream:
            if future.cancelled():
                continue
            merge.add(future.result())
            late = [f for f, index in futures.items() if not merge.needed(index) and not f.done()]
            if late:
                client.cancel(late)
    except BaseException:
        if futures and client.status == "running":
            client.cancel(list(futures))
        raise
    finally:
        if client is not scheduler:
            client.close()


def sweep(
    model: Model,
    cases: Sequence[tuple[str, Any]],
    backend: str = "exact",
    workers: int = 2,
    scheduler: Any = None,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    retries: int = DEFAULT_RETRIES,
) -> SweepResult:
    """Check `cases` ((word, expected outcome) pairs) in chunks on `workers` local processes, or on the
    Dask cluster at `scheduler` (an address, or a `distributed.Client`). `progress(k)` is called as each
    chunk of k cases finishes."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if chunk_size is None:
        chunk_size = max(1, math.ceil(len(cases) / (max(workers, 2) * CHUNKS_PER_WORKER)))
    if chunk_size < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_size}")
    merge = _Merge(chunked(cases, chunk_size), progress)
    model_text = serialize.dumps(model)
    if scheduler is not None:
        _dask(model_text, backend, merge, scheduler, retries)
    else:
        _local(model_text, backend, merge, workers, retries)
    return merge.outcome()
