"""The README's Python example runs as written, from the repository root, and prints what its comments say."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_readme_python_example_runs_as_documented(monkeypatch):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "True" and lines[1] == "True"
    assert lines[2] == "{'22': 1, '23': 0}"
    assert "state[0]" in lines[3]  # the residual table's header names the labels
