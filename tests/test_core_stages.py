"""Stages with their own loop counts and timestep cells: construction, the three-stage keywords, the
schedule the simulator runs, psi(t) as the block sees it, scratch checks per stage, model files (version 2
round trip, version 1 files written before stages existed), inspect."""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from expressivity import FFN, Layer, LoopCount, Model, ModelError, Stage, Timestep, View, load, run
from expressivity.backends import SimulationError
from expressivity.cli import main
from expressivity.compile.connectivity import compile_connectivity, connectivity_word
from expressivity.compile.formula import compile_formula
from expressivity.serialize import dumps, loads
from expressivity.strategies import staged_models

DATA = Path(__file__).parent / "data"
CLOCK = ["t[0]", "t[1]", "t[2]", "t[3]"]


def copy_ffn(name: str, reads: list[str], writes: str, weight: int = 1) -> FFN:
    """Adds weight * ReLU(reading of the first cell of `reads`) to `writes`."""
    return FFN(name, View([reads]), w1=[{reads[0]: 1}], w2=[[weight]], writes=[writes])


def clock_model(encoding: str, loops: LoopCount, scratch: tuple[str, ...] = ()) -> Model:
    """One looped stage reading a timestep group; its FFN adds ReLU(reading of t[0]) to `acc`."""
    stage = Stage("count", [Layer(ffns=[copy_ffn("tick", CLOCK, "acc")])], loops, [Timestep(encoding, CLOCK)])
    return Model(
        alphabet="ab",
        labels=["acc", "dirt", *CLOCK],
        embedding={},
        stages=[stage],
        scratch=scratch,
        name="clock",
    )


def outcome(model: Model, word: str):
    try:
        trace = run(model, word)
    except SimulationError as err:
        return str(err)
    return trace.symbol, [step.name for step in trace.steps], [trace.column(label) for label in model.labels]


@settings(max_examples=40, deadline=None)
@given(staged_models())
def test_staged_models_round_trip_exactly(case):
    model, word = case
    text = dumps(model)
    again = loads(text)
    assert again == model
    assert dumps(again) == text
    assert outcome(again, word) == outcome(model, word)


@settings(max_examples=40, deadline=None)
@given(staged_models())
def test_the_run_follows_the_stages_in_order(case):
    """Steps come stage by stage, each looped stage's iterations in order, one attention and one FFN step
    per layer (a sublayer with no heads or no FFNs records nothing); the layers run are the sum over
    stages of r_stage(s) times its layers."""
    model, word = case
    try:
        trace = run(model, word, check_scratch=False)
    except SimulationError:
        return  # a random model may take a nested square root; the schedule is still checked below
    s = model.size(len(word))
    expected = ["embed.layer0.embedding"]
    for stage in model.stages:
        for t in range(stage.loops(s)):
            loop = f"[{t}]" if stage.loops != LoopCount(value=1) else ""
            for k, layer in enumerate(stage.layers):
                expected += [f"{stage.name}{loop}.layer{k}.attention"] if layer.heads else []
                expected += [f"{stage.name}{loop}.layer{k}.ffn"] if layer.ffns else []
    assert [step.name for step in trace.steps] == expected
    layers_run = sum(stage.loops(s) * len(stage.layers) for stage in model.stages)
    assert trace.layers_run == layers_run == model.layer_count(len(word))
    assert trace.stage_loops == {stage.name: stage.loops(s) for stage in model.stages}


def test_three_stage_keywords_build_and_edit_three_stages():
    first, second, third = (Layer(ffns=[copy_ffn(f"f{k}", ["x", "y"], "z")]) for k in range(3))
    built = Model(
        alphabet="a",
        labels=["x", "y", "z"],
        embedding={},
        prefix=[first],
        block=[second],
        suffix=[third],
        loops=LoopCount(value=3),
    )
    assert [stage.name for stage in built.stages] == ["prefix", "block", "suffix"]
    assert [stage.loops for stage in built.stages] == [
        LoopCount(value=1),
        LoopCount(value=3),
        LoopCount(value=1),
    ]
    assert (built.prefix, built.block, built.suffix, built.loops) == (
        (first,),
        (second,),
        (third,),
        LoopCount(3),
    )
    longer = dataclasses.replace(built, loops=LoopCount(value=5))
    assert longer.loops(1) == 5 and longer.prefix == (first,) and longer.layer_count(4) == 7
    assert dataclasses.replace(built, block=[]).layer_count(4) == 2


