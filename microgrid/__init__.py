"""microgrid: scalar reverse-mode automatic differentiation for learning how networks train.

>>> from microgrid import Value
>>> a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
>>> J = 3 * (a + b * c)
>>> J.backward()
>>> a.grad, b.grad, c.grad
(3.0, 6.0, 9.0)
"""

from .autograd import grad, topological_order
from .draw import GraphvizNotFound, draw
from .gradcheck import GradcheckError, gradcheck
from .ops import OPS, exp, log, relu, sigmoid, tanh
from .value import Value, is_recording, no_grad

__version__ = "0.1.0"

__all__ = [
    "OPS",
    "GradcheckError",
    "GraphvizNotFound",
    "Value",
    "draw",
    "exp",
    "grad",
    "gradcheck",
    "is_recording",
    "log",
    "no_grad",
    "relu",
    "sigmoid",
    "tanh",
    "topological_order",
]
