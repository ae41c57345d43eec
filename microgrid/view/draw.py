"""Draw a computation graph with Graphviz: each Value with its name, data and grad, each op between.

The picture is the course's: a record ``name | data | grad`` per Value, a small node per op
between the inputs and the result, and leaves and outputs in their own colours so the eye finds
where the gradient starts and where it ends up. Everything an op node says comes from its entry
in ``ops.OPS``:

* a number operand is folded into the op (``× 3``, ``+ 1``) instead of being a node of its own;
* an op whose inputs can't be swapped (``op.symmetric`` is False: − ÷ ^) spells out which input
  is which, ``1 − a``, ``t3 ^ 2``, using the names of the records;
* ``show_local=True`` writes on each edge the local derivative ∂out/∂in that the backward pass
  multiplies by there, as the course's figure does (∂v/∂u = 1, ∂u/∂b = 2); it is read from the
  pass's own records (``Reading.edge``), so an edge the engine masks (a ReLU that is off, a gate
  at 0) says ``no flow``, as the engine adds nothing there.

Names and records come from the graph's one ``Reading`` (``microgrid.read``), shared by every
view, so ``t3`` in a picture is ``t3`` in an explanation. The layout direction follows the
graph's shape (a long chain is laid out top to bottom, so the picture fits a screen);
``color="grad"`` shades nodes by |grad| on a log scale spread over the graph's own range, and
``group="neuron"``/``"layer"`` folds each neuron (or layer) of a ``microgrid.nn`` model into one
box (see ``view.groups``).

The DOT node ids are ``v0, v1 ...`` for Values (``v0`` is the first output), ``v0op`` for the op
that made ``v0``, ``g0, g1 ...`` for group boxes, so other tools can find nodes in the SVG.

``graphviz`` is imported only when a drawing is made, so ``import microgrid`` needs nothing
beyond the standard library.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from typing import Any

from ..engine.value import Value
from ..i18n import N_, gettext, speaks
from .fonts import FONTNAME, check_labels
from .groups import GROUPS, Group, find_groups
from .names import number as _num
from .reading import Reading, read

INSTALL_HINT = N_("install Graphviz's `dot` program: apt install graphviz, brew install "
                  "graphviz, conda install -c conda-forge graphviz or choco install graphviz")

FORMATS = ("png", "svg", "pdf", "dot")  # what draw(path=...) writes, chosen by the extension
RANKDIRS = ("LR", "RL", "TB", "BT")
COLORS = ("kind", "grad")  # what the fill colour says: leaf/output/inner, or |grad|

LEAF_COLOR = "#cfe8ff"  # inputs and parameters: where gradients end up
ROOT_COLOR = "#ffd9a8"  # the output(s): where backward() starts
OP_COLOR = "#eeeeee"
GROUP_COLOR = "#e3f4e1"  # a neuron or layer folded into one box
LOCAL_COLOR = "#1f4e9a"  # the local derivatives written on edges

# color="grad": light to dark with |grad| on a log scale over the graph's own range; exactly 0
# stands apart (a dead ReLU)
GRAD_SHADES = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
ZERO_COLOR = "#ffd6d6"  # grad exactly 0: no gradient reaches this node
NONFINITE_COLOR = "#ff66cc"  # grad inf or nan
MAX_ASPECT = 3.0  # widest picture (width / height) the automatic direction accepts
SCREEN_PX = (1240, 760)  # a 1280×800 screen less a window's frame: the default fits it
MIN_SHRINK = 0.6  # the most the default layout shrinks a picture to fit that screen

_RECORD_SPECIAL = str.maketrans({"{": "\\{", "}": "\\}", "|": "\\|", "<": "\\<", ">": "\\>",
                                 '"': '\\"'})
_HTML_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is missing, so a picture cannot be rendered.

    The DOT text is still there: ``graph.source`` holds it, and any Graphviz (or an online
    viewer) turns it into a picture.
    """


