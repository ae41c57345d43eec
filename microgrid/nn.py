"""Models built from Values: a neuron, a layer of neurons, a multi-layer perceptron, and the
course's logistic regression.

Every model is called on **one sample** (a list, tuple or NumPy row of numbers or Values) and
builds that sample's graph. Training on m samples is m such calls whose losses are averaged (see
``microgrid.train.fit``): nothing here is vectorized, so every weight, product and sum is a node
you can draw and inspect.

Parameters carry labels, so a drawing reads like the course's notation: logistic regression has
``w1 … wn`` and ``b``; in an MLP, the neuron ``j`` of layer ``l`` (both counted from 1, as the
course counts layers) has weights ``Ll.nj.w1 …`` and bias ``Ll.nj.b``, and its output is
labelled ``Ll.nj``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from .engine.ops import _to_float, is_number
from .engine.value import Value
from .i18n import _

Seed = int | random.Random | None

ACTIVATIONS = ("relu", "tanh", "sigmoid")


class Module:
    """What every model has: its parameters, and a way to save and restore them."""

    def parameters(self) -> list[Value]:
        """The Values an optimizer updates, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0: gradients accumulate, so clear them per step."""
        for p in self.parameters():
            p.grad = 0.0

    def _tensors(self) -> dict[str, Any]:
        """Name -> a Value or a (nested) list of Values: the layout of ``state_dict``."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """The parameters' numbers as plain dicts, lists and floats, ready for ``json.dump``.

        Python writes floats with ``repr``, the shortest text that reads back as the same
        float, so a JSON round trip restores every bit.
        """
        return {name: _data(t) for name, t in self._tensors().items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy numbers from ``state`` (as made by ``state_dict``) into this model's parameters.

        Everything is checked before anything is written, so a mismatched state (missing or
        extra names, a different shape, a non-number) raises and leaves the model unchanged.
        """
        if not isinstance(state, Mapping):
            raise TypeError(_("load_state_dict() takes a dict, not {kind}",
                              kind=type(state).__name__))
        own = self._tensors()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if missing or unexpected:
            raise ValueError(_("load_state_dict(): state doesn't fit {model}: missing "
                               "{missing}, unexpected {unexpected}", model=type(self).__name__,
                               missing=missing, unexpected=unexpected))
        pairs: list[tuple[Value, float]] = []
        for name, t in own.items():
            _match(name, t, state[name], pairs)
        for p, x in pairs:
            p.data = x

    def to_torch(self) -> Any:
        """The same model as a float64 ``torch.nn.Sequential`` of ``Linear`` layers and
        activations, holding these weights: to train it further where PyTorch scales. A batch
        of shape (m, nin) gives (m, nout); ``state_dict_from_torch`` brings the weights back."""
        from .static.export import torch_sequential

        return torch_sequential(self._linear_layers(), self._layout)

    def _linear_layers(self) -> list[tuple[list[list[float]], list[float], str | None]]:
        """(weight rows, biases, activation) per layer, for ``to_torch``."""
        raise NotImplementedError(_("{model} has no PyTorch export",
                                    model=type(self).__name__))

    _layout = "mlp"  # how state_dict names the weights: see state_dict_from_torch

    def __call__(self, x: Sequence[Any]) -> Any:
        return self.forward(x)

    def forward(self, x: Sequence[Any]) -> Any:
        raise NotImplementedError


