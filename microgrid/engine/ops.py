"""Every op microgrid knows, each defined once.

An op is one entry in ``OPS``: its forward rule on floats, its local derivatives (as code and
as text), the symbol a drawing shows, what its operands are called, the line of code the static
graph writes, and its forward on NumPy arrays, in PyTorch and in JAX. Everything else reads this
table: ``Value`` builds nodes with ``forward``, the backward pass multiplies by ``grads``,
``grad(create_graph=True)`` evaluates the very same ``grads`` on Values (so the derivative is
itself a graph), the drawing shows ``symbol`` and ``microgrid.trace`` writes ``code``. Where an
op passes no gradient at all (``gates``: ReLU where its result is 0, pow's base where the
exponent is 0), the float backward skips the product and the derivative graph wraps it in the
``gate`` op, which tests the same number each time the graph runs. The commonest ops also
declare a ``shortcut``: the shape of their rule, which the backward loop applies inline.

``grads(x, y, out)`` (or ``grads(x, out)`` for one input) returns d out/d x (and d out/d y). The
rules use ``+ - *`` and the functions below only, because those are defined both on floats and
on Values; Python's own ``/`` and ``**`` on floats raise or turn complex where IEEE says inf or
nan, so the rules spell them ``div`` and ``power``.

Floats follow IEEE like PyTorch: ``exp(1000)`` is inf, ``log(0)`` is -inf, ``1/0`` is inf; no
``OverflowError``, ``ValueError`` or ``ZeroDivisionError`` ever leaves this module.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from .i18n import _

INF = math.inf
NAN = math.nan


# --- IEEE-safe float arithmetic ------------------------------------------------------------


def _div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:  # x / ±0: ±inf, or nan for 0/0 and nan/0
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _pow(x: float, y: float) -> float:
    try:
        out = x**y
    except ZeroDivisionError:  # 0 ** negative: inf (-inf for -0 and an odd integer power)
        odd = y == int(y) and int(y) % 2 == 1 if math.isfinite(y) else False
        return math.copysign(INF, x) if odd else INF
    except OverflowError:  # the magnitude overflows; the sign is the base's for odd powers
        if x < 0 and y != int(y):  # (-1e-168) ** -2.5 overflows as a complex: not real, nan
            return NAN
        odd = y == int(y) and int(y) % 2 == 1
        return -INF if x < 0 and odd else INF
    return NAN if type(out) is complex else out  # (-8) ** (1/3) is nan, as in C's pow


def _pow_array(np: Any, x: Any, y: Any) -> Any:
    """``_pow`` on arrays: NumPy's power, except that (-inf) ** y is inf for a y > 0 that is
    not an odd integer, as in C's pow and ``_pow`` (NumPy says nan there)."""
    x = np.asarray(x, dtype=float)
    out = np.power(x, y)
    fix = np.isneginf(x) & (y > 0) & (np.mod(y, 2) != 1)
    return np.where(fix, INF, out) if np.any(fix) else out


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -INF if x == 0 else NAN  # log(±0) = -inf; log(negative) and log(nan) = nan


def _sigmoid(x: float) -> float:
    # 1 / (1 + e^-x) overflows e^-x for very negative x; e^x / (1 + e^x) is the same number
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan stays nan


def _gate(x: float, y: float) -> float:
    return 0.0 if y == 0.0 else x  # where the test is 0, nothing passes, not even inf or nan


def _step(x: float) -> float:
    return 1.0 if x > 0 else 0.0  # relu'(0) = 0, as in PyTorch


# --- Shortcuts of the backward pass ----------------------------------------------------------
# The backward loop (autograd._propagate) would call an op's grads at every node: a call and a
# tuple each time. For the commonest ops it needn't, because their rules are too simple to need
# a call: the loop applies them inline. An op declares which of these shapes its rule has in
# its ``shortcut`` field. The loop trusts the declaration, and tests/test_chain_rule.py checks
# each declared shortcut against the op's own rule at many points, ±0, ±inf and nan among them,
# bit for bit. An op with no shortcut has its rule called (autograd.contributions).

