"""Rewrite any circuit into an and-inverter graph: INPUT, CONST, 2-input AND and NOT gates only.

This is what AIGER can hold, and what `.bench` and BLIF writers fall back on for gates they cannot
express directly. Every original gate's net keeps its name and its function; the helper nets a rewrite
needs get fresh names (`<gate>_t`, `<gate>_t_1`, ...). The rewrites, for fan-in bits x_1..x_k:

- AND: a balanced tree of 2-input ANDs (depth ceil(log2 k)); a 1-input AND (or a BUF) is AND(x, x).
- OR = NOT AND(NOT x_i), NAND = NOT AND(x_i), NOR = AND(NOT x_i) (De Morgan).
- XOR of two: a XOR b = AND(NOT AND(a, b), NOT AND(NOT a, NOT b)), three ANDs; wider XOR is a
  balanced tree of these, XNOR its negation.
- THRESHOLD [sum w_i x_i >= t]: first repeated fan-in nets are merged by adding their weights. A
  negative weight w < 0 on x is moved onto the complement: w x = w + |w| (1 - x), so with
  y_i = x_i (w_i > 0) or NOT x_i (w_i < 0) the gate is [S >= T] with S = sum |w_i| y_i and
  T = t + sum over negative w_i of |w_i|. If T <= 0 the gate is the constant 1, if T > sum |w_i| the
  constant 0. Otherwise S is computed in binary: bit j of |w_i| puts y_i into column j, and each column
  is reduced with full adders (three bits of weight 2^j become a sum bit of weight 2^j and a carry of
  weight 2^(j+1)) and a final half adder, until every column holds one bit s_j. The comparison with the
  constant T runs from the least significant bit up: with G_{-1} = 1,
  G_j = s_j AND G_{j-1} where bit j of T is 1 and G_j = s_j OR G_{j-1} where it is 0, which is exactly
  [S mod 2^(j+1) >= T mod 2^(j+1)]; constants are folded, and the top G is the gate.
- MAJ of k inputs is the threshold [sum x_i >= floor(k/2) + 1].

`keep` lets a caller rewrite only some gates: a gate for which `keep(gate)` is true is copied unchanged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from circuits.ir import Circuit, Gate, Op
from circuits.naming import FreshNames


def is_and_inverter_gate(gate: Gate) -> bool:
    """True for the gates an and-inverter graph is made of."""
    return gate.op in (Op.INPUT, Op.CONST, Op.NOT) or (gate.op is Op.AND and len(gate.fanin) == 2)


def to_and_inverter(circuit: Circuit, keep: Callable[[Gate], bool] | None = None) -> Circuit:
    """The same function built from INPUT, CONST, 2-input AND and NOT gates (plus gates `keep` spares)."""
    keep = keep or is_and_inverter_gate
    builder = _AndInverterBuilder(FreshNames(g.name for g in circuit.gates))
    for gate in circuit.gates:
        if gate.op in (Op.INPUT, Op.CONST) or keep(gate):
            builder.gates.append(gate)
        else:
            builder.lower(gate)
    return Circuit(builder.gates, circuit.outputs, name=circuit.name)


class _AndInverterBuilder:
    """Appends AND/NOT gates; constants are Python bools until they must become a CONST gate."""

    def __init__(self, fresh: FreshNames) -> None:
        self.gates: list[Gate] = []
        self.fresh = fresh
        self.stem = ""
        self.negations: dict[str, str] = {}

    def lower(self, gate: Gate) -> None:
        """Append gates computing `gate`, the last of them named `gate.name`."""
        self.stem = f"{gate.name}_t"
        self.negations = {}
        first_new = len(self.gates)
        result = self.function_of(gate)
        if isinstance(result, bool):
            self.gates.append(Gate(gate.name, Op.CONST, value=int(result)))
        elif len(self.gates) > first_new and self.gates[-1].name == result:
            last = self.gates[-1]
            self.gates[-1] = Gate(gate.name, last.op, last.fanin)
        else:
            self.gates.append(Gate(gate.name, Op.AND, (result, result)))

    def function_of(self, gate: Gate) -> str | bool:
        x = list(gate.fanin)
        if gate.op in (Op.BUF, Op.AND):
            return self.and_all(x)
        if gate.op is Op.NOT:
            return self.not_(x[0])
        if gate.op is Op.NAND:
            return self.not_(self.and_all(x))
        if gate.op is Op.OR:
            return self.not_(self.and_all([self.not_(a) for a in x]))
        if gate.op is Op.NOR:
            return self.and_all([self.not_(a) for a in x])
        if gate.op is Op.XOR:
            return self.xor_all(x)
        if gate.op is Op.XNOR:
            return self.not_(self.xor_all(x))
        if gate.op is Op.MAJ:
            return self.at_least([1] * len(x), x, len(x) // 2 + 1)
        if gate.op is Op.THRESHOLD:
            assert gate.weights is not None and gate.threshold is not None
            return self.at_least(list(gate.weights), x, gate.threshold)
        raise AssertionError(f"no and-inverter rewrite for {gate.op}")

    def emit(self, op: Op, *fanin: str) -> str:
        name = self.fresh(self.stem)
        self.gates.append(Gate(name, op, fanin))
        return name

    def not_(self, a: str | bool) -> str | bool:
        if isinstance(a, bool):
            return not a
        if a not in self.negations:
            self.negations[a] = self.emit(Op.NOT, a)
        return self.negations[a]

    def and_(self, a: str | bool, b: str | bool) -> str | bool:
        if isinstance(a, bool):
            return b if a else False
        if isinstance(b, bool):
            return a if b else False
        return self.emit(Op.AND, a, b)

    def or_(self, a: str | bool, b: str | bool) -> str | bool:
        return self.not_(self.and_(self.not_(a), self.not_(b)))

    def xor_(self, a: str | bool, b: str | bool) -> str | bool:
        return self.half_adder(a, b)[0]

    def half_adder(self, a: str | bool, b: str | bool) -> tuple[str | bool, str | bool]:
        """(a XOR b, a AND b) with three ANDs, the carry AND shared with the sum."""
        carry = self.and_(a, b)
        neither = self.and_(self.not_(a), self.not_(b))
        return self.and_(self.not_(carry), self.not_(neither)), carry

    def full_adder(self, a: str | bool, b: str | bool, c: str | bool) -> tuple[str | bool, str | bool]:
        partial, carry_ab = self.half_adder(a, b)
        total, carry_c = self.half_adder(partial, c)
        return total, self.or_(carry_ab, carry_c)

    def and_all(self, nets: Sequence[str | bool]) -> str | bool:
        return self._tree(nets, self.and_)

    def xor_all(self, nets: Sequence[str | bool]) -> str | bool:
        return self._tree(nets, self.xor_)

    @staticmethod
    def _tree(nets: Sequence[str | bool], combine: Callable) -> str | bool:
        layer = list(nets)
        while len(layer) > 1:
            paired = [combine(layer[i], layer[i + 1]) for i in range(0, len(layer) - 1, 2)]
            layer = paired + layer[len(layer) - len(layer) % 2 :]
        return layer[0]

    def at_least(self, weights: Sequence[int], fanin: Sequence[str], t: int) -> str | bool:
        """[sum w_i x_i >= t] via a column-compression adder and a comparator with the constant."""
        merged: dict[str, int] = {}
        for net, weight in zip(fanin, weights, strict=True):
            merged[net] = merged.get(net, 0) + weight
        bound = t
        terms: list[tuple[str, int]] = []
        for net, weight in merged.items():
            if weight > 0:
                terms.append((net, weight))
            elif weight < 0:
                negated = self.not_(net)
                assert isinstance(negated, str)
                terms.append((negated, -weight))
                bound -= weight
        total = sum(weight for _, weight in terms)
        if bound <= 0:
            return True
        if bound > total:
            return False
        columns: list[deque[str | bool]] = [deque() for _ in range(total.bit_length())]
        for net, weight in terms:
            for j in range(weight.bit_length()):
                if weight >> j & 1:
                    columns[j].append(net)
        sum_bits = self.compress(columns)
        at_least: str | bool = True
        for j, bit in enumerate(sum_bits):
            at_least = self.and_(bit, at_least) if bound >> j & 1 else self.or_(bit, at_least)
        return at_least

    def compress(self, columns: list[deque[str | bool]]) -> list[str | bool]:
        """One bit per column, adding full and half adders; carries may open a new top column.

        Each column is a queue: adders take its oldest bits and put their sum bit at the back, so a
        column of k bits is reduced in O(log k) adder levels.
        """
        bits: list[str | bool] = []
        j = 0
        while j < len(columns):
            column = columns[j]
            while len(column) > 1:
                if len(column) >= 3:
                    total, carry = self.full_adder(column.popleft(), column.popleft(), column.popleft())
                else:
                    total, carry = self.half_adder(column.popleft(), column.popleft())
                column.append(total)
                if j + 1 == len(columns):
                    columns.append(deque())
                columns[j + 1].append(carry)
            bits.append(column[0] if column else False)
            j += 1
        return bits
