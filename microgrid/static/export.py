"""Graduating: a traced function or a model, handed to PyTorch or JAX as the same computation.

A learner who has the course's loss or a small network working in microgrid next wants it on
more data than a scalar engine can take, on a GPU, in the framework the rest of the course
uses. Nothing here is a second implementation to keep in step with the first:

* ``export_source`` writes a traced function's forward in PyTorch or JAX. It is the very code
  of ``f.forward_source``, line for line and name for name, with each op spelled by its
  ``torch`` or ``jax`` field of the op table (``ops.py``) instead of its ``code`` field: the
  code generator writes it (``Code.spelled``), not a second list of ops. Every quantity is an
  array whose leading axis is the batch, like ``trace``'s NumPy batches; a list argument is
  an array whose trailing axis (or axes) are the list.
* ``compile_torch`` / ``compile_jax`` run that source. The derivatives then come from the
  framework's own autograd (``torch.autograd.grad``, ``jax.grad``); the tests check them
  against ``f.value_and_grad`` to 1e-12.
* ``torch_sequential`` builds a ``torch.nn.Sequential`` of ``Linear`` layers and activations
  from a model's weights, and ``linear_layers`` reads them back out of one. The models
  themselves (``microgrid.nn``) say which layers they are made of.

PyTorch and JAX are optional (``pip install torch``, ``pip install "jax[cpu]"``) and are
imported only here, only when asked for: ``import microgrid`` still loads the standard library
alone. Nothing here moves data between machines: on several GPUs or machines, use the engines'
own tools (README, "Graduating to PyTorch and JAX").
"""

from __future__ import annotations

import ast
import importlib
import linecache
from collections.abc import Callable, Sequence
from typing import Any

from ..i18n import N_, gettext
from .codegen import Code

TARGETS = ("torch", "jax")

# what the generated code's names need imported, in the order the imports are written
_IMPORTS = {
    "math": "import math",
    "jax": "import jax",
    "jnp": "import jax.numpy as jnp",
    "torch": "import torch",
    "inf": "from math import inf",
    "nan": "from math import nan",
}
_INSTALL = {
    "torch": N_("this needs PyTorch: python -m pip install torch"),
    "jax": N_('this needs JAX: python -m pip install "jax[cpu]"'),
}
# microgrid's activations and the torch.nn module of each
_TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def require(target: str) -> Any:
    """The framework's module, or one line saying which extra installs it."""
    check_target(target)
    try:
        return importlib.import_module(target)
    except ImportError:
        install = _INSTALL[target]
        raise ModuleNotFoundError(gettext(install)) from None


def check_target(target: Any) -> None:
    if target not in TARGETS:
        raise ValueError(gettext("unknown export target {target}: choose 'torch' or 'jax'",
                                 target=repr(target)))


# --- traced functions --------------------------------------------------------------------------


def export_source(code: Code, target: str) -> str:
    """The module source of ``code``'s function written for ``target`` ("torch" or "jax")."""
    check_target(target)
    assert code.spelled is not None
    body = code.spelled(target, _UNPACK[target])
    used = {n.id for n in ast.walk(ast.parse(body)) if isinstance(n, ast.Name)}
    imports = [line for name, line in _IMPORTS.items() if name in used]
    return "".join(line + "\n" for line in imports) + ("\n\n" if imports else "") + body


def _depth(tree: Any) -> int | None:
    """How many list levels a rectangular tree has (None for a ragged one)."""
    if type(tree) is not list:
        return 0
    depths = {_depth(t) for t in tree}
    shapes = {_shape(t) for t in tree}
    if len(depths) != 1 or len(shapes) != 1 or None in depths:
        return None
    return 1 + depths.pop()


def _shape(tree: Any) -> tuple:
    return (len(tree), *_shape(tree[0])) if type(tree) is list and tree else ()


def _unbind_torch(source: str, tree: list) -> str:
    depth = _depth(tree)  # a ragged list is passed as a Python list of tensors
    return source if depth is None else f"{source}.unbind({-depth})"


def _unbind_jax(source: str, tree: list) -> str:
    depth = _depth(tree)
    return source if depth is None else f"jnp.unstack({source}, axis={-depth})"


_UNPACK: dict[str, Callable[[str, list], str]] = {"torch": _unbind_torch, "jax": _unbind_jax}


