"""The computation graph as indented text, for terminals and the REPL: ``print(J.tree())``.

::

    × J  data=33  grad=1
    ├── 3
    └── + v  data=11  grad=3
        ├── a  data=5  grad=3
        └── × u  data=6  grad=3
            ├── b  data=3  grad=6
            └── c  data=2  grad=9

Each line is one Value: its op's symbol (from ``ops.OPS``), its label, data and grad. A number
operand is shown as the number. A Value used by several others is printed in full once, tagged
``[#n]``, and every later use refers back to it as ``↑ [#n]``, so a shared subgraph is never
repeated and the text stays as long as the graph is big. The walk is a loop, so deep graphs
print.
"""

from __future__ import annotations

from ..engine.value import Value
from .names import number as _num


def tree(root: Value, show_grad: bool = True) -> str:
    """The graph below ``root`` as an indented tree, one Value per line (see the module doc)."""
    if type(root) is not Value:
        raise TypeError(f"tree() takes a Value, not {type(root).__name__}")
    shared = _shared(root)
    ids: dict[Value, int] = {}  # shared Value -> its number, once printed
    lines: list[str] = []
    # (node, prefix of this line, prefix for its children): prefixes carry the tree's branches
    stack: list[tuple[Value | float, str, str]] = [(root, "", "")]
    while stack:
        node, head, indent = stack.pop()
        if type(node) is not Value:  # a number operand
            lines.append(head + _num(node))
            continue
        if node in ids:
            name = f"{node.label} " if node.label else ""
            lines.append(f"{head}↑ {name}[#{ids[node]}]")
            continue
        tag = ""
        if node in shared:
            ids[node] = len(ids) + 1
            tag = f"  [#{ids[node]}]"
        lines.append(head + _describe(node, show_grad) + tag)
        inputs = node.inputs
        for i in reversed(range(len(inputs))):  # pushed last-first, so printed first-first
            last = i == len(inputs) - 1
            stack.append((inputs[i], indent + ("└── " if last else "├── "),
                          indent + ("    " if last else "│   ")))
    return "\n".join(lines)


def _shared(root: Value) -> set[Value]:
    """The Values that more than one edge leads to: they get a number and are printed once."""
    seen: set[Value] = {root}
    shared: set[Value] = set()
    stack = [root]
    while stack:
        for x in stack.pop().inputs:
            if type(x) is not Value:
                continue
            if x in seen:
                shared.add(x)
            else:
                seen.add(x)
                stack.append(x)
    return shared


def _describe(v: Value, show_grad: bool) -> str:
    parts = []
    if v._op is not None:
        parts.append(v._op.symbol)
    if v.label:
        parts.append(v.label.replace("\n", " "))
    text = " ".join(parts)
    text = (text + "  " if text else "") + f"data={_num(v.data)}"
    if show_grad:
        text += f"  grad={_num(v.grad)}"
    return text
