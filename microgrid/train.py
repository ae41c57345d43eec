"""Training on m samples: batch, stochastic and mini-batch gradient descent.

One step of gradient descent takes a batch of samples, builds each sample's graph (model, then
loss), averages the losses into one Value J, calls ``J.backward()`` once and lets the optimizer
move the parameters. The batch size is the only difference between the three methods:

- ``batch_size=None``: all m samples per step (batch gradient descent, one step per epoch);
- ``batch_size=1``: one sample per step (stochastic gradient descent, m steps per epoch);
- ``batch_size=b``: b samples per step (mini-batch gradient descent; b = 32, 64, 128 ...).

Because J is the *mean* loss, its gradient is the course's 1/m Σ: logistic regression trained
with full batches and ``SGD(lr)`` from zeros makes exactly the update w := w − lr·1/m Σ x(a − y).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import hypot
from typing import Any

from .engine.autograd import paused_gc
from .engine.gradmode import is_grad_enabled
from .engine.ops import _to_float, is_number
from .engine.value import Value, being_recorded, no_grad
from .i18n import N_, gettext


@dataclass(repr=False)
class History:
    """What ``fit`` records.

    - ``step_loss``: one float per optimizer step, that step's mean loss over its batch
      (epochs × steps_per_epoch entries, in order);
    - ``epoch_loss``: one float per epoch, the mean per-sample loss over the epoch's steps
      (for full batches it equals ``step_loss``). Both are measured during training, before
      each step's update, so they cost no extra pass over the data;
    - ``batch_size``: samples per step (m for full batches); the last step of an epoch gets
      the remaining m mod batch_size samples when it doesn't divide m;
    - ``steps_per_epoch``: ⌈m / batch_size⌉;
    - ``grad_norm``: for a model made of layers (``MLP``, ``Layer``, ``Neuron``), each layer's
      name (``"L1"``, ``"L2"`` ...) -> one float per epoch, the mean over the epoch's steps of
      the L2 norm of that layer's parameter gradients. Vanishing gradients show here as the
      first layers' norms falling far below the last's;
    - ``dead_fraction``: for each ReLU layer, one float per epoch, the fraction of its neurons
      whose parameters got a gradient of exactly 0 at every step of the epoch (dead ReLUs:
      their z was ≤ 0 on every sample, so they no longer learn).
    """

    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    batch_size: int = 0
    steps_per_epoch: int = 0
    grad_norm: dict[str, list[float]] = field(default_factory=dict)
    dead_fraction: dict[str, list[float]] = field(default_factory=dict)

    def __repr__(self) -> str:
        fields = {"epochs": len(self.epoch_loss), "steps": self.steps_per_epoch,
                  "batch_size": self.batch_size}
        if not self.epoch_loss:
            return gettext("History({epochs} epochs of {steps} steps, batch_size={batch_size})",
                           **fields)
        return gettext("History({epochs} epochs of {steps} steps, batch_size={batch_size}, "
                       "final loss {loss})", loss=f"{self.epoch_loss[-1]:.6g}", **fields)


def fit(model: Callable[[Any], Any], X: Any, y: Any, loss: Callable[[Any, float], Value],
        optimizer: Any, epochs: int, batch_size: int | None = None, shuffle: bool = True,
        seed: int | None = 0, progress: bool = True) -> History:
    """Train ``model`` on samples ``X`` (m rows of n numbers: lists or a NumPy m × n array) with
    labels ``y`` (m numbers) for ``epochs`` passes over the data; returns a ``History``.

    ``loss(model(x), y)`` is one sample's loss (see ``microgrid.losses``). ``optimizer`` is an
    ``SGD`` or ``Adam`` over the model's parameters. With ``shuffle`` the samples are visited in
    a new random order each epoch, drawn from ``random.Random(seed)``, so the same seed gives
    the same run (full batches are not shuffled: the order doesn't change their mean).
    ``progress`` shows a tqdm bar (in a notebook too) with the last epoch's loss.
    """
    _refuse_traced(N_("fit() trains step by step (backward, then the optimizer changes .data), "
                      "which a static graph can't record: call it outside the traced function; "
                      "to train on a traced loss, step with f.value_and_grad"))
    if not is_grad_enabled():
        raise RuntimeError(gettext("fit() was called inside no_grad(), where no graph is "
                                   "recorded and every gradient would be 0; call it outside the "
                                   "no_grad() block"))
    rows = _rows(X)
    labels = _labels(y)
    m = len(rows)
    if m != len(labels):
        if len(rows[0]) == len(labels):
            raise ValueError(gettext("X has {m} samples but y has {count} labels (X looks "
                                     "transposed: fit takes one sample per row, an m × n "
                                     "matrix)", m=m, count=len(labels)))
        raise ValueError(gettext("X has {m} samples but y has {count} labels", m=m,
                                 count=len(labels)))
    if isinstance(epochs, bool) or not isinstance(epochs, int):
        raise TypeError(gettext("epochs must be an int, not {kind}", kind=type(epochs).__name__))
    if epochs < 1:
        raise ValueError(gettext("epochs must be at least 1, got {value}", value=epochs))
    if batch_size is None:
        b = m
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(gettext("batch_size must be an int or None, not {kind}",
                                kind=type(batch_size).__name__))
    elif batch_size < 1:
        raise ValueError(gettext("batch_size must be at least 1 (or None for full batches), "
                                 "got {value}", value=batch_size))
    else:
        b = min(batch_size, m)
    if not callable(loss):
        raise TypeError(gettext("loss must be a function loss(prediction, y), e.g. "
                                "microgrid.losses.binary_cross_entropy"))
    if not (callable(getattr(optimizer, "step", None))
            and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(gettext("optimizer must have step() and zero_grad(), e.g. "
                                "microgrid.optim.SGD"))

    history = History(batch_size=b, steps_per_epoch=-(-m // b))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=gettext("fit"), unit=gettext("epoch"))
    # A batch's graph is freed by reference counting the moment the next one replaces it; the
    # cycle collector would only walk those thousands of nodes again and again (a third of a
    # full-batch epoch), so it sleeps during training.
    try:
        with paused_gc():
            _epochs(model, rows, labels, loss, optimizer, epochs, b, shuffle, seed, history, bar)
    finally:
        if bar is not None:
            bar.close()
    return history


def _epochs(model: Callable[[Any], Any], rows: list[list[float]], labels: list[float],
            loss: Callable[[Any, float], Value], optimizer: Any, epochs: int, b: int,
            shuffle: bool, seed: int | None, history: History, bar: Any) -> None:
    m = len(rows)
    order = list(range(m))
    rng = random.Random(seed)
    layers = _layers(model)
    flat = [[p for params in neurons for p in params] for _, neurons, _ in layers]
    for name, _, relu in layers:
        history.grad_norm[name] = []
        if relu:
            history.dead_fraction[name] = []
    for _ in range(epochs):
        if shuffle and b < m:
            rng.shuffle(order)
        total = 0.0
        norms = [0.0] * len(layers)
        alive = [[False] * len(neurons) for _, neurons, _ in layers]
        for start in range(0, m, b):
            batch = order[start:start + b]
            optimizer.zero_grad()
            losses = [loss(model(rows[i]), labels[i]) for i in batch]
            J = sum(losses[1:], losses[0]) / len(batch)  # one graph: a single backward pass
            if type(J) is not Value:
                raise TypeError(gettext("loss(model(x), y) must give a Value, not {kind}",
                                        kind=type(losses[0]).__name__))
            J.backward()
            for i, (_, neurons, relu) in enumerate(layers):
                # hypot: the L2 norm in one C call, without overflow (a few µs per step)
                if relu:  # per neuron, to tell the dead ones
                    each = [hypot(*[p.grad for p in params]) for params in neurons]
                    for j, n in enumerate(each):
                        if n != 0.0:
                            alive[i][j] = True
                    norms[i] += hypot(*each)
                else:
                    norms[i] += hypot(*[p.grad for p in flat[i]])
            optimizer.step()
            history.step_loss.append(J.data)
            total += J.data * len(batch)
        history.epoch_loss.append(total / m)
        for i, (name, _, relu) in enumerate(layers):
            history.grad_norm[name].append(norms[i] / history.steps_per_epoch)
            if relu:
                history.dead_fraction[name].append(alive[i].count(False) / len(alive[i]))
        if bar is not None:
            bar.set_postfix({gettext("loss"): f"{total / m:.4g}"}, refresh=False)
            bar.update()


def _layers(model: Any) -> list[tuple[str, list[list[Value]], bool]]:
    """(name, each neuron's parameters, whether it is a ReLU layer) for each layer of a model
    built from ``microgrid.nn`` (anything with ``layers`` of ``neurons``, or ``neurons``, or a
    single neuron's ``w`` and ``b``); [] for any other model, whose history then has no
    per-layer entries."""
    layers = getattr(model, "layers", None)
    if layers is None:
        layers = [model] if hasattr(model, "neurons") else None
    if layers is None:
        if isinstance(getattr(model, "w", None), list) and type(getattr(model, "b", None)) is Value:
            return [("L1", [[*model.w, model.b]], getattr(model, "activation", None) == "relu")]
        return []
    found = []
    for i, layer in enumerate(layers):
        neurons = getattr(layer, "neurons", None)
        if not neurons:
            return []
        found.append((f"L{i + 1}", [list(n.parameters()) for n in neurons],
                      getattr(layer, "activation", None) == "relu"))
    return found


def predict(model: Callable[[Any], Any], X: Any, threshold: float = 0.5) -> list[int]:
    """Class predictions for the samples X, computed without recording a graph.

    A model with one output gives 1 where the output is above ``threshold`` (0.5 for a
    probability, 0.0 for a score or logit), else 0; a model with several outputs gives the
    index of the largest.
    """
    _refuse_traced(N_("predict() picks each class from the output's number, which a static "
                      "graph can't record: call it outside the traced function"))
    threshold = _number(threshold, "threshold")
    return [_decide(out, threshold) for out in _outputs(model, _rows(X))]


def accuracy(model: Callable[[Any], Any], X: Any, y: Any, threshold: float = 0.5) -> float:
    """The fraction of samples whose prediction (see ``predict``) matches the label.

    For a one-output model the labels are 0/1, or −1/+1 (for hinge-loss models, with
    ``threshold=0.0``), and a prediction of 1 matches the label 1.
    """
    _refuse_traced(N_("accuracy() counts classes picked from the output's number, which a "
                      "static graph can't record: call it outside the traced function"))
    threshold = _number(threshold, "threshold")
    rows = _rows(X)
    labels = _labels(y)
    if len(rows) != len(labels):
        raise ValueError(gettext("X has {m} samples but y has {count} labels", m=len(rows),
                                 count=len(labels)))
    right = 0
    for out, t in zip(_outputs(model, rows), labels):
        if isinstance(out, (list, tuple)):
            right += _decide(out, threshold) == t
        elif t == 1.0 or t == 0.0 or t == -1.0:
            right += _decide(out, threshold) == (t == 1.0)
        else:
            raise ValueError(gettext("accuracy: labels must be 0/1 or -1/+1, got {label}", label=t))
    return right / len(labels)


def _refuse_traced(message: str) -> None:
    """Inside a function ``trace`` records, refuse in one line: what these functions decide
    from numbers would be decided once, at recording, and replayed as a constant."""
    if being_recorded():
        raise TypeError(gettext(message))


def _outputs(model: Callable[[Any], Any], rows: list[list[float]]) -> list[Any]:
    with no_grad():  # evaluation only: no graph to build or free
        return [model(row) for row in rows]


# --- data checks ---------------------------------------------------------------------------


def _rows(X: Any) -> list[list[float]]:
    """X as a list of equally long lists of floats (the engine's fastest operand)."""
    if hasattr(X, "ndim") and hasattr(X, "tolist"):  # a NumPy array
        if X.ndim != 2:
            raise ValueError(gettext("X must be 2-D, one row of features per sample; got shape "
                                     "{shape}", shape=tuple(X.shape)))
        X = X.tolist()
    elif isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(gettext("X must be a list of samples or a 2-D array, not {kind}",
                                kind=type(X).__name__))
    if len(X) == 0:
        raise ValueError(gettext("X is empty: there must be at least one sample"))
    rows = []
    for i, row in enumerate(X):
        if hasattr(row, "tolist"):
            row = row.tolist()
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(gettext("X[{i}] must be a sequence of numbers, not {kind}", i=i,
                                    kind=type(row).__name__))
        for v in row:
            if type(v) is not float and not is_number(v):
                raise TypeError(gettext("X[{i}] holds a {kind}, not a number", i=i,
                                        kind=type(v).__name__))
        rows.append([v if type(v) is float else _to_float(v, "X") for v in row])
        if len(rows[-1]) != len(rows[0]):
            raise ValueError(gettext("X's rows must have equal lengths: X[0] has {first} "
                                     "features, X[{i}] has {count}", first=len(rows[0]), i=i,
                                     count=len(rows[-1])))
    return rows


def _labels(y: Any) -> list[float]:
    if hasattr(y, "ndim") and hasattr(y, "tolist"):
        if y.ndim != 1:
            raise ValueError(gettext("y must be 1-D, one label per sample; got shape {shape} "
                                     "(y.ravel() flattens it)", shape=tuple(y.shape)))
        y = y.tolist()
    elif isinstance(y, (str, bytes)) or not isinstance(y, Sequence):
        raise TypeError(gettext("y must be a list of labels or a 1-D array, not {kind}",
                                kind=type(y).__name__))
    return [_number(t, f"y[{i}]") for i, t in enumerate(y)]


def _number(x: Any, name: str) -> float:
    if type(x) is float:
        return x
    if not is_number(x):
        raise TypeError(gettext("{name} must be a number, not {kind}", name=name,
                                kind=type(x).__name__))
    return _to_float(x, name)


def _decide(out: Any, threshold: float) -> int:
    # (never while trace records: predict and accuracy refuse first)
    if type(out) is Value:
        return 1 if out.data > threshold else 0
    if isinstance(out, (list, tuple)) and out:
        scores = [o.data if type(o) is Value else o for o in out]
        return max(range(len(scores)), key=scores.__getitem__)
    if is_number(out):
        return 1 if out > threshold else 0
    raise TypeError(gettext("a model's output must be a Value or a list of Values, not {kind}",
                            kind=type(out).__name__))