def test_three_stage_parts_are_refused_for_other_stages():
    layer = Layer(ffns=[copy_ffn("f", ["x", "y"], "z")])
    staged = Model(
        alphabet="a",
        labels=["x", "y", "z"],
        embedding={},
        stages=[
            Stage("one", [layer], LoopCount(value=2)),
            Stage("two", [], LoopCount(coefficient=1, power=1)),
        ],
    )
    assert not staged.is_three_stage
    for part in ("prefix", "block", "suffix", "loops"):
        with pytest.raises(
            ModelError, match=rf"stages \[one, two\]; \.{part} exists only for the three-stage"
        ):
            getattr(staged, part)
    with pytest.raises(ModelError, match="loops: these keywords edit only the three-stage form"):
        dataclasses.replace(staged, loops=LoopCount(value=1))
    assert staged.layer_count(16) == 2  # 2 * 1 layer + ceil(log2 16) * 0 layers


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        (
            "parity",
            [(-Fraction(1, 2),) * 2 + (Fraction(1, 2),) * 2, (Fraction(1, 2),) * 2 + (-Fraction(1, 2),) * 2],
        ),
        (
            "index",
            [(Fraction(1, d), Fraction(1), -Fraction(1, d), Fraction(-1)) for d in (1, 2, 3, 4)],
        ),
    ],
)
@pytest.mark.parametrize("backend", ["exact", "fixed:16", "float64"])
def test_timestep_cells_hold_psi_t_at_every_position(encoding, expected, backend):
    """Before iteration t every position holds psi(t): parity (b - 1/2)(1, 1, -1, -1), b = t mod 2;
    index (1/(t + 1), 1, -1/(t + 1), -1); fixed:16 rounds each value once, float64 holds the nearest float."""
    trace = run(clock_model(encoding, LoopCount(value=4)), "ab", backend)
    for t in range(4):
        want = expected[t % len(expected)]
        for label, value in zip(CLOCK, want, strict=True):
            column = trace.column(label, f"count[{t}].layer0.ffn")
            if backend == "exact":
                assert [Fraction(str(x)) for x in column] == [value] * 3
            elif backend == "fixed:16":  # 8 fractional bits, rounded to nearest, ties up
                assert [Fraction(x) for x in column] == [
                    Fraction(math.floor(value * 256 + Fraction(1, 2)), 256)
                ] * 3
            else:
                assert list(column) == [float(value)] * 3


def test_a_stage_reads_the_parity_of_t():
    """acc gains ReLU(reading of t[0]) per iteration: 1/2 on odd t, 0 on even t."""
    for r in range(6):
        trace = run(clock_model("parity", LoopCount(value=r)), "a")
        assert [str(x) for x in trace.column("acc")] == [str(Fraction(r // 2, 2))] * 2


def test_scratch_is_checked_after_every_iteration_of_every_looped_stage():
    """`dirt` gets ReLU(reading of t[0]), which is 1/2 first on iteration 1: the run names the stage,
    the iteration and the position; a stage run once is not checked."""
    dirty = Stage(
        "dirty",
        [Layer(ffns=[copy_ffn("spill", CLOCK, "dirt")])],
        LoopCount(value=3),
        [Timestep("parity", CLOCK)],
    )
    clean = Stage("clean", [Layer(ffns=[copy_ffn("keep", ["acc", "dirt"], "acc")])], LoopCount(value=2))
    model = Model(
        alphabet="ab", labels=["acc", "dirt", *CLOCK], embedding={}, stages=[clean, dirty], scratch=["dirt"]
    )
    with pytest.raises(
        SimulationError,
        match=r"scratch coordinate 'dirt' is 1/2 .* position 0 after iteration 1 of stage 'dirty'",
    ):
        run(model, "ab")
    once = dataclasses.replace(model, stages=[clean, dataclasses.replace(dirty, loops=LoopCount(value=1))])
    assert run(once, "ab").column("dirt")[0] == 0  # iteration 0 only: parity 0 reads -1/2, ReLU gives 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: dataclasses.replace(m, embedding={"a": {"t[1]": 1}}), r"embedding of 'a' sets 't\[1\]'"),
        (
            lambda m: dataclasses.replace(
                m, stages=[*m.stages, Stage("late", [Layer(ffns=[copy_ffn("w", ["acc", "dirt"], "t[2]")])])]
            ),
            r"late layer 0 ffn 'w': writes the timestep coordinate 't\[2\]'",
        ),
        (
            lambda m: dataclasses.replace(
                m, stages=[*m.stages, Stage("again", [], LoopCount(2), [Timestep("index", CLOCK)])]
            ),
            r"stage 'again' timestep: coordinate 't\[0\]' is declared as a timestep cell twice",
        ),
        (
            lambda m: dataclasses.replace(m, stages=[*m.stages, m.stages[0]]),
            "stage 'count': the name is used twice",
        ),
        (
            lambda m: dataclasses.replace(m, scratch=["t[3]"]),
            r"coordinate 't\[3\]' is also a scratch coordinate",
        ),
    ],
)
def test_bad_stages_are_named(change, message):
    with pytest.raises(ModelError, match=message):
        change(clock_model("parity", LoopCount(value=2)))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Timestep("binary", CLOCK), "encoding must be one of"),
        (lambda: Timestep("parity", CLOCK[:3]), "needs 4 cells, got 3"),
        (lambda: Stage("a.b"), "stage name must be an identifier"),
        (lambda: Stage("a", [], 3), "loops must be a LoopCount"),
        (lambda: Stage("a", [], LoopCount(value=1), [Timestep("parity", ["u", "v", "w", "x"])]), None),
    ],
)
def test_stage_and_timestep_construction_errors(build, message):
    if message is None:
        assert build().timestep_labels == ("u", "v", "w", "x")
        return
    with pytest.raises(ModelError, match=message):
        build()


