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
from ...i18n import _, get_language, language, page_strings
from ..draw import _escape, draw
from ..explain import _d, forward_line, num, running_sum, step_line
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
                 title: str, quiz: bool = False) -> None:
        self.root = root
        self.drawing = drawing  # the graphviz.Digraph the picture comes from
        self.svg = svg
        self.edges = edges  # (tail, head) DOT names, by the number a frame's "edges" use
        self.frames = frames
        self.start = start
        self.names = names
        self.title = title
        self.quiz = quiz  # each backward step asked before it is shown (quiz.js, quiz.css)
        self.lang = get_language()  # the language of its words, fixed when it was made

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        forward = sum(f["phase"] == "forward" for f in self.frames)
        backward = sum(f["phase"] == "backward" for f in self.frames)
        with language(self.lang):
            return _("<step-through of {count} Values: {forward} forward and {backward} backward "
                     "steps; .save('backprop.html') writes the page>", count=len(self.names),
                     forward=forward, backward=backward)

    def _data(self) -> str:
        """The frames as JSON that is safe inside a <script> element whatever the labels hold."""
        data = {"frames": self.frames, "start": self.start, "names": self.names,
                "interval": INTERVAL_MS, "strings": page_strings(self._script(), self.lang)}
        if self.quiz:
            from .quiz import TOL

            data.update(quiz=True, quizTol=TOL)
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        # no "</script>", "<!--" or "&" can survive: each becomes a JSON escape of itself
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def widget(self, standalone: bool = False) -> str:
        """The page's body: controls, picture, frames and script, with ids unique to it."""
        uid = f"mg-step-{uuid.uuid4().hex[:8]}-{next(_counter)}"
        svg = self.svg.replace('id="mg-', f'id="{uid}-')
        quiz = self.quiz
        return _fill(_asset("widget.html"), uid=uid, standalone="true" if standalone else "false",
                     css=_asset("page.css") + (_asset("quiz.css") if quiz else ""), svg=svg,
                     data=self._data(), js=self._script(), lang=self.lang, **_words(self.lang))

    def _script(self) -> str:
        return (_asset("quiz.js") + "\n" if self.quiz else "") + _asset("page.js")

    def html(self) -> str:
        """The whole page as one HTML document: everything inline, nothing fetched."""
        return _fill(_asset("page.html"), title=html.escape(self.title),
                     widget=self.widget(standalone=True), lang=self.lang, **_words(self.lang))

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
            raise ValueError(_("cannot tell the format of {path}: use a file name ending in "
                               ".html or .gif", path=repr(os.fspath(path))))


def step_through(root: Value | Reading, max_nodes: int = MAX_NODES, quiz: bool = False,
                 lang: str | None = None) -> StepThrough:
    """The forward then backward pass of the graph below ``root`` (a Value, or its
    ``microgrid.read``), step by step.

    ``lang`` ("zh", "en") is the language of the page's controls, help and captions (else the
    current one, ``mg.set_language``); the mathematics is the same in every language.

    With ``quiz=True`` the page asks, before each backward step, for its number (the
    contribution, or the node's new gradient for a node that already holds a term) in an input
    box; a right answer turns green, a wrong one shows which slip it is, and the end shows the
    score.

    Leaves every ``.grad`` as it was: the backward frames come from ``backward_steps``, which
    records the engine's arithmetic without applying it. A graph of more than ``max_nodes``
    Values is refused, as ``draw`` refuses one: step through one sample's graph instead.
    """
    with language(lang):
        return _step_through(root, max_nodes, quiz)


