"""The structure of a traced function's arguments: what makes a new graph, and trees of leaves.

A traced function is recorded once per *structure* of its arguments (how many, list lengths,
nesting) and replayed for any numbers of that structure. This module reads the structure off
the arguments as a hashable key (``scan``), writes a quick check for the common case of plain
floats (``quick_check``), and handles the argument trees the recording and the code generator
walk: nested lists with a number, a leaf Value or a gradient at each leaf.

Nothing here records, generates code or computes on a batch: ``trace.py`` records,
``codegen.py`` writes the code, ``batch.py`` runs it over NumPy arrays.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..engine.ops import _to_float, is_number
from ..engine.value import Value
from ..i18n import _

Tree = Any  # a leaf (a number, a Value, an array), or a list of trees

_FLOAT = frozenset({float})
_is_float = float.__instancecheck__  # float and its subclasses, NumPy's float64 among them


def scan(x: Any, where: str) -> tuple[Any, Any]:
    """(structure key, the argument as floats and lists of floats) for an argument shared by
    every sample: a number, a (nested) list or tuple of numbers, or a NumPy array, read as the
    list of numbers it holds (a weight vector ``np.array([...])``, one sample's row ``X[0]``).

    The key is None for a number, n for a list of n numbers, a tuple of keys for any other
    list. ``where`` names the argument in error messages (``"w[2]"``).
    """
    t = type(x)
    if t is float:
        return None, x
    if t is list or t is tuple or isinstance(x, (list, tuple)):
        if only_floats(x):
            return len(x), list(x)
        if all(map(_is_float, x)):  # NumPy's float64s (list(X[0])): floats to the code
            return len(x), list(map(float, x))
        keys, values = [], []
        for i, item in enumerate(x):
            k, v = scan(item, f"{where}[{i}]")
            keys.append(k)
            values.append(v)
        flat = all(k is None for k in keys)
        return len(keys) if flat else tuple(keys), values
    if isinstance(x, float) or is_number(x):
        return None, _to_float(x, where)
    np = sys.modules.get("numpy")  # an array means NumPy is loaded already
    if np is not None and isinstance(x, np.ndarray):
        _check_dtype(x, where)
        values = x.astype(np.float64).tolist()  # Python floats: the fast float path
        return _shape_key(x.shape), values
    if t is Value:
        raise TypeError(_("{where}: pass numbers, not Values (the traced function makes its "
                          "own); use .data", where=where))
    raise TypeError(_("{where}: expected a number, a list of numbers or a NumPy array, not "
                      "{kind}", where=where, kind=t.__name__))


def scan_batch(x: Any, where: str) -> tuple[Any, Any]:
    """(structure key of one sample, the argument as a float array) for an argument named in
    ``batch=``: an array (or a list NumPy reads as one) whose first axis runs over the samples;
    the key is that of one sample, ``x[0]``."""
    import numpy as np

    if isinstance(x, Value) or is_number(x):
        raise TypeError(_("{where} is a batch (named in batch=), so it needs one row per "
                          "sample: an array of shape (m,) or (m, n), not a single {kind}",
                          where=where, kind=type(x).__name__))
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            if isinstance(x, (list, tuple)):
                raise TypeError(_("{where} is a batch (named in batch=): expected an array of "
                                  "real numbers, one row per sample, not a ragged or "
                                  "non-numeric {kind}", where=where,
                                  kind=type(x).__name__)) from None
            raise TypeError(_("{where} is a batch (named in batch=): expected an array of real "
                              "numbers, one row per sample, not {kind}", where=where,
                              kind=type(x).__name__)) from None
    _check_dtype(x, where)
    if x.ndim == 0:
        raise TypeError(_("{where} is a batch (named in batch=), so it needs one row per "
                          "sample: an array of shape (m,) or (m, n), not a 0-d array",
                          where=where))
    return _shape_key(x.shape[1:]), x


def _check_dtype(x: Any, where: str) -> None:
    if x.dtype.kind not in "biuf":
        raise TypeError(_("{where}: expected an array of real numbers, not dtype {dtype} (a "
                          "ragged list of lists makes an object array)", where=where,
                          dtype=x.dtype))


def only_floats(x: Any) -> bool:
    """Whether every item of ``x`` is a float (a flat list of numbers, as passed most often)."""
    return _FLOAT.issuperset(map(type, x))


def _shape_key(shape: tuple) -> Any:
    """The key of a list shaped like ``shape`` (see ``scan``)."""
    if not shape:
        return None
    if len(shape) == 1:
        return shape[0]
    return (_shape_key(shape[1:]),) * shape[0]


def quick_check(key: list) -> Callable[[tuple], bool] | None:
    """A check, written for one structure, that arguments are floats and flat lists of
    floats of that structure: a replay on floats costs a few microseconds, so the general
    walk over the arguments (``scan``) would be a large part of it. None for other
    structures (nested lists), which always take the general path."""
    if any(k is not None and type(k) is not int for k in key):
        return None
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


def quick_convert(key: list) -> Callable[[tuple], list | None] | None:
    """Like ``quick_check``, for numbers that are not Python floats: NumPy's float64 scalars
    (``list(X[0])`` holds them), lists and tuples of them, and 1-D float64 arrays (a row
    ``X[0]``, a weight vector). Returns the arguments as the floats and lists of floats the
    generated code runs fastest on, or None when they don't fit the structure (the general
    walk then reads them). It keeps a replay on NumPy scalars near a replay on floats."""
    if any(k is not None and type(k) is not int for k in key):
        return None
    np = sys.modules.get("numpy")
    lines = ["def convert(args):", f"    if len(args) != {len(key)}:", "        return None"]
    for i, k in enumerate(key):
        lines.append(f"    a = args[{i}]")
        if k is None:
            lines += ["    if type(a) in floatish:", f"        v{i} = float(a)"]
        else:
            lines += [f"    if type(a) is list and len(a) == {k} and floats(map(type, a)):",
                      f"        v{i} = a",  # floats already: as they are
                      f"    elif (type(a) is list or type(a) is tuple) and len(a) == {k} "
                      "and only(map(type, a)):",
                      f"        v{i} = list(map(float, a))"]
            if np is not None:
                lines += [f"    elif type(a) is ndarray and a.shape == ({k},) and a.dtype == f64:",
                          f"        v{i} = a.tolist()"]
        lines += ["    else:", "        return None"]
    lines.append(f"    return [{', '.join(f'v{i}' for i in range(len(key)))}]")
    floatish = frozenset({float} if np is None else {float, np.float64})
    ns: dict[str, Any] = {"__builtins__": {}, "type": type, "len": len, "map": map,
                          "float": float, "list": list, "tuple": tuple, "floatish": floatish,
                          "only": floatish.issuperset, "floats": _FLOAT.issuperset}
    if np is not None:
        ns.update(ndarray=np.ndarray, f64=np.dtype(np.float64))
    exec(compile("\n".join(lines) + "\n", "<microgrid.trace convert>", "exec"), ns)
    return ns["convert"]


def leaf_tree(numbers: Tree, label: str) -> Tree:
    """A leaf Value for each number, labelled by where it sits: ``w``, ``w[0]``, ``W[1][2]``."""
    if type(numbers) is list:
        return [leaf_tree(v, f"{label}[{i}]") for i, v in enumerate(numbers)]
    return Value(numbers, label=label)


def leaves(tree: Tree) -> list[Any]:
    """The leaves of a tree, depth first (iterative: trees may nest deeply)."""
    out, stack = [], [tree]
    while stack:
        t = stack.pop()
        if type(t) is list:
            stack.extend(reversed(t))
        else:
            out.append(t)
    return out


def shaped(tree: Tree, items: Iterator[Any]) -> Tree:
    """The next items, in a tree shaped like ``tree`` (the inverse of ``leaves``)."""
    if type(tree) is list:
        return [shaped(t, items) for t in tree]
    return next(items)
