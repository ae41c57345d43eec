"""Optimizers: turn each parameter's ``.grad`` into a step on its ``.data``.

The update is arithmetic on plain floats, outside any graph: changing a weight is not part of
what the next backward pass differentiates. The formulas are PyTorch's, so a run can be
checked against ``torch.optim`` number for number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .engine.ops import _div, is_number
from .engine.value import Value, being_recorded
from .i18n import _


class Optimizer:
    """Holds the parameters to update; ``zero_grad()`` clears their gradients."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if isinstance(params, Value):
            raise TypeError(_("params must be an iterable of Values, e.g. "
                              "model.parameters()"))
        try:
            params = list(params)
        except TypeError:
            raise TypeError(_("params must be an iterable of Values, not {kind}",
                              kind=type(params).__name__)) from None
        if not params:
            raise ValueError(_("the optimizer got an empty list of parameters"))
        for i, p in enumerate(params):
            if type(p) is not Value:
                raise TypeError(_("params[{index}] is a {kind}, not a Value", index=i,
                                  kind=type(p).__name__))
        if len({id(p) for p in params}) != len(params):
            raise ValueError(_("a parameter appears twice in params; it would be updated "
                               "twice"))
        self.params = params
        self.lr = _positive("lr", lr)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0; backward() adds to it, so do this each step."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    # --- checkpoints -----------------------------------------------------------------------
    # What step() depends on besides the parameters themselves: the settings and the running
    # averages. Saved with the model's state_dict(), a run resumes bit for bit.

    _settings: tuple[str, ...] = ("lr",)
    _buffers: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain numbers and lists: ``json.dumps`` takes it as it is
        and floats round-trip exactly. Restore it with ``load_state_dict``."""
        state: dict[str, Any] = {"optimizer": type(self).__name__,
                                 "parameters": len(self.params)}
        for name in self._settings:
            value = getattr(self, name)
            state[name] = list(value) if isinstance(value, tuple) else value
        for name in self._buffers:
            value = getattr(self, name)
            state[name] = list(value) if isinstance(value, list) else value
        return state

    def load_state_dict(self, state: Any) -> None:
        """Continue from a ``state_dict()`` of the same kind of optimizer over as many
        parameters (the parameters' own numbers come from the model's ``load_state_dict``)."""
        if not isinstance(state, dict):
            raise TypeError(_("load_state_dict() takes the dict state_dict() gave, not {kind}",
                              kind=type(state).__name__))
        kind = type(self).__name__
        if state.get("optimizer") != kind:
            raise ValueError(_("load_state_dict(): this state is from {saved}, not {kind}",
                               saved=repr(state.get("optimizer")), kind=repr(kind)))
        if state.get("parameters") != len(self.params):
            raise ValueError(_("load_state_dict(): the state is for {saved} parameters, this "
                               "optimizer has {count}", saved=state.get("parameters"),
                               count=len(self.params)))
        missing = [k for k in (*self._settings, *self._buffers) if k not in state]
        if missing:
            raise ValueError(_("load_state_dict(): the state has no {key}",
                               key=repr(missing[0])))
        settings: dict[str, Any] = {}
        for name in self._settings:
            value = state[name]
            settings[name] = list(value) if isinstance(value, list) else value
        checked = type(self)(self.params, **settings)  # the constructor's own checks and messages
        buffers: dict[str, Any] = {}
        for name in self._buffers:
            value = state[name]
            current = getattr(self, name)
            if isinstance(current, list):
                if not isinstance(value, (list, tuple)) or len(value) != len(current):
                    raise ValueError(_("load_state_dict(): {name} must be a list of {count} "
                                       "numbers, one per parameter", name=name,
                                       count=len(current)))
                buffers[name] = [_number(f"{name}[{i}]", v) for i, v in enumerate(value)]
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(_("load_state_dict(): {name} must be a count (int >= 0)",
                                   name=name))
            else:
                buffers[name] = value
        for name in self._settings:  # nothing of self changed until everything was checked
            setattr(self, name, getattr(checked, name))
        for name, value in buffers.items():
            setattr(self, name, value)


class SGD(Optimizer):
    """Gradient descent: w := w − lr·dw, the course's update rule.

    With ``momentum`` μ > 0 each parameter keeps a velocity v := μ·v + dw and steps
    w := w − lr·v, so consistent gradients build up speed and oscillating ones cancel
    (PyTorch's form; the course's v := β·v + (1−β)·dw is the same with lr scaled by 1 − β).
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        momentum = _real("momentum", momentum)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(_("momentum must be in [0, 1), got {value}", value=momentum))
        self.momentum = momentum
        self.velocity = [0.0] * len(self.params)

    _settings = ("lr", "momentum")
    _buffers = ("velocity",)

    def step(self) -> None:
        _refuse_traced()
        lr = self.lr
        if self.momentum == 0.0:
            for p in self.params:
                p.data -= lr * p.grad
            return
        mu = self.momentum
        v = self.velocity
        for i, p in enumerate(self.params):
            v[i] = vi = mu * v[i] + p.grad
            p.data -= lr * vi


