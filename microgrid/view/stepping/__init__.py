"""Step through the forward and the backward pass of a graph, on a page or in a notebook.

``step_through(J)`` prepares frames from the engine's own records: first the forward pass (each
node's value appears once its inputs are known), then the backward pass, one frame per
contribution the engine adds (``microgrid.engine.steps.backward_steps``): the edge it flows
along, the line of the derivation (``microgrid.view.explain``), and the receiving node's grad
before and after, so a node used twice shows its running sum (``grad 2 → 14 (+12)``). Nothing
here computes a derivative of its own.

The picture is ``microgrid.draw``'s Graphviz drawing as SVG; each node and edge gets an id and a
``data-`` attribute so the page's script can find it. The page's HTML, JavaScript and CSS are
the package files beside this one (``page.html``, ``widget.html``, ``page.js``, ``page.css``),
inlined when a page is made, so a saved page is one file that makes no network request.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import uuid
from importlib import resources
from typing import Any

from ...engine.steps import Step
from ...engine.value import Value
from ..draw import draw
from ..explain import forward_line, num, running_sum, step_line
from ..reading import Reading, read

MAX_NODES = 200  # past this a page is unreadable and its layout slow: step through one sample
INTERVAL_MS = 900  # between frames when playing
FORMATS = ("html", "gif")

_counter = itertools.count()


class StepThrough:
    """The frames of one graph's forward and backward pass, ready to show or save.

    In Jupyter it shows itself (``_repr_html_``): the graph with ◀ ▶ play/pause, start/end,
    a slider and the arrow keys. ``save("x.html")`` writes one self-contained page;
    ``save("x.gif")`` an animated GIF of the same frames (needs Pillow: the ``gif`` extra).
    ``frames`` holds the frames as plain data (what the page's script reads).
    """

    def __init__(self, root: Value, drawing: Any, svg: str, edges: list[tuple[str, str]],
                 frames: list[dict[str, Any]], start: dict[str, Any], names: dict[str, str],
                 title: str) -> None:
        self.root = root
        self.drawing = drawing  # the graphviz.Digraph the picture comes from
        self.svg = svg
        self.edges = edges  # (tail, head) DOT names, by the number a frame's "edges" use
        self.frames = frames
        self.start = start
        self.names = names
        self.title = title

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        forward = sum(f["phase"] == "forward" for f in self.frames)
        backward = sum(f["phase"] == "backward" for f in self.frames)
        return (f"<step-through of {len(self.names)} Values: {forward} forward and "
                f"{backward} backward steps; .save('backprop.html') writes the page>")

    def _data(self) -> str:
        """The frames as JSON that is safe inside a <script> element whatever the labels hold."""
        text = json.dumps({"frames": self.frames, "start": self.start, "names": self.names,
                           "interval": INTERVAL_MS}, ensure_ascii=False, allow_nan=False)
        # no "</script>", "<!--" or "&" can survive: each becomes a JSON escape of itself
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def widget(self, standalone: bool = False) -> str:
        """The page's body: controls, picture, frames and script, with ids unique to it."""
        uid = f"mg-step-{uuid.uuid4().hex[:8]}-{next(_counter)}"
        svg = self.svg.replace('id="mg-', f'id="{uid}-')
        return _fill(_asset("widget.html"), uid=uid, standalone="true" if standalone else "false",
                     css=_asset("page.css"), svg=svg, data=self._data(), js=_asset("page.js"))

    def html(self) -> str:
        """The whole page as one HTML document: everything inline, nothing fetched."""
        return _fill(_asset("page.html"), title=html.escape(self.title),
                     widget=self.widget(standalone=True))

    def _repr_html_(self) -> str:
        return self.widget()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page (``.html``) or an animated GIF of the frames (``.gif``)."""
        ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
        if ext in ("html", "htm"):
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.html())
        elif ext == "gif":
            from .gif import save_gif

            save_gif(self, path)
        else:
            raise ValueError(f"cannot tell the format of {os.fspath(path)!r}: "
                             "use a file name ending in .html or .gif")


def step_through(root: Value | Reading, max_nodes: int = MAX_NODES) -> StepThrough:
    """The forward then backward pass of the graph below ``root`` (a Value, or its
    ``microgrid.read``), step by step.

    Leaves every ``.grad`` as it was: the backward frames come from ``backward_steps``, which
    records the engine's arithmetic without applying it. A graph of more than ``max_nodes``
    Values is refused, as ``draw`` refuses one: step through one sample's graph instead.
    """
    if type(root) is not Value and not isinstance(root, Reading):
        raise TypeError(f"step_through() takes a Value, not {type(root).__name__}")
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, not {max_nodes!r}")
    top = root.root if isinstance(root, Reading) else root
    if top._op is None:
        raise ValueError(f"step_through() needs a graph, but {top.label or 'the root'} is a leaf "
                         "(a Value made from a number): step through a result such as 3 * (a + b)")
    reading = read(root, max_nodes, "step through")
    root, order, names, steps = reading.root, reading.order, reading.names, reading.steps
    drawing = draw(reading, max_nodes=max_nodes)
    ids = drawing.node_ids
    _size_for(drawing, {ids[v]: f"grad {num(g)}" for v, g in reading.grads.items()},
              {ids[v]: names[v] for v in order if not v.label})
    svg, edges = _scripted_svg(drawing.pipe(format="svg").decode("utf-8"), set(ids.values()))
    frames, start = _frames(root, order, names, ids, edges, steps)
    title = f"Forward and backward through {names[root]}"
    shown = {ids[v]: names[v] for v in order}
    return StepThrough(root, drawing, svg, edges, frames, start, shown, title)


# --- frames -------------------------------------------------------------------------------


def _frames(root: Value, order: list[Value], names: dict[Value, str], ids: dict[Value, str],
            edges: list[tuple[str, str]],
            steps: list[Step]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The frames: start, one per computed node, the seed, one per backward step, the end."""
    leaves = [v for v in order if v._op is None]  # as the formula reads them: a, b, c
    start = {"data": {ids[v]: f"data {num(v.data) if v._op is None else '?'}" for v in order},
             "grad": {ids[v]: "grad ?" for v in order},
             "unknown": [ids[v] for v in order if v._op is not None]}
    given = ", ".join(f"{names[v]} = {num(v.data)}" for v in leaves)
    frames: list[dict[str, Any]] = [_frame("start", "Start", f"inputs: {given}")]
    for v in order:
        if v._op is None:
            continue
        f = _frame("forward", "Forward", forward_line(v, names), focus=ids[v],
                   edges=_into(ids[v], edges, set(ids.values())))
        f["data"] = {ids[v]: f"data {num(v.data)}"}
        frames.append(f)

    r = names[root]
    seed = _frame("seed", "Backward", f"d{r}/d{r} = 1", focus=ids[root])
    seed["grad"] = {ids[v]: "grad 0" for v in order}
    seed["grad"][ids[root]] = "grad 1"
    seed["exact"] = {ids[v]: "0.0" for v in order}
    seed["exact"][ids[root]] = "1.0"
    frames.append(seed)

    received: dict[Value, int] = {}
    for s in steps:
        received[s.node] = received.get(s.node, 0) + 1
    for s in steps:
        node = ids[s.node]
        f = _frame("backward", "Backward", step_line(s, names, root), focus=node,
                   source=ids[s.consumer], edges=_along(s, ids, edges))
        f["grad"] = {node: f"grad {num(s.after)}"}
        f["exact"] = {node: repr(s.after)}
        if received[s.node] > 1:  # a node used more than once: its running sum
            f["note"] = {node: running_sum(s)}
        frames.append(f)

    last = {s.node: s.after for s in steps}
    summary = ", ".join(f"d{r}/d{names[v]} = {num(last.get(v, 0.0))}" for v in leaves)
    frames.append(_frame("end", "Done", summary, focus=None))
    return frames, start


def _frame(phase: str, title: str, line: str, focus: str | None = None,
           source: str | None = None, edges: list[int] | None = None) -> dict[str, Any]:
    return {"phase": phase, "title": title, "line": line, "focus": focus, "from": source,
            "edges": edges or []}


def _into(node: str, edges: list[tuple[str, str]], values: set[str]) -> list[int]:
    """The edges that bring a node its inputs: into it, and into the op node just before it."""
    ops = {tail for tail, head in edges if head == node and tail not in values}
    return [i for i, (tail, head) in enumerate(edges) if head == node or head in ops]


def _along(step: Step, ids: dict[Value, str], edges: list[tuple[str, str]]) -> list[int]:
    """The edges a step's contribution flows back along, from its consumer to its node.

    In the drawing an input reaches its consumer through the op node between them; for ``a * a``
    there are two parallel edges, and the one of the step's operand is taken.
    """
    node, consumer = ids[step.node], ids[step.consumer]
    ops = {tail for tail, head in edges if head == consumer}
    last = [i for i, (tail, head) in enumerate(edges) if tail in ops and head == consumer]
    first = [i for i, (tail, head) in enumerate(edges) if tail == node and head in ops | {consumer}]
    inputs = step.consumer.inputs
    slots = [i for i, x in enumerate(inputs) if x is step.node]
    if len(first) == len(slots) and step.operand in slots:
        first = [first[slots.index(step.operand)]]
    return first + [i for i in last if i not in first]


# --- the picture --------------------------------------------------------------------------


def _size_for(drawing: Any, grads: dict[str, str], unnamed: dict[str, str]) -> None:
    """Lay the boxes out for what the page writes in them: the grads of the last frame, not
    the ``.grad`` the graph holds now (often 0), and the shared name (t1) of an unlabelled
    node, so no text outgrows its box. The DOT text of the drawing is edited, not the graph."""
    for i, line in enumerate(drawing.body):
        name = line.split(" ", 1)[0].strip()
        if name in grads:
            grad = grads[name].replace("\\", "\\\\")  # a replacement template's escape
            line = re.sub(r"grad [^|}\"]*?(?= \}|\"| \|)", grad, line, count=1)
        if name in unnamed:  # an empty first field: the name every view gives it (t1, x1)
            line = re.sub(r'label="(\{ )? \|', rf'label="\g<1>{unnamed[name]} |', line,
                          count=1)
        drawing.body[i] = line

_GROUP = re.compile(r'<g id="(node|edge)(\d+)" class="(?:node|edge)">\s*'
                    r"<title>(.*?)</title>(.*?)</g>", re.S)
_TEXT = re.compile(r"<text ([^>]*)>(.*?)</text>", re.S)


def _scripted_svg(svg: str, values: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """Graphviz's SVG with an id and a data- attribute on every node and edge, and classes on
    each Value's name, data and grad text, so the page's script can find and change them.

    Returns the SVG (its XML prolog dropped, its size left to CSS) and the edges as
    ``(tail, head)`` DOT names, in the order of their ``data-edge`` numbers, which is the order
    of the DOT text (and of Graphviz's JSON, which the GIF reads).
    """
    edges: dict[int, tuple[str, str]] = {}

    def group(m: re.Match[str]) -> str:
        kind, title, body = m.group(1), html.unescape(m.group(3)), m.group(4)
        if kind == "edge":  # numbered as Graphviz does (edge1 is the first edge of the DOT)
            tail, _, head = title.partition("->")
            k = int(m.group(2)) - 1
            edges[k] = (tail, head)
            return (f'<g id="mg-edge-{k}" class="edge" data-edge="{k}">'
                    f"<title>{m.group(3)}</title>{body}</g>")
        safe = html.escape(title, quote=True)
        if title not in values:  # an op node or a number operand
            return (f'<g id="mg-part-{safe}" class="node" data-part="{safe}">'
                    f"<title>{m.group(3)}</title>{body}</g>")
        return (f'<g id="mg-node-{safe}" class="node" data-node="{safe}">'
                f"<title>{m.group(3)}</title>{_tag_texts(body)}</g>")

    svg = _GROUP.sub(group, svg)
    svg = svg[svg.index("<svg"):]
    # half as big again as draw's picture, for a room's screen; never wider than the page
    svg = re.sub(r'<svg width="([\d.]+)pt" height="[\d.]+pt"',
                 lambda m: f'<svg width="{float(m.group(1)) * 1.5:g}pt" style="max-width: 100%"',
                 svg, count=1)
    # room above the top row for a running sum written over a box
    svg = re.sub(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"',
                 lambda m: (f'viewBox="{m.group(1)} {float(m.group(2)) - 24:g} {m.group(3)} '
                            f'{float(m.group(4)) + 24:g}"'), svg, count=1)
    svg = svg.replace('id="graph0"', 'id="mg-graph"', 1)
    return svg, [edges[k] for k in sorted(edges)]


def _tag_texts(body: str) -> str:
    """Classes on a Value's record: its first field is the name, then "data ..." and "grad ..."."""
    texts = list(_TEXT.finditer(body))
    classes: dict[int, str] = {}
    for i, m in enumerate(texts):
        content = html.unescape(m.group(2))
        if content.startswith("data "):
            classes[i] = "mg-data"
        elif content.startswith("grad "):
            classes[i] = "mg-grad"
    if texts and 0 not in classes:
        classes[0] = "mg-name"
    out, pos = [], 0
    for i, m in enumerate(texts):
        if i in classes:
            out.append(body[pos:m.start()])
            out.append(f'<text class="{classes[i]}" {m.group(1)}>{m.group(2)}</text>')
            pos = m.end()
    out.append(body[pos:])
    return "".join(out)


# --- helpers ------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _fill(template: str, **parts: str) -> str:
    """``{{name}}`` replaced by ``parts[name]`` in one pass: nothing inserted is read again."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], template)
