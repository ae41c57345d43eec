"""Loss functions for one sample: how far a prediction is from its label.

Each takes the model's output for one sample (a Value, or a plain number to just evaluate) and
the label (a number), and returns the loss as a Value (a float for a number). Training averages
them over a batch. They are written with the engine's own ops, so the loss is part of the
drawn graph and its gradient is the chain rule through those nodes:
``binary_cross_entropy(sigmoid(z), y)`` gives dL/dz = a − y, the course's dz.
"""

from __future__ import annotations

import math
from typing import Any

from .engine.ops import _to_float, is_number
from .engine.value import Value, no_grad

# PyTorch's BCELoss floors log at -100, so a loss is at most 100, even at p = 0 or 1 ...
LOG_FLOOR = -100.0
# ... and bounds 1/p in the gradient by 1/1e-12, so a saturated sigmoid cannot blow up a step.
GRAD_EPS = 1e-12


def binary_cross_entropy(p: Value | float, y: float) -> Value | float:
    """L = −(y·log p + (1−y)·log(1−p)), the course's logistic loss, for a probability p.

    Finite at p = 0 and p = 1: where p (or 1−p) is below 1e-12, log is replaced by a straight
    line with the same value (floored at −100, as PyTorch does) and slope 1/1e-12, so the loss
    stays finite and its gradient points the right way instead of being inf or nan. Elsewhere
    it is exactly the formula, so dL/dz through ``p = σ(z)`` is a − y. For a label of exactly
    0 or 1 only the term that counts is built (−log p, or −log(1−p)).

    A sigmoid saturates when |z| is large, and then its gradient vanishes whatever the loss
    does: to train on scores, prefer ``binary_cross_entropy_with_logits``.
    """
    if type(p) is not Value:
        return _evaluate(binary_cross_entropy, p, y)
    y = _label(y, "binary_cross_entropy")
    if p.data < 0.0 or p.data > 1.0:  # (nan passes, and gives nan)
        raise ValueError(f"binary_cross_entropy: p must be a probability in [0, 1], "
                         f"got {p.data}; for scores use binary_cross_entropy_with_logits")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary_cross_entropy: y must be in [0, 1], got {y}")
    if y == 1.0:
        return _neg_log(p)
    if y == 0.0:
        return _neg_log(1.0 - p)
    return y * _neg_log(p) + (1.0 - y) * _neg_log(1.0 - p)


def _neg_log(p: Value) -> Value:
    """−log p for p in [0, 1], finite for p = 0 (see binary_cross_entropy)."""
    if not p.data < GRAD_EPS:  # the usual case (and nan)
        return -p.log()
    # The tangent would be far too steep here: keep −log p's value (at most 100) and use the
    # slope −1/GRAD_EPS, as PyTorch's BCELoss gradient does.
    value = -max(math.log(p.data) if p.data > 0.0 else -math.inf, LOG_FLOOR)
    slope = -1.0 / GRAD_EPS
    return p * slope + (value - p.data * slope)


def binary_cross_entropy_with_logits(z: Value | float, y: float) -> Value | float:
    """The binary cross-entropy of the probability σ(z), computed from the score z directly.

    L = log(1 + e^z) − y·z, rearranged so that e^t is only ever taken of t ≤ 0: for z ≥ 0,
    L = (1−y)·z + log(1 + e^−z); for z < 0, L = log(1 + e^z) − y·z. It never overflows, so it
    is finite for any finite z, and dL/dz = σ(z) − y without the sigmoid's vanishing gradient.
    (This is max(z, 0) − z·y + log(1 + e^−|z|) with the sign of z decided once.)
    """
    if type(z) is not Value:
        return _evaluate(binary_cross_entropy_with_logits, z, y)
    y = _label(y, "binary_cross_entropy_with_logits")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary_cross_entropy_with_logits: y must be in [0, 1], got {y}")
    if z.data >= 0.0:
        softplus = (1.0 + (-z).exp()).log()  # log(1 + e^−z) = log(1 + e^z) − z
        if y == 1.0:
            return softplus
        if y == 0.0:
            return z + softplus
        return (1.0 - y) * z + softplus
    softplus = (1.0 + z.exp()).log()  # log(1 + e^z)
    if y == 0.0:
        return softplus
    if y == 1.0:
        return softplus - z
    return softplus - y * z


def mse(pred: Value | float, y: float) -> Value | float:
    """Squared error (pred − y)², for regression. Averaged over a batch it is the mean
    squared error; its gradient 2(pred − y) is proportional to the residual."""
    if type(pred) is not Value:
        return _evaluate(mse, pred, y)
    y = _label(y, "mse")
    return (pred - y) ** 2


def hinge(score: Value | float, y: float) -> Value | float:
    """max(0, 1 − y·score) with y = −1 or +1: the support vector machine's loss.

    Zero once a sample is on the right side with a margin of 1, so only the hard samples
    push the weights. Labels 0/1 are refused: map them to −1/+1 first (2y − 1).
    """
    if type(score) is not Value:
        return _evaluate(hinge, score, y)
    y = _label(y, "hinge")
    if y != 1.0 and y != -1.0:
        raise ValueError(f"hinge: y must be -1 or +1, got {y}")
    return (1.0 - y * score).relu()


# --- helpers -------------------------------------------------------------------------------


def _label(y: Any, where: str) -> float:
    if type(y) is float:
        return y
    if type(y) is Value:
        raise TypeError(f"{where}: the label y must be a number, not a Value (use y.data)")
    if not is_number(y):
        raise TypeError(f"{where}: the label y must be a number, not {type(y).__name__}")
    return _to_float(y, where)


def _evaluate(loss: Any, pred: Any, y: Any) -> float:
    """A loss of a plain number: the same computation, recording no graph, as a float."""
    if not is_number(pred):
        raise TypeError(f"{loss.__name__}: the prediction must be a Value or a number, "
                        f"not {type(pred).__name__}")
    with no_grad():
        return loss(Value(pred), y).data
