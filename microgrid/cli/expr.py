"""Formulas typed as text, such as ``"3*(a+b*c)"``, turned into a microgrid graph.

The command line needs to read a formula from a stranger, so this is not ``eval``: the text is
parsed by ``ast`` and only a whitelist gets through (numbers, names, ``+ - * / **``, unary
minus, parentheses, and ``exp log sigmoid tanh relu`` of one argument). Everything else is
refused with a one-line ``ExpressionError`` before a single op runs. Numbers are floats and the
arithmetic is the engine's IEEE-safe ops, so ``9**9**9`` is ``inf`` at once rather than a
billion-digit integer, and ``log(-1)`` is ``nan``. Evaluation is a loop, not recursion.
"""

from __future__ import annotations

import ast
import bisect
import gc
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine import ops
from ..engine.ops import OPS
from ..engine.value import Value

FUNCTIONS = ("exp", "log", "sigmoid", "tanh", "relu")  # each the name of a one-input op in OPS
MAX_LENGTH = 2_000_000  # characters: a generated sum of 100,000 terms fits, read from stdin
FLAT = 500  # more + and - than this: read as a flat sum at once (see _parse_flat)
MAX_DEPTH = 100  # parentheses (and so calls) nested inside each other
MAX_TREE_DEPTH = 1000  # operators nested inside each other, e.g. -(-(-a)) or a**a**a, the
# same limit on every interpreter. A flat chain such as a+b+c+... or a*b*c*... doesn't nest in
# this sense: it is read term by term and computed in a loop, at any length.

Number = Value | float

# The five operators of the whitelist: the op that does the arithmetic on two floats (IEEE-safe),
# and Python's operator, which on a Value builds the node.
_BINARY: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("add", operator.add),
    ast.Sub: ("sub", operator.sub),
    ast.Mult: ("mul", operator.mul),
    ast.Div: ("div", operator.truediv),
    ast.Pow: ("pow", operator.pow),
}
_SYMBOL = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
           ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~",
           ast.Not: "not"}
_REFUSED = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if ... else'",
    ast.NamedExpr: "assignment (':=')",
    ast.JoinedStr: "a string",
    ast.Tuple: "a tuple (',')",
    ast.List: "a list",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Starred: "'*' unpacking",
    ast.Await: "'await'",
}
_HINT = "allowed are numbers, names, + - * / **, and exp log sigmoid tanh relu of one argument"


class ExpressionError(ValueError):
    """A formula that is not allowed or not well formed; the message is one line."""


class Expression:
    """A parsed, checked formula: call it with the variables' values to compute it.

    >>> f = parse("3*(a+b*c)")
    >>> f.names
    ('a', 'b', 'c')
    >>> f({"a": 5.0, "b": 3.0, "c": 2.0})
    33.0
    """

    __slots__ = ("source", "names", "_body")

    def __init__(self, source: str, names: tuple[str, ...], body: ast.expr) -> None:
        self.source = source
        self.names = names  # the variables it uses, in order of first appearance
        self._body = body

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __call__(self, values: Mapping[str, Number]) -> Number:
        """The formula's value: a Value if any variable is a Value (a graph to differentiate),
        else a float. Every use of a name is the same node, so its gradients add up."""
        missing = [n for n in self.names if n not in values]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}: give it as "
                                  f"{missing[0]}=NUMBER")
        results: list[Number] = []
        stack: list[tuple[ast.expr, bool]] = [(self._body, False)]
        while stack:  # post-order: a node is computed once its inputs are on `results`
            node, ready = stack.pop()
            if isinstance(node, ast.Constant):
                results.append(_to_float(node.value))
            elif isinstance(node, ast.Name):
                v = values[node.id]
                results.append(v if type(v) is Value else _to_float(v))
            elif not ready:
                stack.append((node, True))
                if isinstance(node, ast.BinOp):
                    stack.append((node.right, False))
                    stack.append((node.left, False))
                elif isinstance(node, ast.UnaryOp):
                    stack.append((node.operand, False))
                else:
                    stack.append((node.args[0], False))  # type: ignore[attr-defined]
            elif isinstance(node, ast.BinOp):
                y = results.pop()
                x = results.pop()
                name, python_op = _BINARY[type(node.op)]
                if type(x) is float and type(y) is float:
                    results.append(OPS[name].forward(x, y))
                else:
                    results.append(python_op(x, y))
            elif isinstance(node, ast.UnaryOp):
                if isinstance(node.op, ast.USub):
                    results.append(-results.pop())
            else:
                fn = getattr(ops, node.func.id)  # type: ignore[attr-defined]
                results.append(fn(results.pop()))
        return results[0]


