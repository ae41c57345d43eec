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
    t1 = log(a)
    t2 = 1 - y
    t3 = 1 - a
    t4 = log(t3)
    out = -(y * t1 + t2 * t4)
    # backward
    da = 1 / t3 * t2 - 1 / a * y
    db = a * t3 * da
    dw = x * db
    dx = w * db
    dy = t4 - t1
    return out, (dw, db, dx, dy)
<BLANKLINE>

The honest limits of a static graph: Python control flow runs once, at recording time. An
``if``, ``while``, ``==``, ``in``, ``<`` or ``max`` on a traced Value raises a TypeError saying
so; reading ``.data`` inside the function reads the first call's number, which the replay then
keeps as a constant. A ``no_grad()`` block inside the function is recorded as what it means:
its results pass through ``stop_gradient``, recomputed on every call, no gradient back.
Values the function reads from outside (not passed as arguments) are
constants of the graph too: pass what should vary, and what needs a gradient, as arguments.

This file is the public side and the recording. Around it: ``arguments.py`` reads the
structure of the arguments (what makes a new recording), ``codegen.py`` writes the recorded
graph out as code (``vectorize.py`` finding its dot products), ``batch.py`` runs that code over a
NumPy batch, and ``formulas.py`` derives the gradients as the course's formulas (``f.formulas()``).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any, overload

from ..engine import gradmode
from ..engine.autograd import grad, topological_order
from ..engine.ops import is_number
from ..engine.value import Value, recorder
from ..i18n import N_, gettext
from . import batch as batches
from .arguments import (
    leaf_tree,
    leaves,
    only_floats,
    quick_check,
    quick_convert,
    scan,
    scan_batch,
    shaped,
)
from .codegen import Code, call_namespace, clean_name, float_namespace, generate


class _Recording:
    """The engine's recorder (``engine.value.recorder``) while ``trace`` records a function in
    this thread: it refuses ``==``/``!=`` on a Value, and records what ``no_grad()`` computes."""

    def compared(self, value: Value, other: Any) -> None:
        raise TypeError("a traced Value can't be compared")  # _record rewrites it into its message

    def unrecorded(self, node: Value) -> Value:
        """A result of a ``no_grad()`` block is recorded after all, behind ``stop_gradient``: the
        replay computes the number anew and, as in the eager run, no gradient flows back."""
        return node if node.op == "stop_gradient" else node.detach()


_RECORDING = _Recording()
_REFUSALS = {getattr(Value, m).__code__ for m in ("__bool__", "__lt__", "__le__", "__gt__",
                                                   "__ge__", "__eq__", "__ne__")}
_FLOAT_NS: dict[str, Any] | None = None
_CALL_NS: dict[str, Any] | None = None


@overload
def trace(fn: Callable[..., Any], *, wrt: Sequence[str | int] | None = None,
          batch: Sequence[str | int] | None = None) -> TracedFunction: ...
@overload
def trace(fn: None = None, *, wrt: Sequence[str | int] | None = None,
          batch: Sequence[str | int] | None = None) -> Callable[[Callable[..., Any]],
                                                               TracedFunction]: ...
def trace(fn: Callable[..., Any] | None = None, *, wrt: Sequence[str | int] | None = None,
          batch: Sequence[str | int] | None = None) -> Any:
    """Record ``fn`` as a static graph on its first call; replay it as generated Python after.

    ``fn`` takes numbers or (nested) lists of numbers and returns one scalar (a Value, or a
    number). ``wrt`` chooses the arguments ``value_and_grad`` differentiates, by name or
    position (default: all of them). ``batch`` names the arguments that hold a batch, one
    sample per row along their first axis, as JAX's ``vmap(in_axes=...)`` does (default:
    none, every argument is one sample's). See ``TracedFunction`` for how to call the result.
    Without ``fn``, a decorator: ``@mg.trace(batch=["x", "y"])``.
    """
    if fn is None:
        return lambda f: trace(f, wrt=wrt, batch=batch)
    if not callable(fn):
        raise TypeError(gettext("trace() takes a function, not {kind}",
                                kind=type(fn).__name__))
    return TracedFunction(fn, wrt, batch)


