"""The teaching notebooks run top to bottom without an error and draw at least one picture.

Each notebook is executed by nbclient in a fresh "python3" kernel whose working directory is notebooks/
(notebook 03 finds examples/circuits from there). The repository root is put on the kernel's PYTHONPATH so
that the notebooks import this checkout, whatever is installed, and hypothesis (notebook 05) keeps its
cache in a temporary directory rather than in notebooks/.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_NAMES = [
    "01_ahat_and_layer_norm.ipynb",
    "02_padding_gives_tc0.ipynb",
    "03_looping_gives_tcd.ipynb",
    "04_precision.ipynb",
    "05_test_your_construction.ipynb",
    "06_cot_or_loop.ipynb",
    "07_softmax_bridge.ipynb",
]


def test_every_notebook_is_executed():
    """A notebook added to notebooks/ but left out of the parametrisation would go untested."""
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(NOTEBOOK_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOK_NAMES)
def test_notebook_runs_and_draws(name, monkeypatch, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        f"{name} is committed with outputs; clear them"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "hypothesis"))
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    errors = [out for out in outputs if out.output_type == "error"]
    assert not errors, f"{name}:\n" + "\n".join(errors[0].traceback)
    images = [
        out
        for out in outputs
        if out.output_type in ("display_data", "execute_result") and "image/png" in out.get("data", {})
    ]
    assert images, f"{name} drew no picture"
