"""The engine: ``Value``, the op table, the backward pass (and its records) and the bump check.

The ground floor of microgrid. It imports only the standard library and nothing else of
microgrid; every other room (views, the static graph, training, the command line) imports it.
The one way back up is lazy imports inside a few ``Value`` conveniences (``tree()``), as
PyTorch's ``Tensor.backward`` reaches its autograd package.

Read it in this order: ``ops.py`` (every op: forward, local derivatives, where no gradient
flows), ``value.py`` (a node, and how an expression records the graph), ``gradmode.py``
(``no_grad``), ``autograd.py`` (the topological order and the chain rule, ``contributions``),
``steps.py`` (the backward pass as records), ``gradcheck.py`` (the course's bump check).
CONTRIBUTING.md walks J = 3(a + bc) through them.
"""

from .autograd import contributions, grad, topological_order
from .gradcheck import GradcheckError, gradcheck
from .gradmode import enable_grad, is_grad_enabled, is_recording, no_grad, set_grad_enabled
from .ops import OPS, Op, stop_gradient
from .steps import Step, backward_steps
from .value import Value

__all__ = ["OPS", "GradcheckError", "Op", "Step", "Value", "backward_steps", "contributions",
           "enable_grad", "grad", "gradcheck", "is_grad_enabled", "is_recording", "no_grad",
           "set_grad_enabled", "stop_gradient", "topological_order"]