NO_SHORTCUT = 0
ONE_ONE = 1  # ∂/∂x = 1, ∂/∂y = 1 (add)
ONE_MINUS_ONE = 2  # ∂/∂x = 1, ∂/∂y = −1 (sub)
Y_X = 3  # ∂/∂x = y, ∂/∂y = x (mul)
MINUS_ONE = 4  # ∂/∂x = −1 (neg)
OUT = 5  # ∂/∂x = the result itself (exp)
ONE_WHERE_POSITIVE = 6  # ∂/∂x = 1 where x > 0 or nan; no gradient at all where x ≤ 0 (relu)


# --- The table -------------------------------------------------------------------------------


class Op:
    """One op: read by the eager engine, the backward pass, the views, the code generator and
    the exports. A field per fact, so that a new op is one entry and a new use reads a field."""

    __slots__ = ("name", "symbol", "arity", "forward", "grads", "code", "array", "sympy", "rule",
                 "formula", "tex", "tex_rule", "function",
                 "operands", "symmetric", "torch", "jax", "gates", "masks", "shortcut")

    def __init__(self, name: str, *, symbol: str, forward: Callable[..., float],
                 grads: Callable[..., tuple], code: str, array: Callable[..., Any],
                 rule: tuple[str, ...], sympy: Callable[..., Any] | None = None,
                 formula: str | None = None, tex: str | None = None,
                 tex_rule: tuple[str, ...] | None = None, function: str | None = None,
                 operands: tuple[str, ...], torch: str, jax: str,
                 symmetric: bool = False, gates: tuple[str | None, ...] | None = None,
                 shortcut: int = NO_SHORTCUT) -> None:
        self.name = name
        self.symbol = symbol  # what a drawing shows
        self.arity = grads.__code__.co_argcount - 1  # grads takes the inputs, then out
        self.forward = forward  # on floats
        self.grads = grads  # local derivatives d out/d x (, d out/d y), on floats or on Values
        self.code = code  # the static graph's line, e.g. "{x} * {y}"
        self.array = array  # forward on NumPy arrays: array(np, x[, y])
        # forward on SymPy expressions, for derived formulas: sympy(S, x[, y]), S holding
        # SymPy's functions and microgrid's own (sigmoid, relu, step); None: no formula
        self.sympy = sympy
        self.rule = rule  # each local derivative as text, "{x}" "{y}" "{out}" naming operands
        # how the views write it: the forward as text ("{x} · {y}": the course writes b·c where
        # the drawing's op node says ×) and in LaTeX, and each rule in LaTeX. Every template is
        # filled in one pass by the views, so a label that looks like "{y}" stays a label
        # (left out, an op is written as its symbol: "{x} gate {y}", "exp({x})")
        two = self.arity == 2
        self.formula = formula or ("{x} %s {y}" if two else "%s({x})") % symbol
        self.tex = tex or (r"{x} \,\text{%s}\, {y}" if two else r"\operatorname{%s}({x})") % symbol
        self.tex_rule = tex_rule or rule
        self.function = function or name  # the function of this module that applies it
        # what each input is called, in order ("base", "exponent"): a drawing says which is
        # which where both inputs are one node (a − a)
        self.operands = operands
        # x op y == y op x: the inputs' order needn't be shown. False for − ÷ ^, whose pictures
        # must say which input is which
        self.symmetric = symmetric
        self.torch = torch  # the forward in PyTorch, e.g. "torch.exp({x})"
        self.jax = jax  # the forward in JAX, e.g. "jnp.exp({x})"
        # Per input, where no gradient flows to it at all, whatever comes from above (PyTorch
        # masks there, so an inf or nan upstream gives 0 where the product 0·inf would give
        # nan): None (never), "always", or the number whose zero cuts it: "x", "y" or "out".
        # The derivative graph (create_graph, trace) wraps the term in gate(term, that number);
        # masks, made from it, is the same test on the floats, for the float backward.
        self.gates = gates
        self.masks = None if gates is None else tuple(_mask(g, self.arity, forward)
                                                      for g in gates)
        # which of the shortcuts below the backward loop may apply instead of calling grads
        self.shortcut = shortcut

    def __reduce__(self) -> tuple[Any, ...]:
        return _op_named, (self.name,)  # an op pickles as its name in the table

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def _mask(gate: str | None, arity: int, forward: Callable[..., float]) -> Any:
    """The float test of one ``gates`` entry: True where no gradient flows."""
    if gate is None:
        return None
    if gate == "always":
        return (lambda x: True) if arity == 1 else (lambda x, y: True)
    if gate == "out":
        if arity == 1:
            return lambda x, f=forward: f(x) == 0.0
        return lambda x, y, f=forward: f(x, y) == 0.0
    if gate == "x":
        return (lambda x: x == 0.0) if arity == 1 else (lambda x, y: x == 0.0)
    if gate == "y" and arity == 2:
        return lambda x, y: y == 0.0
    raise ValueError(f"a gate is None, 'always', 'x', 'y' (binary ops) or 'out', not {gate!r}")


