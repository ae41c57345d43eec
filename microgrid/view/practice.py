"""Exercises in backpropagation on fresh graphs: derive the gradients by hand, then check them.

::

    >>> ex = mg.exercise("logistic", seed=7)
    >>> print(ex.question)
    >>> report = ex.check({"z": -0.25, "w1": -0.5, "w2": 0.25, "b": -0.25})
    >>> ex.hint()        # which node to look at; again: which rule; again: the worked line
    >>> ex.solution()    # the whole derivation (explain)

Four kinds follow the course: ``"chain"`` (expressions like J = 3(a + bc), of a chosen depth,
with a node used twice from depth 3 on), ``"logistic"`` (one sample's z = w1·x1 + w2·x2 + b,
a = σ(z), L(a, y)), ``"network"`` (a 2-2-1 network with ReLU hidden units on one sample) and
``"vectorized"`` (logistic regression on two samples, J the average of their losses, so
dw = (dw⁽¹⁾ + dw⁽²⁾)/2).

Numbers are drawn from small friendly sets by ``random.Random(seed)`` (the same seed gives the
same exercise on every machine) and drawn again until every asked gradient comes out with at
most 4 significant digits. Where a sigmoid is involved, the probability a = σ(z) is picked first
(0.2, 0.25, 0.75 ...) and a bias makes z its logit, so a − y is friendly even though z is not.
The answers themselves come from the engine (``grad``); grading is ``compare_grads``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from ..engine.autograd import grad
from ..engine.value import Value
from ..i18n import _, get_language, language
from .explain import Explanation, _d, _partial, _symbols, explain, named_rule, num
from .grade import TOL, GradReport, _formula, compare_grads
from .reading import read

KINDS = ("chain", "logistic", "network", "vectorized")
DEPTHS = range(1, 7)  # chain depths: 1 (J = a·b) to 6 (a picture that still fits a screen)
MAX_TRIES = 10_000  # draws before giving up on friendly numbers (a few dozen suffice)
LEAVES = "abcdefgh"
INNER = "uvwpqrs"
PROBABILITIES = (0.2, 0.25, 0.4, 0.6, 0.75, 0.8)  # values of a = σ(z) that give friendly a − y


def exercise(kind: str, *, seed: int | None = None, depth: int = 3,
             lang: str | None = None) -> Exercise:
    """A fresh exercise of ``kind`` ("chain", "logistic", "network" or "vectorized").

    ``seed`` (an int) makes it reproducible: the same seed gives the same exercise everywhere;
    without one a seed is drawn and kept in ``.seed``. ``depth`` (1 to 6) is the number of ops
    from a leaf to J in a "chain"; the other kinds have a fixed shape. ``lang`` ("zh", "en") is
    the language of its question, hints and reports (else the current one).
    """
    with language(lang):
        return _exercise(kind, seed, depth)


def _exercise(kind: str, seed: int | None, depth: int) -> Exercise:
    if kind not in KINDS:
        raise ValueError(_("exercise(): kind must be one of {choices}, not {kind}",
                           choices=", ".join(map(repr, KINDS)), kind=repr(kind)))
    if seed is None:
        seed = random.SystemRandom().randrange(10**6)
    elif type(seed) is not int:
        raise TypeError(_("exercise(): seed must be an int, not {kind}",
                          kind=type(seed).__name__))
    if type(depth) is not int or depth not in DEPTHS:
        raise ValueError(_("exercise(): depth must be an int from {low} to {high}, not "
                           "{depth}", low=DEPTHS[0], high=DEPTHS[-1], depth=repr(depth)))
    shape = depth if kind == "chain" else 3  # only a chain has a depth to vary
    rng = random.Random(f"{kind}:{shape}:{seed}")  # a str seed is hashed the same everywhere
    build = _BUILDERS[kind]
    for _try in range(MAX_TRIES):
        root, asked, question = build(rng, depth)
        if _friendly(root, asked, kind == "chain"):
            return Exercise(kind, seed, depth, root, asked, question)
    raise RuntimeError(_("exercise(): no friendly {kind} exercise for seed {seed}", kind=kind,
                         seed=seed))


class Exercise:
    """One exercise: ``.question``, ``.asked`` (the names to find d root/d of), ``.root``;
    ``.check(answers)`` grades, ``.hint()`` helps, ``.solution()`` shows the derivation. In
    Jupyter it shows the graph without gradients, and the question."""

    def __init__(self, kind: str, seed: int, depth: int, root: Value, asked: list[Value],
                 question: str) -> None:
        self.kind = kind
        self.seed = seed
        self.depth = depth
        self.root = root
        self.reading = read(root)  # the one reading of the graph every view of it uses
        self.names = self.reading.names
        self.asked = [self.names[v] for v in asked]
        self._asked = asked
        self.question = question
        self.tol = TOL
        self.last: GradReport | None = None
        self._hint_at: tuple[str | None, int] = (None, 0)
        self.lang = get_language()  # its hints and reports speak the language it was made in

    def __repr__(self) -> str:
        return (f"<exercise {self.kind!r} seed={self.seed}"
                + (f" depth={self.depth}" if self.kind == "chain" else "")
                + f": {self.question}>")

    def check(self, answers: Mapping[Any, Any]) -> GradReport:
        """Your gradients graded (``compare_grads``): the table, the first wrong node and what
        went wrong there. Keys as for ``compare_grads``: ``"z"``, ``"dz"``, ``"dL/dz"``."""
        self.last = compare_grads(self.root, answers, self.tol, lang=self.lang)
        return self.last

    def answers(self) -> dict[str, float]:
        """The engine's gradients of the asked nodes (what ``check`` compares with)."""
        return dict(zip(self.asked, grad(self.root, self._asked)))

    def hint(self, node: str | None = None) -> str:
        """A hint about the node to work on: ``node`` (a name), else the first wrong one of
        your last ``check`` (or the first asked one not yet checked right). Asked again for the
        same node it says more: 1. which node, 2. which rule, 3. the worked line."""
        with language(self.lang):
            return self._hint_of(node)

    def _hint_of(self, node: str | None) -> str:
        if node is not None:
            by_name = {n: v for v, n in self.names.items()}
            if node not in by_name:
                raise ValueError(_("hint(): no node named {node}; the asked ones are "
                                   "{asked}", node=repr(node), asked=", ".join(self.asked)))
            target: Value | None = by_name[node]
        else:
            target = self._target()
        if target is None:
            return _Text(_("All your answers are right: nothing to hint at."))
        name = self.names[target]
        last, level = self._hint_at
        level = level + 1 if last == name else 1
        self._hint_at = (name, min(level, 3))
        return _Text(self._hint(target, min(level, 3)))

    def _target(self) -> Value | None:
        if self.last is not None and self.last.first_wrong is not None:
            by_name = {n: v for v, n in self.names.items()}
            return by_name[self.last.first_wrong]
        right = {r.name for r in self.last.rows if r.ok} if self.last is not None else set()
        for v in self._asked:
            if self.names[v] not in right:
                return v
        return None

    def _hint(self, node: Value, level: int) -> str:
        r, n = self.names[self.root], self.names[node]
        steps = self.reading.terms.get(node, [])
        uses = sorted({id(s.consumer): self.names[s.consumer] for s in steps}.values())
        if level == 1:
            first = self.last is not None and self.last.first_wrong == n
            d = _d(r, n)
            if uses and first:
                return _("Hint 1: look at {d}, the first of your answers that is wrong: {node} "
                         "is an input of {uses}.", d=d, node=n, uses=", ".join(uses))
            if uses:
                return _("Hint 1: look at {d} next: {node} is an input of {uses}.", d=d, node=n,
                         uses=", ".join(uses))
            if first:
                return _("Hint 1: look at {d}, the first of your answers that is wrong.", d=d)
            return _("Hint 1: look at {d} next.", d=d)
        if level == 2:
            if not steps:
                return _("Hint 2: no gradient flows back to {node}: {d} = 0.", node=n,
                         d=_d(r, n))
            rules = "; ".join(f"{_partial(self.names[s.consumer], n)} = {named_rule(s, self.names)}"
                              for s in steps)
            chain = _("Hint 2: the chain rule, {d} = {terms}, with {rules}.", d=_d(r, n),
                      terms=_symbols(steps, r, self.names), rules=rules)
            if len(steps) > 1:
                chain += _(" {node} is used {count} times, so add one term per use.", node=n,
                           count=len(steps))
            return chain
        return _("Hint 3: {line}", line=explain(self.root, nodes=[node]).backward[0])

    def solution(self) -> Explanation:
        """The worked derivation of every gradient (``explain`` of the exercise)."""
        with language(self.lang):
            return explain(self.root)

    def tree(self) -> str:
        """The graph as an indented tree, without gradients (for a terminal)."""
        from .tree import tree

        return tree(self.root, show_grad=False)

    def draw(self, path: str | None = None) -> Any:
        """The graph's picture without gradients (``microgrid.draw``); needs Graphviz."""
        from .draw import draw

        return draw(self.root, show_grad=False, path=path)

    def _repr_svg_(self) -> str:
        return self.draw().pipe(format="svg").decode("utf-8")

    def _repr_html_(self) -> str:
        import html

        try:
            picture = self._repr_svg_()
            picture = picture[picture.index("<svg"):]
        except Exception:  # no Graphviz: the tree, as a terminal shows it
            picture = f"<pre>{html.escape(self.tree())}</pre>"
        return f"<div>{picture}<p>{html.escape(self.question)}</p></div>"


