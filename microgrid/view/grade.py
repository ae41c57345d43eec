"""Grade a hand derivation: a learner's gradients beside the engine's, node by node.

::

    >>> mg.compare_grads(J, {"a": 3, "b": 2, "c": 9})
    node  yours  microgrid  ok
    a     3      3          ✓
    b     2      6          ✗
    c     9      9          ✓
    <BLANKLINE>
    ✗ b: dJ/db = dJ/du · ∂u/∂b = 3 · c = 3 · 2 = 6

Each wrong row is followed by the explanation's line for that node, and a node used more than
once says so, since a forgotten term of the sum is the usual slip. The engine's numbers come
from ``grad()`` (nothing in the graph changes); names are the ones every view uses.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from ..engine.autograd import grad
from ..engine.ops import is_number
from ..engine.value import Value
from .explain import Explanation, find_nodes
from .reading import Reading, read

TOL = 1e-6


def compare_grads(root: Value | Reading, yours: Mapping[Any, Any],
                  tol: float = TOL) -> GradReport:
    """Your d root/d node for each key of ``yours`` against the engine's.

    Keys are labels (``"b"``), the course's names for gradients (``"db"`` or ``"dJ/db"``), the
    names the views give unlabelled nodes (``"t1"``), or Values.

    A row is ✓ when ``|yours − microgrid| <= tol · max(1, |microgrid|)`` (an absolute tolerance
    near zero, a relative one for large gradients); inf matches the same inf and nan matches
    nan. The report prints as a table, shows as an HTML table in Jupyter, and ``.ok`` is True
    when every row matches.
    """
    if isinstance(root, Reading):  # the graph already read for another view
        reading = root
        root = reading.root
    elif type(root) is not Value:
        raise TypeError(f"compare_grads() takes a Value, not {type(root).__name__}")
    else:
        reading = read(root)
    if root._op is None:
        raise ValueError("compare_grads(): the root is a leaf (a Value no op made, or one made "
                         "under no_grad()), so it has no gradients to compare; pass the output "
                         "of an expression")
    if not isinstance(yours, Mapping):
        raise TypeError("compare_grads(): yours must map labels (or Values) to numbers, e.g. "
                        f"{{'a': 3, 'b': 6}}, not {type(yours).__name__}")
    if not yours:
        raise ValueError("compare_grads(): yours is empty; give your gradients as "
                         "{'a': 3, 'b': 6}")
    if not is_number(tol) or isinstance(tol, bool) or not tol >= 0:
        raise ValueError(f"compare_grads(): tol must be a number >= 0, not {tol!r}")
    order, names = reading.order, reading.names
    nodes = find_nodes(list(yours), order, names, root, "compare_grads", what="keys",
                       derivatives=True)
    mine = []
    for key, node in zip(yours, nodes):
        value = yours[key]
        if not is_number(value) or isinstance(value, bool):
            raise TypeError(f"compare_grads(): your gradient for {names[node]} is "
                            f"{type(value).__name__} ({value!r:.40}), not a number")
        mine.append(float(value))
    engine = grad(root, nodes)
    rows = [Row(names[v], y, e, _close(y, e, float(tol))) for v, y, e in zip(nodes, mine, engine)]
    wrong = [v for v, row in zip(nodes, rows) if not row.ok]
    why = {}
    if wrong:
        steps = reading.steps
        explanation = Explanation(reading, set(wrong))
        uses = {v: sum(1 for s in steps if s.node is v) for v in wrong}
        for (v, *_), line in zip(explanation._rows, explanation.backward):
            note = ""
            if uses[v] > 1:
                note = (f"{names[v]} is used {uses[v]} times, so its gradient is the sum of "
                        f"{uses[v]} terms: ")
            why[names[v]] = note + line
    return GradReport(names[root], rows, why)


class Row:
    """One node's line of the report: its name, your number, the engine's, and whether they
    match."""

    __slots__ = ("name", "yours", "microgrid", "ok")

    def __init__(self, name: str, yours: float, microgrid: float, ok: bool) -> None:
        self.name = name
        self.yours = yours
        self.microgrid = microgrid
        self.ok = ok

    def __repr__(self) -> str:
        return (f"Row({self.name!r}, yours={self.yours!r}, microgrid={self.microgrid!r}, "
                f"ok={self.ok})")


class GradReport:
    """What ``compare_grads`` returns: ``.ok``, ``.rows`` and ``.wrong`` (the names that
    differ); ``str()`` is the table with a line of explanation per wrong row."""

    def __init__(self, root: str, rows: list[Row], why: dict[str, str]) -> None:
        self.root = root
        self.rows = rows
        self.why = why  # name -> the explanation's line for each wrong node
        self.ok = all(r.ok for r in rows)
        self.wrong = [r.name for r in rows if not r.ok]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        table = [("node", "yours", "microgrid", "ok")]
        table += [(r.name, _num(r.yours), _num(r.microgrid), "✓" if r.ok else "✗")
                  for r in self.rows]
        widths = [max(_width(t[i]) for t in table) for i in range(4)]
        lines = ["  ".join(c + " " * (w - _width(c)) for c, w in zip(t, widths)).rstrip()
                 for t in table]
        if self.why:
            lines.append("")
            lines += [f"✗ {name}: {line}" for name, line in self.why.items()]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{h}</th>" for h in ("node", "yours", "microgrid", "ok"))
        body = []
        for r in self.rows:
            mark = ('<span style="color:#1a7f37">✓</span>' if r.ok
                    else '<span style="color:#cf222e">✗</span>')
            body.append(f"<tr><td>{e(r.name)}</td><td>{e(_num(r.yours))}</td>"
                        f"<td>{e(_num(r.microgrid))}</td><td>{mark}</td></tr>")
        notes = "".join(f"<p>✗ <b>{e(name)}</b>: <code>{e(line)}</code></p>"
                        for name, line in self.why.items())
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                + notes)


def _close(yours: float, engine: float, tol: float) -> bool:
    if math.isnan(engine) or math.isnan(yours):
        return math.isnan(engine) and math.isnan(yours)
    if math.isinf(engine) or math.isinf(yours):
        return yours == engine
    return abs(yours - engine) <= tol * max(1.0, abs(engine))


def _num(x: float) -> str:
    return f"{x:.10g}"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese labels (损失) take two per character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
