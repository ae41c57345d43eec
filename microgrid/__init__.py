"""microgrid: scalar reverse-mode automatic differentiation for learning how networks train.

>>> from microgrid import Value
>>> a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
>>> J = 3 * (a + b * c)
>>> J.backward()
>>> a.grad, b.grad, c.grad
(3.0, 6.0, 9.0)

Everything here imports only the standard library; Graphviz, NumPy and tqdm are imported by the
functions that need them, and the training modules load on first use (``microgrid.nn`` ...).
"""

from importlib import import_module
from typing import Any

from .engine.autograd import grad, topological_order
from .engine.gradcheck import GradcheckError, gradcheck
from .engine.gradmode import enable_grad, is_grad_enabled, is_recording, no_grad, set_grad_enabled
from .engine.ops import OPS, exp, log, relu, sigmoid, stop_gradient, tanh
from .engine.steps import Step, backward_steps
from .engine.value import Value
from .static.trace import TracedFunction, trace
from .view.draw import GraphvizNotFound, draw

__version__ = "0.1.0"

# name -> the submodule that defines it, imported on first use
_LAZY = {
    "trace": "static.trace",
    "TracedFunction": "static.trace",
    "step_through": "view.stepping",
    "StepThrough": "view.stepping",
    "explain": "view.explain",
    "compare_grads": "view.grade",
}
_SUBMODULES = {"datasets", "losses", "nn", "optim", "train", "engine", "view", "static", "cli"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'microgrid' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "OPS",
    "GradcheckError",
    "GraphvizNotFound",
    "Step",
    "Value",
    "backward_steps",
    "compare_grads",
    "draw",
    "enable_grad",
    "exp",
    "explain",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "is_recording",
    "log",
    "no_grad",
    "relu",
    "set_grad_enabled",
    "sigmoid",
    "step_through",
    "StepThrough",
    "stop_gradient",
    "tanh",
    "topological_order",
    "trace",
    "TracedFunction",
    # submodules
    "datasets",
    "losses",
    "nn",
    "optim",
    "train",
]
