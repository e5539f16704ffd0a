"""compile_program against the interpreter on random programs and words (the simulator also checks
that every scratch cell is 0 after every loop iteration, on the exact backend). Mixed mode only: the
purely causal mode of compile_program is not built."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressivity.compile.iterated import compile_program
from expressivity.logic import accepts_batch, program_to_text
from expressivity.logic.strategies import programs, words
from expressivity.simulator import Simulator


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(programs(max_depth=3), st.lists(words("ab", 0, 4), min_size=1, max_size=4))
def test_compiled_program_agrees_with_the_interpreter(program, inputs):
    model = compile_program(program, "ab", self_check=False)
    simulator = Simulator(model)
    expected = accepts_batch(program, inputs)
    for word, want in zip(inputs, expected, strict=True):
        got = simulator.run(word, record=False).accept
        assert got == bool(want), f"{word!r}\n{program_to_text(program)}"


def test_proofs_as_code_check_agrees_everywhere():
    from proofs_as_code.iterated_programs import check

    report = check(programs_count=6, words_per_program=3)
    assert report["runs"] == 18
    assert report["agreements"] == report["runs"]
    assert len(report["schedules"]) >= 2
