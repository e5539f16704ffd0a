"""Evaluating circuits: one input vector at a time, or a batch bit-parallel in NumPy.

`evaluate` and `net_values` are a plain per-gate Python evaluator, written straight from the gate
semantics in `circuits.ir`; they are the reference that the batch evaluator is tested against.

`evaluate_batch` and `net_values_batch` pack the batch into 64-bit words, vector b of the batch being
bit b mod 64 of word b // 64, so one NumPy bitwise operation computes a gate on 64 vectors per word.
Gates are grouped by (level, kind, fan-in count); a group's fan-in is gathered into an array of shape
(gates, fan-in, words) and reduced along the fan-in axis, so the Python overhead is per group, not per
gate. MAJ and THRESHOLD groups unpack their fan-in bits, form the integer sums sum_i w_i x_i for every
vector and pack the comparisons with t back into words. Large batches are cut into chunks so the
word table (nets x words) stays within a fixed memory budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from circuits.analysis import levels
from circuits.errors import CircuitError
from circuits.ir import Circuit, Gate, Op

Bits = Sequence[int] | Mapping[str, int]


def _input_assignment(circuit: Circuit, bits: Bits) -> dict[str, int]:
    """Input name -> bit, checking length, names and that every bit is 0 or 1."""
    inputs = circuit.inputs
    if isinstance(bits, Mapping):
        unknown = [name for name in bits if name not in set(inputs)]
        if unknown:
            raise CircuitError(f"{unknown[0]!r} is not an input of circuit {circuit.name!r}")
        missing = [name for name in inputs if name not in bits]
        if missing:
            raise CircuitError(f"no bit given for input {missing[0]!r}")
        assignment = {name: bits[name] for name in inputs}
    else:
        bits = list(bits)
        if len(bits) != len(inputs):
            raise CircuitError(f"circuit {circuit.name!r} has {len(inputs)} inputs, got {len(bits)} bits")
        assignment = dict(zip(inputs, bits, strict=True))
    for name, bit in assignment.items():
        if isinstance(bit, (str, bytes)) or bit not in (0, 1):
            raise CircuitError(f"input {name!r} must be 0 or 1, got {bit!r}")
    return {name: int(bit) for name, bit in assignment.items()}


def _gate_value(gate: Gate, x: list[int]) -> int:
    """Output bit of one non-source gate on fan-in bits x."""
    op = gate.op
    if op is Op.BUF:
        return x[0]
    if op is Op.NOT:
        return 1 - x[0]
    if op is Op.AND:
        return int(all(x))
    if op is Op.OR:
        return int(any(x))
    if op is Op.NAND:
        return 1 - int(all(x))
    if op is Op.NOR:
        return 1 - int(any(x))
    if op is Op.XOR:
        return sum(x) % 2
    if op is Op.XNOR:
        return 1 - sum(x) % 2
    if op is Op.MAJ:
        return int(2 * sum(x) > len(x))
    if op is Op.THRESHOLD:
        return int(sum(w * b for w, b in zip(gate.weights, x, strict=True)) >= gate.threshold)
    raise CircuitError(f"gate {gate.name!r} has unknown kind {op!r}")


def net_values(circuit: Circuit, bits: Bits) -> dict[str, int]:
    """Value of every net on one input vector (a sequence in `circuit.inputs` order, or name -> bit)."""
    values = _input_assignment(circuit, bits)
    for gate in circuit.gates:
        if gate.op is Op.CONST:
            values[gate.name] = gate.value
        elif gate.op is not Op.INPUT:
            values[gate.name] = _gate_value(gate, [values[s] for s in gate.fanin])
    return {gate.name: values[gate.name] for gate in circuit.gates}


def evaluate(circuit: Circuit, bits: Bits) -> dict[str, int]:
    """Output name -> bit on one input vector, in output order."""
    values = net_values(circuit, bits)
    return {out: values[net] for out, net in circuit.outputs}


_WORD = np.dtype("<u8")
_TABLE_BYTES = 1 << 28
_MAX_CHUNK = 1 << 20
_UNPACKED_BITS = 1 << 22
_BITWISE = {
    Op.AND: (np.bitwise_and, False),
    Op.OR: (np.bitwise_or, False),
    Op.XOR: (np.bitwise_xor, False),
    Op.NAND: (np.bitwise_and, True),
    Op.NOR: (np.bitwise_or, True),
    Op.XNOR: (np.bitwise_xor, True),
    Op.BUF: (np.bitwise_and, False),
    Op.NOT: (np.bitwise_and, True),
}


@dataclass(frozen=True)
class _Step:
    """One group of gates of the same level and kind and fan-in count.

    `targets[g]` is the row of gate g in the word table, `sources[g, i]` the row of its i-th fan-in;
    `weights` and `thresholds` are set for MAJ/THRESHOLD groups (MAJ_k as weights 1, t = k//2 + 1).
    """

    op: Op
    targets: np.ndarray
    sources: np.ndarray
    weights: np.ndarray | None = None
    thresholds: np.ndarray | None = None


def _plan(circuit: Circuit) -> list[_Step]:
    """Group the non-source gates by (level, op, fan-in count), levels in increasing order."""
    row = {gate.name: i for i, gate in enumerate(circuit.gates)}
    level = levels(circuit)
    groups: dict[tuple[int, Op, int], list[Gate]] = defaultdict(list)
    for gate in circuit.gates:
        if gate.op in (Op.INPUT, Op.CONST):
            continue
        kind = Op.THRESHOLD if gate.op is Op.MAJ else gate.op
        groups[(level[gate.name], kind, len(gate.fanin))].append(gate)
    steps = []
    for (_, kind, _), gates in sorted(groups.items(), key=lambda item: item[0][0]):
        targets = np.array([row[g.name] for g in gates], dtype=np.intp)
        sources = np.array([[row[s] for s in g.fanin] for g in gates], dtype=np.intp)
        if kind is not Op.THRESHOLD:
            steps.append(_Step(kind, targets, sources))
            continue
        weights = [g.weights if g.op is Op.THRESHOLD else (1,) * len(g.fanin) for g in gates]
        thresholds = [g.threshold if g.op is Op.THRESHOLD else len(g.fanin) // 2 + 1 for g in gates]
        bound = max(max(sum(abs(w) for w in ws), abs(t)) for ws, t in zip(weights, thresholds, strict=True))
        dtype = np.int64 if bound < 2**62 else object
        steps.append(
            _Step(kind, targets, sources, np.array(weights, dtype=dtype), np.array(thresholds, dtype=dtype))
        )
    return steps


def _pack(bits: np.ndarray) -> np.ndarray:
    """(rows, B) array of 0/1 -> (rows, ceil(B/64)) words; vector b is bit b % 64 of word b // 64."""
    rows, batch = bits.shape
    words = -(-batch // 64)
    padded = np.zeros((rows, words * 64), dtype=np.uint8)
    padded[:, :batch] = bits
    return np.packbits(padded, axis=1, bitorder="little").view(_WORD)


def _unpack(words: np.ndarray, batch: int) -> np.ndarray:
    """Inverse of `_pack` on the last axis: (..., W) words -> (..., batch) uint8 bits."""
    as_bytes = np.ascontiguousarray(words, dtype=_WORD).view(np.uint8)
    return np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :batch]


def _run_threshold(step: _Step, fanin: np.ndarray, batch: int) -> np.ndarray:
    """[sum_i w_i x_i >= t] for each gate of the step and each vector, packed into words.

    Fan-in columns are unpacked one at a time and gates a slice at a time, so the unpacked bits and
    the running sums (slice x batch) stay within _UNPACKED_BITS entries.
    """
    n_gates, arity, _ = fanin.shape
    per_slice = max(1, _UNPACKED_BITS // batch)
    packed = []
    for first in range(0, n_gates, per_slice):
        part = slice(first, first + per_slice)
        weights = step.weights[part]
        total = np.zeros((weights.shape[0], batch), dtype=weights.dtype)
        for i in range(arity):
            total += weights[:, i, None] * _unpack(fanin[part, i], batch)
        packed.append(_pack((total >= step.thresholds[part, None]).astype(np.uint8)))
    return np.concatenate(packed)


def _run(circuit: Circuit, steps: list[_Step], vectors: np.ndarray) -> np.ndarray:
    """Word table (nets, words) of every net's value on a chunk of vectors."""
    batch = vectors.shape[0]
    words = -(-batch // 64)
    table = np.zeros((len(circuit.gates), words), dtype=_WORD)
    input_rows = [i for i, g in enumerate(circuit.gates) if g.op is Op.INPUT]
    if input_rows:
        table[input_rows] = _pack(vectors.T)
    const_rows = [i for i, g in enumerate(circuit.gates) if g.op is Op.CONST and g.value == 1]
    table[const_rows] = np.uint64(2**64 - 1)
    for step in steps:
        fanin = table[step.sources]
        if step.op is Op.THRESHOLD:
            table[step.targets] = _run_threshold(step, fanin, batch)
            continue
        reduce, negate = _BITWISE[step.op]
        result = reduce.reduce(fanin, axis=1)
        table[step.targets] = ~result if negate else result
    return table


def _check_vectors(circuit: Circuit, vectors: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    """The batch as a (B, len(inputs)) uint8 array, or CircuitError if it is not a batch of bits."""
    try:
        array = np.asarray(vectors)
    except ValueError:
        raise CircuitError("input vectors must all have the same length") from None
    n_inputs = len(circuit.inputs)
    if array.ndim != 2 or array.shape[1] != n_inputs:
        raise CircuitError(
            f"circuit {circuit.name!r} has {n_inputs} inputs: vectors must have shape (B, {n_inputs}), "
            f"got {array.shape}"
        )
    if array.size and not np.isin(array, (0, 1)).all():
        raise CircuitError("input vectors must contain only 0 and 1")
    return array.astype(np.uint8)


def _tables(circuit: Circuit, vectors: np.ndarray):
    """Yield (first vector index, chunk size, word table) over chunks of a checked batch.

    A chunk holds at most _MAX_CHUNK vectors, and 64 * words vectors with nets * words * 8 bytes
    <= _TABLE_BYTES.
    """
    steps = _plan(circuit)
    chunk = min(_MAX_CHUNK, 64 * max(1, _TABLE_BYTES // (8 * max(1, len(circuit.gates)))))
    for start in range(0, vectors.shape[0], chunk):
        part = vectors[start : start + chunk]
        yield start, part.shape[0], _run(circuit, steps, part)


def evaluate_batch(circuit: Circuit, vectors: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    """Outputs on a batch: vectors (B, len(inputs)) of 0/1 -> uint8 array (B, len(outputs))."""
    array = _check_vectors(circuit, vectors)
    output_rows = [circuit.index(net) for net in circuit.output_nets]
    result = np.zeros((array.shape[0], len(output_rows)), dtype=np.uint8)
    for start, count, table in _tables(circuit, array):
        result[start : start + count] = _unpack(table[output_rows], count).T
    return result


def net_values_batch(
    circuit: Circuit, vectors: np.ndarray | Sequence[Sequence[int]]
) -> dict[str, np.ndarray]:
    """Every net on a batch: net name -> uint8 array of shape (B,), in circuit order."""
    array = _check_vectors(circuit, vectors)
    values = np.zeros((len(circuit.gates), array.shape[0]), dtype=np.uint8)
    for start, count, table in _tables(circuit, array):
        values[:, start : start + count] = _unpack(table, count)
    return {gate.name: values[i] for i, gate in enumerate(circuit.gates)}