class _Text(str):
    """A hint: a str that the REPL and Jupyter show as its text, without quotes."""

    def __repr__(self) -> str:
        return str(self)


# --- building the graphs ---------------------------------------------------------------------


def _chain(rng: random.Random, depth: int) -> tuple[Value, list[Value], str]:
    """J = k · (… (b · c) …): ``depth`` ops, each taking the last result and a leaf; from depth
    3 on, one leaf is used twice. The innermost op is between two leaves, as u = b·c is."""
    leaves: list[Value] = []

    def leaf() -> Value:
        v = Value(float(rng.choice([1, 2, 3, 4, 5, -1, -2, -3])), label=LEAVES[len(leaves)])
        leaves.append(v)
        return v

    reuse = rng.randrange(1, depth - 1) if depth >= 3 else -1  # the level that reuses a leaf
    node = leaf()
    for level in range(depth):
        last = level == depth - 1
        op = rng.choice("++--***/^") if level else rng.choice("+-*")
        if last and depth > 1 and rng.random() < 0.5:
            node = float(rng.choice([2, 3, 4, 5])) * node  # J = 3 · v, as in the course
        elif op == "^" and level != reuse:
            node = node ** 2
        else:
            if level == reuse:
                other = rng.choice(leaves[:-1] or leaves)
                op = op if op in "+-*" else "*"
            else:
                other = leaf()
                if op == "/":  # a divisor that keeps the numbers short
                    other.data = float(rng.choice([2, 4, 5]))
            node = _combine(node, other, op, rng.random() < 0.5)
        node.label = "J" if last else INNER[level]
    reading = read(node)
    order = reading.order
    asked = [v for v in reversed(order) if v is not node]
    names = reading.names
    lines = ", ".join(f"{names[v]} = {_formula(v, names)}" for v in order if v._op is not None)
    given = ", ".join(f"{v.label} = {num(v.data)}" for v in leaves)
    wanted = ", ".join(f"dJ/d{names[v]}" for v in asked)
    return node, asked, _("{formulas}, at {given}. Find {wanted}.", formulas=lines, given=given,
                          wanted=wanted)


