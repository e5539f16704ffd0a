"""The softmax bridge: the beta search finds the threshold of a monotone predicate, the fit recovers a
power law, and on real models the beta found is where softmax starts to agree with exact."""

from __future__ import annotations

import math

import pytest
import torch
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from expressivity import Simulator, save
from expressivity.cli import main
from expressivity.compile.formula import compile_formula
from expressivity.examples import majority_model
from expressivity.softmax import (
    MAX_BETA,
    BetaPoint,
    agreement,
    bridge,
    bridge_figure,
    deviation,
    fit_power_law,
    reference,
    smallest_beta,
)
from expressivity.torch_module import to_module
from expressivity.verification import words_of_size

torch.set_num_threads(1)  # the test machine has 2 shared cores; more threads only contend

BETAS = st.floats(1e-3, 1e9)


@given(threshold=BETAS, start=BETAS)
def test_the_search_finds_the_threshold_of_a_monotone_predicate(threshold, start):
    found = smallest_beta(lambda beta: beta >= threshold, start=start, precision=0.01)
    assert threshold <= found <= threshold * 1.01


def test_the_search_reports_never_and_always():
    assert smallest_beta(lambda beta: False) is None
    assert smallest_beta(lambda beta: beta > MAX_BETA * 4) is None
    assert smallest_beta(lambda beta: True) == 0.0


@given(st.floats(0.5, 4), st.floats(0.1, 100))
def test_the_fit_recovers_a_power_law(exponent, constant):
    points = [BetaPoint(n, n * n, 1, constant * n**exponent, None) for n in range(1, 9)]
    fitted_exponent, fitted_constant = fit_power_law(points)
    assert math.isclose(fitted_exponent, exponent, rel_tol=1e-9)
    assert math.isclose(fit_power_law(points, "positions")[0], exponent / 2, rel_tol=1e-9)
    assert math.isclose(fitted_constant, constant, rel_tol=1e-9)


def test_uniform_heads_agree_at_every_temperature():
    """The hand-built majority model has only a uniform head (all scores 0): softmax is the uniform
    average for every beta, which is exactly AHAT's."""
    result = bridge(majority_model(), max_n=4, words=3)
    assert [p.beta for p in result.points] == [0.0] * 4
    assert result.exponent is None


@pytest.fixture(scope="module")
def compiled_majority():
    model = compile_formula("M x. Q_1(x)", "01")
    return model, bridge(model, max_n=5, min_n=2, words=3)


def test_the_beta_found_is_where_softmax_starts_to_agree(compiled_majority):
    """Re-checked independently of the search: at the beta found every word agrees (outputs, tie-set
    means within the bound), at beta / 1.1 some word does not."""
    model, result = compiled_majority
    simulator = Simulator(model)
    for point in result.points:
        assert point.beta is not None and point.beta > 0
        references = [
            reference(simulator, w)
            for w in dict.fromkeys(words_of_size(model, point.size, 3, seed=point.size))
        ]
        module = to_module(model, "softmax")
        at_beta = [deviation(module, r, point.beta) for r in references]
        assert all(same and worst <= result.bound for same, worst in at_beta)
        assert not agreement(model, references, result.bound)(point.beta / 1.1)


def test_compiled_majority_needs_a_colder_softmax_as_n_grows(compiled_majority):
    _, result = compiled_majority
    betas = [p.beta for p in result.points]
    assert betas == sorted(betas) and betas[-1] > 10 * betas[0]
    assert result.exponent > 1
    figure = bridge_figure(result)
    assert isinstance(figure, Figure)
    assert len(figure.axes[0].lines) == 2  # measured points and the fit


def test_cli_prints_the_table_and_writes_the_plot(tmp_path):
    source = tmp_path / "majority.json"
    save(compile_formula("M x. Q_1(x)", "01"), source)
    plot = tmp_path / "beta.png"
    result = CliRunner().invoke(
        main, ["softmax", str(source), "--min-n", "2", "--max-n", "3", "-o", str(plot)]
    )
    assert result.exit_code == 0, result.output
    assert "beta(all decisions)" in result.stdout and "fit: beta ~" in result.stdout
    assert plot.read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(main, ["softmax", str(source), "--min-n", "3", "--max-n", "2"])
    assert bad.exit_code == 2 and "min_n" in bad.stderr
