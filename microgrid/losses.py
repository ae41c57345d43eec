"""Loss functions for one sample: how far a prediction is from its label.

Each takes the model's output for one sample (a Value, or a plain number to just evaluate) and
the label (a number, or a Value: an argument of a traced function), and returns the loss as a
Value (a float for a number). Training averages them over a batch. They are written with the
engine's own ops, so the loss is part of the drawn graph and its gradient is the chain rule
through those nodes: ``binary_cross_entropy(sigmoid(z), y)`` gives dL/dz = a − y, the course's
dz. No loss decides anything from a number that ``trace`` would freeze: while it records, what
depends on the input is a recorded op (``step``, ``gate``), chosen again on every call.
"""

from __future__ import annotations

import math
from typing import Any

from .engine.ops import _to_float, gate, is_number, step, stop_gradient
from .engine.value import Value, being_recorded, no_grad
from .i18n import _

# PyTorch's BCELoss floors log at -100, so a loss is at most 100, even at p = 0 or 1 ...
LOG_FLOOR = -100.0
# ... and bounds 1/p in the gradient by 1/1e-12, so a saturated sigmoid cannot blow up a step.
GRAD_EPS = 1e-12


def binary_cross_entropy(p: Value | float, y: float | Value) -> Value | float:
    """L = −(y·log p + (1−y)·log(1−p)), the course's logistic loss, for a probability p.

    Finite at p = 0 and p = 1: where p (or 1−p) is below 1e-12, log is replaced by a straight
    line with the same value (floored at −100, as PyTorch does) and slope 1/1e-12, so the loss
    stays finite and its gradient points the right way instead of being inf or nan. Elsewhere
    it is exactly the formula, so dL/dz through ``p = σ(z)`` is a − y. For a label of exactly
    0 or 1 only the term that counts is built (−log p, or −log(1−p)); a label given as a Value
    (an argument of a traced function, one per sample) builds both.

    A sigmoid saturates when |z| is large, and then its gradient vanishes whatever the loss
    does: to train on scores, prefer ``binary_cross_entropy_with_logits``.
    """
    if type(p) is not Value:
        return _evaluate(binary_cross_entropy, p, y)
    y = _label(y, "binary_cross_entropy")
    # checks only: they raise or let through, and the graph built after them is the same
    if p.data < 0.0 or p.data > 1.0:  # (nan passes, and gives nan)
        raise ValueError(_("binary_cross_entropy: p must be a probability in [0, 1], got "
                           "{value}; for scores use binary_cross_entropy_with_logits",
                           value=p.data))
    _check_range(y, "binary_cross_entropy")
    if type(y) is Value:
        return y * _neg_log(p) + (1.0 - y) * _neg_log(1.0 - p)
    if y == 1.0:
        return _neg_log(p)
    if y == 0.0:
        return _neg_log(1.0 - p)
    return y * _neg_log(p) + (1.0 - y) * _neg_log(1.0 - p)


def _neg_log(p: Value) -> Value:
    """−log p for p in [0, 1], finite for p = 0 (see binary_cross_entropy).

    Eagerly the number p picks one of the two pieces, and the graph holds that piece only.
    While ``trace`` records, the graph must choose again on every call, so both pieces are
    recorded and ``_where`` picks one each time the graph runs."""
    if being_recorded():
        line = step(GRAD_EPS - p)  # 1 where p < 1e-12
        # log reads 1 where the line is taken: the unused piece is 0 with a gradient of 0·1,
        # where log 0 would give −inf, and a gradient of 0·inf = nan (JAX's "double where")
        return _where(line, _neg_log_line(p), -_where(line, 1.0, p).log())
    if not p.data < GRAD_EPS:  # the usual case (and nan)
        return -p.log()
    # The tangent would be far too steep here: keep −log p's value (at most 100) and use the
    # slope −1/GRAD_EPS, as PyTorch's BCELoss gradient does.
    value = -max(math.log(p.data) if p.data > 0.0 else -math.inf, LOG_FLOOR)
    slope = -1.0 / GRAD_EPS
    return p * slope + (value - p.data * slope)


def _neg_log_line(p: Value) -> Value:
    """The piece for p below 1e-12, in recorded ops: the number min(−log p, 100) with the
    slope −1/1e-12 (the number is computed without a gradient, the slope times p − p is 0)."""
    log_p = stop_gradient(p).log()
    above_floor = step(log_p - LOG_FLOOR)  # 1 where log p > −100
    value = _where(above_floor, -log_p, -LOG_FLOOR)
    return value + (-1.0 / GRAD_EPS) * (p - stop_gradient(p))


def _where(test: Value, a: Value | float, b: Value | float) -> Value:
    """a where test is 1, b where it is 0, as a recorded graph (JAX's ``where``): ``gate``
    passes its value, or exactly 0 with no gradient back, so the other piece adds nothing,
    not even an inf or nan, to the number or to the gradient."""
    return gate(a, test) + gate(b, 1.0 - test)


