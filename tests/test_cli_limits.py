"""Size limits checked before a run (`expressivity.limits`, --max-tokens/--max-layers/--max-memory and
their environment variables), the bounds of `fixed:P`, and out-of-memory as one line."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressivity import limits, load, save
from expressivity.backends import MAX_FIXED_BITS, get_backend
from expressivity.cli import main
from expressivity.compile.connectivity import compile_connectivity
from expressivity.examples import majority_model
from expressivity.model import LoopCount
from expressivity.simulator import Simulator


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def majority_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("limits") / "majority.json"
    save(majority_model(), path)
    return path


@pytest.fixture(scope="module")
def looped_file(tmp_path_factory):
    """The hand-built majority model with a one-layer block whose loop count comes from the file."""
    path = tmp_path_factory.mktemp("limits") / "looped.json"
    model = majority_model()
    looped = replace(model, prefix=(), block=model.prefix, loops=LoopCount(value=2**63, fixed=True))
    save(looped, path)
    return path


def test_a_long_word_is_refused_before_running(tmp_path, monkeypatch):
    """The compiled MAJORITY (N = 2n + 1, position-dependent heads): at n = 100000, N x N score matrices
    of 4 * 10^10 entries on float64 and fixed:P; the exact backend searches tie sets over key classes
    in bounded chunks, and at n = 400000 its residual (800001 positions x 53 cells) is what is refused."""
    path = tmp_path / "majority.json"
    assert invoke("compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", path).exit_code == 0

    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(Simulator, "run", must_not_run)
    for backend, n in (("exact", 400_000), ("float64", 100_000), ("fixed:24", 100_000)):
        line = one_line_error(
            invoke("run", path, "--input", "1" * n, "--backend", backend),
            "--max-memory",
            "EXPRESSIVITY_MAX_MEMORY",
        )
        assert f"n = {n} on {backend}" in line and "GiB" in line


def test_a_loop_count_of_2_to_the_63_is_refused(looped_file):
    assert load(looped_file).layer_count(3) == 2**63
    one_line_error(
        invoke("run", looped_file, "--input", "110"),
        f"{2**63} layer applications",
        "limit of 100000",
        "--max-layers",
        "EXPRESSIVITY_MAX_LAYERS",
    )
    one_line_error(invoke("trace", looped_file, "--input", "110", "-o", looped_file.with_suffix(".png")))
    assert not looped_file.with_suffix(".png").exists()


def test_verify_and_precision_check_their_largest_input(tmp_path):
    path = tmp_path / "conn.json"
    model = compile_connectivity()
    save(model, path)
    # m = 200 vertices: BOS, a word of 200 + 200^2 symbols, m^3 padding tokens and the fixed tail
    line = one_line_error(invoke("verify", path, "--max-n", 200, "--samples", 1), "--max-tokens")
    assert f"{1 + 200 + 200**2 + 200**3 + len(model.tail)} tokens" in line
    one_line_error(invoke("precision", path, "--max-n", 200), "tokens", "--max-tokens")


def test_a_six_variable_formula_at_n_20_is_refused(tmp_path):
    path = tmp_path / "six.json"
    sentence = "exists a. exists b. exists c. exists d. exists e. exists f. Q_1(a) & Q_1(f)"
    assert invoke("compile", "formula", sentence, "--alphabet", "01", "-o", path).exit_code == 0
    model = load(path)
    line = one_line_error(invoke("run", path, "--input", "1" * 20), "--max-tokens")
    assert f"{model.sequence_length(20)} tokens" in line and model.sequence_length(20) > 20**6


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=st.integers(0, 12), limit=st.integers(1, 14), through_environment=st.booleans())
def test_a_run_is_refused_exactly_when_its_tokens_exceed_the_limit(
    majority_file, length, limit, through_environment
):
    word = "10" * (length // 2) + "1" * (length % 2)
    if through_environment:
        result = invoke("run", majority_file, "--input", word, env={"EXPRESSIVITY_MAX_TOKENS": str(limit)})
    else:
        result = invoke("run", majority_file, "--input", word, "--max-tokens", limit)
    tokens = length + 1  # BOS and the word: the hand-built majority has no padding
    if tokens > limit:
        one_line_error(result, f"{tokens} tokens", f"limit of {limit}")
    else:
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("accept" if word.count("1") * 2 > length else "reject")


def test_an_option_beats_the_environment_and_bad_values_are_one_line(majority_file):
    env = {"EXPRESSIVITY_MAX_TOKENS": "2"}
    assert invoke("run", majority_file, "--input", "110", "--max-tokens", 4, env=env).exit_code == 0
    one_line_error(invoke("run", majority_file, "--input", "110", env=env), "limit of 2")
    one_line_error(
        invoke("run", majority_file, "--input", "1", "--max-memory", "lots"), "--max-memory", "lots"
    )
    one_line_error(invoke("run", majority_file, "--input", "1", "--max-memory", "10"), "limit of 10 bytes")


@pytest.mark.parametrize("value", ["abc", "-3", "1e99", "2.5", "\u0663", "10 tokens"])
@pytest.mark.parametrize("name", ["tokens", "layers", "memory"])
def test_a_bad_limit_in_the_environment_or_an_option_is_one_line_naming_it(
    majority_file, monkeypatch, name, value
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(Simulator, "run", must_not_run)
    variable, option = limits.ENVIRONMENT[name], limits.OPTIONS[name]
    from_environment = invoke("run", majority_file, "--input", "1", env={variable: value})
    line = one_line_error(from_environment, f"{variable}={value!r}")
    assert option not in line and "Usage" not in from_environment.output
    line = one_line_error(invoke("run", majority_file, "--input", "1", option, value), f"{option}={value!r}")
    assert variable not in line
    with pytest.raises(ValueError, match=f"^{variable}="):
        limits.parse_limit(name, value)


def test_an_empty_variable_is_unset_and_an_empty_option_is_refused(majority_file, monkeypatch):
    monkeypatch.setenv("EXPRESSIVITY_MAX_TOKENS", "")
    assert limits.Limits.from_environment().tokens == limits.DEFAULT_MAX_TOKENS
    assert invoke("run", majority_file, "--input", "1", env={"EXPRESSIVITY_MAX_TOKENS": ""}).exit_code == 0
    one_line_error(invoke("run", majority_file, "--input", "1", "--max-tokens", ""), "--max-tokens=''")


def test_a_limit_with_more_digits_than_python_converts_is_one_line(majority_file):
    many = "9" * 5000
    line = one_line_error(invoke("run", majority_file, "--input", "1", env={"EXPRESSIVITY_MAX_LAYERS": many}))
    assert "EXPRESSIVITY_MAX_LAYERS" in line and len(line) < 200


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["tokens", "layers", "memory"]), value=st.integers(0, 10**40), pad=st.booleans())
def test_a_whole_number_is_read_as_itself(name, value, pad):
    text = f" {value} " if pad else str(value)
    assert limits.parse_limit(name, text) == value


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=12))
def test_a_count_limit_is_exactly_the_ascii_digit_strings(text):
    whole = text.strip() != "" and all(c in "0123456789" for c in text.strip())
    try:
        found = limits.parse_limit("tokens", text)
    except ValueError as err:
        assert not whole and str(err).startswith(f"EXPRESSIVITY_MAX_TOKENS={text!r} ")
    else:
        assert whole and found == int(text.strip())


@pytest.mark.parametrize(
    "spec", ["fixed:100000000", f"fixed:{MAX_FIXED_BITS + 1}", "fixed:1", "fixed:\u0663"]
)
def test_fixed_precision_is_bounded_and_decimal(majority_file, spec):
    with pytest.raises(ValueError, match=f"fixed:P needs P = 2 .. {MAX_FIXED_BITS}"):
        get_backend(spec)
    one_line_error(invoke("run", majority_file, "--input", "1", "--backend", spec), repr(spec), "2 .. 4096")


def test_fixed_precision_at_the_bound_is_accepted():
    assert get_backend(f"fixed:{MAX_FIXED_BITS}").bits == MAX_FIXED_BITS
    assert get_backend("fixed:2").bits == 2


def test_out_of_memory_is_one_line_naming_the_option(majority_file, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(Simulator, "run", out_of_memory)
    one_line_error(invoke("run", majority_file, "--input", "11"), "ran out of memory", "--max-memory")


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 10**6), record=st.booleans(), backend=st.sampled_from(["exact", "float64", "fixed:40"])
)
def test_the_estimate_counts_what_the_model_says(n, record, backend):
    model = compile_connectivity()
    found = limits.estimate(model, n, backend, record)
    assert (found.tokens, found.layers) == (model.sequence_length(n), model.layer_count(n))
    # connectivity has position-dependent heads: N x N scores, except that an exact run that keeps no
    # trace searches its tie sets in chunks of at most 2^22 pairs
    pairs = min(found.tokens**2, 2**22) if backend == "exact" and not record else found.tokens**2
    assert found.memory >= pairs
    bigger = limits.estimate(model, n + 1, backend, record)
    assert bigger.memory >= found.memory
    assert limits.estimate(model, n, backend, True).memory > limits.estimate(model, n, backend, False).memory


def test_check_names_the_first_limit_passed():
    found = limits.Estimate(length=7, tokens=10, layers=5, memory=2**31, backend="exact")
    assert limits.check(found, limits.Limits(10, 5, 2**31)) is found
    with pytest.raises(limits.LimitError, match=r"n = 7 on exact needs 10 tokens.*--max-tokens"):
        limits.check(found, limits.Limits(9, 5, 2**31))
    with pytest.raises(limits.LimitError, match=r"5 layer applications.*EXPRESSIVITY_MAX_LAYERS"):
        limits.check(found, limits.Limits(10, 4, 2**31))
    with pytest.raises(limits.LimitError, match=r"about 2\.0 GiB of memory, above the limit of 1\.0 GiB"):
        limits.check(found, limits.Limits(10, 5, 2**30))


@pytest.mark.parametrize(
    ("text", "count"),
    [("8GiB", 8 * 2**30), ("512M", 512 * 10**6), ("512 mib", 512 * 2**20), ("1000", 1000), ("3kb", 3000)],
)
def test_memory_sizes(text, count):
    assert limits.parse_bytes(text) == count


@pytest.mark.parametrize("text", ["", "8 GB GB", "1.5G", "-1", "8X"])
def test_bad_memory_sizes(text):
    with pytest.raises(ValueError, match="memory size"):
        limits.parse_bytes(text)


def test_limits_from_the_environment(monkeypatch):
    monkeypatch.delenv("EXPRESSIVITY_MAX_TOKENS", raising=False)
    monkeypatch.setenv("EXPRESSIVITY_MAX_LAYERS", "12")
    monkeypatch.setenv("EXPRESSIVITY_MAX_MEMORY", "1GiB")
    assert limits.Limits.from_environment() == limits.Limits(10**6, 12, 2**30)
    monkeypatch.setenv("EXPRESSIVITY_MAX_LAYERS", "1e5")
    with pytest.raises(ValueError, match="EXPRESSIVITY_MAX_LAYERS='1e5' is not a whole number"):
        limits.Limits.from_environment()


def test_inspect_shows_the_estimate_run_checks(tmp_path):
    path = tmp_path / "majority.json"
    assert invoke("compile", "formula", "M x. Q_1(x)", "--alphabet", "01", "-o", path).exit_code == 0
    report = json.loads(invoke("inspect", path, "--n", 10, "--n", 400000, "--json").stdout)
    small, large = report["runs"]
    assert small["memory_estimate_exact"] == limits.estimate(load(path), 10, "exact").memory
    assert small["memory_estimate_exact"] <= limits.DEFAULT_MAX_MEMORY < large["memory_estimate_exact"]
    assert invoke("run", path, "--input", "1" * 10).exit_code == 0
    one_line_error(
        invoke("run", path, "--input", "1" * 400000), limits.format_bytes(large["memory_estimate_exact"])
    )


def test_a_large_family_is_refused_before_its_circuit_is_built(tmp_path, monkeypatch):
    from circuits.families import FAMILIES

    built = []
    reachability = FAMILIES["reachability"]

    def recorded(n):
        built.append(n)
        return reachability(n)

    monkeypatch.setitem(FAMILIES, "reachability", recorded)
    out = tmp_path / "r.json"
    line = one_line_error(
        invoke("compile", "family", "reachability", "--n", 64, "-o", out), "extrapolated", "--max-tokens"
    )
    assert max(built) <= 16 and "n = 64" in line  # only the small builds of the extrapolation
    assert not out.exists()
    assert invoke("compile", "family", "parity", "--n", 20, "-o", out).exit_code == 0
    assert json.loads(invoke("run", out, "--input", "1" * 7 + "0" * 13, "--json").stdout)["outputs"] == {
        "out": 1
    }
