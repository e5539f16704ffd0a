"""Sweeps in chunks: on local processes and on a Dask LocalCluster the report is the one-process report
(same count, same first counterexample), and a worker that dies mid-sweep loses no case."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits import evaluate
from circuits.io import read_circuit
from expressivity import load, save, serialize
from expressivity import sweep as sweep_module
from expressivity.cli import main
from expressivity.compile.circuit import compile_circuit
from expressivity.compile.formula import compile_formula
from expressivity.sweep import check_chunk, sweep
from expressivity.verification import verify


@pytest.fixture(scope="module")
def c17(netlists):
    return compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench")).model


@pytest.fixture(scope="module")
def wrong_majority(tmp_path_factory) -> Path:
    """Majority compiled, but the stored reference says 'contains a 1': they differ on some words."""
    path = tmp_path_factory.mktemp("sweep") / "wrong.json"
    save(compile_formula("M x. Q_1(x)", "01"), path)
    data = json.loads(path.read_text())
    data["metadata"]["sentence"] = "exists x. Q_1(x)"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def cluster():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local,
        Client(local) as client,
    ):
        yield local, client


def test_local_processes_give_the_one_process_report(c17, wrong_majority):
    assert verify(c17, 24, workers=2) == verify(c17, 24)
    wrong = load(wrong_majority)
    parallel = verify(wrong, 60, max_n=6, workers=2)
    assert not parallel.ok
    assert parallel == verify(wrong, 60, max_n=6)


@pytest.mark.parametrize("mode", ["cot", "mdm"])
def test_decoding_models_run_in_chunks_on_workers_with_the_one_process_report(cluster, netlists, mode):
    """A chain-of-thought or masked-diffusion c17 is decoded on the workers (each chunk reports its
    progress), and gives the one-process report; so does a copy whose outputs are read negated."""
    import dataclasses

    model = compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), mode=mode).model
    read = [[name, position, not negated] for name, position, negated in model.metadata["read"]]
    broken = dataclasses.replace(model, metadata={**model.metadata, "read": read})
    _, client = cluster
    for engine in ({"workers": 2}, {"scheduler": client}):
        finished: list[int] = []
        assert verify(model, 10, advance=finished.append, **engine) == verify(model, 10)
        assert sum(finished) == 10
        wrong = verify(broken, 10, **engine)
        assert not wrong.ok and wrong == verify(broken, 10)


MAJORITY = compile_formula("M x. Q_1(x)", "01")
WORDS = ["", "1", "0", "11", "10", "110", "011", "1110", "0001", "10101", "111", "00", "1011", "0110"]


@settings(max_examples=6)
@given(st.sets(st.integers(0, len(WORDS) - 1), max_size=3), st.integers(1, 5))
def test_the_first_counterexample_is_the_earliest_in_case_order(flipped, chunk_size):
    """Cases whose expected value is flipped are disagreements; whatever the chunking, the sweep reports
    the first of them, with every case before it counted."""
    cases = [(w, (w.count("1") > len(w) / 2) != (k in flipped)) for k, w in enumerate(WORDS)]
    result = sweep(MAJORITY, cases, workers=2, chunk_size=chunk_size)
    first = min(flipped, default=None)
    assert result.first_bad == first
    assert result.checked == (len(WORDS) if first is None else first)
    if first is not None:
        assert result.got == (not cases[first][1])


def test_a_chunk_stops_at_its_first_disagreement():
    cases = [("11", True), ("10", True), ("1", False)]
    result = check_chunk(serialize.dumps(MAJORITY), "exact", 3, cases)
    assert (result.index, result.size, result.agreeing, result.got) == (3, 3, 1, False)


_MARKER: list[Path] = []
_CHECK = sweep_module._check_installed


def _dies_once(backend, index, chunk):
    """A chunk runner whose process exits hard the first time it runs anywhere (marker file)."""
    marker = _MARKER[0]
    if not marker.exists():
        marker.write_text("died")
        os._exit(1)
    return _CHECK(backend, index, chunk)


def test_a_dead_local_process_loses_no_case(c17, monkeypatch, tmp_path):
    _MARKER[:] = [tmp_path / "died"]
    monkeypatch.setattr(sweep_module, "_check_installed", _dies_once)
    report = verify(c17, 20, workers=2)
    assert (tmp_path / "died").exists()
    assert report.ok and report.checked == 20


def test_dask_gives_the_one_process_report(cluster, c17, wrong_majority):
    _, client = cluster
    assert verify(c17, 24, scheduler=client) == verify(c17, 24)
    wrong = load(wrong_majority)
    assert verify(wrong, 60, max_n=6, scheduler=client) == verify(wrong, 60, max_n=6)


def test_cli_verify_with_workers_and_scheduler(cluster, tmp_path, c17, netlists):
    local, _ = cluster
    path = tmp_path / "c17.json"
    save(c17, path)
    cot = tmp_path / "c17-cot.json"
    save(compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench"), mode="cot").model, cot)
    for option in (["--workers", "2"], ["--scheduler", local.scheduler_address]):
        for model in (path, cot):
            result = CliRunner().invoke(main, ["verify", str(model), "--samples", "12", *option])
            assert result.exit_code == 0, result.output
            assert "verified on 12 inputs" in result.stdout


def test_a_dask_worker_killed_mid_sweep_loses_no_case(cluster, c17, netlists):
    """After the first chunk finishes, one worker process is killed (SIGKILL); its chunks are run again
    elsewhere and every case is still reported."""
    _, client = cluster
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    finished: list[int] = []

    def progress(size: int) -> None:
        finished.append(size)
        if len(finished) == 1:
            os.kill(victim, signal.SIGKILL)

    circuit = read_circuit(netlists / "iscas85" / "c17.bench")
    words = [format(k % 32, "05b") for k in range(40)]
    cases = [(word, evaluate(circuit, [int(b) for b in word])) for word in words]
    result = sweep(c17, cases, scheduler=client, chunk_size=2, progress=progress)
    assert result.first_bad is None and result.checked == 40
    assert sum(finished) == 40
    assert not psutil.pid_exists(victim) or psutil.Process(victim).status() == psutil.STATUS_ZOMBIE
