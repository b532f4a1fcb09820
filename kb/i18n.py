"""Interface languages: gettext catalogues (``kb/locale/<lang>/LC_MESSAGES/messages.po``, read with Babel) and locales.

The records stay in English; only the frame around them is translated: page texts, labels, messages, and the
brief's headings. ``translator(lang)`` returns a function that gives a message in that language, or the English
text itself when the catalogue has no translation (a missing entry is never an error, it shows in English).
Catalogues are plain ``.po`` files read at run time (no compile step), one per part of the interface in
``kb/locale/<lang>/LC_MESSAGES/`` (all files of the folder are merged). To collect the texts:
``pybabel extract -k t -k N_ -o kb/locale/messages.pot kb``; a new language: copy the ``.po`` files of ``pl``
with empty translations (or ``pybabel init -i kb/locale/messages.pot -d kb/locale -l XX``) and add it to
``LANGUAGES``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

__all__ = ["LANGUAGES", "DEFAULT", "translator", "locale_of", "language_from", "N_", "LOCALE_DIR"]

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
LANGUAGES: dict[str, str] = {"en": "English", "pl": "Polski"}
"""The interface languages offered, each in its own name. The other fellow-city languages (sk, hu, da, pt, lv)
need only a catalogue and a line here."""
LOCALES: dict[str, str] = {"en": "en_GB", "pl": "pl_PL", "sk": "sk_SK", "hu": "hu_HU", "da": "da_DK",
                           "pt": "pt_PT", "lv": "lv_LV"}
"""Babel locale of each language: number and date formats (decimal comma in Polish)."""


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined (a constant); translate it where it is shown."""
    return message


@lru_cache(maxsize=16)
def _catalogue(lang: str) -> dict[str, str]:
    """Every translated message of a language: all ``.po`` files of its folder, one per part of the interface
    (``messages.po`` for the frame, ``estimate.po``, …), read in name order."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    out: dict[str, str] = {}
    if lang == DEFAULT or not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for m in cat:
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy:
                out[m.id] = m.string
    log.debug("catalogue %s: %d messages", lang, len(out))
    return out


def translator(lang: str) -> Callable[[str], str]:
    """``t(message)``: the message in ``lang`` (English when untranslated or the language is unknown)."""
    table = _catalogue(lang if lang in LANGUAGES else DEFAULT)

    def t(message: str) -> str:
        return table.get(message, message)

    return t


def locale_of(lang: str) -> str:
    """The Babel locale for number and date formats of an interface language (``en_GB`` when unknown)."""
    return LOCALES.get(lang, LOCALES[DEFAULT])


def language_from(browser_locale: str | None) -> str:
    """The offered language closest to a browser's locale (``pl-PL`` → ``pl``), else English."""
    if not browser_locale:
        return DEFAULT
    try:
        lang = Locale.parse(browser_locale.replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return DEFAULT
    return lang if lang in LANGUAGES else DEFAULT
