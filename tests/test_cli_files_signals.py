"""Files the package writes (`expressivity.files.write_atomic`: modes, no temporary left behind), the
signals of the command line (SIGINT: 130, SIGTERM: 143), trace picture formats, --version, one layer
notation, and progress bars only on a terminal."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import expressivity
from expressivity import files, load, save
from expressivity.cli import main
from expressivity.cli.base import layers_text, progress
from expressivity.examples import majority_model
from expressivity.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
C17 = ROOT / "examples" / "circuits" / "iscas85" / "c17.bench"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the umask for one test and put the old one back."""
    before = os.umask(0o022)
    os.umask(before)
    yield os.umask
    os.umask(before)


@settings(max_examples=12, deadline=None)
@given(mask=st.sampled_from([0o000, 0o002, 0o022, 0o027, 0o077, 0o277]))
def test_a_new_file_gets_0666_minus_the_umask(tmp_path_factory, mask):
    folder = tmp_path_factory.mktemp("modes")
    before = os.umask(mask)
    try:
        model_path = folder / "m.json"
        save(majority_model(), model_path)
        text_path = files.write_atomic(folder / "t.txt", "text")
    finally:
        os.umask(before)
    assert mode(model_path) == mode(text_path) == 0o666 & ~mask
    assert sorted(p.name for p in folder.iterdir()) == ["m.json", "t.txt"]


@pytest.mark.parametrize("old_mode", [0o644, 0o600, 0o640])
def test_overwriting_keeps_the_mode_of_the_old_file(tmp_path, umask, old_mode):
    umask(0o077)
    target = tmp_path / "m.json"
    target.write_text("old")
    target.chmod(old_mode)
    save(majority_model(), target)
    assert mode(target) == old_mode
    assert load(target).name == "majority"


def test_cli_files_and_pictures_get_the_umask_mode(tmp_path, umask):
    umask(0o022)
    model_path, picture = tmp_path / "c17.json", tmp_path / "c17.png"
    assert invoke("compile", "circuit", C17, "-o", model_path).exit_code == 0
    assert invoke("trace", model_path, "--input", "10110", "-o", picture).exit_code == 0
    assert mode(model_path) == mode(picture) == 0o644
    picture.chmod(0o640)
    assert invoke("trace", model_path, "--input", "00000", "-o", picture).exit_code == 0
    assert mode(picture) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def half_then_fail(stream):
        stream.write(b"new, half written")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        files.write_atomic(target, half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(target, lambda stream: (_ for _ in ()).throw(KeyboardInterrupt))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_missing_directory_or_a_directory_target_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"the directory {tmp_path / 'no'} does not exist"):
        files.write_atomic(tmp_path / "no" / "m.json", "x")
    with pytest.raises(IsADirectoryError, match="it is a directory"):
        files.write_atomic(tmp_path, "x")
    result = invoke("compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", tmp_path / "no" / "m.json")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "does not exist" in result.stderr and ".tmp" not in result.stderr