def _combine(x: Value, y: Value, op: str, flip: bool) -> Value:
    if flip and op in "+-*":
        x, y = y, x
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    return x / y


def _logistic(rng: random.Random, depth: int) -> tuple[Value, list[Value], str]:
    """The course's one-sample logistic regression: z = w1·x1 + w2·x2 + b, a = σ(z), L(a, y)."""
    x1, x2 = (Value(_pick(rng, [-2, -1, 1, 2, 3, 0.5, 1.5]), label=n) for n in ("x1", "x2"))
    w1, w2 = (Value(_pick(rng, [-1, -0.5, 0.5, 1, 2]), label=n) for n in ("w1", "w2"))
    y = Value(float(rng.choice([0, 1])), label="y")
    p = rng.choice(PROBABILITIES)
    b = Value(_logit(p) - (w1.data * x1.data + w2.data * x2.data), label="b")
    z, a, L = _neuron([(w1, x1), (w2, x2)], b, y, "")
    asked = [a, z, w1, w2, b]
    return L, asked, _("One sample of logistic regression: z = w1·x1 + w2·x2 + b, a = σ(z), "
                       "L = −(y·log a + (1−y)·log(1−a)), at {given}. Find dL/da, dL/dz, "
                       "dL/dw1, dL/dw2 and dL/db.", given=_given(L))


