"""The engine: ``Value``, the op table, the backward pass (and its records) and the bump check.

The ground floor of microgrid. It imports only the standard library and nothing else of
microgrid; every other room (views, the static graph, training, the command line) imports it.
The one way back up is lazy imports inside a few ``Value`` conveniences (``tree()``), as
PyTorch's ``Tensor.backward`` reaches its autograd package.
"""

from .autograd import grad, topological_order
from .gradcheck import GradcheckError, gradcheck
from .ops import OPS, Op
from .steps import Step, backward_steps
from .value import Value, is_recording, no_grad

__all__ = ["OPS", "GradcheckError", "Op", "Step", "Value", "backward_steps", "grad", "gradcheck",
           "is_recording", "no_grad", "topological_order"]
