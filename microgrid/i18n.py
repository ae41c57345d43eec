"""Languages: the words microgrid shows a learner, in English or in the course's Chinese.

The mechanism lives in ``microgrid.engine.i18n`` (read its docstring: ``_()`` with named
placeholders, ``N_()``, the order in which the language is chosen), because the engine's own
errors are translated too and the engine imports nothing outside itself. This module is the
same functions under the name the rest of the package and its users import::

    from microgrid.i18n import _, language, set_language
"""

from __future__ import annotations

from .engine.i18n import (
    DOMAIN,
    ENGLISH,
    ENV,
    LOCALE_DIR,
    LOCALE_VARIABLES,
    N_,
    SCRIPT_MESSAGE,
    _,
    get_language,
    gettext,
    language,
    languages,
    page_strings,
    resolve,
    script_messages,
    set_language,
    speaks,
)

__all__ = ["DOMAIN", "ENGLISH", "ENV", "LOCALE_DIR", "LOCALE_VARIABLES", "SCRIPT_MESSAGE", "N_",
           "_", "get_language", "gettext", "language", "languages", "page_strings", "resolve",
           "script_messages", "set_language", "speaks"]
