"""Draw a computation graph with Graphviz: every Value with its data and grad, every op between.

The picture is the course's: a record ``label | data | grad`` per Value, a small node per op
(``+``, ``×``, ``σ`` ... read from ``ops.OPS``) between the inputs and the result, and a plain
number for each constant operand. Leaves and outputs get their own colours so the eye finds
where the gradient starts and where it ends up.

``graphviz`` is imported only when a drawing is made, so ``import microgrid`` needs nothing
beyond the standard library.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ..engine.value import Value

INSTALL_HINT = ("install Graphviz's `dot` program: apt install graphviz, brew install graphviz, "
                "conda install -c conda-forge graphviz or choco install graphviz")

FORMATS = ("png", "svg", "pdf", "dot")  # what draw(path=...) writes, chosen by the extension

LEAF_COLOR = "#cfe8ff"  # inputs and parameters: where gradients end up
ROOT_COLOR = "#ffd9a8"  # the output(s): where backward() starts
OP_COLOR = "#eeeeee"

_RECORD_SPECIAL = str.maketrans({"{": "\\{", "}": "\\}", "|": "\\|", "<": "\\<", ">": "\\>",
                                 '"': '\\"'})


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is missing, so a picture cannot be rendered.

    The DOT text is still there: ``graph.source`` holds it, and any Graphviz (or an online
    viewer) turns it into a picture.
    """


def draw(root: Any, rankdir: str = "LR", show_grad: bool | None = None, max_nodes: int = 2000,
         path: str | os.PathLike[str] | None = None) -> Any:
    """A ``graphviz.Digraph`` of the graph below ``root``: label | data | grad for each Value.

    ``root`` is a Value, a sequence of Values (several outputs in one picture), or anything with
    a ``graph_roots()`` method returning Values, such as a traced function. In Jupyter the result
    shows itself; ``.render()``/``.pipe()`` make files, or pass ``path="graph.png"`` to save at
    once (png, svg, pdf or dot, from the extension). ``rankdir`` is "LR" (inputs on the left),
    "RL", "TB" or "BT".

    ``show_grad`` defaults to True, but to False for a traced function: its recorded graph is
    run as code, not by ``backward()``, so its nodes' ``.grad`` say nothing.

    A graph with more than ``max_nodes`` Values raises ``ValueError`` instead of producing an
    unreadable picture that takes minutes to lay out: draw one sample's graph instead.
    """
    roots = _roots(root)
    if show_grad is None:
        show_grad = not hasattr(root, "graph_roots")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT', not {rankdir!r}")
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, not {max_nodes!r}")
    fmt = _format_of(path) if path is not None else None
    nodes = _collect(roots, max_nodes)

    import graphviz

    graph = _digraph_class()(graph_attr={"rankdir": rankdir})
    graph.values = len(nodes)
    across = rankdir in ("LR", "RL")  # records lay their fields out across the rank direction
    names = {v: f"v{i}" for i, v in enumerate(nodes)}
    graph.node_ids = names  # each Value's DOT name, the <title> of its group in the SVG
    is_root = set(roots)
    for v in nodes:
        name = names[v]
        fields = [_escape(v.label), f"data {_num(v.data)}"]
        if show_grad:
            fields.append(f"grad {_num(v.grad)}")
        label = " | ".join(fields)
        color = ROOT_COLOR if v in is_root else LEAF_COLOR if v._op is None else "white"
        graph.node(name, graphviz.nohtml("{ " + label + " }" if across else label),
                   shape="record", style="filled", fillcolor=color)
        op = v._op
        if op is None:
            continue
        # the op node sits between the inputs and the result; ordering=in keeps x before y,
        # which matters for − ÷ ^
        op_name = name + "op"
        graph.node(op_name, graphviz.nohtml(_escape(op.symbol)), shape="ellipse",
                   style="filled", fillcolor=OP_COLOR, ordering="in")
        for i, x in enumerate(v.inputs):
            if type(x) is Value:
                graph.edge(names[x], op_name)
            else:  # a number operand: not a node of the graph, so no grad; shown as it is
                const = f"{op_name}c{i}"
                graph.node(const, graphviz.nohtml(_escape(_num(x))), shape="plaintext")
                graph.edge(const, op_name)
        graph.edge(op_name, name)
    if path is not None:
        save(graph, path, fmt)
    return graph


