"""Languages: the words microgrid shows a learner, in English or in the course's Chinese.

The standard mechanism, gettext: every sentence a learner reads is written in the code in
English, whole, inside ``_()``, with named placeholders::

    raise ValueError(_("the graph has {size} Values, more than max_nodes={limit}", size=n,
                       limit=limit))

``_()`` looks the sentence up in the catalog of the current language
(``microgrid/locale/<lang>/LC_MESSAGES/microgrid.mo``, compiled from the ``.po`` beside it)
and only then fills the placeholders with ``str.format``, so a translation may put them in any
order. A sentence is never glued from pieces: word order differs between languages. A sentence
that must exist before the language is known (a module constant) is marked with ``N_()`` and
translated where it is shown, with ``_(CONSTANT)``. A module that uses ``_`` as a throwaway
name (``for _, x in pairs``) imports ``gettext`` instead, the same function. A third language
is one more ``.po`` file.

Which language, first match wins:

1. ``lang="zh"`` passed to a view (``explain(J, lang="en")``): ``resolve(lang)``;
2. a ``with language("zh"):`` block, in this thread or asyncio task only (a context variable,
   as grad mode is);
3. ``set_language("zh")``, for the whole program;
4. the ``MICROGRID_LANG`` environment variable;
5. the system locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): zh_CN, zh_TW,
   zh_HK, zh ... give Chinese;
6. English.

The step-through page's script writes its sentences as ``_("...")`` too; ``page_strings``
reads them from the script and gives the page their translations as a dict, which the page
looks up (English when absent). ``tools/catalog.py`` extracts the sentences of the Python code
and of the scripts, and the tests fail when one has no translation, an entry is unused, or a
translation loses a placeholder.

It lives in the engine, standard library only, because the engine's own errors (``no_grad``,
bad operands, a traced branch) are sentences a learner reads too, and the engine imports
nothing outside itself; ``microgrid.i18n`` gives the rest of the package the same functions.
The catalogs stay in ``microgrid/locale/``, found from here as ``../locale``.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

DOMAIN = "microgrid"
# microgrid/locale: beside the engine in a checkout, a wheel and an editable install alike
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENGLISH = "en"
ENV = "MICROGRID_LANG"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_block: contextvars.ContextVar[str | None] = contextvars.ContextVar("microgrid_language",
                                                                    default=None)
_chosen: str | None = None  # set_language's choice, for every thread
_catalogs: dict[str, Any] = {}  # gettext.NullTranslations
_lock = threading.Lock()


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages microgrid speaks: English and each one with a compiled catalog."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return (ENGLISH, *sorted(found - {ENGLISH}))


def _normalize(lang: str) -> str:
    """"zh_CN.UTF-8", "zh-Hans", "ZH" -> "zh": the language, without region or encoding."""
    return re.split(r"[_\-.@:]", lang.strip(), maxsplit=1)[0].lower()


def resolve(lang: str | None = None) -> str:
    """The language a view speaks: ``lang`` when given (checked), else the current one.

    A view with a ``lang=None`` parameter calls this once, or wraps its work in
    ``with language(lang):``.
    """
    if lang is None:
        return get_language()
    if not isinstance(lang, str):
        raise TypeError(f"lang must be a language code such as 'zh' or 'en', not "
                        f"{type(lang).__name__}")
    code = _normalize(lang)
    if code not in languages():
        raise ValueError(f"microgrid has no catalog for the language {lang!r}: it speaks "
                         f"{', '.join(repr(x) for x in languages())}")
    return code


def get_language() -> str:
    """The language in effect here: a ``language()`` block, ``set_language``, the
    ``MICROGRID_LANG`` variable, the system locale, else English."""
    block = _block.get()
    if block is not None:
        return block
    if _chosen is not None:
        return _chosen
    return _from_environment()


def _from_environment() -> str:
    """MICROGRID_LANG, then the locale's variables; a language without a catalog is English.

    An environment is a request, not a command: an unknown language there never fails."""
    spoken = languages()
    value = os.environ.get(ENV, "").strip()
    if value:
        code = _normalize(value)
        return code if code in spoken else ENGLISH
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:  # LANGUAGE may list several, "zh_CN:en": the first counts
            code = _normalize(value.split(":")[0])
            return code if code in spoken else ENGLISH
    return _from_system_locale(spoken)


def _from_system_locale(spoken: tuple[str, ...]) -> str:
    """The locale the operating system reports when no variable says (Windows, macOS apps)."""
    import locale

    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        return ENGLISH
    if name.lower().startswith("chinese"):  # Windows: "Chinese (Simplified)_China"
        name = "zh"
    code = _normalize(name) if name else ENGLISH
    return code if code in spoken else ENGLISH


def set_language(lang: str | None) -> None:
    """Speak ``lang`` ("zh" or "en") from now on, in every thread; ``None`` goes back to
    ``MICROGRID_LANG`` and the system locale. A ``language()`` block or a view's ``lang=``
    still wins where it is given."""
    global _chosen
    _chosen = None if lang is None else resolve(lang)


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """``with language("zh"):`` speaks Chinese inside the block, in this thread or task only;
    ``language(None)`` keeps the current language (so a view can write
    ``with language(lang):`` for its ``lang=None`` parameter). Yields the language."""
    code = resolve(lang)
    token = _block.set(code)
    try:
        yield code
    finally:
        _block.reset(token)


View = TypeVar("View", bound=Callable[..., Any])


def speaks(view: View) -> View:
    """Run ``view`` in the language of its keyword-only ``lang=None`` parameter: the
    decorator of a view whose words are all made before it returns (``draw``, ``tree``,
    ``explain``), so its body needs no ``with language(lang):`` of its own."""

    @functools.wraps(view)
    def speaking(*args: Any, **kwargs: Any) -> Any:
        with language(kwargs.get("lang")):
            return view(*args, **kwargs)

    return speaking  # type: ignore[return-value]


def _catalog(lang: str) -> Any:
    catalog = _catalogs.get(lang)
    if catalog is None:
        import gettext as _gettext  # on the first sentence in another language only

        with _lock:
            catalog = _gettext.translation(DOMAIN, LOCALE_DIR, [lang], fallback=True)
            _catalogs[lang] = catalog
    return catalog


def gettext(message: str, /, **fields: object) -> str:
    """``message`` in the current language, its ``{name}`` placeholders filled from
    ``fields`` (after translation, so the translation may order them as it needs).

    Without fields the sentence is returned as translated, braces and all."""
    lang = get_language()
    text = message if lang == ENGLISH else _catalog(lang).gettext(message)
    return text.format(**fields) if fields else text


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for it
    """Mark ``message`` for the catalog without translating it now: for a sentence defined
    before the language is known, translated where it is shown with ``_(message)``."""
    return message


# _("...") in a page's script: the same marker, so one extractor reads both languages
SCRIPT_MESSAGE = re.compile(r"""\b_\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')\s*[,)]""")


def script_messages(script: str) -> list[str]:
    """The sentences a script marks as ``_("...")`` (or with single quotes), in order, once."""
    found: dict[str, None] = {}
    for match in SCRIPT_MESSAGE.finditer(script):
        raw = match.group(1) if match.group(1) is not None else match.group(2)
        found[re.sub(r"\\(.)", r"\1", raw)] = None
    return list(found)


def page_strings(script: str, lang: str | None = None) -> dict[str, str]:
    """{English sentence: translation} for every ``_("...")`` in a page's script: what the
    page's JSON data carries so that its ``_()`` can look its words up, offline."""
    with language(lang):
        return {message: gettext(message) for message in script_messages(script)}
