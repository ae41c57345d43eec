"""Static graphs: record a function once, then run its forward and backward as generated code.

The eager engine builds a new graph every time the code runs (a *dynamic* graph, as in
PyTorch). ``trace`` records the graph once, on the first call, and from then on replays it (a
*static* graph, as in TensorFlow 1): the recorded forward and the backward that
``grad(..., create_graph=True)`` derives from it, by the same op rules, are written out as one
straight-line Python function (``f.source``), compiled once, and run on plain floats or, with
the same lines, on NumPy arrays holding a whole batch (vectorization).

>>> import microgrid as mg
>>> def loss(w, b, x, y):
...     a = mg.sigmoid(w * x + b)
...     return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))
>>> f = mg.trace(loss)
>>> round(f(0.5, 0.1, 2.0, 1.0), 6)
0.287335
>>> value, (dw, db, dx, dy) = f.value_and_grad(0.5, 0.1, 2.0, 1.0)
>>> round(dw, 6), round(db, 6)
(-0.49948, -0.24974)
>>> print(f.source)
def loss(w, b, x, y):
    a = sigmoid(w * x + b)
    t1 = 1 - a
    t2 = log(t1)
    t3 = 1 - y
    t4 = log(a)
    out = -(y * t4 + t3 * t2)
    # backward
    da = 1 / t1 * t3 - 1 / a * y
    db = a * t1 * da
    dw = x * db
    dx = w * db
    dy = t2 - t4
    return out, (dw, db, dx, dy)
<BLANKLINE>

The honest limits of a static graph: Python control flow runs once, at recording time. An
``if``, ``while``, ``<`` or ``max`` on a traced Value raises a TypeError saying so; reading
``.data`` (or ``float(v)``) inside the function reads the first call's number, which the replay
then keeps as a constant. Values the function reads from outside (not passed as arguments) are
constants of the graph too: pass what should vary, and what needs a gradient, as arguments.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import value as _value
from .autograd import grad, topological_order
from .codegen import Code, array_namespace, call_namespace, clean_name, float_namespace, generate
from .ops import _to_float, is_number
from .value import Value

_REFUSALS = {getattr(Value, m).__code__ for m in ("__bool__", "__lt__", "__le__", "__gt__",
                                                   "__ge__")}
_FLOAT = frozenset({float})
_FLOAT_NS: dict[str, Any] | None = None
_CALL_NS: dict[str, Any] | None = None
_ARRAY_NS: dict[str, Any] | None = None


def trace(fn: Callable[..., Any], *, wrt: Sequence[str | int] | None = None) -> TracedFunction:
    """Record ``fn`` as a static graph on its first call; replay it as generated Python after.

    ``fn`` takes numbers or (nested) lists of numbers and returns one scalar (a Value, or a
    number). ``wrt`` chooses the arguments ``value_and_grad`` differentiates, by name or
    position (default: all of them). See ``TracedFunction`` for how to call the result.
    """
    if not callable(fn):
        raise TypeError(f"trace() takes a function, not {type(fn).__name__}")
    return TracedFunction(fn, wrt)


class TracedFunction:
    """A function recorded once per argument structure and replayed as generated code.

    Call it like the function: arguments are numbers or (nested) lists/tuples of numbers, or
    NumPy arrays holding a batch along axis 0 (shape ``(m,)`` where the function takes a
    number, ``(m, n)`` where it takes a list of n); arguments that aren't arrays are shared by
    every sample (the parameters). ``f(...)`` gives the function's value (a float, or an
    array of m per-sample values). ``f.value_and_grad(...)`` also gives the gradients.

    The graph is recorded again when the structure of the arguments changes (how many, list
    lengths and nesting); which arguments are batched doesn't change the graph. ``f.source``
    shows the generated code of the latest structure; ``f.graph_roots()`` its Values, so
    ``microgrid.draw(f)`` draws the static graph, backward part included.
    """

    def __init__(self, fn: Callable[..., Any], wrt: Sequence[str | int] | None = None) -> None:
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]
        self.fn = fn
        if isinstance(wrt, (str, int)):
            raise TypeError("wrt takes a list of argument names or positions, e.g. ['w', 'b']")
        self.wrt = None if wrt is None else list(wrt)
        self._name = getattr(fn, "__name__", "f")
        try:
            self._signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):  # some builtins and C callables have none
            self._signature = None
        params = list(self._signature.parameters.values()) if self._signature else []
        simple = self._signature is not None and all(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        # the common case, f(x, y, z) called with all of them positionally, skips binding
        self._simple = len(params) if simple else -1
        self._simple_layout = tuple((p.name, False) for p in params)
        self._graphs: dict[Any, _Graph] = {}
        self._last: _Graph | None = None

    def __repr__(self) -> str:
        return f"<traced {self._name}: {len(self._graphs)} recorded structure(s)>"

    # --- running -------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The function's value: a float, or an array of one value per sample for a batch."""
        graph = self._last
        if graph is not None and not kwargs and graph.takes(args):  # as last time: quickly
            values, batch = args, None
        else:
            graph, values, batch = self._prepare(args, kwargs)
        if batch is None:
            try:
                result = graph.value_floats(*values)
            except (ArithmeticError, TypeError, ValueError):
                return graph.run_calls(values, False)
            if type(result) is not float:  # complex (from **), or an int constant
                return graph.run_calls(values, False)
            return result
        np, m, _ = batch
        with np.errstate(all="ignore"):
            return _batch_values(np, graph.array_function(np, False), values, m)

    def value_and_grad(self, *args: Any, reduce: str = "mean", **kwargs: Any) -> tuple[Any, Any]:
        """The value and the gradients, shaped like the arguments (one per ``wrt`` argument).

        On floats: ``(value, (d_arg1, d_arg2, ...))`` with a float per number and a list per
        list. On a batch, the value is reduced over the samples, ``"mean"`` (the course's
        J = 1/m Σ L) or ``"sum"``, and the gradients are those of that reduced value: for a
        shared argument the mean (or sum) of the per-sample gradients, for a batched argument
        an array of its shape, the per-sample gradient (divided by m for ``"mean"``).
        """
        if reduce != "mean" and reduce != "sum":
            raise ValueError(f"reduce must be 'mean' or 'sum', not {reduce!r}")
        graph = self._last
        if graph is not None and not kwargs and graph.takes(args):
            values, batch = args, None
        else:
            graph, values, batch = self._prepare(args, kwargs)
        if batch is None:
            # The readable code, unless Python's float operators raise or turn complex (1/0,
            # 0 ** -1, (-8) ** (1/3)): then the call form, whose ops follow IEEE
            try:
                result = graph.both_floats(*values)
            except (ArithmeticError, TypeError, ValueError):
                return graph.run_calls(values, True)
            if graph.both_power and _has_complex(result):
                return graph.run_calls(values, True)
            return result
        np, m, given = batch
        mean = reduce == "mean"
        with np.errstate(all="ignore"):  # inf and nan as IEEE says, silently, as on floats
            specs = [given[i] for i in graph.wrt]
            fn = graph.array_function(np, True)
            return _batch_value_and_grad(np, fn, values, specs, m, mean)

    def grad(self, *args: Any, reduce: str = "mean", **kwargs: Any) -> tuple[Any, ...]:
        """Just the gradients of ``value_and_grad``."""
        return self.value_and_grad(*args, reduce=reduce, **kwargs)[1]

    # --- reading -------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The generated function (forward lines, then backward lines) of the latest structure."""
        return self._latest().full.source

    @property
    def forward_source(self) -> str:
        """The generated forward alone: what ``f(...)`` runs."""
        return self._latest().forward.source

    def graph_roots(self) -> list[Value]:
        """The recorded Values: ``[output, gradient of each wrt leaf...]``, for drawing."""
        graph = self._latest()
        return [graph.output, *graph.grads]

    def _latest(self) -> _Graph:
        if self._last is None:
            raise ValueError(f"{self._name} has not been traced yet: call it once, the graph "
                             "is recorded on the first call")
        return self._last

    # --- arguments -----------------------------------------------------------------------

    def _prepare(self, args: tuple, kwargs: dict) -> tuple[_Graph, list, Any]:
        """The graph for these arguments' structure, the arguments as the generated code
        takes them, and for a batch (numpy, m, the arguments as given), else None."""
        if not kwargs and len(args) == self._simple:
            layout = self._simple_layout
            key: list[Any] = []
        else:
            layout, args = self._bind(args, kwargs)
            key = [layout]
        values = []
        batched = False
        for a in args:
            t = type(a)
            if t is float:
                key.append(None)
                values.append(a)
            elif t is list and _only_floats(a):  # the common case first, cheaply
                key.append(len(a))
                values.append(a)  # the generated code only reads it
            else:
                k, v, b = _scan(a, layout[len(values)][0])
                key.append(k)
                values.append(v)
                batched = batched or b
        t = tuple(key)
        graph = self._graphs.get(t)
        batch = None
        if batched:
            np, m = _batch(values)
            batch = (np, m, values)
            values = _columns(np, values)
        if graph is None:
            sample = [_sample(v) for v in values] if batched else values
            graph = self._graphs[t] = _Graph(self, layout, sample)
            if not kwargs and layout is self._simple_layout:
                graph.takes = _quick_check(key)
        self._last = graph
        return graph, values, batch

    def _bind(self, args: tuple, kwargs: dict) -> tuple[tuple, list]:
        """Arguments in order, with names and whether each is passed by keyword."""
        sig = self._signature
        if sig is None:
            if kwargs:
                raise TypeError(f"{self._name}() takes positional arguments only")
            return tuple((f"arg{i}", False) for i in range(len(args))), list(args)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{self._name}(): {err}") from None
        bound.apply_defaults()
        layout, values = [], []
        for p in sig.parameters.values():
            got = bound.arguments.get(p.name)
            if p.kind == p.VAR_POSITIONAL:
                for i, a in enumerate(got or ()):
                    layout.append((f"{p.name}{i}", False))
                    values.append(a)
            elif p.kind == p.VAR_KEYWORD:
                for k, a in (got or {}).items():
                    layout.append((k, True))
                    values.append(a)
            else:
                layout.append((p.name, p.kind == p.KEYWORD_ONLY))
                values.append(got)
        return tuple(layout), values