def save(graph: Any, path: str | os.PathLike[str], fmt: str | None = None) -> None:
    """Write ``graph`` to ``path``: the DOT text for .dot, else the picture ``dot`` renders."""
    fmt = fmt or _format_of(path)
    if fmt == "dot":
        data = graph.source.encode("utf-8")
    else:
        data = graph.pipe(format=fmt)
    with open(path, "wb") as f:
        f.write(data)


def _roots(root: Any) -> list[Value]:
    if type(root) is Value:
        return [root]
    if hasattr(root, "graph_roots"):
        roots = list(root.graph_roots())
    elif isinstance(root, Iterable) and not isinstance(root, (str, bytes)):
        roots = list(root)
    else:
        raise TypeError(f"draw() takes a Value, a sequence of Values or a traced function, "
                        f"not {type(root).__name__}")
    if not roots:
        raise ValueError("draw() needs at least one Value to draw")
    for i, v in enumerate(roots):
        if type(v) is not Value:
            raise TypeError(f"draw(): output {i} is {type(v).__name__}, not a Value")
    return list(dict.fromkeys(roots))  # the same output twice is drawn once


def _collect(roots: list[Value], max_nodes: int) -> list[Value]:
    """Every Value below the roots, each once (a loop, not recursion: deep chains draw).

    Past ``max_nodes`` it only counts, and stops counting at a cap, so that a graph of a
    whole data set is refused in a fraction of a second rather than walked to the end.
    """
    cap = max(100 * max_nodes, 100_000)
    seen: dict[Value, None] = {}
    stack = list(roots)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen[v] = None
        if len(seen) > cap:
            break
        for x in v.inputs:
            if type(x) is Value and x not in seen:
                stack.append(x)
    n = len(seen)
    if n > max_nodes:
        many = f"more than {cap:,}" if n > cap else f"{n:,}"
        raise ValueError(f"the graph has {many} Values, more than max_nodes={max_nodes:,}; "
                         "draw one sample's graph (e.g. the loss of a single example), "
                         "or raise max_nodes")
    return list(seen)


def _num(x: float) -> str:
    return f"{x:.4g}"  # 4 significant digits, as in the course's figures


def _escape(text: str) -> str:
    """``text`` as it must appear inside a record label: nothing in it can end the string,
    start a field or a port, or be read as a Graphviz escape such as ``\\N``."""
    text = text.replace("\\", "\\\\").translate(_RECORD_SPECIAL)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(c if c >= " " and c != "\x7f" else " " for c in text)


def _format_of(path: str | os.PathLike[str]) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext == "gv":
        ext = "dot"
    if ext not in FORMATS:
        raise ValueError(f"cannot tell the format of {os.fspath(path)!r}: "
                         "use a file name ending in .png, .svg, .pdf or .dot")
    return ext


_Drawing: Any = None


def _digraph_class() -> Any:
    """``graphviz.Digraph``, but a missing ``dot`` is reported with how to install it.

    Made on first use, because ``graphviz`` is imported only when something is drawn.
    """
    global _Drawing
    if _Drawing is not None:
        return _Drawing
    import graphviz

    class Drawing(graphviz.Digraph):
        """A ``graphviz.Digraph`` whose rendering says how to install a missing ``dot``."""

        values = 0  # how many Values it shows

        def __repr__(self) -> str:  # stable text beside the picture in a saved notebook
            return f"<drawing of {self.values} Values: .source holds the DOT>"

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFound(_missing()) from None

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFound(_missing()) from None

        def unflatten(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().unflatten(*args, **kwargs)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFound(_missing()) from None

    Drawing.__module__ = __name__
    Drawing.__qualname__ = "_Drawing"  # so a drawing pickles
    _Drawing = Drawing
    return Drawing


def _missing() -> str:
    return f"Graphviz's `dot` program was not found; {INSTALL_HINT} (the DOT text is in .source)"
