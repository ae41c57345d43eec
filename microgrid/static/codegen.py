"""Turning a Value graph into straight-line Python: the static graph, written out as code.

``generate`` reads a recorded graph (a forward output and, optionally, the gradient graphs that
``grad(..., create_graph=True)`` built from it) and writes one ``def`` whose body computes every
node once, forward lines first, then backward lines, like a course's hand-written
``dz = a - y; dw1 = x1 * dz``. Each node is written with its op's ``code`` template from
``ops.OPS``: nothing here knows what an op computes, so a new op is still one entry there.

To make the code readable rather than a dump of the graph, the writer

* simplifies, with rewrites that are exact in floating point only: ``x * 1``, ``x - 0``,
  ``x / 1``, ``x ** 1`` become ``x``, ``x ** 0`` becomes 1, signs move out of products and
  cancel (``-a * -b`` is ``a * b``, ``x + -y`` is ``x - y``), and a node whose inputs are all
  numbers is computed on the spot by the op's own forward, as the engine would. ``x + 0``
  stays: for x = -0 it is 0, and the sign of a zero decides the sign of ``1 / x``;
* shares: equal nodes (same op, same inputs) are computed once, so the backward reuses the
  forward's ``a`` instead of recomputing it (the reason a static graph pays off);
* drops what no output needs, and inlines a node used once into the line that uses it;
* names: argument names, then labels and the function's local variable names, then ``d`` + name
  for a gradient (``dz``, ``dw1``), and ``t1, t2 ...`` for the rest. A label is used only if
  it reads as a name (letters, digits, spaces, ``_ . - [ ]``), cut down to ``[A-Za-z0-9_]``:
  whatever it says, it can never become code.

The same body is also written in *call form*, ``t3 = mul(t1, t2)``, where every op is its
IEEE-safe float forward: Python's own ``/`` and ``**`` raise or turn complex on floats where
IEEE says inf or nan, and the float runner falls back to this form when they do.
"""

from __future__ import annotations

import ast
import builtins
import functools
import keyword
import linecache
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from ..engine.ops import OPS
from ..engine.value import Value
from .arguments import Tree, leaves

INLINE_WIDTH = 60  # a single-use node is written inside its user's line up to this width


# --- What the generated code may call ---------------------------------------------------------


