"""One name per node, the same in every view: the tree, the drawing, the explanation, the
step-through and the command line.

A learner reads ``dJ/du`` in an explanation and looks for ``u`` in the picture, so every view
names nodes through ``node_names`` (``microgrid.read`` calls it once per graph). A Value's label
is its name. An unlabelled output is ``J``, the course's name for what is differentiated (``out``
if a label already takes ``J``); an unlabelled intermediate gets ``t1, t2 ...`` and an
unlabelled leaf ``x1, x2 ...``, numbered in the order a person reads the expression (inputs
before results, the left operand before the right: ``w1·x1`` is ``t1``, ``w2·x2`` is ``t2``),
skipping any name a label already takes. Two nodes with the same label are told apart by a
subscript on the later ones (``a``, ``a₂``), so no two nodes in one picture or one derivation
share a name. A subscript digit counts as the digit it is (LaTeX writes both ``a2`` and ``a₂`` as
:math:`a_2`): with a label ``a2`` in the graph the second ``a`` is ``a₃``, so names stay distinct
in the LaTeX answer key too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..engine.value import Value

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
ROOT_NAMES = ("J", "out")  # an unlabelled output's name: the first no label takes


def node_names(nodes: Iterable[Value], roots: Iterable[Value] = ()) -> dict[Value, str]:
    """A unique, readable name for each Value of ``nodes``, which come inputs first.

    Labels are kept as they are (with a newline read as a space); an unlabelled Value of
    ``roots`` that an op made is ``J``; see the module docstring for the rest.
    """
    nodes = list(dict.fromkeys(nodes))
    outputs = {id(r) for r in roots if r._op is not None and not r.label}
    labels = {v.label.replace("\n", " ") for v in nodes if v.label}
    taken = {_key(label) for label in labels}
    root_name = next((n for n in ROOT_NAMES if n not in labels), ROOT_NAMES[-1])
    names: dict[Value, str] = {}
    used: set[str] = set()  # the names given so far, as _key reads them
    count = {"t": 0, "x": 0}
    for v in nodes:
        if v.label or id(v) in outputs:
            base = v.label.replace("\n", " ") if v.label else root_name
            name, n = base, 1
            while _key(name) in used or ((n > 1 or not v.label) and _key(name) in taken):
                n += 1
                name = base + str(n).translate(_SUBSCRIPT)
        else:
            prefix = "x" if v._op is None else "t"
            while True:
                count[prefix] += 1
                name = f"{prefix}{count[prefix]}"
                if _key(name) not in taken and _key(name) not in used:
                    break
        used.add(_key(name))
        names[v] = name
    return names


def _key(name: str) -> str:
    """What two names must differ in: a subscript digit reads as its digit."""
    return name.translate(_DIGITS)


def number(x: float) -> str:
    """A node's data or grad as every view prints it: 4 significant digits, as in the course's
    figures, and ``0`` for ``-0.0`` (a sign on nothing only puzzles a reader)."""
    if x == 0:
        return "0"
    return f"{x:.4g}"


_SLOT = re.compile(r"\{(x|y|out)\}")


def fill(template: str, node: Value, show: Callable[[Value | float], str]) -> str:
    """An op table template (``"{x} · {y}"``, ``"1/{y}"``) with ``node``'s operands and result
    written by ``show``, in one pass: what is put in is never read again, so a label such as
    ``{y}`` stays a label."""
    inputs = node.inputs
    parts = {"x": inputs[0], "y": inputs[-1], "out": node}
    return _SLOT.sub(lambda m: show(parts[m.group(1)]), template)
