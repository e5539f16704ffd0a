"""`expressivity compile formula | circuit | family | connectivity`: write a model JSON file."""

from __future__ import annotations

import math

import click

from circuits import Circuit
from circuits.families import FAMILIES
from expressivity import serialize
from expressivity.cli.base import SourceSyntaxError, layers_text, limit_options, main, one_line_errors
from expressivity.limits import ENVIRONMENT, LimitError, Limits, check, estimate
from expressivity.model import Model

OUTPUT = click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The model file to write.",
)
CAUSAL = click.option(
    "--causal", is_flag=True, help="Make every attention head causal (padding paper's model)."
)
MODE = click.option(
    "--mode",
    type=click.Choice(["loop", "cot", "mdm"]),
    default="loop",
    show_default=True,
    help="loop: a block looped depth times; cot: a fixed-depth model that generates one token per gate; "
    "mdm: a fixed-depth model that unmasks one level of gates per denoising step.",
)


def _written(model: Model, output: str) -> None:
    serialize.save(model, output)
    heads = sum(len(layer.heads) for _, layers in model.sections() for layer in layers)
    click.echo(
        f"wrote {output}: {model.name}, layers {layers_text(model)}, {heads} heads, width {model.width}, "
        f"{model.parameter_count()} parameters, padding t(n) = {model.padding.describe()}, "
        f"r(n) = {model.loops.describe()}"
    )


def _compiled_circuit(
    circuit: Circuit, causal: bool, self_check: bool, limits: Limits, mode: str = "loop"
) -> Model:
    """compile_circuit within `limits` (tokens refused before anything is built); with `self_check`,
    the all-zero and all-one inputs run exactly, within the limits too, and must match the circuit."""
    from expressivity.compile import circuit as route

    compiled = route.compile_circuit(circuit, causal=causal, check=False, max_tokens=limits.tokens, mode=mode)
    if self_check:
        check(estimate(compiled.model, len(circuit.inputs)), limits)
        route.self_check(compiled, circuit)
    return compiled.model


@main.group("compile")
def compile_group() -> None:
    """Compile a formula, an iterated program, a circuit file, a circuit family or graph connectivity
    into a model file. `program` and `formula` and `connectivity` give one model for every input length;
    `circuit` and `family` give a per-circuit (non-uniform) evaluator for one input length, whose loop
    count is the circuit's depth."""


@compile_group.command("formula")
@click.argument("sentence")
@click.option("--alphabet", required=True, help="The input symbols, e.g. ab or 01.")
@OUTPUT
@CAUSAL
@one_line_errors
@limit_options
def compile_formula_command(sentence: str, alphabet: str, output: str, causal: bool, limits: Limits) -> None:
    """Compile an FO[M] SENTENCE (Theorem 1: n^k padding tokens for k variables, fixed depth). The
    compiler's self-check runs the model exactly on every word of length <= 2; a check above the
    --max-* limits is refused before it runs (`error: self-check: ...`), and nothing is written.

    Example: expressivity compile formula 'M x. Q_1(x)' --alphabet 01 -o majority.json
    """
    from expressivity.compile.formula import compile_formula
    from expressivity.logic import FormulaSyntaxError, parse

    try:
        parse(sentence)
    except FormulaSyntaxError as err:
        raise SourceSyntaxError("formula", err) from None
    _written(compile_formula(sentence, alphabet, causal=causal, limits=limits), output)


@compile_group.command("circuit")
@click.argument("netlist", type=click.Path(dir_okay=False))
@OUTPUT
@CAUSAL
@click.option("--no-check", is_flag=True, help="Skip the self-check runs (two exact runs; slow on c6288).")
@MODE
@one_line_errors
@limit_options
def compile_circuit_command(
    netlist: str, output: str, causal: bool, no_check: bool, mode: str, limits: Limits
) -> None:
    """Compile a netlist (.bench, .blif, .aag, .aig, .th) into a per-circuit (non-uniform) evaluator:
    one model for this circuit's input length, one loop iteration per level of the circuit (--mode
    loop), one generated token per gate (cot) or one denoising step per level (mdm).

    Example: expressivity compile circuit examples/circuits/iscas85/c17.bench -o c17.json   (then:
    expressivity run c17.json --input 10110; with --mode cot, run shows the generated tokens)
    """
    from circuits.io import read_circuit

    _written(_compiled_circuit(read_circuit(netlist), causal, not no_check, limits, mode), output)


@compile_group.command("family")
@click.argument("name", type=click.Choice(sorted(FAMILIES)))
@click.option("--n", "size", type=int, required=True, help="The size parameter of the family.")
@OUTPUT
@CAUSAL
@MODE
@one_line_errors
@limit_options
def compile_family_command(
    name: str, size: int, output: str, causal: bool, mode: str, limits: Limits
) -> None:
    """Compile the circuit family NAME at size n (circuits.families): a per-circuit evaluator for that
    one n (a separate model per n; for one model for every n, see `compile program`), in any of the
    modes of `compile circuit` (--mode loop, cot or mdm).

    \b
    Examples: expressivity compile family parity --n 8 -o parity8.json
              expressivity compile family parity --n 8 --mode cot -o parity8-cot.json
    """
    _check_family_size(name, size, limits, mode)
    _written(_compiled_circuit(FAMILIES[name](size), causal, True, limits, mode), output)