def _template_function(name: str) -> str | None:
    """The one function name a template calls ("exp" in "exp({x})"), or None for an operator."""
    op = OPS[name]
    text = op.code.format(**{k: k for k in "xy"[: op.arity]})
    found = {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
    found -= {"x", "y"}
    if len(found) > 1:
        raise ValueError(f"the code template of op {name!r} calls more than one name: {found}")
    return found.pop() if found else None


def float_namespace() -> dict[str, Any]:
    """Names for the readable code on floats: each template's function is the op's forward."""
    ns: dict[str, Any] = {"__builtins__": {}, "inf": math.inf, "nan": math.nan}
    for name, op in OPS.items():
        fn = _template_function(name)
        if fn is not None:
            ns[fn] = op.forward
    return ns


def call_namespace() -> dict[str, Any]:
    """Names for the call form: every op by its name, as its IEEE-safe float forward."""
    ns: dict[str, Any] = {"__builtins__": {}, "inf": math.inf, "nan": math.nan}
    ns.update((name, op.forward) for name, op in OPS.items())
    return ns


def array_call_namespace(np: Any) -> dict[str, Any]:
    """Names for the call form on NumPy arrays: every op by its name, as ``op.array``. Used
    for code with a power, whose ``**`` on arrays would be NumPy's, not the op's (which gives
    (-inf) ** 0.5 = inf, as on floats, where NumPy gives nan)."""
    ns: dict[str, Any] = {"__builtins__": {}, "inf": np.inf, "nan": np.nan}
    ns.update((name, functools.partial(op.array, np)) for name, op in OPS.items())
    return ns


def array_namespace(np: Any) -> dict[str, Any]:
    """Names for the readable code on NumPy arrays: each template's function is ``op.array``."""
    ns: dict[str, Any] = {"__builtins__": {}, "inf": np.inf, "nan": np.nan}
    for name, op in OPS.items():
        fn = _template_function(name)
        if fn is not None:
            ns[fn] = functools.partial(op.array, np)
    return ns


def reserved_names() -> set[str]:
    """Names the generated code doesn't use for a variable: keywords, what it calls, and
    Python's builtins (harmless there, the code runs without them, but confusing to read)."""
    names = set(keyword.kwlist) | {"inf", "nan"} | set(OPS) | set(dir(builtins))
    names |= {"dot", "total", "outer"}  # what code with vectors calls (vectorize.py)
    names.update(fn for fn in map(_template_function, OPS) if fn is not None)
    # and the modules the exported spellings call (torch, jnp, jax), so none is shadowed
    for op in OPS.values():
        for template in (op.torch, op.jax):
            names.update(re.findall(r"(?<![\w.])([A-Za-z_]\w*)\.", template))
    return names


# --- Names -------------------------------------------------------------------------------------


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_LABEL = re.compile(r"[A-Za-z0-9_ .\[\]-]*\Z")  # what a label that reads as a name is made of


def clean_name(text: str, limit: int = 24) -> str | None:
    """``text`` as a plain identifier (``"w[0]"`` -> ``"w_0"``, ``"layer 2"`` -> ``"layer_2"``),
    or None when it doesn't read as a name.

    Only text made of letters, digits, spaces, ``_ . - [ ]`` is used, and only its letters,
    digits and single underscores are kept: whatever a label says (quotes, newlines,
    ``__import__(...)``) it can never become code.
    """
    if not _LABEL.match(text):  # quotes, parentheses, newlines ...: not a name, whatever it is
        return None
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    if len(name) > limit or not _IDENTIFIER.match(name):
        return None
    return name


class _Names:
    """Hands out unique variable names, never a reserved one."""

    def __init__(self, reserved: set[str]) -> None:
        self.used = set(reserved)
        self.count = 0

    def take(self, wanted: str) -> str:
        name = wanted
        if keyword.iskeyword(name) or name in self.used:
            name = wanted + "_"
            i = 2
            while name in self.used:
                name = f"{wanted}_{i}"
                i += 1
        self.used.add(name)
        return name

    def temp(self) -> str:
        while True:
            self.count += 1
            name = f"t{self.count}"
            if name not in self.used:
                self.used.add(name)
                return name


# --- The graph, simplified -------------------------------------------------------------------


class _Node:
    """One computed quantity of the program: an op and its inputs (nodes or float constants)."""

    __slots__ = ("op", "args", "index", "uses", "name", "hint", "text", "call", "forward",
                 "sources", "vectors")

    def __init__(self, op: str, args: tuple, index: int) -> None:
        self.op = op  # an OPS name, or "arg" for a parameter
        self.args = args
        self.index = index  # creation order, which is a topological order
        self.uses = 0
        self.name: str | None = None  # set when the node gets a line of its own (or is an arg)
        self.hint: str | None = None  # a wanted name: a label or a local variable's name
        self.text = ""  # how the readable code refers to it: its name, or its inlined expression
        self.call = ""  # the same, in call form
        self.forward = False  # computed on the way to the output (else only for gradients)
        self.sources = 0
        self.vectors: tuple[str, ...] = ()  # a "dot" or "outer" node's list arguments (vectorize)


Operand = Any  # a _Node or a float


class _Builder:
    """Rebuilds a Value graph as ``_Node``s, simplifying and sharing as it goes."""

    def __init__(self) -> None:
        self.nodes: list[_Node] = []
        self.table: dict[tuple, _Node] = {}
        self.of: dict[Value, Operand] = {}  # Value -> what it became

    def arg(self, leaf: Value) -> _Node:
        node = _Node("arg", (), len(self.nodes))
        self.nodes.append(node)
        self.of[leaf] = node
        return node

    def add_graph(self, root: Value, forward: bool = False) -> None:
        from ..engine.autograd import topological_order

        of = self.of
        for v in topological_order(root):
            if v in of:
                continue
            if v._op is None:  # a leaf that isn't an argument: a constant of the function
                of[v] = v.data
            else:
                args = tuple(of[i] if type(i) is Value else float(i) for i in v.inputs)
                node = of[v] = self.make(v.op, args)
                if forward and type(node) is _Node:
                    node.sources += 1  # forward Values that became this node

    def make(self, op: str, args: tuple) -> Operand:
        """The node ``op(*args)``, simplified; an existing node when an equal one exists."""
        if all(type(a) is float for a in args):
            return OPS[op].forward(*args)  # a constant: computed now, as the engine would
        x = args[0]
        y = args[1] if len(args) > 1 else None
        make = self.make
        # Only rewrites that are exact in floating point: the code computes what the engine does.
        if op == "neg":
            if _is_neg(x):  # --a = a
                return x.args[0]
        # Zeros are signed: x + 0 is 0 for x = -0, and 0 - x is 0 for x = 0, so only the zero
        # that gives x back for every x (-0 added, 0 subtracted) is dropped. 1 / x, log and **
        # tell -0 from 0, so a wrong sign can turn an inf around.
        elif op == "add":
            if _is(x, -0.0):
                return y
            if _is(y, -0.0):
                return x
            if _is_neg(y):  # a + -b = a - b
                return make("sub", (x, y.args[0]))
            if _is_neg(x):  # -a + b = b - a
                return make("sub", (y, x.args[0]))
        elif op == "sub":
            if _is(y, 0.0):
                return x
            if _is(x, -0.0):
                return make("neg", (y,))
            if _is_neg(y):  # a - -b = a + b
                return make("add", (x, y.args[0]))
            # (not -a - b = -(a + b): for a = -b, the first is 0 and the second -0)
        elif op == "mul" or op == "div":
            if _is(y, 1.0):
                return x
            if op == "mul":
                if _is(x, 1.0):
                    return y
                if _is(x, -1.0):
                    return make("neg", (y,))
                if _is(y, -1.0):
                    return make("neg", (x,))
            # a sign moves out of a product or quotient (into a number, if there is one):
            # -a * b = -(a * b), so that signs meet and cancel: -a * -b = a * b
            if _is_neg(x):
                if type(y) is float:
                    return make(op, (x.args[0], -y))
                return make("neg", (make(op, (x.args[0], y)),))
            if _is_neg(y):
                if type(x) is float:
                    return make(op, (-x, y.args[0]))
                return make("neg", (make(op, (x, y.args[0])),))
        elif op == "pow":
            if _is(y, 1.0):
                return x
            if type(y) is float and y == 0.0:  # x ** ±0 is 1 for every x, inf and nan too
                return 1.0
        elif op == "gate" and type(y) is float:  # a number test: decided once for all calls
            return x if y != 0.0 else 0.0
        if op == "add" and type(y) is float and y < 0:  # a + -2 = a - 2
            return make("sub", (x, -y))
        if op == "sub" and type(y) is float and y < 0:  # a - -2 = a + 2
            return make("add", (x, -y))
        key = (op, *(a if type(a) is _Node else repr(a) for a in args))
        node = self.table.get(key)
        if node is None:
            node = self.table[key] = _Node(op, args, len(self.nodes))
            self.nodes.append(node)
        return node


def _is(a: Operand, number: float) -> bool:
    """Whether ``a`` is the float ``number``, with the same sign if both are zeros."""
    return (type(a) is float and a == number
            and math.copysign(1.0, a) == math.copysign(1.0, number))


def _is_neg(a: Operand) -> bool:
    return type(a) is _Node and a.op == "neg"


def literal(x: float, as_float: bool = False) -> str:
    """A float as Python source: ``0.1``, the names ``inf``/``nan``, and ``2`` for 2.0 inside an
    expression (where the other operand is a float already) unless ``as_float``."""
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    negative_zero = x == 0 and math.copysign(1.0, x) < 0
    if not as_float and x.is_integer() and abs(x) < 1e16 and not negative_zero:
        return str(int(x))
    return repr(x)


# --- Writing it out ---------------------------------------------------------------------------


class Code(NamedTuple):
    """A generated function: readable source, its call form, and the def's name.

    ``variables`` maps each Value of the graph that became a parameter or a line of the code
    to that variable (by exact rewrites only, so it holds exactly the Value's number), and
    ``returned`` names the variables returned: the output's, then each gradient's. A Value
    inlined into a longer line, or simplified into a constant, has no variable.
    """

    name: str
    source: str
    calls: str
    variables: dict[Value, str]
    returned: tuple[str, ...]
    # the same function with every op spelled by another field of the op table: see generate
    spelled: Callable[..., str] | None = None
    # with vectors (vectorize.py): the code a batch runs, list arguments as n×chunk arrays
    batch: str = ""

    @property
    def has_power(self) -> bool:
        """Whether the readable code uses ``**``: on floats, the one Python operator that can
        turn a real number complex ((-8.0) ** (1/3)) rather than raise."""
        return any(isinstance(n, ast.Pow) for n in ast.walk(ast.parse(self.source)))

    def compile(self, namespace: dict[str, Any], calls: bool = False,
                batch: bool = False) -> Callable[..., Any]:
        """The function, compiled once and run in ``namespace`` (see the ``*_namespace``);
        ``batch``: the batch form of code with vectors, readable or in ``calls`` form."""
        source = self.calls if calls else self.batch if batch else self.source
        filename = f"<microgrid.trace {self.name}{' calls' if calls else ''} {id(self):x}>"
        # registered so that a traceback through generated code shows its lines
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        ns = dict(namespace)
        exec(compile(source, filename, "exec"), ns)
        return ns[self.name]


def generate(name: str, params: list[tuple[str, Tree]], output: Value,
             grads: list[tuple[Tree, Tree]] | None = None,
             hints: dict[Value, str] | None = None,
             adjoints: dict[Value, Value] | None = None,
             batched: set[str] | None = None) -> Code:
    """Write ``def name(params): ...`` computing ``output`` (and ``grads``) as straight-line code.

    ``params`` are the parameters in order, each a name and its tree of leaf Values (a Value,
    or a list for a list argument; a leaf's label names it). ``grads`` lists, for each
    parameter whose gradient is returned, its tree and the same-shaped tree of gradients
    (Values or floats); the function then returns ``output, (gradient trees...)`` instead of
    ``output``. ``hints`` suggests names for Values (labels, local variable names);
    ``adjoints`` maps a forward Value to its adjoint (d output/d Value, a Value), so that the
    adjoint of ``z`` is called ``dz``. ``batched``, if given, turns on the vectors of
    ``vectorize.py`` (dot products, vector gradients), for a batch whose list arguments named in
    ``batched`` hold one sample per column; the code then takes list arguments as arrays.
    """
    hints = hints or {}
    adjoints = adjoints or {}
    if name in reserved_names():  # a def named sigmoid would shadow the sigmoid it calls
        name += "_"
    build = _Builder()
    for _, tree in params:
        for leaf in leaves(tree):
            build.arg(leaf)
    build.add_graph(output, forward=True)
    for node in build.nodes:  # forward: everything the output's graph produced
        node.forward = True
    for _, gtree in grads or ():
        for g in leaves(gtree):
            if type(g) is Value:
                build.add_graph(g)
    for v, text in hints.items():
        node = build.of.get(v)
        if type(node) is _Node and node.hint is None and node.op != "arg":
            node.hint = text

    # the results, each with the name it should have: the output, then d<leaf> per gradient
    out = build.of[output]
    results: list[tuple[Operand, str]] = [(out, hints.get(output) or "out")]
    for ptree, gtree in grads or ():
        for leaf, g in zip(leaves(ptree), leaves(gtree)):
            results.append((build.of[g] if type(g) is Value else float(g), "d" + leaf.label))
    returned_trees = [ptree for ptree, _ in grads or ()]
    if batched is not None:
        results, returned_trees = _vectorize(build, params, grads or [], results, batched)
    live = _count_uses(o for o, _ in results)
    names = _Names(reserved_names() | {name})

    # parameters keep their names; leaves of a list parameter are unpacked ("w[0]" -> w_0)
    unpacked: list[tuple[str, str, list]] = []  # (targets, list parameter, its tree)
    signature = []
    for pname, tree in params:
        pname = names.take(clean_name(pname) or "arg")
        signature.append(pname)
        if type(tree) is Value:
            build.of[tree].name = pname
        else:
            unpacked += _unpack(tree, pname, build, names)
    if batched is not None:  # an unpacking line only where a number of the list is read
        alive = {id(n) for n in live}
        needed: set[str] = set()  # the unpacked names whose own lines are kept
        kept_lines = []
        for targets, source, tree in reversed(unpacked):  # (a list's rows come after it)
            rows = [t for t, leaf in zip(targets.strip("[]").split(", "), tree)
                    if type(leaf) is list]
            if any(id(build.of[leaf]) in alive for leaf in tree if type(leaf) is Value) or \
                    any(r in needed for r in rows):
                needed.add(source)
                kept_lines.append((targets, source, tree))
        unpacked = kept_lines[::-1]
    head = [f"{targets} = {source}" for targets, source, _ in unpacked]
    for leaf in (leaf for _, tree in params for leaf in leaves(tree)):
        node = build.of[leaf]
        node.text = node.call = node.name
    if batched is not None:  # vectors name their list arguments as the signature does
        renamed = {clean_name(p) or p: s for (p, _), s in zip(params, signature)}

        def rename(v: str) -> str:  # "w" or a row "W[0]"
            base, bracket, rest = v.partition("[")
            return renamed.get(base, base) + bracket + rest

        for n in live:
            if n.op == "dot":
                n.vectors = tuple(map(rename, n.vectors))
            elif n.op == "outer":
                n.vectors = (rename(n.vectors[0]), n.vectors[1])

    # names first for what the user named (labels, locals), so gradients can be d<name>
    for n in live:
        if n.hint is not None and clean_name(n.hint) is None:
            n.hint = None
        if n.forward and n.hint is not None and n.op != "arg":
            n.name = names.take(clean_name(n.hint))
    adjoint_of = _adjoint_names(adjoints, build, live)

    # a line of its own for: results, nodes used twice, named nodes and their gradients,
    # forward nodes the backward reads (the point of sharing); the rest is inlined
    feeds_backward = {id(a) for n in live if not n.forward for a in n.args}
    result_ids = {id(o) for o, _ in results}
    lines = [n for n in live if n.op != "arg" and (
        n.uses > 1 or n.name is not None or n.hint is not None or id(n) in result_ids
        or id(n) in adjoint_of or (n.forward and id(n) in feeds_backward))]
    own = {id(n) for n in lines}

    # then the output, gradients d<name> or d<argument>, and temporaries for the rest
    if type(out) is _Node and out.op != "arg" and out.name is None:
        out.name = names.take(clean_name(results[0][1]) or "out")
    named_for: dict[int, int] = {}  # node -> the result it was named after
    first_result: dict[int, int] = {}
    for i, (o, _) in enumerate(results[1:], 1):
        first_result.setdefault(id(o), i)
    for n in lines:
        if n.name is None and not n.forward:
            base = adjoint_of.get(id(n))
            if base is None:
                i = first_result.get(id(n))
                if i is not None:
                    named_for[id(n)] = i
                    base = results[i][1]
                else:
                    base = n.hint
            if base is not None:
                n.name = names.take(clean_name(base) or "t")

    # the expressions, in creation order (a topological order)
    readable: list[tuple[bool, str]] = []
    calls: list[tuple[bool, str]] = []
    for n in live:
        if n.op == "arg":
            continue
        text, call = _render(n)
        if n.name is None and (id(n) in own or len(text) > INLINE_WIDTH):  # (or too long)
            n.name = names.temp()  # numbered in the order the lines come
        if n.name is None:
            n.text, n.call = text, call
        else:
            readable.append((n.forward, f"{n.name} = {text}"))
            calls.append((n.forward, f"{n.name} = {call}"))
            n.text = n.call = n.name

    # each result a variable of its own name: an alias line where it is another node or a number
    returned: list[str] = []
    aliases: list[tuple[bool, str]] = []
    for i, (o, want) in enumerate(results):
        if type(o) is _Node and (i == 0 or named_for.get(id(o)) == i) and o.op != "arg":
            returned.append(o.name)
            continue
        var = names.take(clean_name(want) or "out")
        line = f"{var} = {o.name if type(o) is _Node else literal(o, as_float=True)}"
        readable.append((i == 0, line))
        calls.append((i == 0, line))
        aliases.append((i == 0, line))
        returned.append(var)
    if grads:
        rest = iter(returned[1:])
        trees = [_fill(ptree, rest) for ptree in returned_trees]
        ret = f"return {returned[0]}, ({', '.join(trees)}{',' if len(trees) == 1 else ''})"
    else:
        ret = f"return {returned[0]}"

    def body(rendered: list[tuple[bool, str]], head: list[str] = head) -> str:
        lines = head + [line for fwd, line in rendered if fwd]
        if grads:
            lines += ["# backward", *(line for fwd, line in rendered if not fwd)]
        lines.append(ret)
        return f"def {name}({', '.join(signature)}):\n" + "".join(f"    {s}\n" for s in lines)

    def spelled(field: str, unpack: Callable[[str, list], str] | None = None) -> str:
        """The same function, line for line and name for name, with each op written by the op
        table's ``field`` template (``"torch"``, ``"jax"``) instead of ``code``; ``unpack``
        spells the right side of a list parameter's unpacking line (default: the name)."""
        texts: dict[int, str] = {}
        rendered: list[tuple[bool, str]] = []
        for n in live:
            if n.op == "arg":
                texts[id(n)] = n.name or ""
                continue
            args = [texts[id(a)] if type(a) is _Node else literal(a) for a in n.args]
            if n.vectors:
                text = _vector_text(n, args, field)
            else:
                text = _fill_template(getattr(OPS[n.op], "code" if field == "batch" else field),
                                      args)
            if n.name is None:
                texts[id(n)] = text
            else:
                rendered.append((n.forward, f"{n.name} = {text}"))
                texts[id(n)] = n.name
        top = [f"{targets} = {unpack(source, tree) if unpack else source}"
               for targets, source, tree in unpacked]
        return body(rendered + aliases, top)

    # a node has a name exactly when it is a parameter or has a line of its own
    variables = {v: n.name for v, n in build.of.items() if type(n) is _Node and n.name}
    vectors = batched is not None and any(n.vectors for n in live)
    batch = spelled("batch") if vectors else ""  # "": nothing recognised
    return Code(name, body(readable), body(calls), variables, tuple(returned), spelled, batch)


def _vectorize(build: _Builder, params: list[tuple[str, Tree]], grads: list[tuple[Tree, Tree]],
               results: list[tuple[Operand, str]],
               batched: set[str]) -> tuple[list[tuple[Operand, str]], list[Tree]]:
    """The dot products and vector gradients of ``vectorize.py``, found in ``build``: the
    results with each vector gradient one result (``dw``), and the trees to return them in."""
    from . import vectorize

    lists = {}
    for pname, tree in params:
        name = clean_name(pname) or pname
        if type(tree) is list and len(tree) > 1 and all(type(t) is Value for t in tree):
            lists[name] = [build.of[leaf] for leaf in tree]
        elif type(tree) is list and name not in batched:  # a matrix's rows: W[0] @ x
            for r, row in enumerate(tree):
                if type(row) is list and len(row) > 1 and all(type(t) is Value for t in row):
                    lists[f"{name}[{r}]"] = [build.of[leaf] for leaf in row]

    def node(op: str, args: tuple, index: float) -> _Node:
        return _Node(op, args, index)  # type: ignore[arg-type]

    if not lists:
        return results, [ptree for ptree, _ in grads]
    vectorize.recognise(build, lists, batched, [o for o, _ in results], node)
    kept = results[:1]
    trees: list[Tree] = []
    at = 1
    last = max(n.index for n in build.nodes) + 1
    for ptree, _ in grads:
        pname = next(name for name, tree in params if tree is ptree)
        count = len(leaves(ptree))
        mine = results[at: at + count]
        at += count
        name = clean_name(pname) or pname
        # the whole list, or each row of a list of lists: (its key in lists, its leaves' results)
        parts = [(name, mine)]
        if name not in lists and type(ptree) is list:
            parts, i = [], 0
            for r, row in enumerate(ptree):
                size = len(leaves(row)) if type(row) is list else 1
                parts.append((f"{name}[{r}]" if type(row) is list else "", mine[i: i + size]))
                i += size
        tree: list[Tree] = []
        for key, part in parts:
            v = None
            if key in lists:
                at_first = min((o.index for o, _ in part if type(o) is _Node), default=last)
                v = vectorize.gradient([o for o, _ in part], lists, key, batched, node,
                                       at_first)
            if v is None:
                kept += part
                tree.append(ptree if len(parts) == 1 else ptree[len(tree)])
            else:
                kept.append((v, "d" + (clean_name(key) or key)))
                tree.append(None)  # one array: one name returned
        trees.append(tree[0] if len(parts) == 1 else tree)
    return kept, trees


def _vector_text(node: _Node, texts: list[str], field: str) -> str:
    """A ``dot`` or ``outer`` node (see vectorize.py) as readable code (``field`` "code"), as
    the batch runs it ("batch"), or in call form ("calls")."""
    if node.op == "dot":
        p, q, shared, other = node.vectors
        if field == "code":
            return f"{p} @ {q}"
        return f"{shared} @ {other}" if field == "batch" else f"dot({shared}, {other})"
    q, mode = node.vectors
    s = texts[-1]
    if field == "code":
        return _fill_template("{x} * {y}", [q, s])
    if mode == "each":  # neither varies per sample: the numbers one by one
        return "[" + ", ".join(_fill_template("{x} * {y}", [t, s]) for t in texts[:-1]) + "]"
    if mode == "mul":
        return _fill_template("{x} * {y}", [q, s]) if field == "batch" else f"mul({q}, {s})"
    return f"{mode}({q}, {s})"


def _unpack(tree: list, source: str, build: _Builder,
            names: _Names) -> list[tuple[str, str, list]]:
    """Lines unpacking a list parameter into its leaves, one level a line: ``w_0, w_1 = w``, and
    for a list of lists ``W_0, W_1 = W`` then ``W_0_0, W_0_1 = W_0`` ..., each as (targets,
    source, the source's tree)."""
    targets, inner = [], []
    for i, t in enumerate(tree):
        if type(t) is list:
            name = names.take(clean_name(f"{source}[{i}]") or "arg")
            inner.append((t, name))
        else:
            name = build.of[t].name = names.take(clean_name(t.label) or "arg")
        targets.append(name)
    lhs = ", ".join(targets) if len(targets) > 1 else f"[{targets[0]}]" if targets else "[]"
    lines = [(lhs, source, tree)]
    for t, name in inner:
        lines += _unpack(t, name, build, names)
    return lines


def _fill(tree: Tree, names: Any) -> str:
    if type(tree) is list:
        return f"[{', '.join(_fill(t, names) for t in tree)}]"
    return next(names)


def _count_uses(roots: Any) -> list[_Node]:
    """The nodes the roots need, in creation order, with ``uses`` counted (dead code dropped)."""
    seen: dict[int, _Node] = {}
    stack = [r for r in roots if type(r) is _Node]
    for r in stack:
        r.uses += 1
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        for a in node.args:
            if type(a) is _Node:
                a.uses += 1
                if id(a) not in seen:
                    stack.append(a)
    return sorted(seen.values(), key=lambda n: n.index)


def _adjoint_names(adjoints: dict[Value, Value], build: _Builder,
                   live: list[_Node]) -> dict[int, str]:
    """For backward nodes that are the adjoint of a named forward node: ``"d" + that name``.

    Walked from the output down, so when ``z = u + b`` passes its adjoint on unchanged to
    ``u``, the shared node is ``dz``, as on paper.
    """
    out: dict[int, str] = {}
    alive = {id(n) for n in live}
    for fv, av in reversed(list(adjoints.items())):
        f, a = build.of.get(fv), build.of.get(av)
        # only a node that is this one Value (not also others, merged or simplified into it)
        # has this Value's adjoint as its gradient
        if type(f) is not _Node or f.op == "arg" or f.sources != 1:
            continue
        if type(a) is _Node and not a.forward and id(a) in alive:
            if f.name is not None and id(a) not in out:
                out[id(a)] = "d" + f.name
    return out


def _fill_template(template: str, texts: list[str]) -> str:
    """An op's template with its operands filled in, parenthesized only where needed."""
    fields = dict(zip("xy", (f"({t})" for t in texts)))
    return ast.unparse(ast.parse(template.format(**fields), mode="eval"))


def _render(node: _Node) -> tuple[str, str]:
    """The node's expression: from its op's template (readable) and as ``op(args)`` (calls)."""
    args = node.args
    texts = [a.text if type(a) is _Node else literal(a) for a in args]
    if node.vectors:
        calls = [a.call if type(a) is _Node else literal(a) for a in args]
        return _vector_text(node, texts, "code"), _vector_text(node, calls, "calls")
    readable = _fill_template(OPS[node.op].code, texts)
    calls = ", ".join(a.call if type(a) is _Node else literal(a) for a in args)
    return readable, f"{node.op}({calls})"
