"""Lowering any circuit to one built of INPUT, CONST and THRESHOLD gates only.

This is the form the transformer compiler consumes. Each gate with fan-in x_1..x_k and s = sum x_i
(a net read twice counts twice) is rewritten as follows; every rewrite is exact on all of {0,1}^k:

- BUF    = [x_1 >= 1]                 (x_1 in {0,1})
- NOT    = [-x_1 >= 0]                (true iff x_1 = 0)
- AND_k  = [s >= k]                   (all k bits are 1)
- OR_k   = [s >= 1]
- NAND_k = [-s >= 1 - k]              (s <= k - 1: not all are 1)
- NOR_k  = [-s >= 0]                  (s = 0)
- MAJ_k  = [s >= floor(k/2) + 1]      (strict majority, as in the IR: 2s > k)
- THRESHOLD is kept as it is;
- XOR_1 = BUF and XNOR_1 = NOT as above; for k >= 2, with helpers e_j = [s >= 2j], j = 1..floor(k/2):
  XOR_k  = [s - 2 (e_1 + ... + e_floor(k/2)) >= 1]
  XNOR_k = [-s + 2 (e_1 + ... + e_floor(k/2)) >= 0]
  because e_1 + ... + e_floor(k/2) = #{j >= 1 : 2j <= s} = floor(s/2) (s <= k), so
  s - 2 floor(s/2) = s mod 2. This needs floor(k/2) helpers rather than the k of the alternating sum
  [y_1 - y_2 + y_3 - ... >= 1] over y_j = [s >= j]; both are depth 2.

Depth: every gate keeps its level except XOR/XNOR with k >= 2, whose net sits one level above its
helpers, i.e. one level higher than in the source; a path through m such gates grows by at most m.
Size: one gate per source gate, plus floor(k/2) helpers per XOR_k/XNOR_k.

Every net keeps its name, gate order and the input order are unchanged (helpers are inserted just
before the gate that reads them), and outputs are the same pairs. A helper of net v is named
`v__ev{2j}` (v, then "__ev" and 2j), with a numeric suffix added if that name is taken, so it never
clashes with a net of the source circuit or another helper.
"""

from __future__ import annotations

from circuits.ir import Circuit, Gate, Op

_FIXED_SIGN = {
    Op.BUF: (1, lambda k: 1),
    Op.NOT: (-1, lambda k: 0),
    Op.AND: (1, lambda k: k),
    Op.OR: (1, lambda k: 1),
    Op.NAND: (-1, lambda k: 1 - k),
    Op.NOR: (-1, lambda k: 0),
    Op.MAJ: (1, lambda k: k // 2 + 1),
}


def _fresh(base: str, taken: set[str]) -> str:
    name, suffix = base, 0
    while name in taken:
        suffix += 1
        name = f"{base}_{suffix}"
    taken.add(name)
    return name


def _lower_parity(gate: Gate, taken: set[str]) -> list[Gate]:
    """Helpers e_j = [s >= 2j] and the XOR/XNOR gate itself, as threshold gates (k >= 2)."""
    k = len(gate.fanin)
    helpers = [
        Gate(_fresh(f"{gate.name}__ev{2 * j}", taken), Op.THRESHOLD, gate.fanin, (1,) * k, 2 * j)
        for j in range(1, k // 2 + 1)
    ]
    sign = 1 if gate.op is Op.XOR else -1
    weights = (sign,) * k + (-2 * sign,) * len(helpers)
    threshold = 1 if gate.op is Op.XOR else 0
    fanin = gate.fanin + tuple(h.name for h in helpers)
    return [*helpers, Gate(gate.name, Op.THRESHOLD, fanin, weights, threshold)]


def _lower_gate(gate: Gate, taken: set[str]) -> list[Gate]:
    """The threshold gates replacing one source gate (its own net last)."""
    if gate.op in (Op.INPUT, Op.CONST, Op.THRESHOLD):
        return [gate]
    k = len(gate.fanin)
    op = gate.op
    if op in (Op.XOR, Op.XNOR) and k == 1:
        op = Op.BUF if op is Op.XOR else Op.NOT
    if op in (Op.XOR, Op.XNOR):
        return _lower_parity(gate, taken)
    sign, threshold = _FIXED_SIGN[op]
    return [Gate(gate.name, Op.THRESHOLD, gate.fanin, (sign,) * k, threshold(k))]


def to_threshold(circuit: Circuit) -> Circuit:
    """The same function on the same named nets, built from INPUT, CONST and THRESHOLD gates only."""
    taken = {gate.name for gate in circuit.gates}
    gates = [new for gate in circuit.gates for new in _lower_gate(gate, taken)]
    return Circuit(gates, circuit.outputs, name=circuit.name)
