"""Fuzzing the netlist readers: whatever the bytes, a reader returns a circuit with at least one output
that its own writer can carry again, or raises NetlistError with a line and column, within a time and
memory bound per case (tests/fuzz_bounds.py: a hang or a blow-up fails).

Cases, for each of .bench, .blif, .aag, .aig and .th: random bytes; text from an alphabet of the
format's punctuation mixed with look-alikes (dotless ı, the ﬀ ligature, Arabic-Indic and full-width
digits, NUL, no-break space); valid files written from random circuits and then mutated (characters
inserted, deleted or replaced, a number swapped for a huge one, lines repeated or dropped); and AIGER
headers with random, often enormous, counts.
"""

from __future__ import annotations

import re

from fuzz_bounds import within_bounds
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.errors import NetlistError
from circuits.evaluation import evaluate
from circuits.io import (
    parse_aag,
    parse_aig,
    parse_bench,
    parse_blif,
    parse_threshold,
    write_aag,
    write_aig,
    write_bench,
    write_blif,
    write_threshold,
)
from circuits.ir import Circuit
from circuits.strategies import circuits

FORMATS = {
    "bench": (parse_bench, write_bench),
    "blif": (parse_blif, write_blif),
    "aag": (parse_aag, write_aag),
    "th": (parse_threshold, write_threshold),
}
LOOKALIKES = "ıİﬀＫ٣３\x00\xa0\u2028"
PUNCTUATION = {
    "bench": "INPUTOUTPUTANDBUFF()=,# \nabxy01",
    "blif": ".modelinputsoutputsnamesend 01-\\#\nabxy",
    "aag": "aag 0123456789\nio c",
    "th": ".modelinputsoutputsthresholdend -+0123456789\\#\nabxy",
}
HUGE_NUMBERS = ["9" * 5000, "1" + "0" * 19, "4294967296", "1000000000", "-" + "9" * 4301]
CASE = settings(max_examples=40)


def check_outcome(parse, data, written) -> None:
    """parse(data) is a sound circuit (its writer's text reads back to the same function on a few
    inputs) or a NetlistError with a location, all within the fuzz bounds."""
    try:
        with within_bounds():
            circuit = parse(data, "fuzz")
    except NetlistError as err:
        assert err.path == "fuzz"
        assert err.line >= 1 and err.col >= 1, str(err)
        return
    assert isinstance(circuit, Circuit)
    assert circuit.outputs, "a netlist without outputs must be refused"
    again = parse(written(circuit), "again")
    for bit in (0, 1):
        bits = [bit] * len(circuit.inputs)
        assert evaluate(again, bits) == evaluate(circuit, bits)


def mutate(text: str, draw) -> str:
    """One random edit of `text`: a character inserted, deleted or replaced, a number made huge, a line
    repeated or dropped."""
    kind = draw(st.sampled_from(["insert", "delete", "replace", "number", "repeat", "drop"]))
    at = draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:at] + draw(st.text(LOOKALIKES + "(),=.#\\ \n01-", min_size=1, max_size=3)) + text[at:]
    if kind == "delete":
        return text[:at] + text[at + draw(st.integers(1, 5)) :]
    if kind == "replace":
        return text[:at] + draw(st.sampled_from(LOOKALIKES)) + text[at + 1 :]
    if kind == "number":
        numbers = list(re.finditer(r"[0-9]+", text))
        if not numbers:
            return text
        match = draw(st.sampled_from(numbers))
        return text[: match.start()] + draw(st.sampled_from(HUGE_NUMBERS)) + text[match.end() :]
    lines = text.split("\n")
    line = draw(st.integers(0, len(lines) - 1))
    if kind == "repeat":
        return "\n".join(lines[: line + 1] + lines[line:])
    return "\n".join(lines[:line] + lines[line + 1 :])


small_circuits = circuits(max_inputs=4, max_gates=6, max_fanin=3)


@CASE
@given(fmt=st.sampled_from(sorted(FORMATS)), data=st.binary(max_size=200))
def test_random_bytes(fmt, data):
    parse, written = FORMATS[fmt]
    check_outcome(parse, data.decode("latin-1"), written)


@CASE
@given(data=st.binary(max_size=200))
def test_random_bytes_as_binary_aiger(data):
    check_outcome(parse_aig, b"aig " + data, write_aig)


@CASE
@given(fmt=st.sampled_from(sorted(FORMATS)), data=st.data())
def test_text_of_keywords_and_lookalikes(fmt, data):
    parse, written = FORMATS[fmt]
    text = data.draw(st.text(PUNCTUATION[fmt] + LOOKALIKES, max_size=120))
    check_outcome(parse, text, written)


@CASE
@given(fmt=st.sampled_from(sorted(FORMATS)), circuit=small_circuits, data=st.data())
def test_mutated_valid_files(fmt, circuit, data):
    parse, written = FORMATS[fmt]
    text = written(circuit)
    for _ in range(data.draw(st.integers(1, 3))):
        text = mutate(text, data.draw)
    check_outcome(parse, text, written)


@CASE
@given(circuit=small_circuits, data=st.data())
def test_mutated_binary_aiger(circuit, data):
    binary = write_aig(circuit)
    at = data.draw(st.integers(0, len(binary)))
    cut = data.draw(st.integers(0, 4))
    data_bytes = binary[:at] + data.draw(st.binary(max_size=4)) + binary[at + cut :]
    check_outcome(parse_aig, data_bytes, write_aig)


header_count = st.one_of(st.integers(0, 5), st.sampled_from([10**6, 3 * 10**6, 10**9, 2**32, 10**19]))


@CASE
@given(
    magic=st.sampled_from(["aag", "aig"]),
    counts=st.lists(header_count, min_size=5, max_size=5),
    body=st.binary(max_size=40),
)
def test_aiger_headers_with_huge_counts(magic, counts, body):
    data = f"{magic} {' '.join(map(str, counts))}\n".encode() + body
    if magic == "aig":
        check_outcome(parse_aig, data, write_aig)
    else:
        check_outcome(parse_aag, data.decode("latin-1"), write_aag)