@speaks
def draw(root: Any, rankdir: str | None = None, show_grad: bool | None = None,
         max_nodes: int = 2000, path: str | os.PathLike[str] | None = None, *,
         show_local: bool = False, color: str = "kind", group: str | None = None,
         lang: str | None = None) -> Any:
    """A ``graphviz.Digraph`` of the graph below ``root``: name | data | grad for each Value.

    ``root`` is a Value, a sequence of Values (several outputs in one picture), anything with
    a ``graph_roots()`` method returning Values, such as a traced function, or the graph's
    ``microgrid.read``. In Jupyter the result
    shows itself; ``.render()``/``.pipe()`` make files, or pass ``path="graph.png"`` to save at
    once (png, svg, pdf or dot, from the extension).

    - ``rankdir``: "LR" (inputs on the left), "RL", "TB" or "BT"; by default LR unless that
      makes the picture wider than 3:1 (a long chain) or TB fits a 1280×800 screen better,
      then TB; a default picture a little too big for that screen is shrunk to fit it.
    - ``show_grad`` defaults to True, but to False for a traced function: its recorded graph is
      run as code, not by ``backward()``, so its nodes' ``.grad`` say nothing.
    - ``show_local=True`` labels each edge into an op with ∂out/∂in as the backward pass
      uses it (``no flow`` where the op masks it: a ReLU that is off).
    - ``color="grad"`` shades each node by |grad| on a log scale from the smallest to the
      largest |grad| of this graph, with a legend; a grad of exactly 0 has a colour of its
      own. The default, "kind", colours leaves and outputs.
    - ``group="neuron"`` (or ``"layer"``) draws each neuron (layer) of a ``microgrid.nn`` model
      as one box; everything else is drawn as usual.

    A graph with more than ``max_nodes`` Values raises ``ValueError`` instead of producing an
    unreadable picture that takes minutes to lay out: draw one sample's graph, or group it.
    """
    traced = hasattr(root, "graph_roots")
    roots = root.roots if isinstance(root, Reading) else _roots(root)
    if show_grad is None:
        show_grad = not traced
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(gettext("rankdir must be 'LR', 'RL', 'TB' or 'BT' (or None to choose "
                                 "from the graph's shape), not {value}", value=repr(rankdir)))
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(gettext("max_nodes must be a positive int, not {value}",
                                 value=repr(max_nodes)))
    if type(show_local) is not bool:
        raise TypeError(gettext("show_local must be True or False, not {value}",
                                value=repr(show_local)))
    if color not in COLORS:
        raise ValueError(gettext("color must be 'kind' (leaves and outputs) or 'grad' (|grad| "
                                 "on a log scale), not {value}", value=repr(color)))
    if group is not None and group not in GROUPS:
        raise ValueError(gettext("group must be None, 'neuron' or 'layer', not {value}",
                                 value=repr(group)))
    if color == "grad" and traced and not show_grad:
        raise ValueError(gettext("color='grad' shades by .grad, which a traced function's nodes "
                                 "don't have (its backward is code); draw the eager graph after "
                                 "backward()"))
    fmt = _format_of(path) if path is not None else None
    reading = read(root if isinstance(root, Reading) else roots, max_nodes, "draw")
    order = reading.order  # inputs first, so names match every other view's (t1 is t1)
    nodes = order
    if show_local and all(v._op is None for v in nodes):
        raise ValueError(gettext("show_local=True labels the edges into ops with local "
                                 "derivatives, but this graph is a single Value with no op: "
                                 "there is no edge to label"))
    if show_local and group is not None:
        raise ValueError(gettext("show_local=True can't label edges inside a group's box; draw "
                                 "without group= to see every local derivative"))
    check_labels(v.label for v in nodes)

    ids: dict[Value, str] = {}
    for v in [*roots, *reversed(order)]:  # v0 is the first output
        ids.setdefault(v, f"v{len(ids)}")
    names = dict(reading.names)  # a group's box renames its output below
    groups = find_groups(order, group, roots) if group is not None else {}
    if group is not None and not groups:
        raise ValueError(gettext("group={group} found no neuron in this graph: a neuron's "
                                 "parameters are labelled LAYER.NEURON.w1 ... LAYER.NEURON.b, as "
                                 "microgrid.nn.MLP labels them; draw without group= to see the "
                                 "whole graph", group=repr(group)))
    plan = _Plan()
    shown = [v for v in nodes if v not in groups]  # the legend spans what the picture shows
    shown += [g.output for g in set(groups.values()) if g.output is not None]
    shade = _GradShade([v.grad for v in shown]) if color == "grad" else None
    is_root = set(reading.roots)
    boxes: dict[Group, str] = {}
    for g in dict.fromkeys(groups.values()):
        if g.output is not None:  # what is read from the box is called as the box is
            names[g.output] = g.name
        boxes[g] = f"g{len(boxes)}"
        fields = [g.name, g.what]
        out = g.output
        if out is not None:
            fields.append(f"data {_num(out.data)}")
            if show_grad:
                fields.append(f"grad {_num(out.grad)}")
        fill = shade.fill(out.grad) if shade and out is not None else GROUP_COLOR
        plan.record(boxes[g], fields, fill, out is not None and out in is_root)

    def drawn(v: Value) -> str:  # the DOT node that stands for v: its record or its group's box
        g = groups.get(v)
        return ids[v] if g is None else boxes[g]

    for v in order:
        if v in groups:  # inside a box: only edges from outside into the box are drawn
            g = groups[v]
            for x in v.inputs:
                if type(x) is Value and groups.get(x) is not g:
                    plan.edge(drawn(x), boxes[g])
            continue
        name = ids[v]
        fields = [names[v], f"data {_num(v.data)}"]
        if show_grad:
            fields.append(f"grad {_num(v.grad)}")
        if shade is not None:
            fill = shade.fill(v.grad)
        else:
            fill = ROOT_COLOR if v in is_root else LEAF_COLOR if v._op is None else "white"
        plan.record(name, fields, fill, v in is_root)
        op = v._op
        if op is None:
            continue
        op_name = name + "op"
        plan.op(op_name, _op_label(v, names))
        inputs = v.inputs
        for i, x in enumerate(inputs):
            if type(x) is not Value:
                continue  # a number operand is written in the op's label
            label = _local_label(reading, v, i, names) if show_local else ""
            plan.edge(drawn(x), op_name, label)
        plan.edge(op_name, name)

    import graphviz

    graph = _digraph_class()(
        graph_attr={**_layout(plan, rankdir), "fontname": FONTNAME,
                    "nodesep": "0.3" if show_local else "0.18", "ranksep": "0.3"},
        node_attr={"fontname": FONTNAME, "fontsize": "12", "margin": "0.07,0.03",
                   "height": "0", "width": "0"},
        edge_attr={"fontname": FONTNAME, "fontsize": "10", "arrowsize": "0.7"})
    graph.values = len(nodes)
    # each Value's DOT name (its group's box when grouped), the <title> of its group in the SVG
    graph.node_ids = {v: drawn(v) for v in nodes}
    for kind, name, what, fill, bold in plan.nodes:
        if kind == "record":
            label = " | ".join(_escape(f) for f in what)
            style = "filled,bold" if bold else "filled"
            if shade is not None and fill == ZERO_COLOR:
                style += ",dashed"
            attrs = {"fontcolor": "white"} if shade is not None and shade.dark(fill) else {}
            # a record's fields run across the flow: stacked in LR (narrow ranks), in a row in
            # TB (short ranks); either way the picture stays compact
            graph.node(name, graphviz.nohtml(label), shape="record", style=style,
                       fillcolor=fill, **attrs)
        else:  # an op: ordering=in keeps the inputs' edges in order
            graph.node(name, graphviz.nohtml(_escape_plain(what)), shape="ellipse",
                       style="filled", fillcolor=OP_COLOR, fontsize="11", ordering="in")
    for src, dst, label in plan.edges:
        if label:
            graph.edge(src, dst, graphviz.nohtml(_escape_plain(label)), fontcolor=LOCAL_COLOR)
        else:
            graph.edge(src, dst)
    if shade is not None:
        graph.node("legend", shade.legend(), shape="plaintext",
                   fontsize="10")
    if path is not None:
        save(graph, path, fmt)
    return graph


