"""One verification sweep three ways: 1 process, 2 local processes (--workers 2), a 2-worker Dask
LocalCluster on this machine.

The sweep is c432 (ISCAS-85) on 256 random input vectors plus a k = 2 sentence (pairwise majority,
"M x. M y. (x < y -> Q_1(y))") on 256 random words of length <= 8, all on the exact backend. Every engine
must report the same thing (all inputs agree); the table gives wall-clock seconds, and the CPU seconds
of the one-process and the 2-process sweeps (this process plus its pool's processes: equal CPU with
unequal wall time means the machine, not the engine, set the pace). The last line is
`workers=2 / workers=1 sweep time: R` (0.5 is the ideal on 2 free cores). The machine may be shared with
other jobs, so R from one run is noisy; the ratio is measured, not promised.

Run from the repository root: python benchmarks/sweep.py
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))  # this checkout, also for the worker processes started below

from distributed import Client, LocalCluster  # noqa: E402

from circuits.io import read_circuit  # noqa: E402
from expressivity.compile.circuit import compile_circuit  # noqa: E402
from expressivity.compile.formula import compile_formula  # noqa: E402
from expressivity.model import Model  # noqa: E402
from expressivity.verification import verify  # noqa: E402

SAMPLES = 256


def workloads() -> list[tuple[str, Model, int]]:
    c432 = compile_circuit(
        read_circuit(_ROOT / "examples" / "circuits" / "iscas85" / "c432.bench"), check=False
    )
    pairwise = compile_formula("M x. M y. (x < y -> Q_1(y))", "01")
    return [("c432", c432.model, 0), ("k=2 formula", pairwise, 8)]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the local pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(model: Model, max_n: int, **engine) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process and its pool) of one sweep."""
    start, cpu = time.perf_counter(), cpu_seconds()
    report = verify(model, SAMPLES, max_n=max_n, seed=1, **engine)
    elapsed = time.perf_counter() - start
    if not report.ok or report.checked != SAMPLES:
        raise SystemExit(f"{model.name}: the sweep did not verify all {SAMPLES} inputs: {report}")
    return elapsed, cpu_seconds() - cpu


def main() -> None:
    engines = ("1 process", "workers=2", "LocalCluster(2)")
    totals = dict.fromkeys(engines, 0.0)
    header = f"{'sweep':<14} {'1 process s':>12} {'workers=2 s':>12} {'LocalCluster(2) s':>18}"
    print(f"{header}   CPU s: 1 / workers=2")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        for name, model, max_n in workloads():
            runs = {
                "1 process": timed(model, max_n),
                "workers=2": timed(model, max_n, workers=2),
                "LocalCluster(2)": timed(model, max_n, scheduler=client),
            }
            for engine, (seconds, _) in runs.items():
                totals[engine] += seconds
            walls = " ".join(f"{runs[e][0]:>{w}.1f}" for e, w in zip(engines, (12, 12, 18), strict=True))
            print(f"{name:<14} {walls}   {runs['1 process'][1]:.1f} / {runs['workers=2'][1]:.1f}")
    walls = " ".join(f"{totals[e]:>{w}.1f}" for e, w in zip(engines, (12, 12, 18), strict=True))
    print(f"{'total':<14} {walls}")
    print(f"LocalCluster(2) / workers=1 sweep time: {totals['LocalCluster(2)'] / totals['1 process']:.2f}")
    print(f"workers=2 / workers=1 sweep time: {totals['workers=2'] / totals['1 process']:.2f}")


if __name__ == "__main__":
    main()