# --- one recorded structure ----------------------------------------------------------------


class _Graph:
    """The function recorded for one argument structure, with its generated code."""

    @staticmethod
    def takes(args: tuple) -> bool:
        """Whether ``args`` are floats (and flat lists of floats) of this structure, for the
        quick path that passes them to the code as they are; see ``_quick_check``."""
        return False

    def __init__(self, traced: TracedFunction, layout: tuple, sample: list) -> None:
        name = clean_name(traced._name) or "f"
        trees = [_leaf_tree(v, pname) for (pname, _), v in zip(layout, sample)]
        out, local_names = _record(traced, layout, trees)
        self.wrt = _wrt_positions(traced, layout)
        wrt_leaves = [leaf for i in self.wrt for leaf in _leaves(trees[i])]

        # the backward, by the engine's own rules; asking for the adjoint of every
        # intermediate node too costs nothing extra and lets the code call them dz, da ...
        forward = topological_order(out)
        inner = [v for v in forward if v._op is not None]
        was = _value._recording
        _value._recording = True
        try:
            adjoint = grad(out, wrt_leaves + inner, create_graph=True)
        finally:
            _value._recording = was
        grads = adjoint[: len(wrt_leaves)]
        adjoints = {v: a for v, a in zip(inner, adjoint[len(wrt_leaves):]) if a._op is not None}

        hints: dict[Value, str] = {}
        for v in forward:  # a label names a node, if it reads as a name
            if v.label and v._op is not None and clean_name(v.label) is not None:
                hints[v] = v.label
        for local, v in local_names.items():
            if type(v) is Value and v._op is not None and v not in hints:
                hints[v] = local
        in_forward = set(forward)
        for leaf, g in zip(wrt_leaves, grads):
            if not g.label and g not in in_forward:
                g.label = "d" + leaf.label  # what a drawing of the graph shows

        params = [(pname, tree) for (pname, _), tree in zip(layout, trees)]
        grad_trees = []
        it = iter(grads)
        for i in self.wrt:
            grad_trees.append((trees[i], _shaped(trees[i], it)))
        self.full: Code = generate(name, params, out, grad_trees, hints, adjoints)
        self.forward: Code = generate(name, params, out, None, hints)
        self.output = out
        self.grads = grads
        self.value_floats = self.forward.compile(_float_ns())
        self.both_floats = self.full.compile(_float_ns())
        self.both_power = self.full.has_power
        self._calls: list[Any] = [None, None]
        self._arrays: list[Any] = [None, None]

    def run_calls(self, values: list, full: bool) -> Any:
        """The call form on floats: every op its IEEE-safe forward."""
        fn = self._calls[full]
        if fn is None:
            code = self.full if full else self.forward
            fn = self._calls[full] = code.compile(_call_ns(), calls=True)
        return fn(*values)

    def array_function(self, np: Any, full: bool) -> Callable[..., Any]:
        """The readable code, compiled to run on arrays."""
        fn = self._arrays[full]
        if fn is None:
            code = self.full if full else self.forward
            fn = self._arrays[full] = code.compile(_array_ns(np))
        return fn


