"""`expressivity demo`: compile, run and verify one model of each route on bundled data."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from expressivity import serialize
from expressivity.cli.base import layers_text, main, one_line_errors
from expressivity.model import Model
from expressivity.simulator import Simulator
from expressivity.verification import verify

MAJORITY = "M x. Q_1(x)"


def _demo_models() -> list[tuple[str, str, Callable[[], Model], int, int]]:
    """(file stem, what, build, samples, max_n): the formula route twice, a circuit, connectivity."""
    from circuits.examples import c17
    from expressivity.compile.circuit import compile_circuit
    from expressivity.compile.connectivity import compile_connectivity
    from expressivity.compile.formula import compile_formula
    from expressivity.logic import LIBRARY

    pairwise = LIBRARY["most_pairs_touch_a"]
    return [
        ("majority", f"formula {MAJORITY}", lambda: compile_formula(MAJORITY, "01"), 40, 8),
        (
            "most_pairs_touch_a",
            f"formula {pairwise.text}",
            lambda: compile_formula(pairwise.formula, pairwise.alphabet),
            25,
            5,
        ),
        ("c17", "circuit c17 (ISCAS-85)", lambda: compile_circuit(c17()).model, 32, 0),
        ("connectivity", "s-t connectivity", compile_connectivity, 12, 4),
    ]


@main.command("demo")
@click.option("--save", "save_dir", type=click.Path(file_okay=False), help="Also write the models here.")
@one_line_errors
def demo_command(save_dir: str | None) -> None:
    """Compile MAJORITY and a pairwise-majority (M2) sentence, the c17 circuit and s-t connectivity;
    verify each exactly against its reference on random inputs; compile the S5 word problem (an iterated
    program: one model, loops growing with n); then show float64 flipping MAJORITY decisions at exact
    ties, where the exact backend does not. Takes under a minute.

    Example: expressivity demo --save models/   (then: expressivity run models/c17.json --input 10110)
    """
    header = f"{'model':<44}{'heads':>6}{'width':>6}{'params':>8}{'t(n)':>12}  verification"
    click.echo(header)
    for stem, what, build, samples, max_n in _demo_models():
        start = time.perf_counter()
        model = build()
        report = verify(model, samples, max_n, seed=1)
        seconds = time.perf_counter() - start
        heads = sum(len(layer.heads) for _, layers in model.sections() for layer in layers)
        size = f"{heads:>6}{model.width:>6}{model.parameter_count():>8}{model.padding.describe():>12}"
        status = f"verified on {report.checked} inputs ({seconds:.1f} s)"
        if not report.ok:
            status = f"MISMATCH on {report.counterexample.shown}"
        click.echo(f"{what[:43]:<44}{size}  {status}")
        click.echo(f"    layers: {layers_text(model)}")
        if save_dir is not None:
            Path(save_dir).mkdir(parents=True, exist_ok=True)
            serialize.save(model, Path(save_dir) / f"{stem}.json")
        if not report.ok:
            sys.exit(1)
    click.echo("(t(n): padding tokens for an input of length n; the block runs r(n) times)")
    if save_dir is not None:
        click.echo(f"models saved in {save_dir}: {', '.join(f'{m[0]}.json' for m in _demo_models())}")
    _s5_word_problem(save_dir)
    _float_flips()


def _s5_word_problem(save_dir: str | None) -> None:
    """One S5 word-problem model (an iterated program) at n = 4, 8, 16: loops grow as ceil(log2 n)."""
    from expressivity.compile.iterated import compile_program
    from expressivity.logic import accepts
    from expressivity.logic.program_library import s5_is_identity, s5_program

    program = s5_program()
    start = time.perf_counter()
    model = compile_program(program, "abe", self_check=False)
    click.echo(
        f"\nthe S5 word problem (a = (1 2), b = (1 2 3 4 5), e; accept iff the product is the identity):"
        f"\none model for every n, compiled from an iterated program in {time.perf_counter() - start:.1f} s"
    )
    click.echo(f"layers: {layers_text(model)}")
    click.echo(f"{'n':>4} {'word':<18} {'tokens':>6} {'loops':>5} {'identity':>9}  answer")
    simulator = Simulator(model)
    for n, word in ((4, "aaee"), (8, "bbbbbeae"), (16, "ab" * 8)):
        expected = s5_is_identity(word)
        if n == 4:
            start = time.perf_counter()
            answer = simulator.run(word, record=False).accept
            how = f"model, exact ({time.perf_counter() - start:.1f} s)"
        else:
            answer = accepts(program, word)
            how = "interpreter (exact runs at this n: benchmarks/program_compile.py)"
        status = "ok" if answer == expected else "MISMATCH"
        sizes = f"{model.sequence_length(n):>6} {model.loops(n):>5}"
        click.echo(f"{n:>4} {word:<18} {sizes} {expected!s:>9}  {status}, {how}")
        if answer != expected:
            sys.exit(1)
    if save_dir is not None:
        serialize.save(model, Path(save_dir) / "s5_word_problem.json")
        click.echo(f"model saved in {save_dir}: s5_word_problem.json")


FLIP_LENGTHS = (12, 14, 16, 64, 256)


def _float_flips() -> None:
    """MAJORITY (the hand-built model: one uniform causal head, then a sign cell behind a layer norm) on
    the words 0^k 1^k, which are not majorities: m = (#1 - #0) / ((n + 1) sqrt 2) is exactly 0 there.
    float64's mean of +-1/sqrt 2 over the prefix leaves a residue of about 1e-17 at most lengths, and
    the layer norm N(m, -m) = (1, -1)/sqrt 2 for every m > 0 turns any positive residue into a full
    vote: float64 accepts. The exact backend's m is 0, N(0) = 0, and it rejects."""
    from expressivity.examples import majority_model

    simulator = Simulator(majority_model())
    step = "prefix.layer0.attention"
    click.echo(
        "\nexact against float64 on MAJORITY (hand-built) at a tie, words 0^k 1^k (not majorities):"
        f"\n{'n':>5}  {'m exact':>8}  {'m float64':>10}  {'exact':>7}  {'float64':>7}"
    )
    flipped = []
    for n in FLIP_LENGTHS:
        word = "0" * (n // 2) + "1" * (n // 2)
        exact = simulator.run(word, "exact")
        approx = simulator.run(word, "float64")
        m_exact, m_float = exact.value(n, "m", step), approx.value(n, "m", step)
        mark = "  <- float64 flips" if exact.accept != approx.accept else ""
        if mark:
            flipped.append(n)
        click.echo(
            f"{n:>5}  {m_exact!s:>8}  {float(m_float):>10.2g}  {exact.symbol:>7}  {approx.symbol:>7}{mark}"
        )
    click.echo(
        f"float64 accepts at n = {', '.join(map(str, flipped))}: its m is a rounding residue, not 0,\n"
        "and the layer norm N(m, -m) makes any m > 0 a full vote; the exact m is 0 (no tolerance)."
    )