class Neuron(Module):
    """z = w·x + b, then an activation (none for a linear output neuron).

    Weights and bias start uniform in ±1/√nin (PyTorch's ``nn.Linear`` default), which keeps
    z on the scale of the inputs however many inputs the neuron has. ``seed`` is an int (or
    None for a random start) or a ``random.Random`` to draw from.
    """

    def __init__(self, nin: int, activation: str | None = None, seed: Seed = None,
                 prefix: str = "") -> None:
        nin = _check_size("nin", nin)
        self.activation = _check_activation(activation, allow_none=True)
        self._act = getattr(Value, activation) if activation else None
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        bound = 1.0 / math.sqrt(nin)
        self.w = [Value(rng.uniform(-bound, bound), label=f"{prefix}w{k}")
                  for k in range(1, nin + 1)]
        self.b = Value(rng.uniform(-bound, bound), label=f"{prefix}b")
        # its output is labelled with the neuron's name (L1.n1), so that a drawing can fold the
        # neuron into one box (draw(..., group="neuron"), see microgrid.view.groups)
        self.name = prefix.rstrip(".")

    def forward(self, x: Sequence[Any]) -> Value:
        x = _sample(x, len(self.w))
        return self._forward(x)

    def _forward(self, x: Sequence[Any]) -> Value:
        # a list, then sum() in C: the fastest way to build the n products and n additions
        z = sum([wi * xi for wi, xi in zip(self.w, x)], self.b)
        out = z if self._act is None else self._act(z)
        if self.name:
            out.label = self.name
        return out

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def _tensors(self) -> dict[str, Any]:
        return {"w": self.w, "b": self.b}

    _layout = "neuron"

    def _linear_layers(self) -> list[tuple[list[list[float]], list[float], str | None]]:
        return [([_data(self.w)], [self.b.data], self.activation)]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; returns their outputs (a single Value if
    ``nout`` is 1)."""

    def __init__(self, nin: int, nout: int, activation: str | None = None, seed: Seed = None,
                 prefix: str = "") -> None:
        nin = _check_size("nin", nin)
        nout = _check_size("nout", nout)
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        self.neurons = [Neuron(nin, activation, rng, prefix=f"{prefix}n{j}.")
                        for j in range(1, nout + 1)]
        self.activation = self.neurons[0].activation

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        out = self._forward(_sample(x, len(self.neurons[0].w)))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Any]) -> list[Value]:
        return [n._forward(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def _tensors(self) -> dict[str, Any]:
        # weights as an nout × nin matrix (one row per neuron), like the course's W[l]
        return {"w": [n.w for n in self.neurons], "b": [n.b for n in self.neurons]}

    _layout = "layer"

    def _linear_layers(self) -> list[tuple[list[list[float]], list[float], str | None]]:
        acts = {n.activation for n in self.neurons}
        if len(acts) > 1:
            raise ValueError(_("to_torch(): the neurons of a layer must share an activation, "
                               "not {activations}", activations=sorted(map(str, acts))))
        return [([_data(n.w) for n in self.neurons], [n.b.data for n in self.neurons],
                 self.neurons[0].activation)]

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, " \
               f"activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden
    layers of 16 units to one output.

    Hidden layers apply ``activation`` (``"relu"``, ``"tanh"`` or ``"sigmoid"``); the last layer
    is linear, so its output is a score (a logit) to feed a loss such as
    ``binary_cross_entropy_with_logits``. The output is a single Value when the last size is 1,
    else a list. The same ``seed`` gives the same initial weights.
    """

    def __init__(self, nin: int, sizes: Sequence[int], activation: str = "relu",
                 seed: int | None = None) -> None:
        nin = _check_size("nin", nin)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise TypeError(_("sizes must be a non-empty list of layer sizes, e.g. [16, 16, "
                              "1]"))
        sizes = [_check_size(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        activation = _check_activation(activation, allow_none=False)
        if isinstance(seed, bool) or not (seed is None or isinstance(seed, int)):
            raise TypeError(_("seed must be an int or None, not {kind}",
                              kind=type(seed).__name__))
        self.nin = nin
        self.activation = activation
        rng = random.Random(seed)
        dims = [nin, *sizes]
        self.layers = [Layer(dims[i], dims[i + 1], activation if i < len(sizes) - 1 else None,
                             rng, prefix=f"L{i + 1}.")
                       for i in range(len(sizes))]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        h = _sample(x, self.nin)
        for layer in self.layers:
            h = layer._forward(h)
        return h[0] if len(h) == 1 else h

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def _tensors(self) -> dict[str, Any]:
        return {f"layers.{i}.{k}": t for i, layer in enumerate(self.layers)
                for k, t in layer._tensors().items()}

    def _linear_layers(self) -> list[tuple[list[list[float]], list[float], str | None]]:
        return [spec for layer in self.layers for spec in layer._linear_layers()]

    def __repr__(self) -> str:
        sizes = [len(layer.neurons) for layer in self.layers]
        return f"MLP({self.nin}, {sizes}, activation={self.activation!r})"


class LogisticRegression(Neuron):
    """The course's model: a = σ(z), z = w1·x1 + … + wn·xn + b, the probability that y = 1.

    A single sigmoid neuron, but its weights and bias start at 0.0, as in the course (a single
    neuron has no symmetry to break), so training from scratch is the same computation as the
    course's NumPy code.
    """

    def __init__(self, n_features: int) -> None:
        super().__init__(_check_size("n_features", n_features), activation="sigmoid", seed=0)
        for p in self.parameters():
            p.data = 0.0

    def __repr__(self) -> str:
        return f"LogisticRegression({len(self.w)})"


def state_dict_from_torch(module: Any) -> dict[str, Any]:
    """The weights of a torch module made of ``Linear`` layers (and activations), as a
    ``state_dict`` for ``load_state_dict``: of the microgrid model that ``to_torch`` made it
    from, or of an ``MLP`` for a module made elsewhere. ``load_state_dict`` then checks every
    shape before it writes anything."""
    from .static.export import linear_layers

    layout, layers = linear_layers(module)
    if layout in ("neuron", "layer") and len(layers) == 1:
        w, b, _ = layers[0]
        if layout == "layer":
            return {"w": w, "b": b}
        if len(w) == 1:
            return {"w": w[0], "b": b[0]}
    return {f"layers.{i}.{k}": t for i, (w, b, _) in enumerate(layers)
            for k, t in (("w", w), ("b", b))}


# --- checks --------------------------------------------------------------------------------


def _sample(x: Any, n: int) -> Sequence[Any]:
    """One sample as a list or tuple of n entries; a NumPy row becomes a list of floats."""
    if type(x) is not list and type(x) is not tuple:
        if hasattr(x, "tolist") and hasattr(x, "ndim"):  # a NumPy array
            if x.ndim != 1:
                raise ValueError(_("a model takes one sample, a 1-D row of {n} numbers; got an "
                                   "array of shape {shape}", n=n, shape=tuple(x.shape)))
            x = x.tolist()
        elif isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
            x = list(x)
        else:
            raise TypeError(_("a model takes one sample, a sequence of {n} numbers, not {kind}",
                              n=n, kind=type(x).__name__))
    if len(x) != n:
        raise ValueError(_("the model expects {n} features per sample, got {count}", n=n,
                           count=len(x)))
    return x


def _check_size(name: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(_("{name} must be an int, not {kind}", name=name, kind=type(n).__name__))
    if n < 1:
        raise ValueError(_("{name} must be at least 1, got {value}", name=name, value=n))
    return n


def _check_activation(activation: Any, allow_none: bool) -> str | None:
    if activation is None and allow_none:
        return None
    if activation not in ACTIVATIONS:
        raise ValueError(_("activation must be one of {choices}; got {value}",
                           choices=", ".join(ACTIVATIONS), value=repr(activation)))
    return activation


def _data(t: Any) -> Any:
    return t.data if type(t) is Value else [_data(u) for u in t]


def _shape(t: Any) -> tuple[int, ...]:
    if isinstance(t, (list, tuple)):
        return (len(t), *_shape(t[0])) if t else (0,)
    return ()


def _match(name: str, t: Any, x: Any, pairs: list[tuple[Value, float]]) -> None:
    """Pair each Value of ``t`` with its number in ``x``, or raise naming where they differ."""
    if type(t) is Value:
        if not is_number(x):
            raise TypeError(_("load_state_dict(): {name} must be a number, not {kind}",
                              name=name, kind=type(x).__name__))
        pairs.append((t, _to_float(x, "load_state_dict")))
        return
    if not isinstance(x, (list, tuple)) or len(x) != len(t):
        raise ValueError(_("load_state_dict(): {name} has shape {shape}, the state gives "
                           "{given}", name=name, shape=_shape(t), given=_shape(x)))
    for i, (ti, xi) in enumerate(zip(t, x)):
        _match(f"{name}[{i}]", ti, xi, pairs)
