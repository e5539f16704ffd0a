"""Malformed netlists: each kind of mistake is a NetlistError at the offending line and column (1-based),
with a plain message; and no mangled file makes a reader fail with anything but NetlistError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.errors import NetlistError
from circuits.io import (
    parse_aag,
    parse_aig,
    parse_bench,
    parse_blif,
    parse_threshold,
    read_aiger,
    read_bench,
    read_circuit,
)
from circuits.ir import Circuit


def error_of(parse, text, path="bad"):
    with pytest.raises(NetlistError) as caught:
        parse(text, path)
    return caught.value


def test_str_is_path_line_col_message():
    err = error_of(parse_bench, "INPUT(a)\nOUTPUT(y)\ny = AND(a, b)\n", "x.bench")
    assert str(err) == "x.bench:3:12: net 'b' is never defined"
    assert (err.path, err.line, err.col, err.message) == ("x.bench", 3, 12, "net 'b' is never defined")


BENCH_ERRORS = [
    # (text, line, col, words of the message)
    ("INPUT(a)\nOUTPUT(y)\ny = AND(a, z)\nz = OR(y, a)\n", 3, 1, "combinational cycle through net 'y'"),
    ("INPUT(a)\nINPUT(b)\nOUTPUT(y)\ny = AND(a, b)\ny = OR(a, b)\n", 5, 1, "'y' is defined twice"),
    ("INPUT(a)\nINPUT(a)\n", 2, 7, "'a' is defined twice"),
    ("INPUT(a\n", 1, 8, "expected ')' at the end of the line"),
    ("INPUT(a)\ny = AND(a a)\n", 2, 11, "expected ',' or ')', found 'a'"),
    ("INPUT(a)\ny AND(a)\n", 2, 3, "expected '=', found 'AND'"),
    ("INPUT(a)\n  y = FOO(a)\n", 2, 7, "unknown gate type 'FOO'"),
    ("INPUT(a)\ny = DFF(a)\n", 2, 5, "DFF is sequential"),
    ("INPUT(a)\nINPUT(b)\ny = NOT(a, b)\n", 3, 5, "takes exactly one fan-in net, got 2"),
    ("INPUT(a)\nOUTPUT(a)\nOUTPUT(a)\n", 3, 8, "output 'a' is declared twice"),
    ("INPUT(a)\nOUTPUT(q)  # never defined\n", 2, 8, "output 'q' is never defined"),
    ("INPUT(a)\ny = AND(a) junk\n", 2, 12, "unexpected 'junk'"),
    ("INPUT(a)\ny = AND()\n", 2, 9, "expected a fan-in net name, found ')'"),
]


@pytest.mark.parametrize(("text", "line", "col", "words"), BENCH_ERRORS)
def test_bench_errors(text, line, col, words):
    err = error_of(parse_bench, text)
    assert (err.line, err.col) == (line, col)
    assert words in err.message


BLIF_ERRORS = [
    (".model m\n.inputs a\n.outputs y\n.latch a y re clk 0\n.end\n", 4, 1, ".latch is not supported"),
    (".model m\n.inputs a\n.outputs y\n.subckt f x=a y=y\n", 4, 1, ".subckt is not supported"),
    (".model m\n.inputs a\n.outputs y\n.foo\n", 4, 1, "unknown directive '.foo'"),
    (".inputs a b\n.outputs y\n.names a b y\n1- 1\n-1 0\n", 5, 4, "mixes ON-set (1) and OFF-set (0)"),
    (".inputs a b\n.outputs y\n.names a b y\n1x 1\n", 4, 2, "cover entries are 0, 1 or -, found 'x'"),
    (".inputs a b\n.outputs y\n.names a b y\n111 1\n", 4, 1, "input plane has 3 columns"),
    (".inputs a b\n.outputs y\n.names a b y\n11 2\n", 4, 4, "output value of a cover row is 0 or 1"),
    (".inputs a b\n.outputs y\n.names a b y\n11\n", 4, 1, "an input plane and an output value"),
    (".inputs a\n.outputs y\n.names a c y\n11 1\n", 3, 10, "net 'c' is never defined"),
    (".inputs a\n.outputs y\n.names a z y\n11 1\n.names y z\n1 1\n", 3, 12, "cycle through net 'y'"),
    (".inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n", 5, 10, "'y' is defined twice"),
    (".inputs a\n.outputs y\n.names a\n1 1\n", 4, 3, "takes rows of one output value"),
    (".model m\n.inputs a\n.end\n.model n\n", 4, 1, "text after .end"),
    (".model m\n.inputs a\n.model n\n", 3, 1, "a second .model"),
    ("0 1\n.inputs a\n", 1, 1, "expected a directive such as .names, found '0'"),
    (".inputs a\n.outputs q\n.names a y\n1 1\n", 2, 10, "output 'q' is never defined"),
    (".inputs a \\\n  b\n.outputs y\n.names a b c y\n111 1\n", 4, 12, "net 'c' is never defined"),
    (".inputs a \\\n  a\n", 2, 3, "'a' is defined twice"),
]


@pytest.mark.parametrize(("text", "line", "col", "words"), BLIF_ERRORS)
def test_blif_errors(text, line, col, words):
    err = error_of(parse_blif, text)
    assert (err.line, err.col) == (line, col)
    assert words in err.message


AAG_ERRORS = [
    ("aig 0 0 0 0 0\n", 1, 1, "expected the header 'aag M I L O A'"),
    ("aag 1 1 0\n", 1, 10, "the header needs M I L O A, found 3 numbers"),
    ("aag 1 1 x 1 0\n", 1, 9, "header field L must be an unsigned integer, found 'x'"),
    ("aag 1 1 0 1 0 1\n2\n2\n", 1, 15, "bad-state properties are not supported"),
    ("aag 1 1 0 1 0 0 0 2\n2\n2\n", 1, 19, "justice properties are not supported"),
    ("aag 1 1 0 1 0 0 0 0 0 0\n", 1, 23, "at most 9 numbers"),
    ("aag 1 1 0 1 1\n", 1, 5, "M = 1 but the header needs M >= I + L + A = 2"),
    ("aag 3 2 0 1 1\n2\n4\n6\n6 2 8\n", 5, 5, "literal 8 is larger than 2M+1 = 7"),
    ("aag 3 2 0 1 1\n2\n3\n6\n6 2 4\n", 3, 1, "input must be an even literal >= 2"),
    ("aag 4 2 0 1 1\n2\n4\n6\n6 2 8\n", 5, 5, "literal 8 reads variable 4, which is neither"),
    ("aag 4 2 0 1 1\n2\n4\n9\n6 2 4\n", 4, 1, "literal 9 reads variable 4"),
    ("aag 3 2 0 1 1\n2\n4\n6\n4 2 2\n", 5, 1, "variable 2 (literal 4) is defined twice (first on line 3)"),
    ("aag 4 1 0 1 2\n2\n6\n6 2 8\n8 6 2\n", 4, 1, "combinational cycle through AND gate 6"),
    ("aag 3 2 0 1 1\n2\n4\n6\n", 5, 1, "expected AND gate 0 (lhs rhs0 rhs1), found 0 of 3 numbers"),
    ("aag 3 2 0 1 1\n2\n4\n6\n6 2 4 8\n", 5, 7, "unexpected '8' after AND gate 0"),
    ("aag 3 2 0 1 1\n2\n4\n6", 1, 7, "which needs 4 lines after the header; the file has 3"),
    ("aag 1 1 0 1 0\n2\n2\nx0 name\n", 4, 1, "unknown symbol kind 'x'"),
    ("aag 1 1 0 1 0\n2\n2\ni1 name\n", 4, 1, "symbol i1, but the file has 1 of that kind"),
    ("aag 2 2 0 1 0\n2\n4\n2\ni0 a\ni1 a\n", 6, 1, "name 'a' is given twice (first on line 5)"),
    ("aag 1 1 0 1 0\n2\n2\ni0 a\ni0 b\n", 5, 1, "symbol i0 is given twice"),
    ("aag 1 1 0 1 0\n2\n2\ni0\n", 4, 1, "expected a symbol 'i<k> name'"),
]


@pytest.mark.parametrize(("text", "line", "col", "words"), AAG_ERRORS)
def test_aag_errors(text, line, col, words):
    err = error_of(parse_aag, text)
    assert (err.line, err.col) == (line, col)
    assert words in err.message


AIG_ERRORS = [
    # header "aig 3 2 0 1 1\n" is line 1, the output literal "6\n" line 2, the ANDs start on line 3.
    (b"aig 3 2 0 1 1\n6\n\x02", 3, 2, "the file ends inside the binary encoding of AND gate 0"),
    (b"aig 3 2 0 1 1\n6\n", 1, 11, "O = 1, A = 1, which needs 3 bytes after the header; the file has 2"),
    (b"aig 4 2 0 1 2\n6\n\x02\x02\x02", 3, 4, "the file ends inside the binary encoding of AND gate 1"),
    (b"aig 3 2 0 1 1\n6\n\x00\x00", 3, 1, "AND gate 0 (lhs 6) has deltas 0, 0"),
    (b"aig 3 2 0 1 1\n6\n\x02\x05", 3, 1, "AND gate 0 (lhs 6) has deltas 2, 5"),
    (b"aig 3 2 0 1 1\n6\n\x80\x80\x80\x80\x80\x01", 3, 1, "longer than 5 bytes"),
    (b"aig 4 2 0 1 1\n6\n\x02\x02", 1, 5, "M = 4 but the header needs M = I + L + A = 3"),
    (b"aig 3 2 0 1 1\n10\n\x02\x02", 2, 1, "output literal 10 is larger than 2M+1 = 7"),
    (b"aig 3 2 0 1 1\n6\n\x02\x02i0 \xff\n", 3, 6, "byte 0xff is not valid UTF-8"),
    (b"aig 3 2 0 1 1", 1, 14, "the file ends inside the header line"),
    (b"aig 3 2 1 1 1\n6\n", 1, 9, "latches are not supported"),
]


@pytest.mark.parametrize(("data", "line", "col", "words"), AIG_ERRORS)
def test_aig_errors(data, line, col, words):
    err = error_of(parse_aig, data)
    assert (err.line, err.col) == (line, col)
    assert words in err.message


def test_a_valid_aig_next_to_the_broken_ones_parses():
    circuit = parse_aig(b"aig 3 2 0 1 1\n6\n\x02\x02i0 a\no0 both\nc\nanything\n")
    assert circuit.inputs == ("a", "i1") and circuit.output_names == ("both",)
    assert circuit.gate(circuit.output_nets[0]).fanin == ("i1", "a")


TH_ERRORS = [
    (".inputs a b\n.outputs y\n.threshold a b y\n1 1\n", 4, 3, "expected 2 weights and a threshold"),
    (".inputs a b\n.outputs y\n.threshold a b y\n1 1 1 1\n", 4, 7, "found 4"),
    (".inputs a b\n.outputs y\n.threshold a b y\n1 one 1\n", 4, 3, "must be an integer, found 'one'"),
    (".inputs a b\n.outputs y\n.threshold a b y\n.end\n", 3, 17, "must be followed by a line of weights"),
    (".inputs a\n.outputs y\n.names a y\n1 1\n", 3, 1, "unknown directive '.names'"),
    (".inputs a\n.outputs y\n.threshold a c y\n1 1 1\n", 3, 14, "net 'c' is never defined"),
    (".inputs a\n.outputs y\n.threshold a z y\n1 1 1\n.threshold y z\n1 1\n", 3, 16, "cycle through net 'y'"),
    (".inputs a\n.outputs y\n.threshold a\n1\n", 3, 12, "net 'a' is defined twice"),
    ("title\n.inputs a\n.outputs y\n1 1\n", 4, 1, "expected a directive such as .threshold"),
]


@pytest.mark.parametrize(("text", "line", "col", "words"), TH_ERRORS)
def test_threshold_errors(text, line, col, words):
    err = error_of(parse_threshold, text)
    assert (err.line, err.col) == (line, col)
    assert words in err.message


def test_threshold_reads_threabc_spelling_title_and_constants():
    text = (
        "Threshold logic gate list written by NZ.\n.model t\n.input 1 2\n.output 4 5\n"
        ".threshold 3 4\n1 1\n.threshold 1 2 3\n2 -1 2 \n.threshold 5\n0\n.end\n"
    )
    circuit = parse_threshold(text)
    assert circuit.inputs == ("1", "2") and circuit.output_names == ("4", "5")
    assert circuit.gate("3").weights == (2, -1) and circuit.gate("3").threshold == 2
    assert circuit.gate("5").value == 1


def test_read_functions_report_undecodable_bytes_and_non_aiger_files(tmp_path: Path):
    bench = tmp_path / "bad.bench"
    bench.write_bytes(b"INPUT(a)\nOUTPUT(\xe9)\n")
    with pytest.raises(NetlistError) as caught:
        read_bench(bench)
    assert (caught.value.path, caught.value.line, caught.value.col) == (str(bench), 2, 8)
    not_aiger = tmp_path / "x.aig"
    not_aiger.write_bytes(b"INPUT(a)\n")
    with pytest.raises(NetlistError) as caught:
        read_aiger(not_aiger)
    assert (caught.value.line, caught.value.col) == (1, 1)
    assert "not an AIGER file" in caught.value.message


SEEDS = {
    "bench": (
        parse_bench,
        "INPUT(1)\nINPUT(2)\nOUTPUT(5)\n3 = NAND(1, 2)\n4 = XOR(3, 1, 2)\n5 = BUFF(4)\n# end\n",
    ),
    "blif": (
        parse_blif,
        ".model m\n.inputs a b \\\n c\n.outputs y\n.names a b c y\n1-0 1\n01- 1\n.names z\n.end\n",
    ),
    "aag": (parse_aag, "aag 5 2 0 2 2\n2\n4\n9\n11\n8 2 5\n10 8 3\ni0 x\no1 q\nc\nnote\n"),
    "th": (parse_threshold, "# t\n.model m\n.inputs a b\n.outputs y\n.threshold a b y\n1 -1 1\n.end\n"),
}


@settings(max_examples=150)
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    cuts=st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 6), st.text(".()=,#-\\ 01abix\n", max_size=4))
    ),
)
def test_mangled_text_is_a_circuit_or_a_netlist_error(fmt, cuts):
    parse, text = SEEDS[fmt]
    for position, length, insert in cuts:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + length :]
    try:
        result = parse(text, "mangled")
    except NetlistError as err:
        assert err.line >= 1 and err.col >= 1
    else:
        assert isinstance(result, Circuit)


AIG_SEED = b"aig 5 2 0 2 3\n10\n7\n\x02\x02\x04\x01\x02\x08i0 x\no0 y\nc\ncomment\n"


@settings(max_examples=150)
@given(cuts=st.lists(st.tuples(st.integers(0, 100), st.integers(0, 4), st.binary(max_size=3))))
def test_mangled_binary_is_a_circuit_or_a_netlist_error(cuts):
    data = AIG_SEED
    for position, length, insert in cuts:
        position %= len(data) + 1
        data = data[:position] + insert + data[position + length :]
    try:
        result = parse_aig(data, "mangled")
    except NetlistError as err:
        assert err.line >= 1 and err.col >= 1
    else:
        assert isinstance(result, Circuit)


def test_read_circuit_on_a_missing_file_is_an_os_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        read_circuit(tmp_path / "missing.bench")
