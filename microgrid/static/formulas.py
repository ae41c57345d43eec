"""A traced function's derivatives as the course writes them: ``dz = a - y``, ``dw = x*dz``.

``f.formulas()`` reads the recorded graph and writes each quantity the function named (its
local variables and labels: ``z``, ``a``; the output is ``L`` unless named) as a formula in the
quantities before it, then derives the gradient of the output by the chain rule *over those
named quantities*, one step at a time, and simplifies each with SymPy (an optional extra:
``pip install sympy``, or the ``formulas`` extra). The rules:

* a named quantity stays a name: σ'(z) is written ``a*(1 - a)`` where ``a = σ(z)``, because
  each local derivative has its own quantity substituted back (``σ(z)`` becomes ``a``);
* the gradient of a named quantity N is written two ways, in the gradients of its users
  (``dz = a*(1 - a)*da``, one chain-rule step) and in the forward quantities alone
  (``dz = a - y``), each simplified; the shorter is shown (by SymPy's ``count_ops``; a tie goes
  to the one without gradients), so ``dz = a - y`` but ``dw_0 = x_0*dz`` and ``db = dz``;
* the gradients are those of the arguments ``value_and_grad`` differentiates, except the ones
  named in ``batch=`` (the data, x and y): the parameters';
* vectors where the code has vectors: when the list arguments p and q (of one length n, or a
  row of a list of lists: ``W1[0]``, written ``W1_0``) meet
  as ``p_0*q_0 + ... + p_(n-1)*q_(n-1)`` in a formula, it is written ``pᵀq``, and when every
  ``dp_j`` is the same formula with index j, one line ``dp = ...`` stands for all of them.

``f.formulas(batch=True)`` writes the same formulas for m samples in the course's layout: a
batched argument x of n numbers per sample becomes X, an n×m matrix with one sample per
*column* (the transpose of what ``batch=`` takes, one per row), a per-sample quantity z a 1×m
row Z, the cost J = (1/m)·Σ L, and a parameter's gradient the mean of its per-sample ones:
``db = (1/m)·Σ dZ``, and ``dw = (1/m)·X·dZᵀ`` where every ``dw_j`` is ``x_j`` times one
per-sample quantity. ``.evaluate(...)`` computes those very formulas with NumPy, so they can be
checked against ``value_and_grad``.
"""

from __future__ import annotations

import functools
import math
import types
from typing import Any

from ..engine.ops import OPS
from ..engine.value import Value
from ..i18n import N_, gettext
from .arguments import leaves
from .codegen import clean_name

INSTALL = N_("f.formulas() needs SymPy, an optional extra: python -m pip install sympy")

_FUNCTIONS: dict[str, Any] | None = None


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        raise ImportError(gettext(INSTALL)) from None
    return sympy


def functions() -> dict[str, Any]:
    """The ops SymPy has no function for (sigmoid, relu, step, stop_gradient), as SymPy
    functions whose derivative is the op's rule: σ' = σ(1 − σ), relu' = step, step' = 0."""
    global _FUNCTIONS
    if _FUNCTIONS is not None:
        return _FUNCTIONS
    sp = _sympy()

    class sigmoid(sp.Function):  # noqa: N801  (printed as σ)
        def fdiff(self, argindex: int = 1) -> Any:
            s = sigmoid(self.args[0])
            return s * (1 - s)

        def _sympystr(self, printer: Any) -> str:
            return f"σ({printer._print(self.args[0])})"

        def _latex(self, printer: Any, exp: Any = None) -> str:
            text = rf"\sigma\left({printer._print(self.args[0])}\right)"
            return text if exp is None else rf"{text}^{{{exp}}}"

    class step(sp.Function):  # noqa: N801
        def fdiff(self, argindex: int = 1) -> Any:
            return sp.Integer(0)

    class relu(sp.Function):  # noqa: N801
        def fdiff(self, argindex: int = 1) -> Any:
            return step(self.args[0])

    class stop_gradient(sp.Function):  # noqa: N801
        def fdiff(self, argindex: int = 1) -> Any:
            return sp.Integer(0)

    _FUNCTIONS = {"sigmoid": sigmoid, "step": step, "relu": relu,
                  "stop_gradient": stop_gradient}
    return _FUNCTIONS


