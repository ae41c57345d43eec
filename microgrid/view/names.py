"""One name per node, the same in every view: the drawing, the explanation and the step-through.

A learner reads ``dJ/du`` in an explanation and looks for ``u`` in the picture, so every view
names nodes through ``node_names``. A Value's label is its name. An unlabelled intermediate gets
``t1, t2 ...`` and an unlabelled leaf ``x1, x2 ...``, numbered in topological order (inputs
before results), skipping any name a label already takes. Two nodes with the same label are
told apart by a subscript on the later ones (``a``, ``a₂``), so no two nodes in one picture or
one derivation share a name.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..engine.value import Value

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def node_names(nodes: Iterable[Value]) -> dict[Value, str]:
    """A unique, readable name for each Value of ``nodes``, which come inputs first.

    Labels are kept as they are (with a newline read as a space); see the module docstring for
    the unlabelled and the duplicate cases.
    """
    nodes = list(dict.fromkeys(nodes))
    taken = {v.label.replace("\n", " ") for v in nodes if v.label}
    names: dict[Value, str] = {}
    used: set[str] = set()
    count = {"t": 0, "x": 0}
    for v in nodes:
        if v.label:
            base = v.label.replace("\n", " ")
            name, n = base, 1
            while name in used:
                n += 1
                name = base + str(n).translate(_SUBSCRIPT)
        else:
            prefix = "x" if v._op is None else "t"
            while True:
                count[prefix] += 1
                name = f"{prefix}{count[prefix]}"
                if name not in taken and name not in used:
                    break
        used.add(name)
        names[v] = name
    return names


def number(x: float) -> str:
    """A node's data or grad as every view prints it: 4 significant digits, as in the course's
    figures, and ``0`` for ``-0.0`` (a sign on nothing only puzzles a reader)."""
    if x == 0:
        return "0"
    return f"{x:.4g}"
