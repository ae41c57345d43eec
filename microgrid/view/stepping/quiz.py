"""Quiz mode of the step-through page: before each backward step is shown, the learner types
its number, and the page says whether it is right, or which slip it is.

The page's script (``quiz.js``) compares numbers only; everything it says is prepared here from
the engine's records: the right number (the step's contribution, or the node's new gradient
when it already holds a term from another use, as the running sum of a node used twice), and
the wrong numbers the usual slips give, each with the grader's sentence for it
(``microgrid.view.grade.step_slips``).
"""

from __future__ import annotations

import math
from typing import Any

from ...engine.steps import Step
from ...engine.value import Value
from ...i18n import _
from ..explain import _d, _partial, num, step_line
from ..grade import step_slips

TOL = 5e-4  # |yours − right| <= TOL · max(1, |right|): 4 significant digits, as the page shows


def add_questions(frames: list[dict[str, Any]], steps: list[Step], names: dict[Value, str],
                  root: Value) -> None:
    """Give each backward frame (one per step, in order) its question: ``frame["quiz"]``."""
    backward = [f for f in frames if f["phase"] == "backward"]
    r = names[root]
    seen: set[int] = set()
    for frame, step in zip(backward, steps):
        running = id(step.node) in seen  # this node already holds a term: ask for the sum
        seen.add(id(step.node))
        answer = step.after if running else step.contribution
        if not math.isfinite(answer):
            continue  # nothing to type: the step is shown as it is
        n, c = names[step.node], names[step.consumer]
        term = f"{_d(r, c)} · {_partial(c, n)}"
        was = num(step.before)
        ask = (_("{d} was {was}; now {d} = {was} + {term} = ?", d=_d(r, n), was=was, term=term)
               if running else f"{_d(r, n)} += {term} = ?")
        frame["quiz"] = {
            "ask": ask,
            "answer": answer,
            "shown": num(answer),
            "line": step_line(step, names, root),
            "slips": [[v, kind, text] for v, kind, text in
                      step_slips(step, names, root, running)],
        }