def _network(rng: random.Random, depth: int) -> tuple[Value, list[Value], str]:
    """A 2-2-1 network on one sample: ReLU hidden units h1, h2, a sigmoid output a, L(a, y)."""
    x1, x2 = (Value(_pick(rng, [-1, 1, 2, 0.5]), label=n) for n in ("x1", "x2"))
    hidden, params = [], []
    for j in (1, 2):
        while True:  # a unit that is on (z > 0), so its ReLU passes a gradient back
            w = [Value(_pick(rng, [-1, -0.5, 0.5, 1, 2]), label=f"w{j}{i}") for i in (1, 2)]
            b = Value(_pick(rng, [-1, 0, 0.5, 1]), label=f"b{j}")
            if w[0].data * x1.data + w[1].data * x2.data + b.data > 0:
                break
        dot = _named(_named(w[0] * x1, f"w{j}1·x1") + _named(w[1] * x2, f"w{j}2·x2"),
                     f"w{j}·x")
        zj = _named(dot + b, f"z{j}")
        h = zj.relu()
        h.label = f"h{j}"
        hidden.append((zj, h))
        params += [*w, b]
    v1, v2 = (Value(_pick(rng, [-1, -0.5, 0.5, 1, 2]), label=n) for n in ("v1", "v2"))
    y = Value(float(rng.choice([0, 1])), label="y")
    h1, h2 = hidden[0][1], hidden[1][1]
    p = rng.choice(PROBABILITIES)
    c = Value(_logit(p) - (v1.data * h1.data + v2.data * h2.data), label="c")
    z, a, L = _neuron([(v1, h1), (v2, h2)], c, y, "")
    asked = [a, z, v1, v2, c, hidden[0][0], hidden[1][0], *params]
    return L, asked, _("A 2-2-1 network on one sample: zj = wj1·x1 + wj2·x2 + bj, "
                       "hj = ReLU(zj), z = v1·h1 + v2·h2 + c, a = σ(z), L(a, y), at {given}. "
                       "{find}", given=_given(L), find=_find("L", asked))


def _vectorized(rng: random.Random, depth: int) -> tuple[Value, list[Value], str]:
    """Logistic regression on two samples: J = (L_1 + L_2)/2, the weights shared."""
    xs = [(_pick(rng, [-2, -1, 1, 2, 3]), _pick(rng, [-1, 1, 2, 0.5])) for _sample in (1, 2)]
    while xs[0][0] == xs[1][0]:
        xs[1] = (_pick(rng, [-2, -1, 1, 2, 3]), xs[1][1])
    ps = [rng.choice(PROBABILITIES) for _sample in (1, 2)]
    w2v = _pick(rng, [-1, -0.5, 0.5, 1])
    # w1 and b put each z at the logit of its probability (two equations, two unknowns)
    w1v = (_logit(ps[0]) - _logit(ps[1]) - w2v * (xs[0][1] - xs[1][1])) / (xs[0][0] - xs[1][0])
    bv = _logit(ps[0]) - w1v * xs[0][0] - w2v * xs[0][1]
    w1, w2, b = Value(w1v, label="w1"), Value(w2v, label="w2"), Value(bv, label="b")
    losses, zs = [], []
    for i, (x1v, x2v) in enumerate(xs, 1):
        x1, x2 = Value(x1v, label=f"x1_{i}"), Value(x2v, label=f"x2_{i}")
        y = Value(float(rng.choice([0, 1])), label=f"y_{i}")
        z, a, L = _neuron([(w1, x1), (w2, x2)], b, y, f"_{i}")
        losses.append(L)
        zs += [a, z]
    J = _named(losses[0] + losses[1], "L_1+L_2") / 2
    J.label = "J"
    return J, [*zs, w1, w2, b], _(
        "Logistic regression on two samples (_1 and _2 mark the sample): z_i = w1·x1_i + "
        "w2·x2_i + b, a_i = σ(z_i), L_i = L(a_i, y_i), J = (L_1 + L_2)/2, at {given}. "
        "Find dJ/da_1, dJ/dz_1, dJ/da_2, dJ/dz_2, dJ/dw1, dJ/dw2 and dJ/db.", given=_given(J))


