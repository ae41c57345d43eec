"""The words of the step-through page's markup (titles, aria labels, the key help), in the
language the page speaks: the ``{{w_...}}`` parts of ``widget.html`` and ``page.html``.

The script's own sentences (play/pause, the step counter, the quiz) travel in the page's JSON
data as ``page_strings``; these are written into the HTML, so the controls are labelled before
any script runs (and without one).
"""

from __future__ import annotations

import html

from ...i18n import _


def markup_words() -> dict[str, str]:
    """{template part: its text, HTML-escaped} in the current language."""
    words = {
        "w_widget": _("step through the forward and backward pass"),
        "w_first": _("start"),
        "w_first_title": _("back to the start (Home)"),
        "w_prev": _("previous"),
        "w_prev_title": _("previous step (←)"),
        "w_play": _("play"),
        "w_play_title": _("play / pause (space)"),
        "w_next": _("next"),
        "w_next_title": _("next step (→)"),
        "w_last": _("end"),
        "w_last_title": _("jump to the end (End)"),
        "w_slider": _("step"),
        "w_zoom": _("zoom"),
        "w_zoom_out": _("zoom out"),
        "w_zoom_out_title": _("zoom out (−, or ctrl + wheel)"),
        "w_zoom_in": _("zoom in"),
        "w_zoom_in_title": _("zoom in (+, or ctrl + wheel)"),
        "w_fit": _("fit view"),
        "w_fit_title": _("fit the window (0)"),
        "w_noscript": _("This page steps through the graph with JavaScript; the picture above "
                        "shows the graph."),
        "w_help_summary": _("How to read it"),
        "w_help": _("Keys: ← → one step, Home / End, space plays and pauses, + − zoom and 0 "
                    "fits (or ctrl + wheel); drag to pan. The forward pass computes each value "
                    "from its inputs; the backward pass then sends each node's gradient to its "
                    "inputs, one contribution at a time: upstream gradient × local derivative, "
                    "added (+=) to what the input already holds. Made with microgrid."),
    }
    return {k: html.escape(v, quote=True) for k, v in words.items()}