def _step_through(root: Value | Reading, max_nodes: int, quiz: bool) -> StepThrough:
    if type(root) is not Value and not isinstance(root, Reading):
        raise TypeError(f"step_through() takes a Value, not {type(root).__name__}")
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, not {max_nodes!r}")
    if type(quiz) is not bool:
        raise TypeError(f"quiz must be True or False, not {quiz!r}")
    top = root.root if isinstance(root, Reading) else root
    if top._op is None:
        raise ValueError(_("step_through() needs a graph, but {name} is a leaf (a Value made "
                           "from a number): step through a result such as 3 * (a + b)",
                           name=top.label or _("the root")))
    reading = read(root, max_nodes, "step through")
    root, order, names, steps = reading.root, reading.order, reading.names, reading.steps
    # the direction draw picks to fit a laptop's screen; the page zooms by itself, so the
    # picture keeps Graphviz's own size (no "size" that would shrink it inside the SVG)
    drawing = draw(reading, max_nodes=max_nodes)
    drawing.graph_attr.pop("size", None)
    ids = drawing.node_ids
    edges = _dot_edges(drawing)
    frames, start = _frames(root, order, names, ids, edges, steps)
    svg = _page_svg(drawing, {ids[v]: names[v] for v in order}, start, frames)
    title = _("Forward and backward through {root}", root=names[root])
    if quiz:
        from .quiz import add_questions

        add_questions(frames, steps, names, root)
        title = _("Quiz: backward through {root}", root=names[root])
    shown = {ids[v]: names[v] for v in order}
    return StepThrough(root, drawing, svg, edges, frames, start, shown, title, quiz)


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
    frames: list[dict[str, Any]] = [_frame("start", _("Start"), _("inputs: {given}",
                                                                  given=given))]
    computed = [v for v in order if v._op is not None]
    for k, v in enumerate(computed, 1):
        title = _("Forward step {k} of {n}", k=k, n=len(computed))
        f = _frame("forward", title, forward_line(v, names), focus=ids[v],
                   edges=_into(ids[v], edges, set(ids.values())))
        f["data"] = {ids[v]: f"data {num(v.data)}"}
        frames.append(f)

    r = names[root]
    seed = _frame("seed", _("Backward"), f"{_d(r, r)} = 1", focus=ids[root])
    seed["grad"] = {ids[root]: "grad 1"}
    seed["exact"] = {ids[v]: "0.0" for v in order}
    seed["exact"][ids[root]] = "1.0"
    # every other grad starts at 0, as the engine's do: written in, but not highlighted
    seed["zero"] = {ids[v]: "grad 0" for v in order if v is not root}
    frames.append(seed)

    received: dict[Value, int] = {}
    for s in steps:
        received[s.node] = received.get(s.node, 0) + 1
    for k, s in enumerate(steps, 1):
        node = ids[s.node]
        title = _("Backward step {k} of {n}", k=k, n=len(steps))
        f = _frame("backward", title, step_line(s, names, root), focus=node,
                   source=ids[s.consumer], edges=_along(s, ids, edges))
        f["grad"] = {node: f"grad {num(s.after)}"}
        f["exact"] = {node: repr(s.after)}
        if received[s.node] > 1:  # a node used more than once: its running sum, in its box
            f["note"] = {node: running_sum(s)}
        frames.append(f)

    last = {s.node: s.after for s in steps}
    summary = ", ".join(f"{_d(r, names[v])} = {num(last.get(v, 0.0))}" for v in leaves)
    frames.append(_frame("end", _("Done"), summary, focus=None))
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


def _page_svg(drawing: Any, names: dict[str, str], start: dict[str, Any],
              frames: list[dict[str, Any]]) -> str:
    """The picture as the page shows it: records sized for every frame, laid out once."""
    _lay_out_records(drawing, names, start, frames)
    svg, _ = _scripted_svg(drawing.pipe(format="svg").decode("utf-8"), set(names), start)
    return svg


def _dot_edges(drawing: Any) -> list[tuple[str, str]]:
    """The drawing's edges as ``(tail, head)`` DOT names, in the order of the DOT text: the
    order Graphviz numbers them in its SVG (``edge1`` is the first) and its JSON."""
    edges = []
    for line in drawing.body:
        m = _EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2)))
    return edges


def _lay_out_records(drawing: Any, names: dict[str, str], start: dict[str, Any],
                     frames: list[dict[str, Any]]) -> None:
    """Each Value's record written from its fields (name, data, grad), each field as wide as
    the widest text the page will write in it, so no text outgrows its box at any step: the
    grads and running sums of every frame, not the ``.grad`` the graph holds now.

    The label is built from the parts, never read back: a name such as ``grad w`` stays a
    name. Only the ``label`` attribute of each record's line in the DOT text is replaced."""
    widest: dict[str, dict[str, str]] = {}
    for node in names:
        widest[node] = {"data": start["data"][node], "grad": start["grad"][node]}
    for f in frames:
        for field in ("data", "grad", "zero", "note"):
            for node, text in f.get(field, {}).items():
                slot = "data" if field == "data" else "grad"
                if _width(text) > _width(widest[node][slot]):
                    widest[node][slot] = text
    for i, line in enumerate(drawing.body):
        record = _NODE.match(line)
        old = _LABEL.search(line)
        if record and old and record.group(1) in names:
            name = record.group(1)
            fields = (names[name], widest[name]["data"], widest[name]["grad"])
            label = 'label="' + " | ".join(_escape(f) for f in fields) + '"'
            drawing.body[i] = line[:old.start()] + label + line[old.end():]