OPS: dict[str, Op] = {}


def _op_named(name: str) -> Op:
    return OPS[name]


def _op(name: str, **fields: Any) -> Op:
    OPS[name] = op = Op(name, **fields)
    return op


# One entry per op. grads reads: d out/d x, d out/d y, with out = the op's result; rule says the
# same as text, for explanations.
ADD = _op(
    "add",
    forward=operator.add,
    grads=lambda x, y, out: (1.0, 1.0),
    code="{x} + {y}",
    rule=("1", "1"),
    formula="{x} + {y}",
    tex="{x} + {y}",
    tex_rule=("1", "1"),
    array=lambda np, x, y: x + y,
    sympy=lambda S, x, y: x + y,
    torch="{x} + {y}",
    jax="{x} + {y}",
    symbol="+",
    operands=("x", "y"),
    symmetric=True,
    shortcut=ONE_ONE,
)
SUB = _op(
    "sub",
    forward=operator.sub,
    grads=lambda x, y, out: (1.0, -1.0),
    code="{x} - {y}",
    rule=("1", "−1"),
    formula="{x} − {y}",
    tex="{x} - {y}",
    tex_rule=("1", "-1"),
    array=lambda np, x, y: x - y,
    sympy=lambda S, x, y: x - y,
    torch="{x} - {y}",
    jax="{x} - {y}",
    symbol="−",
    operands=("minuend", "subtrahend"),
    shortcut=ONE_MINUS_ONE,
)
MUL = _op(
    "mul",
    forward=operator.mul,
    grads=lambda x, y, out: (y, x),
    code="{x} * {y}",
    rule=("{y}", "{x}"),
    formula="{x} · {y}",
    tex=r"{x} \cdot {y}",
    tex_rule=("{y}", "{x}"),
    array=lambda np, x, y: x * y,
    sympy=lambda S, x, y: x * y,
    torch="{x} * {y}",
    jax="{x} * {y}",
    symbol="×",
    operands=("x", "y"),
    symmetric=True,
    shortcut=Y_X,
)
# d(x/y)/dx = 1/y,  d(x/y)/dy = -x/y² = -out/y
DIV = _op(
    "div",
    forward=_div,
    grads=lambda x, y, out: (div(1.0, y), -div(out, y)),
    code="{x} / {y}",
    rule=("1/{y}", "−{x}/{y}²"),
    formula="{x} ÷ {y}",
    tex=r"\frac{{x}}{{y}}",
    tex_rule=(r"\frac{1}{{y}}", r"-\frac{{x}}{{y}^{2}}"),
    function="div",
    array=lambda np, x, y: np.divide(x, y),
    sympy=lambda S, x, y: x / y,
    torch="torch.div({x}, {y})",
    jax="jnp.divide({x}, {y})",
    symbol="÷",
    operands=("dividend", "divisor"),
)
# d(x^y)/dx = y·x^(y-1),  d(x^y)/dy = x^y·ln x
POW = _op(
    "pow",
    forward=_pow,
    grads=lambda x, y, out: (_dpow_base(x, y), _dpow_exponent(x, y, out)),
    gates=("y", None),  # x^0 is the constant 1: nothing flows to x, as in PyTorch
    code="{x} ** {y}",
    rule=("{y}·{x}^({y}−1)", "{x}^{y}·ln {x}"),
    formula="{x}^{y}",
    tex="{{x}}^{{y}}",
    tex_rule=(r"{y} \cdot {x}^{{y}-1}", r"{x}^{{y}} \cdot \ln {x}"),
    function="power",
    array=lambda np, x, y: _pow_array(np, x, y),
    sympy=lambda S, x, y: x ** y,
    torch="torch.pow({x}, {y})",
    jax="jnp.power({x}, {y})",
    symbol="^",
    operands=("base", "exponent"),
)
NEG = _op(
    "neg",
    forward=operator.neg,
    grads=lambda x, out: (-1.0,),
    code="-{x}",
    rule=("−1",),
    formula="−{x}",
    tex="-{x}",
    tex_rule=("-1",),
    array=lambda np, x: -x,
    sympy=lambda S, x: -x,
    torch="-{x}",
    jax="-{x}",
    symbol="−",
    operands=("x",),
    shortcut=MINUS_ONE,
)
# (e^x)' = e^x
EXP = _op(
    "exp",
    forward=_exp,
    grads=lambda x, out: (out,),
    code="exp({x})",
    rule=("exp({x})",),
    formula="exp({x})",
    tex=r"\exp({x})",
    tex_rule=(r"\exp({x})",),
    array=lambda np, x: np.exp(x),
    sympy=lambda S, x: S.exp(x),
    torch="torch.exp({x})",
    jax="jnp.exp({x})",
    symbol="exp",
    operands=("x",),
    shortcut=OUT,
)
# (ln x)' = 1/x
LOG = _op(
    "log",
    forward=_log,
    grads=lambda x, out: (div(1.0, x),),
    code="log({x})",
    rule=("1/{x}",),
    formula="log({x})",
    tex=r"\log({x})",
    tex_rule=(r"\frac{1}{{x}}",),
    array=lambda np, x: np.log(x),
    sympy=lambda S, x: S.log(x),
    torch="torch.log({x})",
    jax="jnp.log({x})",
    symbol="log",
    operands=("x",),
)
# σ' = σ(1-σ)
SIGMOID = _op(
    "sigmoid",
    forward=_sigmoid,
    grads=lambda x, out: (out * (1.0 - out),),
    code="sigmoid({x})",
    rule=("σ(1−σ)",),
    formula="σ({x})",
    tex=r"\sigma({x})",
    tex_rule=(r"\sigma (1-\sigma )",),
    array=lambda np, x: _np_sigmoid(np, x),
    sympy=lambda S, x: S.sigmoid(x),
    torch="torch.sigmoid({x})",
    jax="jax.nn.sigmoid({x})",
    symbol="σ",
    operands=("x",),
)
# tanh' = 1 - tanh²
TANH = _op(
    "tanh",
    forward=math.tanh,
    grads=lambda x, out: (1.0 - out * out,),
    code="tanh({x})",
    rule=("1−tanh²",),
    formula="tanh({x})",
    tex=r"\tanh({x})",
    tex_rule=(r"1-\tanh ^{2}",),
    array=lambda np, x: np.tanh(x),
    sympy=lambda S, x: S.tanh(x),
    torch="torch.tanh({x})",
    jax="jnp.tanh({x})",
    symbol="tanh",
    operands=("x",),
)
# relu' = step: 1 where x > 0, else 0; and where relu(x) = 0 (x ≤ 0) no gradient flows at all,
# as PyTorch's threshold_backward tests the result
RELU = _op(
    "relu",
    forward=_relu,
    grads=lambda x, out: (_drelu(x),),
    gates=("out",),
    code="relu({x})",
    rule=("step({x})",),
    formula="ReLU({x})",
    tex=r"\operatorname{ReLU}({x})",
    tex_rule=(r"\operatorname{step}({x})",),
    array=lambda np, x: np.where(x > 0, x, np.where(np.isnan(x), x, 0.0)),
    sympy=lambda S, x: S.relu(x),
    torch="torch.relu({x})",
    jax="jax.nn.relu({x})",
    symbol="ReLU",
    operands=("x",),
    shortcut=ONE_WHERE_POSITIVE,
)
# relu' as an op of its own: 1 where x > 0, else 0 (the derivative graph masks relu with gate)
STEP = _op(
    "step",
    forward=_step,
    grads=lambda x, out: (0.0,),
    gates=("always",),
    code="step({x})",
    rule=("0",),
    formula="step({x})",
    tex=r"\operatorname{step}({x})",
    tex_rule=("0",),
    array=lambda np, x: np.where(x > 0, 1.0, 0.0),
    sympy=lambda S, x: S.step(x),
    torch="({x} > 0).double()",
    jax="jnp.where({x} > 0, 1.0, 0.0)",
    symbol="step",
    operands=("x",),
)