def test_version_1_files_load_as_three_stages():
    """Files written by the code before stages existed (tests/data/*_v1.json) load as prefix, block,
    suffix, equal to what the compilers build now, and run as before."""
    majority = load(DATA / "majority_v1.json")
    assert json.loads((DATA / "majority_v1.json").read_text())["version"] == 1
    assert majority == compile_formula("M x. Q_1(x)", alphabet="01")
    assert [stage.name for stage in majority.stages] == ["prefix", "block", "suffix"]
    for word in ["", "1", "10", "110", "0110", "11100"]:
        assert run(majority, word).accept == (2 * word.count("1") > len(word))
    connectivity = load(DATA / "connectivity_v1.json")
    assert connectivity == compile_connectivity()
    path = connectivity_word([[0, 1, 0], [0, 0, 1], [0, 0, 0]], 0, 2)
    assert (
        run(connectivity, path).accept
        and not run(connectivity, connectivity_word([[0, 1], [0, 0]], 1, 0)).accept
    )
    saved = json.loads(dumps(connectivity))
    assert saved["version"] == 3 and [stage["name"] for stage in saved["stages"]] == [
        "prefix",
        "block",
        "suffix",
    ]
    assert "prefix" not in saved and "loops" not in saved


def test_inspect_lists_stages(tmp_path):
    from expressivity import save
    from expressivity.compile.connectivity_stages import compile_shared_descendant

    path = tmp_path / "staged.json"
    save(compile_shared_descendant("stages"), path)
    result = CliRunner().invoke(main, ["inspect", str(path), "--n", "20", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    stages = [(s["name"], s["layers"], s["loops"], s["looped"]) for s in report["stages"]]
    log = "1*ceil(log2 n)^1"
    assert stages[1:] == [
        ("closure", 2, log, True),
        ("share", 2, "1", False),
        ("closure_shared", 2, log, True),
        ("suffix", 1, "1", False),
    ]
    prefix = report["stages"][0]["layers"]
    # m = 4 vertices (20 symbols): r = 2, so 2*2 + 2 + 2*2 + 1 layers after the prefix
    assert report["runs"][0]["layers_run"] == prefix + 11
    assert report["runs"][0]["stage_loops"] == {
        "prefix": 1,
        "closure": 2,
        "share": 1,
        "closure_shared": 2,
        "suffix": 1,
    }
    text = CliRunner().invoke(main, ["inspect", str(path), "--n", "20"]).stdout
    assert f"closure: 2 layers x r(n) = {log}" in text and "share: 2 layers once" in text


def test_a_batch_sees_the_same_timestep_as_single_runs():
    model = dataclasses.replace(
        clock_model("index", LoopCount(value=1, coefficient=1, power=1)),
        unembedding=[{"acc": 1}, {"acc": -1}],
    )
    words = ["ab", "ba", "aa", "bb"]
    batch = model.run_batch(words)
    single = [run(model, word) for word in words]
    assert [t.column("acc") for t in batch] == [t.column("acc") for t in single]
    assert [[str(x) for x in t.column("t[0]")] for t in batch] == [["1/2"] * 3] * 4  # last t = r - 1 = 1