def _layout(plan: _Plan, rankdir: str | None) -> dict[str, str]:
    """The direction and, by default, a size that fits a 1280×800 screen (SCREEN_PX).

    Of left-to-right and top-to-bottom the default is the direction that needs the least
    shrinking to fit the screen (left to right when both fit, like the course's slides); a
    picture a little too big is shrunk to fit by Graphviz (``size``), one that would have to
    shrink past MIN_SHRINK keeps its size, to be scrolled. A ``rankdir`` given is kept as it is.
    """
    if rankdir is not None:
        return {"rankdir": rankdir}
    room = (SCREEN_PX[0] * 0.75, SCREEN_PX[1] * 0.75)  # in points: 96 px to 72 points

    def shrink(size: tuple[float, float]) -> float:
        return min(1.0, room[0] / size[0], room[1] / size[1])

    direction = plan.direction()
    other = "TB" if direction == "LR" else "LR"
    sizes = {"LR": plan._size(across=True), "TB": plan._size(across=False)}
    if shrink(sizes[other]) > shrink(sizes[direction]):
        direction = other
    if not MIN_SHRINK <= shrink(sizes[direction]) < 1.0:
        return {"rankdir": direction}
    return {"rankdir": direction, "size": f"{room[0] / 72:.2f},{room[1] / 72:.2f}"}