def _compile(source: str, name: str, target: str) -> Callable[..., Any]:
    filename = f"<microgrid.export {target} {name} {id(source):x}>"
    # registered so that a traceback through the exported code shows its lines
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"microgrid_export_{target}"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


class TorchFunction:
    """A traced function exported to PyTorch: call it on tensors (batch along axis 0).

    Numbers, lists and NumPy arrays are turned into float64 tensors; tensors are used as they
    are, so gradients flow back to them (``torch.autograd.grad``, ``.backward()``). Everything
    runs on ``device`` if one was given, else where the tensor arguments are (else on PyTorch's
    default device): the same call runs on a GPU when the inputs are there.
    ``source`` is the code it runs.
    """

    __slots__ = ("fn", "source", "device", "__name__", "__wrapped__")

    def __init__(self, source: str, name: str, device: Any = None) -> None:
        self.source = source
        self.fn = _compile(source, name, "torch")
        self.device = device
        self.__name__ = name
        self.__wrapped__ = self.fn

    def __repr__(self) -> str:
        where = "" if self.device is None else f" on {self.device}"
        return f"<{self.__name__} exported to PyTorch{where}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        torch = require("torch")
        device = self.device
        if device is None:
            device = _first_tensor_device(torch, (args, kwargs))
        args = tuple(_tensor(torch, a, device) for a in args)
        kwargs = {k: _tensor(torch, a, device) for k, a in kwargs.items()}
        out = self.fn(*args, **kwargs)
        if not isinstance(out, torch.Tensor):  # a function of none of its arguments: a constant
            out = torch.as_tensor(out, dtype=torch.float64, device=device)
        return out


def _first_tensor_device(torch: Any, tree: Any) -> Any:
    stack = [tree]
    while stack:
        t = stack.pop()
        if isinstance(t, torch.Tensor):
            return t.device
        if isinstance(t, dict):
            stack.extend(t.values())
        elif isinstance(t, (list, tuple)):
            stack.extend(reversed(t))
    return None


def _tensor(torch: Any, x: Any, device: Any) -> Any:
    """``x`` as the exported code takes it: a tensor whose trailing axes are the list."""
    if isinstance(x, torch.Tensor):
        t = x if device is None else x.to(device)
    elif isinstance(x, (list, tuple)) and (_holds_tensor(torch, x) or _depth(_as_tree(x)) is None):
        items = [_tensor(torch, i, device) for i in x]
        depth = _depth(_as_tree(x))
        if depth is None:  # ragged: the code unpacks it as a list
            return items
        t = torch.stack(torch.broadcast_tensors(*items), dim=-depth)
    else:
        t = torch.as_tensor(x, dtype=torch.float64, device=device)
    if t.dim() >= 2 and t.stride(0) != 1:
        # The code reads a batch of lists column by column (x.unbind(-1)). Strided columns
        # made every elementwise op ~3x slower at m = 100,000 (benchmarks/trace.py), so one
        # copy lays each column out contiguously first; gradients flow through it.
        t = t.movedim(0, -1).contiguous().movedim(-1, 0)
    return t


