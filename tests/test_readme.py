"""The README's Python example runs and prints what its comments say."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_example_runs_as_documented(shared_circuits):
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    code = block.replace('"c17.bench"', repr(str(shared_circuits / "iscas85" / "c17.bench")))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "True" and lines[1] == "True"
    assert lines[2] == "{'22': 1, '23': 0}"
    assert "state[0]" in lines[3]  # the residual table's header names the labels