# the same number, no gradient back: PyTorch's detach, JAX's stop_gradient
STOP = _op(
    "stop_gradient",
    forward=lambda x: x,
    grads=lambda x, out: (0.0,),
    gates=("always",),
    code="stop_gradient({x})",
    rule=("0",),
    formula="stop({x})",
    tex=r"\operatorname{stop}({x})",
    tex_rule=("0",),
    array=lambda np, x: x,
    sympy=lambda S, x: S.stop_gradient(x),
    torch="{x}.detach()",
    jax="jax.lax.stop_gradient({x})",
    symbol="stop",
    operands=("x",),
)

# x where the test y is not 0, else 0 (PyTorch's where(y == 0, 0, x)): how the derivative graph
# masks (relu's dz = gate(da, a), pow's base), so that an inf or nan from above gives 0 there
GATE = _op(
    "gate",
    forward=_gate,
    grads=lambda x, y, out: (1.0, 0.0),
    gates=("y", "always"),  # so it masks its own gradient too: the graph of a graph is right
    code="gate({x}, {y})",
    rule=("1 where {y} ≠ 0, else 0", "0"),
    formula="{x} gate {y}",
    tex=r"{x} \,\text{gate}\, {y}",
    tex_rule=(r"1 \text{ where } {y} \neq 0 \text{, else } 0", "0"),
    function="gate",
    array=lambda np, x, y: np.where(y == 0, 0.0, x),
    sympy=lambda S, x, y: x,  # the formula of a derivative: x wherever the test passes
    torch="torch.where({y} == 0, torch.zeros_like({y}), {x})",
    jax="jnp.where({y} == 0, 0.0, {x})",
    symbol="gate",
    operands=("value", "test"),
)