def _op_label(v: Value, names: dict[Value, str]) -> str:
    """What the op node says: its symbol, a number operand folded in (``× 3``), and for an op
    whose inputs can't be swapped, both operands in order (``1 − a``)."""
    op = v._op
    inputs = v.inputs
    if len(inputs) == 1:
        return op.symbol
    shown = [names[x] if type(x) is Value else _num(x) for x in inputs]
    if not op.symmetric:
        return f"{shown[0]} {op.symbol} {shown[1]}"
    numbers = [_num(x) for x in inputs if type(x) is not Value]
    return " ".join([op.symbol, *numbers])


def _local_label(reading: Reading, v: Value, i: int, names: dict[Value, str]) -> str:
    """The edge from v's input ``i`` into its op: ∂v/∂input as the backward pass multiplies by
    it (its record), or ``no flow`` where the engine adds nothing (a mask). Where both inputs
    are one node (a − a) the op table's operand names say which edge is which. Padded with a
    space each side, so two labels that meet at one op never run together."""
    op: Any = v._op
    x = v.inputs[i]
    head = f"∂{names[v]}/∂{names[x]}"
    if len(v.inputs) == 2 and v._x is v._y and not op.symmetric:
        head += f" ({op.operands[i]})"
    step = reading.edge(v, i)
    text = f"{head} = {_num(step.local)}" if step is not None else \
        gettext("{derivative}: no flow", derivative=head)
    return f" {text} "


class _Plan:
    """The nodes and edges of a drawing before it is written, so the direction can be chosen
    from the graph's shape."""

    def __init__(self) -> None:
        self.nodes: list[tuple[str, str, Any, str, bool]] = []
        self.edges: list[tuple[str, str, str]] = []
        self._seen: set[tuple[str, str]] = set()

    def record(self, name: str, fields: list[str], fill: str, bold: bool) -> None:
        self.nodes.append(("record", name, fields, fill, bold))

    def op(self, name: str, label: str) -> None:
        self.nodes.append(("op", name, label, OP_COLOR, False))

    def edge(self, src: str, dst: str, label: str = "") -> None:
        if not label:  # a box read twice from outside gets one arrow
            if (src, dst) in self._seen and dst[0] == "g":
                return
            self._seen.add((src, dst))
        self.edges.append((src, dst, label))

    def direction(self) -> str:
        """LR like the course's slides, unless that is wider than MAX_ASPECT: then TB.

        Sizes are estimated in points from the text (dot's ranks are the longest path from a
        source), good enough to tell a chain of ten from a tree of three."""
        lr = self._size(across=True)
        tb = self._size(across=False)
        if lr[0] <= MAX_ASPECT * lr[1]:
            return "LR"
        lr_off = abs(math.log(lr[0] / lr[1] / 1.3))
        tb_off = abs(math.log(tb[0] / tb[1] / 1.3))
        return "LR" if lr_off <= tb_off else "TB"

    def _size(self, across: bool) -> tuple[float, float]:
        rank: dict[str, int] = {}
        into: dict[str, list[str]] = {}
        for src, dst, _ in self.edges:
            into.setdefault(dst, []).append(src)
        for _, start, *_ in self.nodes:  # rank: the longest path from a source, as dot ranks
            stack = [start]
            while stack:
                name = stack[-1]
                if name in rank:
                    stack.pop()
                    continue
                pending = [s for s in into.get(name, ()) if s not in rank]
                if pending:
                    stack.extend(pending)
                    continue
                rank[name] = max((rank[s] + 1 for s in into.get(name, ())), default=0)
                stack.pop()
        along: dict[int, float] = {}  # per rank: the biggest extent along the flow
        side: dict[int, float] = {}  # per rank: the total extent across it
        for kind, name, what, _, _ in self.nodes:
            if kind == "record":
                widths = [7.0 * len(f) + 12 for f in what]
                w, h = (max(widths), 20.0 * len(what)) if across else (sum(widths), 20.0)
            else:
                w, h = 7.0 * len(what) + 20, 22.0
            r = rank[name]
            if across:  # LR: ranks are columns
                along[r] = max(along.get(r, 0.0), w)
                side[r] = side.get(r, 0.0) + h + 13
            else:
                along[r] = max(along.get(r, 0.0), h)
                side[r] = side.get(r, 0.0) + w + 13
        length = sum(along.values()) + 22 * (len(along) - 1)
        breadth = max(side.values())
        return (length, breadth) if across else (breadth, length)


