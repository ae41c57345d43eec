"""The computation graph as indented text, for terminals and the REPL: ``print(J.tree())``.

::

    × J  data=33  grad=1
    ├── 3
    └── + v  data=11  grad=3
        ├── a  data=5  grad=3
        └── × u  data=6  grad=3
            ├── b  data=3  grad=6
            └── c  data=2  grad=9

Each line is one Value: its op's symbol (from ``ops.OPS``), its name (the one every view gives
it: its label, ``t1`` for an unlabelled result, ``J`` for an unlabelled output), data and grad.
A number operand is shown as the number. Every Value is printed in full once; a later use of it
is the line ``↑ name`` (printed above). Past ``MAX_DEPTH`` levels a subtree is not indented
further: the line ``↓ name`` stands for it and it is printed below as a tree of its own, so a
running sum over a thousand samples is a thousand short lines, not a staircase of megabytes.
The text grows as the graph does, and the walk is a loop, so deep graphs print.
"""

from __future__ import annotations

from typing import Any

from ..engine.autograd import paused_gc
from ..engine.value import Value
from ..i18n import _, speaks
from .names import number as _num
from .reading import Reading, read

MAX_NODES = 10_000  # past this the text is too long to read: print one sample's graph
MAX_DEPTH = 16  # levels of indentation before a subtree is continued below


@speaks
def tree(root: Value | Reading, show_grad: bool = True, max_nodes: int = MAX_NODES, *,
         lang: str | None = None) -> str:
    """The graph below ``root`` (a Value or its ``microgrid.read``) as an indented tree, one
    Value per line (see the module doc). A graph of more than ``max_nodes`` Values is refused
    in one line, as ``draw`` refuses it, in ``lang`` (else the current language)."""
    if type(root) is not Value and not isinstance(root, Reading):
        raise TypeError(_("tree() takes a Value, not {kind}", kind=type(root).__name__))
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(_("max_nodes must be a positive int, not {value}",
                           value=repr(max_nodes)))
    reading = read(root, max_nodes, "print")
    names = reading.names
    done: set[Value] = set()  # printed in full, or waiting below: never printed again
    later: list[Value] = []  # subtrees continued below, in the order they were met
    waiting: set[Value] = set()  # those of them not printed yet
    lines: list[str] = []

    def block(top: Value) -> None:
        # (node, depth, prefix of this line, prefix for its children)
        stack: list[tuple[Any, int, str, str]] = [(top, 0, "", "")]
        while stack:
            node, depth, head, indent = stack.pop()
            if type(node) is not Value:  # a number operand
                lines.append(head + _num(node))
                continue
            if node in done and node is not top:
                lines.append(f"{head}{'↓' if node in waiting else '↑'} {names[node]}")
                continue
            if depth >= MAX_DEPTH and _deep(node):
                done.add(node)
                waiting.add(node)
                later.append(node)
                lines.append(f"{head}↓ {names[node]}")
                continue
            done.add(node)
            lines.append(head + _describe(node, names[node], show_grad))
            inputs = node.inputs
            for i in reversed(range(len(inputs))):  # pushed last-first, so printed first-first
                last = i == len(inputs) - 1
                stack.append((inputs[i], depth + 1, indent + ("└── " if last else "├── "),
                              indent + ("    " if last else "│   ")))

    with paused_gc():  # a line per node and no cycle: nothing for the collector
        block(reading.root)
        for top in later:  # grows while it is read: a continued tree continues too
            waiting.discard(top)
            lines.append("")
            block(top)
    return "\n".join(lines)


def _deep(v: Value) -> bool:
    """Whether v has a result among its inputs (so its subtree goes deeper than one line)."""
    return any(type(x) is Value and x._op is not None for x in v.inputs)


def _describe(v: Value, name: str, show_grad: bool) -> str:
    text = f"{v._op.symbol} {name}" if v._op is not None else name
    text += f"  data={_num(v.data)}"
    if show_grad:
        text += f"  grad={_num(v.grad)}"
    return text
