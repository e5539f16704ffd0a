"""compile_program against the interpreter on random programs and words, in both masking modes (the
simulator also checks that every scratch cell is 0 after every loop iteration, on the exact backend).

Programs: k <= 3 variables, 1-2 relations, update quantifier depth <= 3 (mixed) or <= 2 (causal, whose
padding grows with the loop count: words of length <= 2 keep it small)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressivity.compile.iterated import compile_program
from expressivity.logic import accepts_batch, program_to_text
from expressivity.logic.strategies import programs, words
from expressivity.simulator import Simulator


def assert_agrees(program, inputs, causal: bool) -> None:
    model = compile_program(program, "ab", causal=causal, self_check=False)
    assert model.metadata["mode"] == ("causal" if causal else "mixed")
    if causal:
        heads = [head for _, layers in model.sections() for layer in layers for head in layer.heads]
        assert all(head.mask in ("causal", "strict") for head in heads)
    simulator = Simulator(model)
    expected = accepts_batch(program, inputs)
    for word, want in zip(inputs, expected, strict=True):
        got = simulator.run(word, record=False).accept
        assert got == bool(want), f"{word!r}\n{program_to_text(program)}"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(programs(max_depth=3), st.lists(words("ab", 0, 4), min_size=1, max_size=4))
def test_compiled_program_agrees_with_the_interpreter(program, inputs):
    assert_agrees(program, inputs, causal=False)


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(programs(max_depth=2), st.lists(words("ab", 0, 2), min_size=1, max_size=3))
def test_causal_compiled_program_agrees_with_the_interpreter(program, inputs):
    assert_agrees(program, inputs, causal=True)


def test_proofs_as_code_check_agrees_everywhere():
    from proofs_as_code.iterated_programs import check

    report = check(programs_count=6, words_per_program=3)
    assert report["runs"] == 18
    assert report["agreements"] == report["runs"]
    assert len(report["schedules"]) >= 2