def _holds_tensor(torch: Any, x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return any(_holds_tensor(torch, i) for i in x)
    return isinstance(x, torch.Tensor)


def _as_tree(x: Any) -> Any:
    """A nested list/tuple as a tree of lists, tensors as leaves (their own axes don't count)."""
    if isinstance(x, (list, tuple)):
        return [_as_tree(i) for i in x]
    return 0.0


def compile_torch(code: Code, device: Any = None) -> TorchFunction:
    require("torch")
    return TorchFunction(export_source(code, "torch"), code.name, device)


def compile_jax(code: Code, device: Any = None, x64: bool = True) -> Callable[..., Any]:
    """The function in JAX, ready for ``jax.jit``, ``jax.grad`` and ``jax.vmap``.

    JAX computes in float32 unless told otherwise; microgrid's numbers are float64, so with
    ``x64`` (the default) this turns on JAX's ``jax_enable_x64`` for the process, as JAX's
    documentation says to at startup. With ``device``, the arguments are put there first;
    otherwise JAX computes where they are (its default device for numbers).
    """
    jax = require("jax")
    if x64 and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    jnp = importlib.import_module("jax.numpy")
    source = export_source(code, "jax")
    inner = _compile(source, code.name, "jax")

    def fn(*args: Any, **kwargs: Any) -> Any:
        # plain JAX operations only, so jit, grad and vmap trace straight through
        if device is not None:
            args, kwargs = jax.device_put((args, kwargs), device)
        args = tuple(_jax_array(jnp, a) for a in args)
        kwargs = {k: _jax_array(jnp, a) for k, a in kwargs.items()}
        return inner(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = code.name
    fn.__doc__ = f"{code.name}, exported to JAX by microgrid: see its .source"
    fn.__wrapped__ = inner  # type: ignore[attr-defined]
    fn.source = source  # type: ignore[attr-defined]
    return fn


def _jax_array(jnp: Any, x: Any) -> Any:
    """A (nested) list argument as one array whose trailing axes are the list, so that
    ``jax.grad`` can take a list of numbers (a pytree) and gradients reach each entry."""
    if not isinstance(x, (list, tuple)):
        return x
    items = [_jax_array(jnp, i) for i in x]
    depth = _depth(_as_tree(x))
    if depth is None:  # ragged: the code unpacks it as a list
        return items
    return jnp.stack(jnp.broadcast_arrays(*items), axis=-depth)


# --- models ------------------------------------------------------------------------------------

Layer = tuple[list[list[float]], list[float], "str | None"]  # weight rows, biases, activation
Layers = Sequence[Layer]


def torch_sequential(layers: Layers, layout: str) -> Any:
    """``torch.nn.Sequential`` of ``Linear`` (+ activation) per layer, float64, with the weights
    given: each layer is (weight rows, one per output; biases; activation name or None).
    ``layout`` (``"neuron"``, ``"layer"``, ``"mlp"``) is kept on the module, so that
    ``state_dict_from_torch`` knows which microgrid model its weights belong to."""
    for _, _, act in layers:  # checked first: nothing is built for a model that can't be
        if act is not None and act not in _TORCH_ACTIVATIONS:
            raise ValueError(gettext("to_torch(): PyTorch has no activation {activation} in "
                                     "torch.nn; microgrid exports {choices}",
                                     activation=repr(act),
                                     choices=", ".join(_TORCH_ACTIVATIONS)))
    torch = require("torch")
    modules = []
    for w, b, act in layers:
        linear = torch.nn.Linear(len(w[0]), len(w), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(w, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
        modules.append(linear)
        if act is not None:
            modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[act])())
    model = torch.nn.Sequential(*modules)
    model.microgrid_layout = layout
    return model


def linear_layers(module: Any) -> tuple[str, list[Layer]]:
    """The layout (see ``torch_sequential``; "mlp" for a module made elsewhere) and the layers
    of a torch module made of ``Linear`` layers, each optionally followed by an activation."""
    torch = require("torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(gettext("state_dict_from_torch() takes a torch.nn.Module, not {kind}",
                                kind=type(module).__name__))
    names = {v: k for k, v in _TORCH_ACTIVATIONS.items()}
    layers: list[Layer] = []
    children = list(module.children()) if len(list(module.children())) else [module]
    for child in children:
        kind = type(child).__name__
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise ValueError(gettext("state_dict_from_torch(): a Linear layer without a "
                                         "bias; microgrid's neurons each have one (bias=True)"))
            if layers and len(layers[-1][0]) != child.in_features:
                raise ValueError(gettext("state_dict_from_torch(): a Linear layer takes "
                                         "{inputs} inputs after a layer of {outputs} outputs",
                                         inputs=child.in_features,
                                         outputs=len(layers[-1][0])))
            w = child.weight.detach().to("cpu", torch.float64).tolist()
            b = child.bias.detach().to("cpu", torch.float64).tolist()
            layers.append((w, b, None))
        elif kind in names and layers and layers[-1][2] is None:
            w, b, _ = layers[-1]
            layers[-1] = (w, b, names[kind])
        else:
            raise ValueError(gettext("state_dict_from_torch(): {kind} is not what microgrid's "
                                     "models are made of (Linear layers, each followed by at "
                                     "most one of {choices})", kind=kind,
                                     choices=", ".join(names)))
    if not layers:
        raise ValueError(gettext("state_dict_from_torch(): the module has no Linear layer"))
    return getattr(module, "microgrid_layout", "mlp"), layers