def _record(traced: TracedFunction, layout: tuple, trees: list) -> tuple[Value, dict]:
    """Call the function on leaf Values: its output, and its local variables at return."""
    pos = [t for (_, kw), t in zip(layout, trees) if not kw]
    kws = {name: t for (name, kw), t in zip(layout, trees) if kw}
    was = _value._recording
    _value._recording = True  # recording even when called inside no_grad()
    try:
        out, local_names = _call_watching_locals(traced.fn, pos, kws)
    except TypeError as err:
        where = _refused_at(err)
        if where is None:
            raise
        raise TypeError(
            f"data-dependent control flow can't be traced: {traced._name} tests or compares a "
            f"traced Value{where} (an if, while, <, max ...), and a static graph records one "
            "path only. Compute it with arithmetic (relu, step, sigmoid) or keep the branch "
            "outside the traced function") from err
    finally:
        _value._recording = was
    if type(out) is not Value:
        if not is_number(out):
            raise TypeError(f"a traced function must return one scalar (a Value or a number); "
                            f"{traced._name} returned {type(out).__name__}")
        out = Value(out)
    return out, local_names


def _call_watching_locals(fn: Callable, args: list, kwargs: dict) -> tuple[Any, dict]:
    """``fn(*args, **kwargs)``, and fn's local variables as it returns (to name the code's
    variables after them: ``z``, ``a``). Skipped under a profiler, which this would replace."""
    code = getattr(fn, "__code__", None)
    found: dict[str, Any] = {}
    if code is None or sys.getprofile() is not None:
        return fn(*args, **kwargs), found

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            found.clear()
            found.update(frame.f_locals)

    sys.setprofile(watch)
    try:
        return fn(*args, **kwargs), found
    finally:
        sys.setprofile(None)


