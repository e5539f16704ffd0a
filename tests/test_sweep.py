"""Sweeps in chunks: on local processes and on a Dask LocalCluster the report is the one-process report
(same count, same first counterexample), and a worker that dies mid-sweep loses no case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
from expressivity.cli.base import Terminated
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


def _scheduler_state(client: Client) -> tuple[list[str], list[str]]:
    """(the chunk tasks the scheduler holds, the clients connected to it)."""

    def state(dask_scheduler):
        chunks = [str(key) for key in dask_scheduler.tasks if str(key).startswith("check_chunk")]
        return chunks, sorted(dask_scheduler.clients)

    return client.run_on_scheduler(state)


def _until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


LONG_CASES = [("10" * 100, False)] * 12  # majority at n = 200: each chunk of one case takes a while


@pytest.mark.parametrize("stop", [KeyboardInterrupt, Terminated])
def test_an_interrupted_dask_sweep_cancels_its_chunks_on_the_callers_client(cluster, stop):
    """Ctrl-C (KeyboardInterrupt) or SIGTERM (the command line's Terminated) after the first chunk: the
    exception reaches the caller and no chunk is left on the scheduler, though the caller's Client stays
    open (and the sweep's frames, holding its futures, are still alive in the exception's traceback)."""
    _, client = cluster

    def stop_after_the_first(size: int) -> None:
        raise stop

    with pytest.raises(stop) as caught:
        sweep(MAJORITY, LONG_CASES, scheduler=client, chunk_size=1, progress=stop_after_the_first)
    assert caught.traceback  # keeps the sweep's futures referenced while the scheduler is asked
    assert _until(lambda: _scheduler_state(client)[0] == []), _scheduler_state(client)
    assert client.status == "running"


@pytest.mark.parametrize(
    ("sent", "status", "line"),
    [(signal.SIGINT, 130, "interrupted (SIGINT)"), (signal.SIGTERM, 143, "terminated (SIGTERM)")],
)
def test_a_signal_stops_verify_on_a_scheduler_in_one_line(cluster, tmp_path, sent, status, line):
    """`verify --scheduler` in a child process, signalled while its chunks are on the cluster: exit
    130/143 with one line, its Client disconnected, no chunk left on the scheduler, no file left."""
    local, client = cluster
    path = tmp_path / "majority.json"
    save(MAJORITY, path)
    work = tmp_path / "work"
    work.mkdir()
    _, clients_before = _scheduler_state(client)
    script = "from expressivity.cli import main\nmain()"
    arguments = [
        "verify",
        str(path),
        "--samples",
        "200",
        "--max-n",
        "300",
        "--scheduler",
        local.scheduler_address,
    ]
    child = subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert _until(lambda: _scheduler_state(client)[0] != [] or child.poll() is not None, 60)
        assert child.poll() is None, child.communicate()
        child.send_signal(sent)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == status, err
    assert (out, err) == ("", f"{line}\n")
    assert _until(lambda: _scheduler_state(client) == ([], clients_before)), _scheduler_state(client)
    assert list(work.iterdir()) == []