def _width(text: str) -> float:
    """A rough width for choosing the widest of a field's texts: wide characters count 2."""
    return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in text)


_EDGE = re.compile(r"^\t(\w+) -> (\w+)")
_NODE = re.compile(r"^\t(\w+) \[label=")
_LABEL = re.compile(r'label="(?:[^"\\]|\\.)*"')
_GROUP = re.compile(r'<g id="(node|edge)(\d+)" class="(?:node|edge)">\s*'
                    r"<title>(.*?)</title>(.*?)</g>", re.S)
_TEXT = re.compile(r"<text ([^>]*)>(.*?)</text>", re.S)


def _scripted_svg(svg: str, values: set[str],
                  start: dict[str, Any] | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Graphviz's SVG with an id and a data- attribute on every node and edge, and classes on
    each Value's name, data and grad text, so the page's script can find and change them.

    A Value's record has its fields in a known order, name then data then grad, and Graphviz
    writes their texts in that order (a name on several lines gives several texts): the last two
    are data and grad, whatever the name says. With ``start`` (the page's first frame) they
    show that frame, so a viewer that runs no script shows no grad before the backward pass.

    Returns the SVG (its XML prolog dropped, its size in ``data-width``/``data-height``, in CSS
    pixels, for the page to fit) and the edges as ``(tail, head)`` DOT names, in the order of
    their ``data-edge`` numbers, which is the order of the DOT text (and of Graphviz's JSON,
    which the GIF reads).
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
        shown = None
        if start is not None:
            shown = (start["data"][title], start["grad"][title])
        return (f'<g id="mg-node-{safe}" class="node" data-node="{safe}">'
                f"<title>{m.group(3)}</title>{_tag_texts(body, shown)}</g>")

    svg = _GROUP.sub(group, svg)
    svg = svg[svg.index("<svg"):]
    # Graphviz's size in points; the page shows it at most at its natural size, 4/3 px a point
    svg = re.sub(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                 lambda m: (f'<svg width="{m.group(1)}pt" height="{m.group(2)}pt" '
                            f'data-width="{float(m.group(1)) * 4 / 3:.1f}" '
                            f'data-height="{float(m.group(2)) * 4 / 3:.1f}"'),
                 svg, count=1)
    svg = svg.replace('id="graph0"', 'id="mg-graph"', 1)
    return svg, [edges[k] for k in sorted(edges)]


def _tag_texts(body: str, shown: tuple[str, str] | None = None) -> str:
    """Classes on a Value's record texts, by position: the last two are its data and grad,
    those before are its name (one text per line of it)."""
    texts = list(_TEXT.finditer(body))
    if len(texts) < 3:  # not a record this page wrote: leave it as it is
        return body
    out, pos = [], 0
    for i, m in enumerate(texts):
        cls = "mg-data" if i == len(texts) - 2 else "mg-grad" if i == len(texts) - 1 else \
            "mg-name"
        content = m.group(2)
        if shown is not None and cls != "mg-name":
            content = html.escape(shown[0] if cls == "mg-data" else shown[1], quote=False)
        out.append(body[pos:m.start()])
        out.append(f'<text class="{cls}" {m.group(1)}>{content}</text>')
        pos = m.end()
    out.append(body[pos:])
    return "".join(out)


# --- helpers ------------------------------------------------------------------------------


def _words(lang: str) -> dict[str, str]:
    from .words import markup_words

    with language(lang):
        return markup_words()


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _fill(template: str, **parts: str) -> str:
    """``{{name}}`` replaced by ``parts[name]`` in one pass: nothing inserted is read again."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], template)
