"""The course's bump check: nudge one input, watch the output move, compare with backward."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .autograd import grad
from .gradmode import is_grad_enabled, no_grad
from .i18n import _
from .value import Value


class GradcheckError(AssertionError):
    """Backward and finite differences disagree for an input."""


def gradcheck(f: Callable[..., Value], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> bool:
    """Check ``f``'s gradient against central differences (f(x+eps) - f(x-eps)) / 2eps.

    ``inputs`` are Values or numbers; ``f`` takes them and returns a Value. Returns True, or
    raises ``GradcheckError`` naming the first input whose two numbers differ by more than
    ``atol + rtol·|numeric|``. Non-finite values on both sides count as agreeing when equal.
    """
    if not inputs:
        raise ValueError(_("gradcheck() needs at least one input"))
    if not is_grad_enabled():
        raise RuntimeError(_("gradcheck() was called inside no_grad(), where f's graph isn't "
                             "recorded and backward would give 0; call it outside the block"))
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    xs = [float(Value.lift(x).data) for x in inputs]
    leaves = [Value(x, label=getattr(v, "label", "") or f"input {i}")
              for i, (x, v) in enumerate(zip(xs, inputs))]
    out = f(*leaves)
    if type(out) is not Value:
        raise TypeError(f"gradcheck(): f must return a Value, not {type(out).__name__}")
    analytic = grad(out, leaves)
    for i, x in enumerate(xs):
        with no_grad():
            up = _at(f, xs, i, x + eps)
            down = _at(f, xs, i, x - eps)
        numeric = (up - down) / (2 * eps)
        a = analytic[i]
        same = a == numeric or abs(a - numeric) <= atol + rtol * abs(numeric)
        if not same and not (math.isnan(a) and math.isnan(numeric)):
            name = leaves[i].label
            raise GradcheckError(f"gradient of {name}: backward gives {a!r}, "
                                 f"finite differences give {numeric!r}")
    return True


def _at(f: Callable[..., Value], xs: list[float], i: int, x: float) -> float:
    args = [Value(v) for v in xs]
    args[i] = Value(x)
    return f(*args).data