def parse(source: str) -> Expression:
    """Check ``source`` against the whitelist and return it as an ``Expression``.

    Raises ``ExpressionError`` (a ``ValueError``) with a one-line message for anything else:
    imports, attributes, lambdas, unknown names of functions, wrong arity, keyword arguments,
    syntax errors, nesting too deep to be a formula or text too long to be one.
    """
    if not isinstance(source, str):
        raise TypeError(f"an expression is a str, not {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(source):,} characters long; "
                              f"the limit is {MAX_LENGTH:,}")
    if not source.strip():
        raise ExpressionError("the expression is empty")
    depth = deepest = 0
    for ch in source:  # checked before parsing: the parser itself recurses on parentheses
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise ExpressionError(f"parentheses are nested {deepest:,} deep; the limit is "
                              f"{MAX_DEPTH}")
    try:
        grown: list[int] = []
        paused = gc.isenabled()
        gc.disable()  # a long formula is a million small objects: don't walk them meanwhile
        try:
            if source.count("+") + source.count("-") > FLAT:
                body, grown = _parse_flat(source.strip())
            else:
                body = ast.parse(source.strip(), mode="eval").body
        except RecursionError:  # a long flat sum: Python's parser recurses on each operator
            body, grown = _parse_flat(source.strip())
        finally:
            if paused:
                gc.enable()
    except ExpressionError:
        raise
    except SyntaxError as e:
        if "digits" in e.msg and "limit" in e.msg:  # Python's cap on int literal length
            raise ExpressionError("a number in the expression has too many digits; write "
                                  "it with an exponent, e.g. 1e5000") from None
        where = f" (column {e.offset})" if e.offset else ""
        raise ExpressionError(f"syntax error: {_one_line(e.msg)}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply to parse") from None
    except ValueError as e:  # e.g. a NUL character
        raise ExpressionError(f"cannot parse the expression: {_one_line(str(e))}") from None
    names = _check(body, grown)
    return Expression(source, names, body)


def evaluate(source: str, values: Mapping[str, Number]) -> Number:
    """``parse(source)(values)``: the value of a formula for the given variables."""
    return parse(source)(values)


# Python's tokens, as far as the split below needs them: numbers (with exponents, whose sign
# is no operator), names, the operators, anything else one character at a time.
_TOKEN = re.compile(r"""
    (?P<number>0[xXoObB][\w]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)
  | (?P<name>\w+)
  | (?P<space>\s+)
  | (?P<op>\*\*|.)""", re.VERBOSE | re.DOTALL)