def numpy_functions(np: Any) -> dict[str, Any]:
    """The same functions on NumPy arrays, for evaluating formulas: the op table's own."""
    return {name: functools.partial(OPS[name].array, np) for name in functions()}


def number(x: float) -> Any:
    """A float as SymPy reads it best: 3 as 3, 0.5 as 1/2, anything else as the float."""
    sp = _sympy()
    if math.isfinite(x) and x.is_integer():
        return sp.Integer(int(x))
    if math.isfinite(x):
        r = sp.Rational(x).limit_denominator(1000)
        if float(r) == x:
            return r
    return sp.Float(x)


def expression(op: str, args: list[Any]) -> Any:
    """``op`` applied to SymPy expressions: the op table's ``sympy`` form."""
    form = OPS[op].sympy
    if form is None:
        raise ValueError(gettext("formulas: no SymPy form for the op {op}", op=repr(op)))
    sp = _sympy()
    return form(types.SimpleNamespace(exp=sp.exp, log=sp.log, tanh=sp.tanh, **functions()),
                *args)


# --- the result --------------------------------------------------------------------------------


class Formulas:
    """Formulas, one a line: text (``str``), Markdown and LaTeX, and SymPy (``.sympy``).

    ``lines`` holds ``(name, text, latex)`` per line; ``sympy`` maps each name the text shows
    (``z``, ``a``, ``L``, ``dz``, ``dw``, ``db`` ...) to its SymPy expression, in symbols named
    as the text names them (a vector line's as a column ``Matrix`` of its components ``x_0``
    ...); ``note`` says what the symbols mean, when that needs saying."""

    def __init__(self, lines: list[tuple[str, str, str]], sympy: dict[str, Any],
                 note: str = "", steps: list | None = None, inputs: Any = None) -> None:
        self.lines = lines
        self.sympy = sympy
        self.note = note
        self._steps = steps
        self._inputs = inputs

    def to_text(self) -> str:
        head = [f"# {self.note}"] if self.note else []
        return "\n".join(head + [f"{name} = {text}" for name, text, _ in self.lines])

    def to_latex(self) -> str:
        rows = " \\\\\n".join(f"{_latex_name(name)} &= {tex}" for name, _, tex in self.lines)
        return "\\begin{aligned}\n" + rows + "\n\\end{aligned}"

    def to_markdown(self) -> str:
        head = f"{self.note}\n\n" if self.note else ""
        return f"{head}$$\n{self.to_latex()}\n$$"

    __str__ = to_text

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return f"$${self.to_latex()}$$"

    def evaluate(self, *args: Any) -> dict[str, Any]:
        """The batch formulas computed with NumPy on the traced function's arguments (given
        as to ``value_and_grad``, one sample per row): each line's name to its value."""
        if self._steps is None:
            raise ValueError(gettext("evaluate() computes the batch formulas: "
                                     "f.formulas(batch=True)"))
        return _evaluate(self._steps, self._inputs, args)


def _latex_name(name: str) -> str:
    sp = _sympy()
    return sp.latex(sp.Symbol(name))


# --- printing ----------------------------------------------------------------------------------


def _is_gradient(s: Any) -> bool:
    return getattr(s, "is_Symbol", False) and s.name.startswith("d") and len(s.name) > 1


