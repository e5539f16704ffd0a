"""Pictures of real traces: PNGs that open as real images, tie-set panels that show exactly the trace's tie
sets, residual heat maps of the right shape and values, line plots, and plain errors."""

from __future__ import annotations

from fractions import Fraction

import matplotlib.image
import matplotlib.pyplot
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.io import read_circuit
from expressivity import Simulator, run
from expressivity.compile.circuit import compile_circuit
from expressivity.examples import count_hash_retrieve_model, majority_model
from expressivity.plots import (
    attention_steps,
    precision_figure,
    residual_figure,
    save_trace_picture,
    series_figure,
    tie_set_figure,
    trace_figure,
)
from expressivity.precision import PrecisionRow

MAJORITY = majority_model()


@pytest.fixture(scope="module")
def c17(netlists) -> Simulator:
    """The compiled ISCAS-85 c17 (5 inputs, 2 outputs), prepared once."""
    return Simulator(compile_circuit(read_circuit(netlists / "iscas85" / "c17.bench")).model)


def expected_ties(trace, step: str, head: str) -> np.ndarray:
    """The boolean matrix of the tie sets, built from the trace's own lists."""
    matrix = np.zeros((trace.positions, trace.positions), dtype=bool)
    for i, members in enumerate(trace.ties[(step, head)].as_lists()):
        matrix[i, members] = True
    return matrix


def assert_real_picture(path) -> None:
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200
    flat = pixels.reshape(-1, pixels.shape[-1])
    assert len(np.unique(flat, axis=0)) > 2