def _neuron(pairs: list[tuple[Value, Value]], b: Value, y: Value,
            tag: str) -> tuple[Value, Value, Value]:
    """z = Σ w·x + b, a = σ(z), L = −(y·log a + (1−y)·log(1−a)), every node labelled as the
    course writes it (``w1·x1``, ``log(1−a)``), with ``tag`` after each name (``_1``)."""
    total: Any = None
    for w, x in pairs:
        product = _named(w * x, f"{w.label}·{x.label}")
        total = product if total is None else total + product
    w_name = pairs[0][0].label[:-1] or "w"  # w1 -> w, w21 -> w2, v1 -> v
    x_name = pairs[0][1].label.split("_")[0][:-1] or "x"
    _named(total, f"{w_name}·{x_name}" + tag)
    z = _named(total + b, "z" + tag)
    a = _named(z.sigmoid(), "a" + tag)
    A, Y = "a" + tag, "y" + tag
    log_a = _named(a.log(), f"log {A}")
    one_y = _named(1 - y, f"(1−{Y})")  # in brackets: the name stands inside other formulas
    one_a = _named(1 - a, f"(1−{A})")
    log_one_a = _named(one_a.log(), f"log(1−{A})")
    total = _named(_named(y * log_a, f"{Y}·log {A}")
                   + _named(one_y * log_one_a, f"(1−{Y})·log(1−{A})"), f"(−L{tag})")
    L = _named(-total, "L" + tag)
    return z, a, L


def _named(v: Value, label: str) -> Value:
    v.label = label
    return v


def _find(r: str, asked: list[Value]) -> str:
    wanted = [f"d{r}/d{v.label}" for v in asked]
    return _("Find {wanted} and {last}.", wanted=", ".join(wanted[:-1]), last=wanted[-1])


def _given(root: Value) -> str:
    """The leaves' numbers, and each a = σ(z) (what a learner works with)."""
    order = read(root).order
    rank = {"x": 0, "w": 1, "v": 2, "b": 3, "c": 3, "y": 4, "a": 5}
    shown = [v for v in order if v._op is None or v.label.startswith("a")]
    shown.sort(key=lambda v: (rank.get(v.label[0], 9), v.label[-1], v.label))
    return ", ".join(f"{v.label} = {num(v.data)}" for v in shown)


def _pick(rng: random.Random, choices: list[float]) -> float:
    return float(rng.choice(choices))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _friendly(root: Value, asked: list[Value], values: bool) -> bool:
    """Every asked gradient finite, at most 1000 in size and at most 4 significant digits; a
    chain's values too; and no asked gradient that is 0 only because a value is."""
    grads = grad(root, asked)
    if not all(_short(g) and (g == 0 or abs(g) > 1e-6) for g in grads):
        return False
    if sum(g == 0 for g in grads) > 1:  # one zero teaches something, more bore
        return False
    if values:  # a chain's values are all shown and worked with
        return all(_short(v.data) for v in read(root).order)
    return True


def _short(x: float) -> bool:
    if not math.isfinite(x) or abs(x) > 1000:
        return False
    return abs(x - float(f"{x:.4g}")) <= 1e-9 * max(1.0, abs(x))


_BUILDERS = {"chain": _chain, "logistic": _logistic, "network": _network,
             "vectorized": _vectorized}