class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by a running size of the gradient.

    m := β1·m + (1−β1)·dw and s := β2·s + (1−β2)·dw², both corrected for starting at 0
    (divided by 1 − βᵗ after t steps), then w := w − lr·m̂ / (√ŝ + eps). Every parameter gets
    a step of about lr at first, whatever the scale of its gradient.
    """

    def __init__(self, params: Iterable[Value], lr: float = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(_("betas must be a pair of numbers (beta1, beta2)"))
        beta1, beta2 = (_real(f"betas[{i}]", b) for i, b in enumerate(betas))
        for i, b in enumerate((beta1, beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(_("betas[{i}] must be in [0, 1), got {value}", i=i, value=b))
        eps = _real("eps", eps)
        if not eps >= 0.0:
            raise ValueError(_("eps must be >= 0, got {value}", value=eps))
        self.betas = (beta1, beta2)
        self.eps = eps
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.s = [0.0] * len(self.params)

    _settings = ("lr", "betas", "eps")
    _buffers = ("t", "m", "s")

    def step(self) -> None:
        _refuse_traced()
        self.t += 1
        beta1, beta2 = self.betas
        c1 = 1.0 - beta1**self.t
        c2 = math.sqrt(1.0 - beta2**self.t)
        step_size = self.lr / c1
        eps = self.eps
        m, s = self.m, self.s
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = mi = beta1 * m[i] + (1.0 - beta1) * g
            s[i] = si = beta2 * s[i] + (1.0 - beta2) * (g * g)
            # _div: with eps = 0 a zero gradient is 0/0, nan as in IEEE, not an exception
            p.data -= step_size * _div(mi, math.sqrt(si) / c2 + eps)


def _refuse_traced() -> None:
    """A step changes .data once, at recording; the replays of a traced function would skip
    it without a word, so inside one it is refused."""
    if being_recorded():
        raise TypeError(_("optimizer.step() changes the parameters' .data, which a static "
                          "graph can't record: call it outside the traced function, with the "
                          "gradients of f.value_and_grad"))


def _real(name: str, x: Any) -> float:
    if isinstance(x, bool) or not is_number(x):
        raise TypeError(_("{name} must be a number, not {kind}", name=name,
                          kind=type(x).__name__))
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(_("{name} must be finite, got {value}", name=name, value=x))
    return x


def _number(name: str, x: Any) -> float:
    """A saved running average: any float (an inf or nan from training is kept as it is)."""
    if isinstance(x, bool) or not is_number(x):
        raise ValueError(_("load_state_dict(): {name} must be a number, not {kind}", name=name,
                           kind=type(x).__name__))
    return float(x)


def _positive(name: str, x: Any) -> float:
    x = _real(name, x)
    if not x > 0.0:
        raise ValueError(_("{name} must be > 0, got {value}", name=name, value=x))
    return x
