"""Fonts for the pictures: one list that covers Latin, Greek, math symbols and Chinese.

Graphviz draws PNG and PDF text with the fonts the system has (through fontconfig and Pango on
Linux and macOS). A label in Chinese needs a CJK font; without one, each character becomes a box
of hex digits, while the SVG (drawn later by the browser) looks fine. So every drawing names
``FONTNAME``, a list Pango reads left to right, falling back per character: a Latin sans for
the numbers, then CJK fonts for whatever the first one lacks.

Before drawing, ``check_labels`` asks fontconfig whether some installed font has every
character of the labels; if none has, it warns once, in one line, naming the package to install
(``FONT_HINT``). Where fontconfig isn't there to ask (Windows), it stays quiet.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Iterable

from ..i18n import N_, _

# Pango's family list: Latin first (Helvetica and Arial are aliases of Liberation Sans on
# Linux), then CJK fonts as each platform names them.
FONTNAME = ("Helvetica,Arial,Noto Sans CJK SC,Source Han Sans SC,PingFang SC,"
            "Microsoft YaHei,WenQuanYi Micro Hei,sans-serif")

FONT_HINT = N_("install a font that has them, e.g. Noto CJK for Chinese: apt install "
             "fonts-noto-cjk, dnf install google-noto-sans-cjk-fonts, brew install --cask "
             "font-noto-sans-cjk (other scripts: the fonts-noto package)")

_checked: dict[str, bool] = {}  # character -> whether some installed font has it
_warned = False


class MissingGlyphWarning(UserWarning):
    """No installed font has some characters of a label: PNG and PDF show boxes for them."""


def check_labels(texts: Iterable[str]) -> list[str]:
    """Warn once if no installed font has some character of ``texts``; returns those characters.

    ASCII is taken for granted; every other character is asked about once per process.
    """
    global _warned
    wanted = list(dict.fromkeys(c for t in texts for c in t if ord(c) > 0x7E and not c.isspace()))
    unknown = [c for c in wanted if c not in _checked]
    if unknown:
        if not _has_fontconfig():
            return []
        found = _covered(unknown)
        if found is None:
            return []
        if found:  # one font has them all: the usual answer, one call
            _checked.update(dict.fromkeys(unknown, True))
        else:
            for c in unknown:
                _checked[c] = bool(_covered([c]))
    missing = [c for c in wanted if not _checked.get(c, True)]
    if missing and not _warned:
        _warned = True
        shown = "".join(missing[:10]) + ("..." if len(missing) > 10 else "")
        warnings.warn(_("no installed font has the characters {chars} of a label, so PNG and "
                        "PDF show them as boxes; {hint}", chars=repr(shown), hint=_(FONT_HINT)),
                      MissingGlyphWarning, stacklevel=3)
    return missing


def fonts_for(text: str) -> list[str]:
    """The installed font families that have every character of ``text`` (fontconfig's own
    answer), for tests and for a learner asking why a label shows boxes."""
    if not _has_fontconfig():
        return []
    return _covered(list(text)) or []


def _has_fontconfig() -> bool:
    return shutil.which("fc-list") is not None


def _covered(chars: list[str]) -> list[str] | None:
    """Families of the fonts that have all of ``chars``; None when fontconfig can't be asked."""
    charset = " ".join(f"{ord(c):x}" for c in chars)
    try:
        out = subprocess.run(["fc-list", f":charset={charset}", "family"], capture_output=True,
                             text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return sorted({line.strip() for line in out.stdout.splitlines() if line.strip()})