# --- Local derivatives at their singular points, as PyTorch computes them -------------------
# On floats these return exactly what PyTorch's float64 backward multiplies by; on Values
# (create_graph) they build the same numbers as a graph, the choices made by gate at run time.


def _dpow_base(x: Any, y: Any) -> Any:
    """y·x^(y−1); 0 where y = 0 (x^0 is the constant 1), where the formula says 0·x^−1 = nan
    at x = 0. The op's mask then stops even an inf or nan from above, as in PyTorch."""
    if type(y) is float and y == 0.0:
        return 0.0
    return y * power(x, y - 1.0)


def _dpow_exponent(x: Any, y: Any, out: Any) -> Any:
    """x^y·ln x; 0 where x = 0 and y ≥ 0 (0^y is constant there for y > 0), where the formula
    says 0·(−inf) = nan. On Values the gate's test, gate(1, x) + relu(−y), is 0 exactly there
    (both terms are ≥ 0 or nan, the first 0 only at x = 0, the second only at y ≥ 0)."""
    if type(x) is float:
        if type(y) is float and x == 0.0 and y >= 0.0:
            return 0.0
        if x != 0.0:  # a number base other than 0: the formula holds for every y
            return out * log(x)
    return gate(out * log(x), gate(1.0, x) + relu(-y))