def _printers() -> tuple[Any, Any]:
    """Printers that write a product's gradient factor last (``x*dz``, as the course does)."""
    sp = _sympy()
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.str import StrPrinter

    def arranged(expr: Any) -> Any:
        factors = sorted(expr.args, key=lambda f: (not f.is_Number, _is_gradient(f)))
        return sp.Mul(*factors, evaluate=False)

    class Arranged:
        """A product holding a gradient is printed in the order arranged() gives it."""

        _settings: dict[str, Any]

        def _print_Mul(self, expr: Any) -> str:
            if not any(_is_gradient(f) for f in expr.args):
                return super()._print_Mul(expr)  # type: ignore[misc]
            order, self._settings["order"] = self._settings["order"], "none"
            try:
                return super()._print_Mul(arranged(expr))  # type: ignore[misc]
            finally:
                self._settings["order"] = order

    class Text(Arranged, StrPrinter):
        pass

    class Latex(Arranged, LatexPrinter):
        pass

    return Text(), Latex({"mul_symbol": "dot"})


def _show(expr: Any, words: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(text, LaTeX) of an expression; ``words`` spells placeholder symbols (``wᵀx``)."""
    text_printer, latex_printer = _printers()
    text, tex = text_printer.doprint(expr), latex_printer.doprint(expr)
    for key, (t, x) in words.items():
        text = text.replace(key, t)
        tex = tex.replace(latex_printer.doprint(_sympy().Symbol(key)), x)
    return text, tex


# --- deriving ----------------------------------------------------------------------------------


class _Derivation:
    """The per-sample formulas of one recorded graph: named quantities and their gradients."""

    def __init__(self, traced: Any, graph: Any) -> None:
        from .trace import _batched_positions

        sp = _sympy()
        self.sp = sp
        batched_names = {name for _, name in _batched_positions(traced, graph.layout)}
        self.sym: dict[Value, Any] = {}
        self.taken: set[str] = set()
        self.vectors: list[tuple[str, list[Any]]] = []  # flat list arguments: name, symbols
        self.batched: set[Any] = set()  # the symbols of the data (batch= arguments)
        params: list[Any] = []  # the symbols whose gradients are shown, in argument order
        wrt = set(graph.wrt)
        for i, (pname, tree) in enumerate(graph.params):
            pname = clean_name(pname) or f"arg{i}"
            self.taken.add(pname)
            if type(tree) is Value:
                symbols = [self._symbol(tree, pname)]
            else:
                symbols = [self._symbol(leaf, clean_name(leaf.label) or pname)
                           for leaf in leaves(tree)]
                if all(type(t) is Value for t in tree) and len(tree) > 1:
                    self.vectors.append((pname, symbols))
                for r, row in enumerate(tree):  # a matrix's rows: a layer's weights W[r]
                    if type(row) is list and len(row) > 1 and all(type(t) is Value
                                                                   for t in row):
                        name = clean_name(f"{pname}[{r}]") or f"{pname}_{r}"
                        self.vectors.append((name, [self.sym[leaf] for leaf in row]))
            if pname in batched_names:
                self.batched.update(symbols)
            elif i in wrt:
                params += symbols

        # the forward: each named Value a symbol and its formula in the quantities before it
        out = graph.output
        self.named: list[tuple[Any, Any]] = []  # (symbol, formula), in topological order
        for v in _in_reading_order(out):
            if v in self.sym:
                continue
            if v._op is None:
                self.sym[v] = number(float(v.data))
                continue
            e = expression(v.op, [self.sym[i] if type(i) is Value else number(float(i))
                                  for i in v.inputs])
            hint = graph.hints.get(v)
            name = clean_name(hint) if hint else None
            if v is out:
                name = name or "L"
            if name is None:
                self.sym[v] = e
                continue
            s = sp.Symbol(self._unique(name))
            self.named.append((s, e))
            self.sym[v] = s
        if not self.named or self.named[-1][0] != self.sym[out]:  # the output is an argument
            s = sp.Symbol(self._unique("L"))
            self.named.append((s, self.sym[out]))
        self.output = self.named[-1][0]
        formula = dict(self.named)

        # what each quantity depends on, to show only the gradients on a path to a parameter
        depends: dict[Any, set] = {}
        for s, e in self.named:
            d = set()
            for f in e.free_symbols:
                d |= depends.get(f, {f})
            depends[s] = d
        wanted = set(params)

        # the backward, one chain-rule step per named quantity, from the output down
        self.full: dict[Any, Any] = {self.output: sp.Integer(1)}  # in forward quantities
        self.shown: dict[Any, Any] = {self.output: sp.Integer(1)}  # what a user's line reads
        self.grads: list[tuple[Any, Any, Any]] = []  # (of symbol, gradient symbol, formula)
        users = [(s, formula[s]) for s, _ in self.named]
        order = [s for s, _ in reversed(self.named[:-1])] + params
        for s in order:
            step, full = sp.Integer(0), sp.Integer(0)
            for u, e in users:
                if s in e.free_symbols:
                    local = sp.diff(e, s).subs(e, u)
                    step += self.shown[u] * local
                    full += self.full[u] * local
            full = sp.simplify(full)
            step = sp.simplify(step)
            chosen = full if sp.count_ops(full) <= sp.count_ops(step) else step
            self.full[s] = full
            g = sp.Symbol(self._unique("d" + s.name))
            self.shown[s] = chosen if chosen.is_Number else g
            if s in wanted or (s in depends and depends[s] & wanted):
                self.grads.append((s, g, chosen))
        # gradients in the order the course writes them: dz before dw
        self.grads.sort(key=lambda t: t[0] in wanted)

    def _symbol(self, leaf: Value, name: str) -> Any:
        s = self.sp.Symbol(name)
        self.sym[leaf] = s
        self.taken.add(name)
        return s

    def _unique(self, name: str) -> str:
        wanted, i = name, 2
        while name in self.taken:
            name = f"{wanted}_{i}"
            i += 1
        self.taken.add(name)
        return name

    # --- vectors -----------------------------------------------------------------------------

    def dots(self, e: Any) -> tuple[Any, list[tuple[Any, str, str]]]:
        """``e`` with each complete p_0*q_0 + ... of two vector arguments as one placeholder
        symbol, and for each, (the symbol, first vector, second vector)."""
        sp = self.sp
        found = []
        if not e.is_Add:
            return e, found
        terms = set(e.args)
        for i, (p, ps) in enumerate(self.vectors):
            for q, qs in self.vectors[i + 1:]:
                if len(ps) != len(qs):
                    continue
                products = [a * b for a, b in zip(ps, qs)]
                if all(t in terms for t in products):
                    key = f"DOTPRODUCT{chr(65 + len(found))}"
                    first, second = (q, p) if ps[0] in self.batched else (p, q)
                    e = e - sp.Add(*products) + sp.Symbol(key)
                    found.append((sp.Symbol(key), first, second))
                    terms = set(e.args) if e.is_Add else {e}
        return e, found

    def vector_of(self, s: Any) -> tuple[str, int] | None:
        for name, symbols in self.vectors:
            if s in symbols:
                return name, symbols.index(s)
        return None

    def same_for_each(self, name: str, formulas: list[Any]) -> Any | None:
        """If ``formulas[j]`` is ``formulas[0]`` with each vector's component 0 replaced by its
        component j, that formula with each vector's component 0 written as the vector."""
        sp = self.sp
        n = len(formulas)
        same_length = [(v, s) for v, s in self.vectors if len(s) == n]
        for j, f in enumerate(formulas[1:], 1):
            moved = formulas[0].xreplace({s[0]: s[j] for _, s in same_length})
            if sp.simplify(moved - f) != 0:
                return None
        return formulas[0].xreplace({s[0]: sp.Symbol(v) for v, s in same_length})


def _in_reading_order(root: Value) -> list[Value]:
    """The Values ``root`` needs, each after its inputs, the first input's before the second's:
    the order the code was written in (``z1_0`` before ``z1_1``)."""
    order: list[Value] = []
    done: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, ready = stack.pop()
        if id(v) in done:
            continue
        if ready:
            done.add(id(v))
            order.append(v)
            continue
        stack.append((v, True))
        stack.extend((i, False) for i in reversed(v.inputs) if type(i) is Value
                     and id(i) not in done)
    return order


def derive(traced: Any, graph: Any, batch: bool = False) -> Formulas:
    """The formulas of ``graph``, recorded by ``traced``: per sample, or for the batch."""
    d = _Derivation(traced, graph)
    return _batch(d, traced, graph) if batch else _per_sample(d)


def _per_sample(d: _Derivation) -> Formulas:
    sp = d.sp
    lines: list[tuple[str, str, str]] = []
    table: dict[str, Any] = {}
    for s, e in d.named:
        shown, dots = d.dots(e)
        words = {k.name: (f"{p}ᵀ{q}", f"{_latex_name(p)}^{{T}} {_latex_name(q)}")
                 for k, p, q in dots}
        lines.append((s.name, *_show(shown, words)))
        table[s.name] = e
    done: set[str] = set()
    for s, g, formula in d.grads:
        where = d.vector_of(s)
        if where is not None and where[0] not in done:
            name, _ = where
            symbols = dict(d.vectors)[name]
            parts = {t[0]: t for t in d.grads if t[0] in symbols}
            if len(parts) == len(symbols):
                formulas = [parts[c][2] for c in symbols]
                common = d.same_for_each(name, formulas)
                if common is not None:
                    done.add(name)
                    lines.append(("d" + name, *_show(common, {})))
                    table["d" + name] = sp.Matrix(formulas)
                    continue
        if where is not None and where[0] in done:
            continue
        lines.append((g.name, *_show(formula, {})))
        table[g.name] = formula
    return Formulas(lines, table)


# --- the batch -----------------------------------------------------------------------------


def _capital(name: str) -> str:
    if name.startswith("d") and len(name) > 1:
        return "d" + name[1].upper() + name[2:]
    return name[0].upper() + name[1:]


def _batch(d: _Derivation, traced: Any, graph: Any) -> Formulas:
    """The course's vectorized formulas: see the module's docstring.

    Each line is also a step of ``Formulas.evaluate``: ``("row", name, formula, dots)`` a 1×m
    row computed element by element (``dots``: the wᵀX placeholders it reads), ``("mean",
    name, formula)`` the mean of a row, ``("matrix", name, vector, formula)`` (1/m)·X·Fᵀ."""
    sp = d.sp
    if not d.batched:
        raise ValueError(gettext("formulas(batch=True) writes the formulas for a batch of "
                                 "samples: name the data arguments in trace(..., batch=[...]) "
                                 "(one sample per row), e.g. mg.trace(loss, batch=['x', 'y'])"))
    # what varies from sample to sample: the data and what is computed from it
    per_sample = set(d.batched)
    for s, e in d.named:
        if e.free_symbols & per_sample:
            per_sample.add(s)
    for s, g, _ in d.grads:
        if s in per_sample:
            per_sample.add(g)
    big: dict[Any, Any] = {}  # per-sample symbol -> its row (or matrix) symbol
    batched_vectors = {name: symbols for name, symbols in d.vectors if symbols[0] in d.batched}
    for s in sorted(per_sample, key=str):
        where = d.vector_of(s)
        if where is not None:
            big[s] = sp.Symbol(f"{_capital(where[0])}_{where[1]}")
        else:
            big[s] = sp.Symbol(_capital(s.name))
    for _s, g, _ in d.grads:
        if g in per_sample:
            big[g] = sp.Symbol(_capital(g.name))

    lines: list[tuple[str, str, str]] = []
    table: dict[str, Any] = {}
    steps: list[tuple] = []
    for s, e in d.named:
        shown, dots = d.dots(e)
        name = big.get(s, s).name
        words = {}
        for k, p, q in dots:
            bp = _capital(p) if p in batched_vectors else p
            bq = _capital(q) if q in batched_vectors else q
            words[k.name] = (f"{bp}ᵀ{bq}", f"{_latex_name(bp)}^{{T}} {_latex_name(bq)}")
        lines.append((name, *_show(shown.xreplace(big), words)))
        table[name] = e.xreplace(big)
        steps.append(("row", name, shown.xreplace(big), [(k, p, q) for k, p, q in dots]))
    cost = "J" if d.output.name != "J" else "J_mean"
    out = big.get(d.output, d.output).name
    m = sp.Symbol("m")
    lines.append((cost, f"(1/m)·Σ {out}", rf"\frac{{1}}{{m}} \sum {_latex_name(out)}"))
    table[cost] = sp.Sum(sp.Symbol(out), (sp.Symbol("i"), 1, m)) / m
    steps.append(("mean", cost, sp.Symbol(out)))

    done: set[str] = set()
    for s, g, formula in d.grads:
        if g in per_sample:  # dZ = A - Y: a row, element by element
            name = big[g].name
            lines.append((name, *_show(formula.xreplace(big), {})))
            table[name] = formula.xreplace(big)
            steps.append(("row", name, formula.xreplace(big), []))
            continue
        where = d.vector_of(s)
        if where is not None and where[0] in done:
            continue
        if where is not None:
            name, _ = where
            symbols = dict(d.vectors)[name]
            parts = {t[0]: t[2] for t in d.grads if t[0] in symbols}
            if len(parts) == len(symbols):
                formulas = [parts[c] for c in symbols]
                common = d.same_for_each(name, formulas)
                matrix = _outer(d, common, batched_vectors) if common is not None else None
                if matrix is not None:
                    done.add(name)
                    vector, factor = matrix
                    row = factor.xreplace(big)
                    t, x = _show(row, {})
                    V = _capital(vector)
                    paren = not (row.is_Symbol or row.is_Number)
                    t = f"({t})ᵀ" if paren else f"{t}ᵀ"
                    x = rf"\left({x}\right)^{{T}}" if paren else rf"{x}^{{T}}"
                    lines.append(("d" + name, f"(1/m)·{V}·{t}", rf"\frac{{1}}{{m}} {V} \cdot {x}"))
                    table["d" + name] = sp.Matrix(
                        [sp.Sum(f.xreplace(big), (sp.Symbol("i"), 1, m)) / m for f in formulas])
                    steps.append(("matrix", "d" + name, vector, row))
                    continue
        row = formula.xreplace(big)
        t, x = _show(row, {})
        if row.free_symbols & set(big.values()):
            text, tex = f"(1/m)·Σ {_wrap(row, t)}", rf"\frac{{1}}{{m}} \sum {_wrap(row, x, True)}"
            steps.append(("mean", g.name, row))
        else:  # the same for every sample: its mean is itself
            text, tex = t, x
            steps.append(("row", g.name, row, []))
        lines.append((g.name, text, tex))
        table[g.name] = sp.Sum(row, (sp.Symbol("i"), 1, m)) / m
    shapes = gettext(", ").join(gettext("{name} is {n}×m", name=_capital(n), n=len(s))
                                for n, s in batched_vectors.items())
    rows = gettext(", ").join(sorted(_capital(v.name) for v in d.batched
                                     if d.vector_of(v) is None))
    message = NOTES[bool(shapes), bool(rows)]
    note = gettext(message, shapes=shapes, rows=rows)
    inputs = (d, [(clean_name(p) or f"arg{i}", tree)
                  for i, (p, tree) in enumerate(graph.params)], batched_vectors, big)
    return Formulas(lines, table, note, steps, inputs)


# the batch formulas' note: (vectors of the data shown as n×m, data rows named) -> its words
NOTES = {
    (True, True): N_("m samples, one per column ({shapes}; {rows} and each per-sample quantity a "
                     "1×m row); batch= takes one sample per row, so X here is the transpose of "
                     "the array passed"),
    (True, False): N_("m samples, one per column ({shapes}; each per-sample quantity a 1×m "
                      "row); batch= takes one sample per row, so X here is the transpose of the "
                      "array passed"),
    (False, True): N_("m samples: {rows} and each per-sample quantity a 1×m row"),
    (False, False): N_("m samples: each per-sample quantity a 1×m row"),
}


def _wrap(expr: Any, text: str, latex: bool = False) -> str:
    if expr.is_Symbol or expr.is_Number:
        return text
    return rf"\left({text}\right)" if latex else f"({text})"


def _outer(d: _Derivation, common: Any, batched_vectors: dict) -> tuple[str, Any] | None:
    """(x, F) when ``common`` is x*F for a batched vector x and an F without vectors."""
    sp = d.sp
    for name in batched_vectors:
        v = sp.Symbol(name)
        factor = sp.simplify(common / v)
        vectors = {sp.Symbol(n) for n, _ in d.vectors}
        if not (factor.free_symbols & vectors) and sp.simplify(factor * v - common) == 0:
            return name, factor
    return None


def _evaluate(steps: list, inputs: Any, args: tuple) -> dict[str, Any]:
    """Run the batch formulas' steps with NumPy, in the course's layout (X is n×m)."""
    import numpy as np

    sp = _sympy()
    d, params, batched_vectors, big = inputs
    if len(args) != len(params):
        raise TypeError(gettext("evaluate() takes the {count} arguments of the traced function",
                                count=len(params)))
    env: dict[str, Any] = {}
    matrices: dict[str, Any] = {}
    m = None
    for (pname, tree), a in zip(params, args):
        if pname in batched_vectors:
            X = np.asarray(a, dtype=float).T  # n×m: one sample per column
            matrices[_capital(pname)] = X
            m = X.shape[1]
            for j, row in enumerate(X):
                env[f"{_capital(pname)}_{j}"] = row
        elif any(s in d.batched for s in [d.sym[leaf] for leaf in leaves(tree)]):
            env[_capital(pname)] = np.asarray(a, dtype=float)
            m = env[_capital(pname)].shape[0]
        elif type(tree) is list:
            vector = np.asarray(a, dtype=float)
            matrices[pname] = vector
            for r, row in enumerate(vector if vector.ndim == 2 else ()):
                matrices[clean_name(f"{pname}[{r}]") or f"{pname}_{r}"] = row
            for leaf, value in zip(leaves(tree), vector.ravel()):
                env[d.sym[leaf].name] = float(value)
        else:
            env[pname] = float(a)
    modules = [numpy_functions(np), "numpy"]
    values: dict[str, Any] = {}
    for step in steps:
        kind, name = step[0], step[1]
        if kind == "row":
            formula, dots = step[2], step[3]
            for key, p, q in dots:
                P = matrices.get(p, matrices.get(_capital(p)))
                Q = matrices.get(q, matrices.get(_capital(q)))
                env[key.name] = P @ Q  # wᵀX: one matrix product, a 1×m row
            value = _run(sp, formula, env, modules)
        elif kind == "mean":
            value = np.sum(_run(sp, step[2], env, modules) * np.ones(m)) / m
        else:  # (1/m)·X·Fᵀ
            X = matrices[_capital(step[2])]
            value = X @ (_run(sp, step[3], env, modules) * np.ones(m)) / m
        env[name] = values[name] = value
    return values


def _run(sp: Any, formula: Any, env: dict[str, Any], modules: list) -> Any:
    symbols = sorted(formula.free_symbols, key=str)
    fn = sp.lambdify(symbols, formula, modules=modules)
    return fn(*(env[s.name] for s in symbols))