def _parse_flat(source: str) -> tuple[ast.expr, list[int]]:
    """A long flat sum ``t1 + t2 - t3 ...``, which Python's parser builds by recursion and
    refuses beyond about a thousand terms, parsed in one pass without recursion.

    Each ``+``/``-`` that joins two terms outside parentheses becomes ``,0+``/``,0-``, so
    that ``ast`` reads a flat tuple ``t1, 0+t2, 0-t3``; the terms are then chained left to
    right as Python groups them (``a - b + c`` is ``(a - b) + c``, bit for bit the same sum).
    Also returns where the text grew, to give columns as in ``source``."""
    out, grown = [], []
    depth, last, start, length = 0, "op", 0, 0
    for t in _TOKEN.finditer(source):
        kind = t.lastgroup
        if kind == "space":
            continue
        text = t.group()
        if kind == "op":
            if text in "([":
                depth += 1
            elif text in ")]":
                depth -= 1
            elif depth == 0 and text in "+-" and last != "op":  # binary: after an operand
                out.append(source[start:t.start()])
                length += t.start() - start
                grown.append(length + 2 * len(grown))  # where ",0" goes in the new text
                out.append(",0")
                start = t.start()
            last = "operand" if text in ")]'\"" else "op"  # a string is refused later
        else:
            last = "operand"
    out.append(source[start:])
    tree = ast.parse("".join(out), mode="eval").body
    if not grown:
        return tree, grown
    if not isinstance(tree, ast.Tuple) or len(tree.elts) != len(grown) + 1 or not all(
            isinstance(e, ast.BinOp) and isinstance(e.left, ast.Constant) for e in tree.elts[1:]):
        raise ExpressionError(f"a tuple (',') is not allowed; {_HINT}")
    node = tree.elts[0]
    for e in tree.elts[1:]:
        assert isinstance(e, ast.BinOp)
        node = ast.BinOp(left=node, op=e.op, right=e.right, lineno=e.lineno,
                         col_offset=e.col_offset)
    return node, grown


def _check(body: ast.expr, grown: Sequence[int] = ()) -> tuple[str, ...]:
    """Refuse anything outside the whitelist; return the variable names used, in order.
    ``grown``: where ``_parse_flat`` added two characters, to report columns of the source."""

    def at() -> str:  # where the node is, worked out only for a message
        return _where(node, grown)

    names: dict[str, None] = {}
    stack: list[tuple[ast.AST, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError(f"the expression nests operators more than {MAX_TREE_DEPTH} "
                                  "deep")
        if isinstance(node, ast.Constant):
            value = node.value
            if type(value) not in (int, float):
                raise ExpressionError(f"{_constant(value)} is not allowed{at()}; {_HINT}")
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id} is a function: call it as {node.id}(x)")
            names[node.id] = None
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(f"operator {_SYMBOL.get(type(node.op), '?')} is not "
                                      f"supported{at()}; {_HINT}")
            stack.append((node.right, depth + 1))
            # a chain a+b+c+... nests to the left: its left side is computed in the same loop
            flat = type(node.op) is not ast.Pow
            stack.append((node.left, depth if flat else depth + 1))
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError(f"operator {_SYMBOL.get(type(node.op), '?')} is not "
                                      f"supported{at()}; {_HINT}")
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise ExpressionError(f"only {', '.join(FUNCTIONS)} can be called{at()}")
            if func.id not in FUNCTIONS:
                raise ExpressionError(f"unknown function {func.id!r}{at()}; the functions are "
                                      f"{', '.join(FUNCTIONS)}")
            if node.keywords:
                raise ExpressionError(f"{func.id}() takes no keyword arguments{at()}")
            if len(node.args) != 1:
                raise ExpressionError(f"{func.id}() takes exactly one argument, "
                                      f"got {len(node.args)}{at()}")
            stack.append((node.args[0], depth + 1))
        else:
            what = _REFUSED.get(type(node), type(node).__name__)
            raise ExpressionError(f"{what} is not allowed{at()}; {_HINT}")
    return tuple(names)


def _where(node: ast.AST, grown: Sequence[int]) -> str:
    """" (column N)" of a node in the source (only for a message: it costs a search)."""
    column = getattr(node, "col_offset", 0)
    return f" (column {column + 1 - 2 * bisect.bisect_right(grown, column)})"


def _to_float(x: Any) -> float:
    try:
        return float(x)
    except OverflowError:  # an integer literal beyond the float range
        return math.inf if x > 0 else -math.inf


def _constant(value: Any) -> str:
    if isinstance(value, (str, bytes)):
        return "a string"
    if isinstance(value, complex):
        return "a complex number"
    return repr(value)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
