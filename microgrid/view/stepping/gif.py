"""The step-through as an animated GIF, for slides: the same frames as the page, one per image.

Graphviz lays the graph out once (its JSON output lists every shape, line and piece of text it
would draw, in its own drawing language, xdot); each frame is that drawing painted with Pillow,
with the frame's values and grads written in and its nodes and edges highlighted, so the
pictures never jump between frames. Pillow is the optional ``gif`` extra; nothing else is
needed beyond Graphviz's ``dot``, which the page needs too.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ...i18n import gettext

SCALE = 1.5  # pixels per Graphviz point: readable on a slide
MARGIN = 12
SIDE = 20  # pixels either side of the graph
CAPTION_PT, COUNTER_PT = 12.8, 9.6
CAPTION = 34  # height of the band that shows the frame's line, in points
FRAME_MS = 1200
MAX_FRAMES = 150  # a longer animation is no use on a slide, and costs memory per frame
LAST_MS = 4000
FOCUS, SOURCE, FORWARD = "#d62728", "#2b7bb9", "#2b7bb9"
UNKNOWN = "#9a9a9a"
# fonts tried in turn (Pillow searches the system's font folders): a CJK one first, so Chinese
# labels show as glyphs, then common Latin ones
FONTS = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
         "msyh.ttc", "PingFang.ttc", "DejaVuSans.ttf", "Arial.ttf", "Helvetica.ttc")


def save_gif(page: Any, path: str | os.PathLike[str]) -> None:
    """Write every frame of ``page`` (a StepThrough) to ``path`` as a looping animated GIF."""
    if len(page.frames) > MAX_FRAMES:
        raise ValueError(gettext("the step-through has {count} steps, more than a GIF's "
                                 "{limit}; save it as .html, or step through a smaller graph",
                                 count=len(page.frames), limit=MAX_FRAMES))
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError(gettext("saving a GIF needs Pillow: python -m pip install pillow; "
                                   ".save('x.html') needs nothing more")) from None
    layout = json.loads(page.drawing.pipe(format="json"))
    fonts = _Fonts()
    adaptive = getattr(Image, "Palette", Image).ADAPTIVE  # Image.Palette since Pillow 9.1
    images = []
    for k in range(len(page.frames)):
        # a palette image is a third of the memory, and what a GIF holds anyway
        images.append(_paint(layout, page, k, fonts, Image).convert("P", palette=adaptive))
    durations = [FRAME_MS] * (len(images) - 1) + [LAST_MS]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=durations, loop=0, optimize=False)


def state(page: Any, k: int) -> dict[str, Any]:
    """What frame ``k`` shows: each node's data and grad text, as the page's script computes it
    (the start, plus the changes of frames 0..k; the engine's zeros, set at the seed, stay grey
    until a contribution arrives; frame k's running sum is written in its node's grad cell)."""
    data = dict(page.start["data"])
    grad = dict(page.start["grad"])
    known: set[str] = set()
    zero: set[str] = set()
    for f in page.frames[: k + 1]:
        data.update(f.get("data", {}))
        known.update(f.get("data", {}))
        grad.update(f.get("zero", {}))
        zero.update(f.get("zero", {}))
        grad.update(f.get("grad", {}))
        zero.difference_update(f.get("grad", {}))
    frame = page.frames[k]
    grad.update(frame.get("note", {}))
    unknown = {n for n in page.start["unknown"] if n not in known}
    unset = {n for n, text in grad.items() if text == page.start["grad"][n]} | zero
    return {"data": data, "grad": grad, "frame": frame, "unknown_data": unknown,
            "unset_grad": unset}


def _paint(layout: dict[str, Any], page: Any, k: int, fonts: _Fonts, Image: Any) -> Any:
    from PIL import ImageDraw

    x0, y0, x1, y1 = (float(t) for t in layout["bb"].split(","))
    width, height, top = _canvas(layout, page, fonts)
    left = (width - (x1 - x0) * SCALE) / 2  # the graph centred under the caption
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    now = state(page, k)
    frame = now["frame"]

    def at(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) * SCALE, top + (y1 - y) * SCALE)

    colour = {"start": "#888888", "forward": FORWARD, "end": "#2ca02c"}.get(frame["phase"], FOCUS)
    pen.rectangle((MARGIN, MARGIN // 2, MARGIN + 5, round(CAPTION * SCALE)), fill=colour)
    pen.text((MARGIN + 14, MARGIN // 2 + 2), _caption(frame), fill="#222222",
             font=fonts.get(CAPTION_PT * SCALE))
    pen.text((image.width - MARGIN, MARGIN // 2 + 2), f"{k} / {len(page.frames) - 1}",
             fill="#777777", font=fonts.get(COUNTER_PT * SCALE), anchor="ra")

    objects = layout.get("objects", [])
    active = set(frame.get("edges", []))
    hot = FORWARD if frame["phase"] == "forward" else FOCUS
    ordered = sorted(layout.get("edges", []), key=lambda e: e["_gvid"])
    for e, number in zip(ordered, _numbers(layout, page.edges)):
        on = number in active
        _ops(pen, e.get("_draw_", []) + e.get("_hdraw_", []), at, fonts,
             stroke=hot if on else None, width=3 if on else 1)
    for obj in objects:
        name = obj.get("name")
        outline = FOCUS if name == frame.get("focus") else \
            SOURCE if name == frame.get("from") else None
        _ops(pen, obj.get("_draw_", []), at, fonts, stroke=outline, width=3 if outline else 1)
        texts = _texts(obj.get("_ldraw_", []), name, page, now)
        _ops(pen, obj.get("_ldraw_", []), at, fonts, texts=texts)
    return image


def _caption(frame: dict[str, Any]) -> str:
    return f"{frame['title']}   {frame['line']}"


def _canvas(layout: dict[str, Any], page: Any, fonts: _Fonts) -> tuple[int, int, int]:
    """Width and height of every image (a GIF's frames share one size), and where the graph
    starts below the caption: wide enough for the graph and for the longest caption, with
    room around the graph for a running sum written over a box at its edge."""
    x0, y0, x1, y1 = (float(t) for t in layout["bb"].split(","))
    font = fonts.get(CAPTION_PT * SCALE)
    captions = max(font.getlength(_caption(f)) for f in page.frames)
    counter = fonts.get(COUNTER_PT * SCALE).getlength(f"{len(page.frames)} / {len(page.frames)}")
    width = max((x1 - x0) * SCALE + 2 * SIDE, MARGIN + 14 + captions + 24 + counter + MARGIN, 480)
    top = round(CAPTION * SCALE) + MARGIN + round(18 * SCALE)
    return round(width), round((y1 - y0) * SCALE) + top + MARGIN, top


def _numbers(layout: dict[str, Any], edges: list[tuple[str, str]]) -> list[int | None]:
    """The page's number of each edge of Graphviz's JSON (which numbers them its own way):
    matched by tail and head, parallel edges (``a * a``) in the order both list them."""
    mine: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(edges):
        mine.setdefault(key, []).append(i)
    objects = layout.get("objects", [])
    out: list[int | None] = []
    for e in sorted(layout.get("edges", []), key=lambda e: e["_gvid"]):
        key = (objects[e["tail"]]["name"], objects[e["head"]]["name"])
        numbers = mine.get(key)
        out.append(numbers.pop(0) if numbers else None)
    return out


def _texts(ops: list[dict[str, Any]], name: str, page: Any,
           now: dict[str, Any]) -> dict[int, tuple[str, str | None, bool]]:
    """For a Value's record, the text each of its "T" ops shows in this frame. The texts come
    in the order of the record's fields: the last two are data and grad, those before are the
    name (one per line of it), whatever the name says."""
    if name not in page.names:
        return {}
    texts = [i for i, op in enumerate(ops) if op["op"] == "T"]
    if len(texts) < 3:
        return {}
    frame = now["frame"]
    changed = name in frame.get("data", {})
    out: dict[int, tuple[str, str | None, bool]] = {
        texts[-2]: (now["data"][name], UNKNOWN if name in now["unknown_data"] else
                    FOCUS if changed else None, changed)}
    changed = name in frame.get("grad", {})
    out[texts[-1]] = (now["grad"][name], UNKNOWN if name in now["unset_grad"] else
                      FOCUS if changed else None, changed)
    return out


def _ops(pen: Any, ops: list[dict[str, Any]], at: Any, fonts: _Fonts, stroke: str | None = None,
         width: int = 1, texts: dict[int, tuple[str, str | None, bool]] | None = None) -> None:
    """Paint Graphviz's xdot operations: polygons, ellipses, lines, curves and text."""
    line: str | None = "#000000"
    fill: str | None = None
    size = 14.0
    for i, op in enumerate(ops):
        kind = op["op"]
        if kind == "c":
            line = _colour(op["color"])
        elif kind == "C":
            fill = _colour(op["color"])
        elif kind == "F":
            size = float(op["size"])
        elif kind in ("P", "p"):
            points = [at(x, y) for x, y in op["points"]]
            pen.polygon(points, fill=fill if kind == "P" else None,
                        outline=stroke or line, width=width)
            if kind == "P" and stroke and len(points) == 3:  # an arrowhead of a hot edge
                pen.polygon(points, fill=stroke, outline=stroke)
        elif kind in ("E", "e"):
            cx, cy, rx, ry = op["rect"]
            (ax, ay), (bx, by) = at(cx - rx, cy + ry), at(cx + rx, cy - ry)
            pen.ellipse((ax, ay, bx, by), fill=fill if kind == "E" else None,
                        outline=stroke or line, width=width)
        elif kind == "L":
            pen.line([at(x, y) for x, y in op["points"]], fill=stroke or line, width=width)
        elif kind in ("B", "b"):
            pen.line(_bezier([at(x, y) for x, y in op["points"]]), fill=stroke or line,
                     width=width, joint="curve")
        elif kind == "T":
            text, colour, bold = op["text"], line, False
            if texts and i in texts:
                text, override, bold = texts[i]
                colour = override or colour
            if colour is None:
                continue
            anchor = {"l": "ls", "c": "ms", "r": "rs"}[op.get("align", "c")]
            x, y = at(*op["pt"])
            font = fonts.get(size * SCALE)
            pen.text((x, y), text, fill=colour, font=font, anchor=anchor,
                     stroke_width=1 if bold else 0, stroke_fill=colour)


def _bezier(points: list[tuple[float, float]], pieces: int = 12) -> list[tuple[float, float]]:
    """Graphviz's cubic Bézier splines (1 + 3n points) as a polyline."""
    out = [points[0]]
    for j in range(0, len(points) - 3, 3):
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = points[j:j + 4]
        for s in range(1, pieces + 1):
            t = s / pieces
            u = 1 - t
            out.append((u**3 * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t**3 * dx,
                        u**3 * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t**3 * dy))
    return out


def _colour(text: str) -> str | None:
    """An xdot colour for Pillow; None for a transparent one (nothing is painted)."""
    if text in ("transparent", "none") or (text.startswith("#") and len(text) == 9
                                           and text[7:] == "00"):
        return None
    return text[:7] if text.startswith("#") else text


class _Fonts:
    """Pillow fonts by size, from the first of ``FONTS`` found on this machine."""

    def __init__(self) -> None:
        from PIL import ImageFont

        self._module = ImageFont
        self._cache: dict[int, Any] = {}
        self._file: str | None = None
        for name in FONTS:
            try:
                ImageFont.truetype(name, 12)
            except OSError:
                continue
            self._file = name
            break

    def get(self, size: float) -> Any:
        px = max(6, round(size))
        font = self._cache.get(px)
        if font is None:
            if self._file is not None:
                font = self._module.truetype(self._file, px)
            else:  # no TrueType font found: Pillow's own (Latin only; sized since 10.1)
                try:
                    font = self._module.load_default(px)
                except TypeError:
                    font = self._module.load_default()
            self._cache[px] = font
        return font