class TracedFunction:
    """A function recorded once per argument structure and replayed as generated code.

    Call it like the function: arguments are numbers or (nested) lists/tuples of numbers, and
    a NumPy array may stand for any of them (``np.array([w1, w2])`` is a list of two numbers).
    The arguments named in ``batch=`` hold one sample per row instead: an array of shape
    ``(m,)`` where the function takes a number, ``(m, n)`` where it takes a list of n; the
    others are shared by every sample (the parameters). ``f(...)`` gives the function's value
    (a float, or an array of m per-sample values). ``f.value_and_grad(...)`` also gives the
    gradients.

    The graph is recorded again when the structure of the arguments changes (how many, list
    lengths and nesting; for a batched argument, those of one sample). ``f.source``
    shows the generated code of the latest structure; ``f.graph_roots()`` its Values, so
    ``microgrid.draw(f)`` draws the static graph, backward part included, each node that the
    code holds in a variable named as in the code (``a``, ``da``, ``t1``).
    """

    def __init__(self, fn: Callable[..., Any], wrt: Sequence[str | int] | None = None,
                 batch: Sequence[str | int] | None = None) -> None:
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]
        self.fn = fn
        if isinstance(wrt, (str, int)):
            raise TypeError(gettext("wrt takes a list of argument names or positions, e.g. "
                                    "wrt=[{example}]", example=repr(wrt)))
        if isinstance(batch, (str, int)):
            raise TypeError(gettext("batch takes a list of argument names or positions, e.g. "
                                    "batch=[{example}]", example=repr(batch)))
        self.wrt = None if wrt is None else list(wrt)
        self.batch: list[str | int] = [] if batch is None else list(batch)
        self._name = getattr(fn, "__name__", "f")
        try:
            self._signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):  # some builtins and C callables have none
            self._signature = None
        params = list(self._signature.parameters.values()) if self._signature else []
        for b in self.batch:  # a misspelt name is found now, not at the first call
            if type(b) is not int and type(b) is not str:
                raise TypeError(gettext("batch: expected argument names or positions, not "
                                        "{kind}", kind=type(b).__name__))
            if (type(b) is str and self._signature is not None
                    and not any(p.kind == p.VAR_KEYWORD for p in params)
                    and b not in self._signature.parameters):
                raise ValueError(gettext("batch: {name} has no argument {arg} (it has "
                                         "{names})", name=self._name, arg=repr(b),
                                         names=list(self._signature.parameters)))
        simple = self._signature is not None and all(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        # the common case, f(x, y, z) called with all of them positionally, skips binding
        self._simple = len(params) if simple else -1
        self._simple_layout = tuple((p.name, False) for p in params)
        self._simple_batched = _batched_positions(self, self._simple_layout) if simple else []
        self._graphs: dict[Any, _Graph] = {}
        self._last: _Graph | None = None

    def __repr__(self) -> str:
        return gettext("<traced {name}: {count} recorded structure(s)>", name=self._name,
                       count=len(self._graphs))

    # --- running -------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The function's value: a float, or an array of one value per sample for a batch."""
        graph, values, batch = self._lookup(args, kwargs)
        if batch is None:
            try:
                result = graph.value_floats(*values)
            except (ArithmeticError, TypeError, ValueError):
                return graph.run_calls(values, False)
            if type(result) is not float:  # complex (from **), or an int constant
                return graph.run_calls(values, False)
            return result
        return batches.values(batch, graph.array_function(batch.np, False),
                              graph.array_arguments(batch, values, False))

    def _lookup(self, args: tuple, kwargs: dict) -> tuple[_Graph, Any, Any]:
        """The recorded graph for these arguments, their values, and the batch (None on floats)."""
        graph = self._last
        if graph is not None and not kwargs:
            if graph.takes(args):  # floats, as last time: quickly
                return graph, args, None
            if graph.converts is not None:  # NumPy's float64s, as last time
                values = graph.converts(args)
                if values is not None:
                    return graph, values, None
        return self._prepare(args, kwargs)

    def value_and_grad(self, *args: Any, reduce: str = "mean", **kwargs: Any) -> tuple[Any, Any]:
        """The value and the gradients, shaped like the arguments (one per ``wrt`` argument).

        On floats: ``(value, (d_arg1, d_arg2, ...))`` with a float per number and a list per
        list. On a batch, the value is reduced over the samples, ``"mean"`` (the course's
        J = 1/m Σ L) or ``"sum"``, and the gradients are those of that reduced value: for a
        shared argument the mean (or sum) of the per-sample gradients, for a batched argument
        an array of its shape, the per-sample gradient (divided by m for ``"mean"``).
        """
        if reduce != "mean" and reduce != "sum":
            raise ValueError(gettext("reduce must be 'mean' or 'sum', not {reduce}",
                                     reduce=repr(reduce)))
        graph, values, batch = self._lookup(args, kwargs)
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
        fn = graph.array_function(batch.np, True)
        values = graph.array_arguments(batch, values, True)
        return batches.value_and_grad(batch, fn, values, graph.wrt, reduce == "mean")

    def grad(self, *args: Any, reduce: str = "mean", **kwargs: Any) -> tuple[Any, ...]:
        """Just the gradients of ``value_and_grad``."""
        return self.value_and_grad(*args, reduce=reduce, **kwargs)[1]

    # --- reading -------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The generated function (forward lines, then backward lines) of the latest structure.

        Where the function sums the products of two lists, the code has ``w @ x`` and
        ``dw = x * dz`` (``microgrid.static.vectorize``): what a batch runs; on floats the same
        lines run with the products written out, in the engine's order."""
        graph = self._latest()
        return (graph.vector_full or graph.full).source

    @property
    def scalar_source(self) -> str:
        """The code that runs on floats: ``f.source`` with each vector product written out
        number by number, ``w_0 * x_0 + w_1 * x_1``, in the engine's order (the same code when
        nothing was recognised). The drawing of ``f`` names its Values as this code does."""
        return self._latest().full.source

    @property
    def forward_source(self) -> str:
        """The generated forward alone: what ``f(...)`` runs."""
        return self._latest().forward.source

    def formulas(self, batch: bool = False) -> Any:
        """The derivatives as simplified formulas in the function's own names (``dz = a - y``),
        with SymPy; ``batch=True``: for the whole batch, in the course's matrix layout. See
        ``microgrid.static.formulas``."""
        from . import formulas

        return formulas.derive(self, self._latest(), batch)

    # --- graduating: the same forward in PyTorch or JAX (export.py) ---------------------

    def export(self, target: str) -> str:
        """The forward as module source for ``"torch"`` or ``"jax"``: ``f.forward_source`` line
        for line, each op in that framework, batch along axis 0. See ``microgrid.static.export``."""
        from . import export

        export.check_target(target)
        return export.export_source(self._latest().forward, target)

    def to_torch(self, device: Any = None) -> Any:
        """The forward compiled for PyTorch: a callable on tensors (see ``export``), on
        ``device``, or else where its tensor arguments are."""
        from . import export

        return export.compile_torch(self._latest().forward, device)

    def to_jax(self, device: Any = None, x64: bool = True) -> Callable[..., Any]:
        """The forward as a JAX function, for ``jax.jit`` / ``jax.grad`` / ``jax.vmap``; ``x64``
        turns on JAX's float64, microgrid's precision (see ``export.compile_jax``)."""
        from . import export

        return export.compile_jax(self._latest().forward, device, x64)

    def graph_roots(self) -> list[Value]:
        """The recorded Values: ``[output, gradient of each wrt leaf...]``, for drawing.

        A Value that ``f.source`` holds in a variable is labelled with that variable's name;
        one the code inlines into a longer line has no label."""
        graph = self._latest()
        return [graph.output, *graph.grads]

    def _latest(self) -> _Graph:
        if self._last is None:
            raise ValueError(gettext("{name} has not been traced yet: call it once, the graph "
                                     "is recorded on the first call", name=self._name))
        return self._last

    # --- arguments -----------------------------------------------------------------------

    def _prepare(self, args: tuple, kwargs: dict) -> tuple[_Graph, list, batches.Batch | None]:
        """The graph for these arguments' structure, the arguments as the generated code
        takes them, and the batch they hold (None unless ``batch=`` names some)."""
        if not kwargs and len(args) == self._simple:
            layout = self._simple_layout
            batched = self._simple_batched
            key: list[Any] = []
        else:
            layout, args = self._bind(args, kwargs)
            batched = _batched_positions(self, layout)
            key = [layout]
        values: list[Any] = []
        arrays = set()  # arrays read as lists, for a hint if the recording fails
        in_batch = {i for i, _ in batched}
        for i, a in enumerate(args):
            t = type(a)
            if i in in_batch:
                k, v = scan_batch(a, layout[i][0])
                key.append(k)
                values.append(v)
            elif t is float:
                key.append(None)
                values.append(a)
            elif t is list and only_floats(a):  # the common case first, cheaply
                key.append(len(a))
                values.append(a)  # the generated code only reads it
            else:
                k, v = scan(a, layout[i][0])
                if getattr(a, "ndim", 0) and hasattr(a, "shape"):
                    arrays.add(i)
                key.append(k)
                values.append(v)
        t = tuple(key)
        graph = self._graphs.get(t)
        batch = None
        if batched:
            batch = batches.find(values, batched)
            values = batches.columns(batch.np, values)
        if graph is None:
            sample = batches.first_sample(values) if batched else values
            try:
                graph = _Graph(self, layout, sample)
            except TypeError as err:
                raise _array_hint(err, layout, args, arrays) from err
            self._graphs[t] = graph
            if not kwargs and layout is self._simple_layout and not batched:
                graph.takes = quick_check(key) or _Graph.takes
                graph.converts = quick_convert(key)
        self._last = graph
        return graph, values, batch

    def _bind(self, args: tuple, kwargs: dict) -> tuple[tuple, list]:
        """Arguments in order, with names and whether each is passed by keyword."""
        sig = self._signature
        if sig is None:
            if kwargs:
                raise TypeError(gettext("{name}() takes positional arguments only",
                                        name=self._name))
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
        quick path that passes them to the code as they are; see ``quick_check``."""
        return False

    converts: Callable[[tuple], list | None] | None = None  # see ``quick_convert``

    def __init__(self, traced: TracedFunction, layout: tuple, sample: list) -> None:
        name = clean_name(traced._name) or "f"
        trees = [leaf_tree(v, pname) for (pname, _), v in zip(layout, sample)]
        out, local_names = _record(traced, layout, trees)
        self.wrt = _wrt_positions(traced, layout)
        wrt_leaves = [leaf for i in self.wrt for leaf in leaves(trees[i])]

        # the backward, by the engine's own rules; asking for the adjoint of every
        # intermediate node too costs nothing extra and lets the code call them dz, da ...
        forward = topological_order(out)
        inner = [v for v in forward if v._op is not None]
        adjoint = grad(out, wrt_leaves + inner, create_graph=True)  # recorded even in no_grad
        grads = adjoint[: len(wrt_leaves)]
        adjoints = {v: a for v, a in zip(inner, adjoint[len(wrt_leaves):]) if a._op is not None}

        hints: dict[Value, str] = {}
        for v in forward:  # a label names a node, if it reads as a name
            if v.label and v._op is not None and clean_name(v.label) is not None:
                hints[v] = v.label
        for local, v in local_names.items():
            if type(v) is Value and v._op is not None and v not in hints:
                hints[v] = local

        params = [(pname, tree) for (pname, _), tree in zip(layout, trees)]
        grad_trees = []
        it = iter(grads)
        for i in self.wrt:
            grad_trees.append((trees[i], shaped(trees[i], it)))
        self.layout, self.params, self.hints = layout, params, dict(hints)  # for formulas.py
        self.full: Code = generate(name, params, out, grad_trees, hints, adjoints)
        self.forward: Code = generate(name, params, out, None, hints)
        # with dot products as vectors (vectorize.py), if any: what f.source shows and a batch runs
        positions = [i for i, _ in _batched_positions(traced, layout)]
        matrices = [i for i in positions if type(trees[i]) is list
                    and len(trees[i]) > 1 and all(type(t) is Value for t in trees[i])]
        batched = {clean_name(layout[i][0]) or layout[i][0] for i in positions}
        vector = generate(name, params, out, grad_trees, hints, adjoints, batched)
        self.vector_full = vector if vector.batch else None
        vector = generate(name, params, out, None, hints, None, batched)
        self.vector_forward = vector if vector.batch else None
        self.matrices = matrices  # the batched lists, which reach the vector code as n×m arrays
        _label_as_in_code(self.full, [out, *grads], set(forward))
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
        """The readable code, compiled to run on arrays; the call form if it has a power,
        whose ``**`` would be NumPy's rather than the op's. The code with vectors, if any (see
        ``array_arguments``)."""
        fn = self._arrays[full]
        if fn is None:
            vector = self.vector_full if full else self.vector_forward
            code = vector or (self.full if full else self.forward)
            calls = code.has_power
            fn = self._arrays[full] = code.compile(batches.namespace(np, calls), calls=calls,
                                                   batch=vector is not None)
        return fn

    def array_arguments(self, batch: batches.Batch, values: list, full: bool) -> list:
        """The arguments as the array code takes them: with vectors, each batched list as one
        n×m array (one sample per column) instead of its n columns."""
        if (self.vector_full if full else self.vector_forward) is None:
            return values
        return batches.matrices(batch, values, self.matrices)


def _label_as_in_code(code: Code, roots: list[Value], forward: set[Value]) -> None:
    """Give the recorded Values the names ``f.source`` gives them, so that a drawing of the
    graph and the code read alike: a Value the name of the variable that holds it (``a``,
    ``da``, ``t1``, a parameter's name), and a gradient the code holds in no variable of its
    own (a constant) the name it is returned as. What the code inlines into a longer line
    keeps no name, and a Value already labelled keeps its label.

    Only Values this recording made are named, never the caller's: a variable holds a Value
    computed from the arguments (a Value from outside the function is a constant of the
    code), and a gradient outside the forward graph was made by ``grad``.

    The code computes equal nodes once (``1 - a`` of the loss and of σ's derivative are one
    ``t1``), so the graph is made to share them too: every use of a twin is pointed at the
    first Value of that name. Otherwise the picture shows two different nodes called ``t1``."""
    first: dict[str, Value] = {}
    twins: dict[Value, Value] = {}
    for v, name in code.variables.items():
        kept = first.setdefault(name, v)
        if kept is not v:
            twins[v] = kept
        elif not v.label:
            v.label = name
    if twins:
        for v in {v: None for root in roots for v in topological_order(root)}:
            if v._x in twins:
                v._x = twins[v._x]
            if v._y in twins:
                v._y = twins[v._y]
    for v, name in zip(roots, code.returned):
        if not v.label and v not in forward:
            v.label = name


def _record(traced: TracedFunction, layout: tuple, trees: list) -> tuple[Value, dict]:
    """Call the function on leaf Values: its output, and its local variables at return."""
    pos = [t for (_, kw), t in zip(layout, trees) if not kw]
    kws = {name: t for (name, kw), t in zip(layout, trees) if kw}
    # recording even when called inside no_grad(), in this thread only; while the function
    # runs, comparisons of Values refuse and no_grad() blocks record stop_gradient
    tracing = recorder.set(_RECORDING)
    try:
        with gradmode.enable_grad():
            out, local_names = _call_watching_locals(traced.fn, pos, kws)
    except TypeError as err:
        where = _refused_at(err)
        if where is None:
            raise
        message = BRANCH_AT if where else BRANCH
        raise TypeError(gettext(message, name=traced._name, **where)) from err
    finally:
        recorder.reset(tracing)
    if type(out) is not Value:
        if not is_number(out):
            raise TypeError(gettext("a traced function must return one scalar (a Value or a "
                                    "number); {name} returned {kind}", name=traced._name,
                                    kind=type(out).__name__))
        out = Value(out)
    return out, local_names


# the one-line refusal of a branch on a traced Value, with and without where it was
BRANCH_AT = N_(
    "data-dependent control flow can't be traced: {name} tests or compares a traced Value in "
    "{function}(), line {line} (an if, while, ==, in, <, max ...), and a static graph records "
    "one path only. Write it as one formula, e.g. y*log(a) + (1-y)*log(1-a) instead of an if "
    "on y (or relu, step, sigmoid), or keep the branch outside the traced function")
BRANCH = N_(
    "data-dependent control flow can't be traced: {name} tests or compares a traced Value (an "
    "if, while, ==, in, <, max ...), and a static graph records one path only. Write it as one "
    "formula, e.g. y*log(a) + (1-y)*log(1-a) instead of an if on y (or relu, step, sigmoid), "
    "or keep the branch outside the traced function")


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


def _refused_at(err: TypeError) -> dict[str, Any] | None:
    """If ``err`` is a Value refusing bool()/</> : {"function": "fn", "line": N} of the test
    ({} when unknown), else None.

    The function's name and line, not its file: in a notebook the file is a temporary path."""
    tb = err.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    if frames and frames[-1].tb_frame.f_code is _Recording.compared.__code__:
        frames.pop()  # raised for __eq__ / __ne__
    if not frames or frames[-1].tb_frame.f_code not in _REFUSALS:
        return None
    if len(frames) < 2:
        return {}
    caller = frames[-2]
    return {"function": caller.tb_frame.f_code.co_name, "line": caller.tb_lineno}


def _batched_positions(traced: TracedFunction, layout: tuple) -> list[tuple[int, str]]:
    """(position, name) of each argument named in ``batch=``, for this call's layout."""
    names = [name for name, _ in layout]
    out = []
    for b in traced.batch:
        if type(b) is int:
            if not -len(names) <= b < len(names):
                raise ValueError(gettext("batch: {name} has {count} arguments, no {position}",
                                         name=traced._name, count=len(names), position=b))
            b = b % len(names)
        elif b in names:
            b = names.index(b)
        else:
            raise ValueError(gettext("batch: {name} has no argument {arg} (it has {names})",
                                     name=traced._name, arg=repr(b), names=names))
        out.append((b, names[b]))
    return sorted(set(out))


def _array_hint(err: TypeError, layout: tuple, args: Any, arrays: set[int]) -> TypeError:
    """The recording's TypeError, with a word about an array that was read as a list of
    numbers (one sample's), when the function perhaps meant it as a batch of samples."""
    if not arrays:
        return err
    names = [layout[i][0] for i in sorted(arrays)]
    shapes = ", ".join(f"{layout[i][0]} {tuple(args[i].shape)}" for i in sorted(arrays))
    return TypeError(gettext("{error} (while recording, with NumPy arrays read as one sample's "
                             "lists of numbers: {shapes}; if one holds a sample per row, name "
                             "it in trace(..., batch={names}))", error=err, shapes=shapes,
                             names=repr(names)))


def _wrt_positions(traced: TracedFunction, layout: tuple) -> list[int]:
    if traced.wrt is None:
        return list(range(len(layout)))
    names = [name for name, _ in layout]
    out = []
    for w in traced.wrt:
        if type(w) is int:
            if not -len(names) <= w < len(names):
                raise ValueError(gettext("wrt: {name} has {count} arguments, no {position}",
                                         name=traced._name, count=len(names), position=w))
            out.append(w % len(names))
        elif w in names:
            out.append(names.index(w))
        else:
            raise ValueError(gettext("wrt: {name} has no argument {arg} (it has {names})",
                                     name=traced._name, arg=repr(w), names=names))
    return out


def _has_complex(result: Any) -> bool:
    if type(result) is complex:
        return True
    if type(result) is tuple or type(result) is list:
        return any(map(_has_complex, result))
    return False


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
