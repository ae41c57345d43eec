"""What the playground's Web Worker runs: a learner's code, then the views of its last line.

The worker loads this module inside Pyodide and calls ``run(code)`` for each press of Run. The
code runs like a notebook cell: its statements, then its last line as an expression whose value
is shown. When that value is a graph (a Value), the result holds the same views a Python
session makes of it: ``draw``'s picture, ``explain``'s derivation and ``step_through``'s page.
Nothing here computes a derivative or draws a node of its own.

The only thing the browser changes is how DOT becomes a picture: there is no ``dot`` program,
so ``use_renderer`` hands graphviz's ``pipe`` to Graphviz compiled to WebAssembly (viz-js).
(``without_threads`` tells tqdm, whose bar ``fit(progress=True)`` shows, that the page has no
threads.) Everything else is the package as it runs anywhere, which is why this module also runs
under ordinary CPython (the tests call it there, with the real ``dot``).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import gc
import json
import sys
import time
import traceback
import types
from collections.abc import Callable
from typing import Any

from microgrid.i18n import gettext as _

MAX_OUTPUT = 200_000  # characters of printed output kept; megabytes would freeze the page
MAX_REPR = 2_000  # characters of the last line's repr
FILENAME = "<playground>"
STREAM_S = 0.25  # how often printed output is sent to the page while a run goes on


def use_renderer(render: Callable[[str, str, str], str]) -> None:
    """Render every graphviz drawing with ``render(dot_source, format, engine) -> text``.

    In the browser ``render`` is viz-js's; this is the one place where the browser differs.
    """
    import graphviz

    def pipe(self: Any, format: str | None = None, renderer: str | None = None,
             formatter: str | None = None, neato_no_op: Any = None, quiet: bool = False, *,
             engine: str | None = None, encoding: str | None = None) -> Any:
        text = str(render(self.source, format or self.format, engine or self.engine))
        return text if encoding else text.encode("utf-8")

    graphviz.Digraph.pipe = pipe
    graphviz.Graph.pipe = pipe


def without_threads() -> None:
    """Let tqdm's bars refresh from the loop that updates them, never from a monitor thread.

    tqdm starts a thread to refresh a bar that stalls; a browser's Python can start none, and
    tqdm would then print a warning into the learner's output on the first ``fit``.
    """
    import tqdm

    tqdm.tqdm.monitor_interval = 0


class _Output:
    """stdout and stderr of a run: the first ``limit`` characters kept, the rest only counted.

    ``stream``, if given, is handed what was printed since its last call, a few times a second
    at most, so a long run shows its progress (and what it printed before Stop). A progress bar
    redraws itself after a carriage return, as in a terminal; the page shows only its last state.
    """

    encoding = "utf-8"  # what the page can show: tqdm draws its bar with block characters

    def __init__(self, limit: int, stream: Callable[[str], Any] | None = None) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.size = 0
        self.stream = stream
        self.sent = 0  # parts already streamed
        self.last = time.perf_counter()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.kept < self.limit:
            part = text[:self.limit - self.kept]
            self.parts.append(part)
            self.kept += len(part)
        self.size += len(text)
        if self.stream is not None and time.perf_counter() - self.last > STREAM_S:
            self.last = time.perf_counter()
            if self.sent < len(self.parts):
                self.stream("".join(self.parts[self.sent:]))
                self.sent = len(self.parts)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        text = "".join(self.parts)
        if self.size > self.kept:
            more = self.size - self.kept
            text += "\n… " + _("output truncated: {more} more characters not shown (the "
                                "playground keeps the first {limit})", more=f"{more:,}",
                                limit=f"{self.limit:,}")
        return text


def run(code: str, stream: Callable[[str], Any] | None = None, lang: str | None = None) -> str:
    """Run ``code`` and return its results as JSON (what the page shows).

    Keys: ``output`` (printed text, truncated past ``MAX_OUTPUT``), ``error`` (``None`` or
    ``{"line", "traceback"}``: the exception's one-line message, its traceback to fold), ``repr``
    of the last line's value, and for a graph ``graph``/``explain``/``step``, each either
    ``{"svg"|"text"|"html": ...}`` or ``{"error": one line}``, and ``ms``: how long each part took.
    ``stream(text)`` receives printed output while the run goes on (see ``_Output``). ``lang``
    ("zh", "en": the page's choice) is the language the code and the views speak.
    """
    from microgrid.i18n import language

    with language(lang):
        return json.dumps(_run(code, stream), ensure_ascii=False)


def _run(code: str, stream: Callable[[str], Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"output": "", "error": None, "repr": None, "ms": {}}
    out = _Output(MAX_OUTPUT, stream)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    value = None
    start = time.perf_counter()
    try:
        tree = ast.parse(code, FILENAME)
        last = None
        tail = tree.body[-1] if tree.body else None
        if isinstance(tail, ast.Expr):  # the last line's value is shown, as in a notebook
            tree.body.pop()
            last = ast.Expression(tail.value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):  # type: ignore
            exec(compile(tree, FILENAME, "exec"), namespace)
            if last is not None:
                value = eval(compile(last, FILENAME, "eval"), namespace)
    except BaseException as e:  # the learner's error, KeyboardInterrupt and SystemExit too
        result["error"] = _error(e)
    result["ms"]["run"] = _ms(start)
    result["output"] = out.text()
    if result["error"] is None and value is not None:
        result["repr"] = _short(_safe_repr(value), MAX_REPR)
        from microgrid import Value

        if type(value) is Value:
            result.update(_views(value, result["ms"]))
    start = time.perf_counter()
    held = [namespace, value]
    del namespace, value  # _release drops the last references
    _release(held)
    result["ms"]["release"] = _ms(start)
    return result


_SHARED = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
           types.CodeType, types.MethodType)


def _release(held: list[Any]) -> None:
    """Free what a run made (``held``: its namespace and last value) nearest the roots first.

    Freeing the root of a graph 10^5 Values deep frees its inputs, which free theirs, and so on,
    one C call inside the other: far deeper than a browser lets WebAssembly's stack grow, so
    Pyodide would stop with a fatal error. Holding every object in a list, in the order a
    walk from the roots finds them, and dropping them from the front, frees each one while the
    objects it refers to are still held further down the list, so no free goes deep.
    """
    found = list(held)
    held.clear()
    seen = {id(x) for x in found}
    i = 0
    while i < len(found):
        for x in gc.get_referents(found[i]):
            if id(x) not in seen and not isinstance(x, _SHARED) and gc.is_tracked(x):
                seen.add(id(x))
                found.append(x)
        i += 1
    found[0].clear()  # the namespace: its objects are now held by the list alone
    found.reverse()
    while found:
        found.pop()


def _views(root: Any, ms: dict[str, float]) -> dict[str, Any]:
    """draw, explain and step_through of the last line's Value, each with its own refusal."""
    import microgrid as mg

    views: dict[str, Any] = {}
    for key, make in (("graph", lambda: {"svg": mg.draw(root).pipe(format="svg").decode()}),
                      ("explain", lambda: {"text": str(mg.explain(root))}),
                      ("step", lambda: {"html": mg.step_through(root).html()})):
        start = time.perf_counter()
        try:
            views[key] = make()
        except Exception as e:  # too big, a leaf, a label Graphviz can't take: one line
            views[key] = {"error": _error(e)["line"]}
        ms[key] = _ms(start)
    return views


def _error(e: BaseException) -> dict[str, str]:
    """The exception's own one-line message, and its traceback from the learner's code on."""
    if isinstance(e, SyntaxError) and e.filename == FILENAME:  # the code itself: no frames
        line = _("{kind}: {message} (line {line})", kind=type(e).__name__, message=e.msg,
                 line=e.lineno)
        text = "".join(traceback.format_exception_only(type(e), e))
    else:
        message = str(e)
        line = type(e).__name__ + (f": {message}" if message else "")
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next  # this module's frames are the playground's, not the learner's
        text = "".join(traceback.format_exception(type(e), e, tb))
    return {"line": _short(" ".join(line.split()), 500), "traceback": _short(text, 20_000)}


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as e:
        return f"<repr failed: {type(e).__name__}: {e}>"


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + _("… ({more} more)", more=f"{len(text) - limit:,}")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


if __name__ == "__main__":  # python -m microgrid.playground.runner < code.py: the JSON
    print(run(sys.stdin.read()))