def binary_cross_entropy_with_logits(z: Value | float, y: float | Value) -> Value | float:
    """The binary cross-entropy of the probability σ(z), computed from the score z directly.

    L = log(1 + e^z) − y·z, rearranged so that e^t is only ever taken of t ≤ 0: for z ≥ 0,
    L = (1−y)·z + log(1 + e^−z); for z < 0, L = log(1 + e^z) − y·z. It never overflows, so it
    is finite for any finite z, and dL/dz = σ(z) − y without the sigmoid's vanishing gradient
    (at z = 0 too: σ(0) − y, as in PyTorch). A label given as a Value (an argument of a traced
    function, one per sample) gets dL/dy = −z.

    Eagerly the sign of z picks the form, and the graph holds that one only. While ``trace``
    records, the graph must choose again on every call: it records the one formula
    max(z, 0) − y·z + log(1 + e^−|z|), with no branch (see ``_with_logits_recorded``).
    """
    if type(z) is not Value:
        return _evaluate(binary_cross_entropy_with_logits, z, y)
    y = _label(y, "binary_cross_entropy_with_logits")
    _check_range(y, "binary_cross_entropy_with_logits")
    number = type(y) is not Value  # a label of exactly 0 or 1 builds only what counts
    if being_recorded():
        return _with_logits_recorded(z, y)
    if z.data >= 0.0:
        softplus = (1.0 + (-z).exp()).log()  # log(1 + e^−z) = log(1 + e^z) − z
        if number and y == 1.0:
            return softplus
        if number and y == 0.0:
            return z + softplus
        return (1.0 - y) * z + softplus
    softplus = (1.0 + z.exp()).log()  # log(1 + e^z)
    if number and y == 0.0:
        return softplus
    if number and y == 1.0:
        return softplus - z
    return softplus - y * z


def _with_logits_recorded(z: Value, y: float | Value) -> Value:
    """max(z, 0) − y·z + log(1 + e^−|z|) without a branch: −|z| is z·(1 − 2·step(z)), and
    ``step`` (1 where z > 0, else 0, no gradient) is an op of the graph, tested on each call.
    At z = 0 it counts as the side z < 0, so the slope there is σ(0) − y, where ReLU/abs forms
    would give −y."""
    minus_abs = z * (1.0 - 2.0 * z.step())
    rest = (1.0 + minus_abs.exp()).log()  # log(1 + e^−|z|), between 0 and log 2
    if type(y) is not Value and y == 0.0:
        return z.relu() + rest
    if type(y) is not Value and y == 1.0:
        return (z.relu() - z) + rest
    return (z.relu() - y * z) + rest


def mse(pred: Value | float, y: float | Value) -> Value | float:
    """Squared error (pred − y)², for regression. Averaged over a batch it is the mean
    squared error; its gradient 2(pred − y) is proportional to the residual."""
    if type(pred) is not Value:
        return _evaluate(mse, pred, y)
    y = _label(y, "mse")
    return (pred - y) ** 2


def hinge(score: Value | float, y: float | Value) -> Value | float:
    """max(0, 1 − y·score) with y = −1 or +1: the support vector machine's loss.

    Zero once a sample is on the right side with a margin of 1, so only the hard samples
    push the weights. Labels 0/1 are refused: map them to −1/+1 first (2y − 1).
    """
    if type(score) is not Value:
        return _evaluate(hinge, score, y)
    y = _label(y, "hinge")
    number = y.data if type(y) is Value else y  # a check: it raises or lets through
    if number != 1.0 and number != -1.0:
        raise ValueError(_("hinge: y must be -1 or +1, got {value}", value=number))
    return (1.0 - y * score).relu()


# --- helpers -------------------------------------------------------------------------------


def _label(y: Any, where: str) -> float | Value:
    """The label as a float, or as the Value it is: a traced argument (each sample its own
    label) or a label that gets a gradient of its own."""
    if type(y) is float or type(y) is Value:
        return y
    if not is_number(y):
        raise TypeError(_("{where}: the label y must be a number, not {kind}", where=where,
                          kind=type(y).__name__))
    return _to_float(y, where)


def _check_range(y: float | Value, where: str) -> None:
    """Refuse a label outside [0, 1] (a Value label: its number now; a check, not a branch)."""
    number = y.data if type(y) is Value else y
    if not 0.0 <= number <= 1.0:
        raise ValueError(_("{where}: y must be in [0, 1], got {value}", where=where,
                           value=number))


def _evaluate(loss: Any, pred: Any, y: Any) -> Any:
    """A loss of a plain number: the same computation, recording no graph, as a float (a Value,
    computed in the graph, when the label is a Value)."""
    if not is_number(pred):
        raise TypeError(_("{where}: the prediction must be a Value or a number, not {kind}",
                          where=loss.__name__, kind=type(pred).__name__))
    if type(y) is Value:
        return loss(Value(pred), y)
    with no_grad():
        return loss(Value(pred), y).data