def _refused_at(err: TypeError) -> str | None:
    """If ``err`` is a Value refusing bool()/</> : " in fn(), line N" of the test, else None.

    The function's name and line, not its file: in a notebook the file is a temporary path."""
    tb = err.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    if not frames or frames[-1].tb_frame.f_code not in _REFUSALS:
        return None
    if len(frames) < 2:
        return ""
    caller = frames[-2]
    return f" in {caller.tb_frame.f_code.co_name}(), line {caller.tb_lineno}"


def _wrt_positions(traced: TracedFunction, layout: tuple) -> list[int]:
    if traced.wrt is None:
        return list(range(len(layout)))
    names = [name for name, _ in layout]
    out = []
    for w in traced.wrt:
        if type(w) is int:
            if not -len(names) <= w < len(names):
                raise ValueError(f"wrt: {traced._name} has {len(names)} arguments, no {w}")
            out.append(w % len(names))
        elif w in names:
            out.append(names.index(w))
        else:
            raise ValueError(f"wrt: {traced._name} has no argument {w!r} (it has {names})")
    return out


# --- argument structures -------------------------------------------------------------------


def _scan(x: Any, where: str) -> tuple[Any, Any, bool]:
    """(structure key, the argument as floats/lists/arrays, whether it holds a batch).

    The key is None for a number, n for a list of n numbers, a tuple of keys for any other
    list; an array of shape (m, ...) has the key of what one sample of it is.
    """
    t = type(x)
    if t is float:
        return None, x, False
    if t is list or t is tuple or isinstance(x, (list, tuple)):
        if _only_floats(x):
            return len(x), list(x), False
        keys, values, batched = [], [], False
        for i, item in enumerate(x):
            k, v, b = _scan(item, f"{where}[{i}]")
            keys.append(k)
            values.append(v)
            batched = batched or b
        flat = all(k is None for k in keys)
        return len(keys) if flat else tuple(keys), values, batched
    if is_number(x):
        return None, _to_float(x, where), False
    np = sys.modules.get("numpy")  # an array means NumPy is loaded already
    if np is not None and isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{where}: a batch must be an array of real numbers, not dtype "
                            f"{x.dtype} (a ragged list of lists makes an object array)")
        if x.ndim == 0:
            return None, float(x), False
        return _shape_key(x.shape[1:]), x, True
    if t is Value:
        raise TypeError(f"{where}: pass numbers, not Values (the traced function makes its "
                        "own); use .data")
    raise TypeError(f"{where}: expected a number, a list of numbers or a NumPy array, "
                    f"not {t.__name__}")


