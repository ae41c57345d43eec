"""microgrid: scalar reverse-mode automatic differentiation for learning how networks train.

>>> from microgrid import Value
>>> a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
>>> J = 3 * (a + b * c)
>>> J.backward()
>>> a.grad, b.grad, c.grad
(3.0, 6.0, 9.0)

``import microgrid`` loads the engine alone (``Value``, the ops, ``grad``, ``gradcheck``): it
is all a session that builds and differentiates expressions needs. The static graph
(``trace``), the drawing (``draw``) and the training modules (``microgrid.nn`` ...) load on
first use, and Graphviz, NumPy and tqdm only when a function needs them.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING

from .engine.autograd import grad, topological_order
from .engine.gradcheck import GradcheckError, gradcheck
from .engine.gradmode import enable_grad, is_grad_enabled, is_recording, no_grad, set_grad_enabled
from .engine.ops import OPS, exp, log, relu, sigmoid, stop_gradient, tanh
from .engine.steps import Step, backward_steps
from .engine.value import Value

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from . import cli as cli
    from . import datasets, losses, nn, optim, train
    from . import engine as engine
    from . import static as static
    from . import view as view
    from .i18n import language, set_language
    from .static.trace import TracedFunction, trace
    from .view.draw import GraphvizNotFound, draw
    from .view.explain import explain
    from .view.grade import compare_grads
    from .view.practice import Exercise, exercise
    from .view.reading import Reading, read
    from .view.stepping import StepThrough, step_through

__version__ = "0.3.0.dev0"

# name -> the module that defines it, imported on first use (module __getattr__, PEP 562)
_LAZY = {
    "trace": "static.trace",
    "TracedFunction": "static.trace",
    "draw": "view.draw",
    "GraphvizNotFound": "view.draw",
    "step_through": "view.stepping",
    "StepThrough": "view.stepping",
    "explain": "view.explain",
    "compare_grads": "view.grade",
    "set_language": "i18n",
    "language": "i18n",
    "exercise": "view.practice",
    "Exercise": "view.practice",
    "read": "view.reading",
    "Reading": "view.reading",
}
_SUBMODULES = ("datasets", "losses", "nn", "optim", "train", "engine", "view", "static", "cli")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(_importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = _importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'microgrid' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """What tab completion offers: the public names, loaded or not, and no helpers."""
    return sorted({*__all__, *_SUBMODULES, "__version__"})


__all__ = [
    "OPS",
    "GradcheckError",
    "GraphvizNotFound",
    "Reading",
    "Step",
    "Value",
    "backward_steps",
    "compare_grads",
    "draw",
    "enable_grad",
    "exercise",
    "Exercise",
    "exp",
    "explain",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "is_recording",
    "language",
    "log",
    "no_grad",
    "read",
    "relu",
    "set_grad_enabled",
    "set_language",
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