def _drelu(x: Any) -> Any:
    """1 unless x ≤ 0, so that a nan passes the gradient on (PyTorch's mask is x ≤ 0). On a
    Value 1: the derivative graph gates the term where relu(x) = 0, which is the rest."""
    if type(x) is float:
        return 0.0 if x <= 0.0 else 1.0
    return 1.0


def _np_sigmoid(np: Any, x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# --- Functions on a Value or a number -------------------------------------------------------
# A number gives a float, a Value gives a new node. The rules above call these, which is what
# lets one rule serve the float backward pass and the Value graph of create_graph alike.


def _unary(op: Op) -> Callable[[Any], Any]:
    forward = op.forward

    def fn(x: Any) -> Any:
        if type(x) is float:
            return forward(x)
        apply = getattr(x, "_apply1", None)
        if apply is not None:
            return apply(op)
        return forward(_to_float(x, op.name))

    fn.__name__ = fn.__qualname__ = op.function
    fn.__doc__ = f"{op.name}(x): a new node for a Value, an IEEE float (inf/nan) for a number."
    return fn


def _binary(op: Op, operator_fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    forward = op.forward

    def fn(x: Any, y: Any) -> Any:
        if type(x) is float and type(y) is float:
            return forward(x, y)
        if hasattr(x, "_apply1") or hasattr(y, "_apply1"):
            return operator_fn(x, y)  # the Value's own operator: a number stays a number operand
        return forward(_to_float(x, op.name), _to_float(y, op.name))

    fn.__name__ = fn.__qualname__ = op.function
    fn.__doc__ = f"{fn.__name__}(x, y): IEEE-safe on floats (inf/nan, no errors), a node on Values."
    return fn


def _gate_values(x: Any, y: Any) -> Any:
    return x.gate(y) if hasattr(x, "_apply1") else y._rgate(x)


def _to_float(x: Any, where: str) -> float:
    if isinstance(x, (int, float)) or is_number(x):
        try:
            return float(x)
        except OverflowError:  # an int too large for a float
            return INF if x > 0 else -INF
    raise TypeError(_("{where}() takes a Value or a real number, not {kind}", where=where,
                      kind=type(x).__name__))


def is_number(x: Any) -> bool:
    """True for the real numbers a Value accepts: int, float, bool and NumPy's real scalars."""
    t = type(x)
    if t is float or t is int or t is bool:
        return True
    if t.__module__ == "numpy":  # np.float32, np.int64, np.bool_ ... but not arrays
        kind = getattr(getattr(x, "dtype", None), "kind", "")
        return t.__name__ != "ndarray" and kind != "" and kind in "biuf"
    import numbers

    return isinstance(x, numbers.Real)


exp = _unary(EXP)
log = _unary(LOG)
sigmoid = _unary(SIGMOID)
tanh = _unary(TANH)
relu = _unary(RELU)
step = _unary(STEP)
stop_gradient = _unary(STOP)
stop_gradient.__doc__ = ("stop_gradient(x): x's number, through which no gradient flows back "
                         "(PyTorch's detach, JAX's stop_gradient); a recorded op under trace.")
div = _binary(DIV, operator.truediv)
power = _binary(POW, operator.pow)
gate = _binary(GATE, _gate_values)
gate.__doc__ = ("gate(x, test): x where test is not 0, else 0 (not even an inf or nan passes); "
                "how derivative graphs mask, like PyTorch's where(test == 0, 0, x).")