def test_a_symbolic_link_is_written_through(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert files.write_atomic(link, b"new") == link
    assert link.is_symlink() and real.read_text() == "new" and mode(real) == 0o640
    assert files.written()[-1] == link


def test_interrupted_after_the_rename_says_the_file_was_written(tmp_path, monkeypatch):
    def interrupt(directory):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_sync_directory", interrupt)
    out = tmp_path / "m.json"
    result = invoke("compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", out)
    assert result.exit_code == 130
    assert result.stderr == f"interrupted (SIGINT) after writing {out}\n"
    assert "Aborted" not in result.output
    assert load(out).metadata["sentence"] == "M x. Q_1(x)"


def test_interrupted_during_a_run_is_one_line_exit_130(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    save(majority_model(), path)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Simulator, "run", interrupt)
    result = invoke("run", path, "--input", "101")
    assert (result.exit_code, result.stderr, result.stdout) == (130, "interrupted (SIGINT)\n", "")


def _child(script: str, *args: str, **options) -> subprocess.Popen:
    """A Python child running `script` with SIGINT at its default (Python's KeyboardInterrupt), even when
    the test runner ignores it."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **options,
    )


@pytest.mark.parametrize("existing", [False, True])
def test_sigterm_while_writing_exits_143_and_leaves_no_temporary(tmp_path, existing):
    """A real SIGTERM, sent by the child to itself while the temporary file is open (inside fsync)."""
    target = tmp_path / "m.json"
    if existing:
        target.write_text("old")
    script = (
        "import os, signal, sys\n"
        "real_fsync = os.fsync\n"
        "def fsync(fd):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    real_fsync(fd)\n"
        "os.fsync = fsync\n"
        "from expressivity.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    child = _child(script, "compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", str(target))
    out, err = child.communicate(timeout=120)
    assert child.returncode == 143, err
    assert err == "terminated (SIGTERM)\n" and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == (["m.json"] if existing else [])
    if existing:
        assert target.read_text() == "old"


def test_sigint_stops_a_long_exact_run_with_130(tmp_path):
    """c17 with its loop count set to 30000 (60000 layer applications, about a minute of exact work):
    SIGINT arrives in the middle of the exact backend's loops and the process ends within seconds."""
    import json

    path = tmp_path / "long.json"
    assert invoke("compile", "circuit", C17, "-o", path).exit_code == 0
    data = json.loads(path.read_text())
    data["stages"][1]["loops"]["value"] = 30000  # the block stage
    path.write_text(json.dumps(data))
    script = "from expressivity.cli import main\nprint('ready', flush=True)\nmain()"
    child = _child(script, "run", str(path), "--input", "10110")
    assert child.stdout.readline() == "ready\n"
    time.sleep(3)  # well inside the run (loading the model takes a fraction of a second)
    assert child.poll() is None, "the run ended before the signal"
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert err == "interrupted (SIGINT)\n" and out == ""
    assert time.monotonic() - sent < 30


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<svg"), (".pdf", b"%PDF"), (".PNG", b"\x89PNG")])
def test_trace_writes_the_format_its_suffix_names(tmp_path, suffix, magic):
    path = tmp_path / "m.json"
    save(majority_model(), path)
    out = tmp_path / f"trace{suffix}"
    result = invoke("trace", path, "--input", "1101", "-o", out)
    assert result.exit_code == 0, result.output
    assert magic in out.read_bytes()[:400]


def test_trace_refuses_an_unknown_suffix_before_running(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    save(majority_model(), path)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(Simulator, "run", must_not_run)
    for name in ("trace.jpg", "trace"):
        result = invoke("trace", path, "--input", "1", "-o", tmp_path / name)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and "unknown suffix" in result.stderr
        assert ".png, .svg, .pdf" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_version_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "expressivity.__version__"}
    from setuptools.config.pyprojecttoml import read_configuration

    built = read_configuration(ROOT / "pyproject.toml", expand=True)["project"]["version"]
    assert built == expressivity.__version__  # what `pip install` writes into the package metadata
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout == f"expressivity {expressivity.__version__}\n"
    assert expressivity.__version__.count(".") == 2


def test_one_layer_notation_in_compile_inspect_and_layers_text(tmp_path):
    path = tmp_path / "c17.json"
    compiled = invoke("compile", "circuit", C17, "-o", path)
    model = load(path)
    sections = (len(model.prefix), len(model.block), len(model.suffix))
    text = f"prefix {sections[0]} + block {sections[1]} x r(n) + suffix {sections[2]}"
    assert text in compiled.stdout
    assert f"layers      {text}" in invoke("inspect", path).stdout
    loops = model.loops(5)
    total = sections[0] + loops * sections[1] + sections[2]
    assert layers_text(model, 5) == f"{text} = {total} layers at n=5"


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_bars_only_on_a_terminal(monkeypatch, tty):
    stream = _Terminal(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    assert list(progress(range(5), total=5, desc="work")) == [0, 1, 2, 3, 4]
    assert ("work" in stream.getvalue()) is tty


@pytest.mark.parametrize(
    ("to_group", "status", "line"),
    [(True, 130, "interrupted (SIGINT)"), (False, 143, "terminated (SIGTERM)")],
)
def test_a_signal_stops_verify_with_worker_processes_and_leaves_none_behind(tmp_path, to_group, status, line):
    """Ctrl-C at a terminal reaches the whole process group (workers included); SIGTERM may reach only
    the calling process. Either way the command ends at once (no wait for the running chunks) and no
    worker process is left."""
    path = tmp_path / "majority.json"
    assert invoke("compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", path).exit_code == 0
    script = "from expressivity.cli import main\nprint('ready', flush=True)\nmain()"
    arguments = ["verify", str(path), "--samples", "400", "--max-n", "300", "--workers", "2"]
    child = _child(script, *arguments, start_new_session=True)
    assert child.stdout.readline() == "ready\n"
    time.sleep(5)  # the workers are inside their first chunks
    assert child.poll() is None
    if to_group:
        os.killpg(child.pid, signal.SIGINT)
    else:
        child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == status, err
    assert err == f"{line}\n" and out == ""
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)  # nobody is left in the child's process group