def _quick_check(key: list) -> Callable[[tuple], bool]:
    """A check, written for one structure, that arguments are floats and flat lists of
    floats of that structure: a replay on floats costs a few microseconds, so the general
    walk over the arguments (``_scan``) would be a large part of it. Other structures
    (nested lists, batches) always take the general path."""
    if any(k is not None and type(k) is not int for k in key):
        return _Graph.takes
    tests = [f"len(args) == {len(key)}"]
    for i, k in enumerate(key):
        if k is None:
            tests.append(f"type(args[{i}]) is float")
        else:
            tests.append(f"type(args[{i}]) is list and len(args[{i}]) == {k}")
    tests += [f"floats(map(type, args[{i}]))" for i, k in enumerate(key) if k is not None]
    source = "def takes(args):\n    return " + " and ".join(tests) + "\n"
    ns = {"__builtins__": {}, "type": type, "len": len, "map": map, "float": float,
          "list": list, "floats": _FLOAT.issuperset}
    exec(compile(source, "<microgrid.trace check>", "exec"), ns)
    return ns["takes"]


def _only_floats(x: Any) -> bool:
    return _FLOAT.issuperset(map(type, x))


def _shape_key(shape: tuple) -> Any:
    """The key of a list shaped like ``shape`` (see ``_scan``)."""
    if not shape:
        return None
    if len(shape) == 1:
        return shape[0]
    return (_shape_key(shape[1:]),) * shape[0]


def _batch(values: list) -> tuple[Any, int]:
    """(numpy, m): the batch size all arrays agree on."""
    import numpy as np

    sizes = {a.shape[0] for a in _leaves(values) if isinstance(a, np.ndarray)}
    if len(sizes) > 1:
        raise ValueError(f"batched arguments disagree on the batch size: {sorted(sizes)}")
    m = sizes.pop()
    if m == 0:
        raise ValueError("an empty batch (m = 0): there is nothing to compute")
    return np, m


def _columns(np: Any, tree: Any) -> Any:
    """The arguments as the generated code takes them: an ``np.float64`` per shared number (so
    that shared / 0 is inf, as on arrays), a 1-D float array per batched number: for an array
    of shape (m, n), its n columns, as views (copying a large array into contiguous columns
    measured slower than reading them strided)."""
    if type(tree) is list:
        return [_columns(np, t) for t in tree]
    if type(tree) is float:
        return np.float64(tree)
    return _split(np.asarray(tree, dtype=np.float64))


def _split(a: Any) -> Any:
    if a.ndim == 1:
        return a
    return [_split(a[:, i]) for i in range(a.shape[1])]


def _sample(tree: Any) -> Any:
    """The first sample's numbers (the recording runs on them)."""
    if type(tree) is list:
        return [_sample(t) for t in tree]
    if getattr(tree, "ndim", 0) >= 1:
        return float(tree[0])
    return float(tree)


def _leaf_tree(value: Any, label: str) -> Any:
    if type(value) is list:
        return [_leaf_tree(v, f"{label}[{i}]") for i, v in enumerate(value)]
    return Value(value, label=label)


def _leaves(tree: Any) -> list[Any]:
    if type(tree) is list:
        return [leaf for t in tree for leaf in _leaves(t)]
    return [tree]