def test_majority_trace_png(tmp_path) -> None:
    trace = run(MAJORITY, "01101")
    path = save_trace_picture(trace, tmp_path / "majority.png")
    assert path == tmp_path / "majority.png"
    assert_real_picture(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["majority.png"]  # no temporary file left


def test_c17_trace_png_replaces_an_old_file(tmp_path, c17) -> None:
    trace = c17.run("10110")
    target = tmp_path / "c17.png"
    target.write_bytes(b"old")
    save_trace_picture(trace, target, step="prefix.layer1.attention")
    assert_real_picture(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c17.png"]


@settings(max_examples=10)
@given(st.tuples(*[st.sampled_from("01")] * 5), st.data())
def test_c17_tie_panels_show_the_trace_tie_sets(c17, bits: tuple[str, ...], data) -> None:
    trace = c17.run("".join(bits), record=False)
    step = data.draw(st.sampled_from(attention_steps(trace)))
    heads = [head for name, head in trace.ties if name == step]
    figure = tie_set_figure(trace, step)
    assert len(figure.axes) == len(heads)
    for ax, head in zip(figure.axes, heads, strict=True):
        assert head in ax.get_title() and step in ax.get_title()
        shown = np.asarray(ax.images[0].get_array())
        assert np.array_equal(shown, expected_ties(trace, step, head))


def test_default_step_is_the_last_attention_step_and_heads_can_be_chosen(c17) -> None:
    trace = c17.run("11111")
    last = [s.name for s in trace.steps if s.sublayer == "attention"][-1]
    figure = tie_set_figure(trace)
    assert all(last in ax.get_title() for ax in figure.axes)
    heads = [head for name, head in trace.ties if name == last]
    one = tie_set_figure(trace, last, heads=heads[-1:])
    assert len(one.axes) == 1
    assert np.array_equal(
        np.asarray(one.axes[0].images[0].get_array()), expected_ties(trace, last, heads[-1])
    )


def test_small_runs_label_positions_by_token() -> None:
    trace = run(MAJORITY, "0110")
    ax = tie_set_figure(trace).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == trace.tokens
    assert [t.get_text() for t in ax.get_xticklabels()] == trace.tokens


@given(st.text("01", min_size=1, max_size=8))
@settings(max_examples=10)
def test_residual_panel_shape_and_values(word: str) -> None:
    trace = run(count_hash_retrieve_model(), word)
    figure = residual_figure(trace)
    shown = np.asarray(figure.axes[0].images[0].get_array())
    assert shown.shape == (trace.positions, len(trace.labels))
    # After the embedding the residual is E(token): compare with the model's embedding table directly.
    embedded = np.asarray(residual_figure(trace, step=0).axes[0].images[0].get_array())
    model = count_hash_retrieve_model()
    table = [
        [float(model.embedding.get(kind, {}).get(label, 0)) for label in model.labels]
        for kind in trace.tokens
    ]
    assert np.array_equal(embedded, np.array(table))


def test_residual_of_chosen_labels_on_the_fixed_backend() -> None:
    trace = run(MAJORITY, "0111", backend="fixed:16")
    figure = residual_figure(trace, step="prefix.layer0.attention", labels=["m", "-m"])
    shown = np.asarray(figure.axes[0].images[0].get_array())
    assert shown.shape == (trace.positions, 2)
    # Two 1s more than 0s at the last of 5 positions: m = 2 / (5 sqrt 2), rounded by fixed:16 (8 fractional
    # bits) once in the view (1/sqrt 2 -> 181/256) and once in the mean (2 * 181 / 5 = 72.4 -> 72/256).
    assert shown[-1, 0] == float(Fraction(72, 256)) and shown[-1, 1] == -shown[-1, 0]
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["m", "-m"]


def test_series_figure_lines() -> None:
    figure = series_figure(
        [2, 4, 8, 16],
        {"loops": [1, 2, 3, None], "theory: log2 n": [1.0, 2.0, 3.0, 4.0]},
        xlabel="n",
        ylabel="loops",
        title="loops vs n",
        logx=True,
    )
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["loops", "theory: log2 n"]
    assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"]
    assert all(line.get_marker() == "o" for line in ax.get_lines())
    assert np.isnan(ax.get_lines()[0].get_ydata()[-1])
    assert ax.get_xscale() == "log" and ax.get_title() == "loops vs n"


def test_precision_figure_draws_measurements_and_theory() -> None:
    rows = [PrecisionRow(1, 2, 2, 1, 1.0), PrecisionRow(3, 4, 8, None, 2.0)]
    lines = precision_figure(rows).axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[1, 3], [1, 3]]
    assert lines[0].get_ydata()[0] == 1 and np.isnan(lines[0].get_ydata()[1])
    assert lines[1].get_linestyle() == "--"


def test_trace_figure_without_intermediate_steps_shows_the_final_residual() -> None:
    trace = run(MAJORITY, "011", record=False)
    figure = trace_figure(trace)
    heat = [ax for ax in figure.axes if ax.get_title().startswith("residual")]
    assert len(heat) == 1 and heat[0].get_title() == "residual after final.layer0.residual"


def test_figures_leave_no_pyplot_state(tmp_path) -> None:
    before = matplotlib.pyplot.get_fignums()
    trace = run(MAJORITY, "10")
    tie_set_figure(trace)
    residual_figure(trace)
    save_trace_picture(trace, tmp_path / "t.png")
    assert matplotlib.pyplot.get_fignums() == before


def test_bad_places_and_names_are_refused(tmp_path) -> None:
    trace = run(MAJORITY, "10")
    missing = tmp_path / "nowhere"
    with pytest.raises(ValueError, match=f"the directory {missing} does not exist"):
        save_trace_picture(trace, missing / "t.png")
    with pytest.raises(ValueError, match="it is a directory"):
        save_trace_picture(trace, tmp_path)
    with pytest.raises(ValueError, match=r"no attention step named 'x'; the attention steps are \["):
        tie_set_figure(trace, "x")
    with pytest.raises(ValueError, match=r"has no head 'nope'; its heads are \['count'\]"):
        save_trace_picture(trace, tmp_path / "t.png", heads=["nope"])
    with pytest.raises(ValueError, match="has no coordinate 'zz'"):
        residual_figure(trace, labels=["zz"])
    with pytest.raises(ValueError, match="no step named 'later'"):
        residual_figure(trace, step="later")
    with pytest.raises(ValueError, match="step 9 is out of range"):
        residual_figure(trace, step=9)
    with pytest.raises(ValueError, match="series 'a' has 1 values but there are 2"):
        series_figure([1, 2], {"a": [1]}, "x", "y", "t")
    assert list(tmp_path.iterdir()) == []