class _GradShade:
    """Fill colours by |grad| on a log scale spread over the drawn graph's own range: the
    smallest nonzero finite |grad| gets the lightest shade, the largest the darkest, so the
    grads 1, 3, 6 and 9 of J = 3(a+bc) get four shades, and grads from 1e-8 to 1e3 share the
    palette out by orders of magnitude."""

    def __init__(self, grads: list[float]) -> None:
        logs = [math.log10(abs(g)) for g in grads if g != 0 and math.isfinite(g)]
        self.lo = min(logs) if logs else 0.0
        self.hi = max(logs) if logs else 0.0
        # one band per shade but the palest (too close to white to tell apart); a graph whose
        # grads are all the same size gets the middle one
        palette = GRAD_SHADES[1:]
        self.steps = len(palette) if self.hi > self.lo else 1
        self.width = (self.hi - self.lo) / self.steps
        self.shades = list(palette) if self.steps > 1 else [palette[len(palette) // 2]]
        self.used: set[str] = set()

    def fill(self, g: float) -> str:
        if g == 0:
            color = ZERO_COLOR
        elif not math.isfinite(g):
            color = NONFINITE_COLOR
        elif self.steps == 1:
            color = self.shades[0]
        else:
            i = int((math.log10(abs(g)) - self.lo) / self.width)
            color = self.shades[min(max(i, 0), self.steps - 1)]
        self.used.add(color)
        return color

    def dark(self, fill: str) -> bool:
        return fill in GRAD_SHADES[-2:]

    def legend(self) -> str:
        """An HTML-like table: each shade used with its range of |grad|, then 0 and inf/nan."""
        rows = ['<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">',
                '<tr><td colspan="2">' + gettext("{grad} (log scale)", grad="<b>|grad|</b>")
                + '</td></tr>']
        for i in reversed(range(self.steps)):
            if self.shades[i] not in self.used:
                continue
            if self.steps == 1:
                what = _power(self.lo)
            else:
                what = gettext("{low} to {high}", low=_power(self.lo + i * self.width),
                               high=_power(self.lo + (i + 1) * self.width))
            rows.append(f'<tr><td bgcolor="{self.shades[i]}" width="18"></td>'
                        f'<td align="left">{what}</td></tr>')
        rows.append(f'<tr><td bgcolor="{ZERO_COLOR}"></td>'
                    f'<td align="left">{gettext("exactly 0: no gradient")}</td></tr>')
        if NONFINITE_COLOR in self.used:
            rows.append(f'<tr><td bgcolor="{NONFINITE_COLOR}"></td>'
                        f'<td align="left">{gettext("inf or nan")}</td></tr>')
        return "".join(rows) + "</table>>"


def _power(e: float) -> str:
    """10^e as a short number (1, 0.01, 3.162, 1e-05), the float maximum at most: the top of
    the range is a grad the graph has, so 10^e is a finite number."""
    try:
        x = 10.0**e
    except OverflowError:
        x = math.inf
    return _num(min(x, sys.float_info.max)).translate(_HTML_SPECIAL)


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
        raise TypeError(gettext("draw() takes a Value, a sequence of Values or a traced "
                                "function, not {kind}", kind=type(root).__name__))
    if not roots:
        raise ValueError(gettext("draw() needs at least one Value to draw"))
    for i, v in enumerate(roots):
        if type(v) is not Value:
            raise TypeError(gettext("draw(): output {index} is {kind}, not a Value", index=i,
                                    kind=type(v).__name__))
    return list(dict.fromkeys(roots))  # the same output twice is drawn once


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
        raise ValueError(gettext("cannot tell the format of {path}: use a file name ending in "
                                 ".png, .svg, .pdf or .dot", path=repr(os.fspath(path))))
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
        node_ids: dict[Value, str] = {}  # Value -> the DOT node that shows it

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
    return gettext("Graphviz's `dot` program was not found; {hint} (the DOT text is in "
                   ".source)", hint=gettext(INSTALL_HINT))


def _escape_plain(text: str) -> str:
    """``text`` as it must appear in a plain (not record) label: a backslash is only itself."""
    text = text.replace("\\", "\\\\")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(c if c >= " " and c != "\x7f" else " " for c in text)