def _shaped(tree: Any, items: Any) -> Any:
    if type(tree) is list:
        return [_shaped(t, items) for t in tree]
    return next(items)


def _has_complex(result: Any) -> bool:
    if type(result) is complex:
        return True
    if type(result) is tuple or type(result) is list:
        return any(map(_has_complex, result))
    return False


# --- batch results -------------------------------------------------------------------------


# The generated code runs over the batch a block of rows at a time: its ~2 arrays per op then
# stay in the processor's cache instead of streaming through memory, which measured ~2x faster
# than whole columns at m = 100,000 (benchmarks/trace.py); the per-call cost of each NumPy op
# is still small next to the work at this size.
CHUNK = 8192


def _chunks(m: int) -> range:
    return range(0, m, CHUNK)


def _rows(tree: Any, start: int, stop: int) -> Any:
    """The arguments for rows start:stop (shared numbers as they are)."""
    if type(tree) is list:
        return [_rows(t, start, stop) for t in tree]
    return tree[start:stop] if getattr(tree, "ndim", 0) else tree


def _batch_values(np: Any, fn: Callable, values: list, m: int) -> Any:
    """The per-sample values, an array of m."""
    out = np.empty(m, dtype=np.float64)
    for start in _chunks(m):
        stop = min(start + CHUNK, m)
        out[start:stop] = fn(*_rows(values, start, stop))  # (a number: the same for each)
    return out


def _batch_value_and_grad(np: Any, fn: Callable, values: list, specs: list, m: int,
                          mean: bool) -> tuple[float, tuple]:
    """The value summed (averaged) over the batch, and gradients shaped like the arguments:
    a float per shared number (its per-sample gradients summed or averaged), an array of
    the argument's shape per array (the per-sample gradients, over m for the mean)."""
    total = 0.0
    sums = [_accumulator(np, spec) for spec in specs]
    for start in _chunks(m):
        stop = min(start + CHUNK, m)
        out, grads = fn(*_rows(values, start, stop))
        total += _sum(np, out, stop - start)
        for acc, g in zip(sums, grads):
            _accumulate(np, acc, g, start, stop)
    scale = 1.0 / m if mean else 1.0
    return total * scale, tuple(_finish(acc, m, mean) for acc in sums)


def _sum(np: Any, g: Any, rows: int) -> float:
    """A per-sample quantity summed over rows (a number stands for the same in each row)."""
    return float(np.sum(g)) if getattr(g, "ndim", 0) else float(g) * rows


class _Total:
    """The running sum of a shared number's gradient."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0


def _accumulator(np: Any, spec: Any) -> Any:
    if type(spec) is list:
        return [_accumulator(np, s) for s in spec]
    if type(spec) is float:  # a shared number
        return _Total()
    return np.empty(spec.shape, dtype=np.float64)  # a batched array: its per-sample gradients


def _accumulate(np: Any, acc: Any, g: Any, start: int, stop: int) -> None:
    if type(acc) is list:
        for a, gi in zip(acc, g):
            _accumulate(np, a, gi, start, stop)
    elif type(acc) is _Total:
        acc.value += _sum(np, g, stop - start)
    else:
        _fill(acc[start:stop], g)


def _fill(dst: Any, g: Any) -> None:
    if type(g) is list:  # the columns of an (m, n, ...) array
        for i, gi in enumerate(g):
            _fill(dst[:, i], gi)
    else:
        dst[...] = g  # a per-sample array, or one number for every sample


def _finish(acc: Any, m: int, mean: bool) -> Any:
    if type(acc) is list:
        return [_finish(a, m, mean) for a in acc]
    if type(acc) is _Total:
        return acc.value / m if mean else acc.value
    if mean:
        acc /= m
    return acc


def _float_ns() -> dict[str, Any]:
    global _FLOAT_NS
    if _FLOAT_NS is None:
        _FLOAT_NS = float_namespace()
    return _FLOAT_NS


def _call_ns() -> dict[str, Any]:
    global _CALL_NS
    if _CALL_NS is None:
        _CALL_NS = call_namespace()
    return _CALL_NS


def _array_ns(np: Any) -> dict[str, Any]:
    global _ARRAY_NS
    if _ARRAY_NS is None:
        _ARRAY_NS = array_namespace(np)
    return _ARRAY_NS