_EXTRAPOLATE_ABOVE = 16


def _family_tokens(name: str, size: int, mode: str) -> int:
    """Tokens of the compiled family at `size`, as compile_circuit counts them before building: loop
    mode, the inputs, nodes and wire tokens of its literal form; cot and mdm, the 1 + 2 inputs + 2 nodes
    positions of the decoded sequence."""
    from circuits.literal_form import literal_form_size

    circuit = FAMILIES[name](size)
    counted = literal_form_size(circuit)
    if mode == "loop":
        return len(circuit.inputs) + counted.nodes + counted.literals
    return 1 + 2 * len(circuit.inputs) + 2 * counted.nodes


def _check_family_size(name: str, size: int, limits: Limits, mode: str = "loop") -> None:
    """Refuse a family whose model would pass --max-tokens BEFORE building its circuit (building
    reachability or iterated addition at a large n takes minutes to hours): above n = 16 the token
    count is extrapolated as t(16) (n/16)^e with e = log2(t(16)/t(8)), from two small builds."""
    raise_it = f"(raise it with --max-tokens or {ENVIRONMENT['tokens']})"
    if size > limits.tokens:  # every family has at least n inputs, each a token
        raise LimitError(
            f"family {name} at n = {size} needs more than {size} tokens, above the limit of {limits.tokens} "
            + raise_it
        )
    if size <= _EXTRAPOLATE_ABOVE:
        return
    small = _family_tokens(name, _EXTRAPOLATE_ABOVE // 2, mode)
    large = _family_tokens(name, _EXTRAPOLATE_ABOVE, mode)
    exponent = math.log2(large / small)
    log10_predicted = math.log10(large) + exponent * math.log10(size / _EXTRAPOLATE_ABOVE)  # no overflow
    if log10_predicted > math.log10(limits.tokens):
        shown = f"{10**log10_predicted:.2g}" if log10_predicted < 300 else f"10^{log10_predicted:.0f}"
        raise LimitError(
            f"family {name} at n = {size} would need about {shown} tokens (extrapolated from n = "
            f"{_EXTRAPOLATE_ABOVE // 2} and {_EXTRAPOLATE_ABOVE}), above the limit of {limits.tokens} "
            + raise_it
        )


@compile_group.command("connectivity")
@OUTPUT
@one_line_errors
def compile_connectivity_command(output: str) -> None:
    """Compile s-t connectivity: one model for every graph, m^3 padding, ceil(log2 m) loops.

    Input words: a ruler of m symbols over -stb (s marks the source, t the target, b both), then the
    m x m adjacency matrix row-major over 01.
    Example: expressivity compile connectivity -o conn.json; expressivity run conn.json --input s-t010001000
    """
    from expressivity.compile.connectivity import compile_connectivity

    _written(compile_connectivity(), output)


@compile_group.command("program")
@click.argument("program_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--alphabet", default=None, help="The input symbols of a word program, e.g. ab (graph: none).")
@OUTPUT
@CAUSAL
@one_line_errors
@limit_options
def compile_program_command(
    program_file: str, alphabet: str | None, output: str, causal: bool, limits: Limits
) -> None:
    """Compile an iterated FO[M] program FILE: ONE model for every input length (uniform TC^d). The
    compiler's self-check runs the model exactly on every word of length <= 2 (a graph program: on
    at most one vertex); a check above the --max-* limits (its loop count and padding at n = 2) is
    refused before it runs (`error: self-check: ...`), and nothing is written.

    \b
    A program file (comments start with #; docs/program-grammar.md has the full grammar):
      input word;                      # or: input graph (ruler over -stb, then a 01 matrix)
      relation R(x, y):                # relations with their argument variables
          init   x < y;                # FO[M] formula, free variables among the arguments
          update R(x, y) | exists z. R(x, z) & R(z, y);   # may read every relation
      loops ceil(log2 n) + 1;          # c*ceil(log2 n)^d + c0: the block runs r(n) times
      accept exists x. R(x, x);        # sentence, may read every relation
    Updates are simultaneous; formulas use Q_a(x), x < y, x = y, ~ & | -> <->, exists, forall,
    M (majority), M2 (pair majority), exists>=t. Padding n^k for k distinct variables.

    Example: expressivity compile program examples/programs/s5_word_problem.prog --alphabet abe -o s5.json
    """
    from pathlib import Path

    from expressivity.compile.iterated import compile_program
    from expressivity.logic import FormulaSyntaxError, parse_program

    text = Path(program_file).read_text(encoding="utf-8")
    try:
        program = parse_program(text)
    except FormulaSyntaxError as err:
        raise SourceSyntaxError(program_file, err) from None
    _written(compile_program(program, alphabet, causal=causal, limits=limits), output)
