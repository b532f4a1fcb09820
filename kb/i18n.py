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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeAlias

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

__all__ = ["LANGUAGES", "DEFAULT", "translator", "locale_of", "language_from", "N_", "LOCALE_DIR", "Msg", "Num",
           "NumberFormat", "Param", "english_number", "joined", "AND", "OR",
           "Said"]

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


@dataclass(frozen=True)
class Num:
    """A number inside a :class:`Msg`: its value and the format spec of the library's English (``",.1f"``); the
    app writes it with the reader's locale instead (decimal comma in Polish)."""

    value: float
    spec: str = "g"

    @property
    def whole(self) -> bool:
        """Written without decimals (a count, or a figure the library rounds to units)."""
        return self.spec.endswith(("d", ".0f"))


NumberFormat = Callable[[Num], str]
Param: TypeAlias = "str | int | float | Num | Msg"


def english_number(n: Num) -> str:
    """A number as the library writes it in English (its format spec)."""
    return format(n.value, n.spec)


@dataclass(frozen=True)
class Msg:
    """A sentence the library makes with values inside: a catalogue msgid (marked with :func:`N_`) with ``{name}``
    fields, and its parameters. ``str(msg)`` is the English sentence (CLI, briefs); ``msg.text(t, number)``
    translates the template, and each nested ``Msg``, with ``t`` and writes each :class:`Num` with ``number`` (the
    reader's locale). A plain ``str`` parameter is record content or a name and is kept as it is."""

    template: str
    params: Mapping[str, Param] = field(default_factory=dict)
    capital: bool = False
    """The sentence starts with a capital letter whatever its first field holds."""

    def text(self, t: Callable[[str], str] | None = None, number: NumberFormat = english_number) -> str:
        tr = t or _same
        values = {k: _param_text(v, tr, number) for k, v in self.params.items()}
        try:
            out = tr(self.template).format(**values)
        except (KeyError, IndexError, ValueError):  # a translation with a wrong field: the English, never an error
            log.warning("translation of %r does not fit its fields", self.template)
            out = self.template.format(**values)
        return out[:1].upper() + out[1:] if self.capital else out

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (results cross as dictionaries): ``{"template", "params"}``."""
        out: dict[str, Any] = {"template": self.template,
                               "params": {k: _param_dict(v) for k, v in self.params.items()}}
        if self.capital:
            out["capital"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Msg:
        """The inverse of :meth:`to_dict`."""
        return cls(str(data["template"]), {k: _param_from(v) for k, v in dict(data.get("params") or {}).items()},
                   bool(data.get("capital", False)))


class Said(str):
    """A library sentence that stays a plain English ``str`` (lists of warnings, reasons and notes keep their type for
    the CLI, JSON and briefs) and carries its structured :class:`Msg` for the app (``said.msg``). ``english`` is the
    CLI's text where it differs from the message's English (a command-line hint the page does not give). Any change
    to the text (``+``, ``replace``) gives a plain ``str`` again: the app then shows the English."""

    msg: Msg

    def __new__(cls, msg: Msg, english: str | None = None) -> Said:
        obj = super().__new__(cls, str(msg) if english is None else english)
        obj.msg = msg
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Said, (self.msg, str(self)))


AND = N_(" and ")
OR = N_(" or ")


def joined(items: Sequence[Param], sep: str = ", ", last: Param | None = None) -> Msg:
    """Items in one sentence: ``a, b, c`` (``sep``), the last two joined by ``last`` where given (``Msg(AND)``:
    ``a, b and c``)."""
    params: dict[str, Param] = {f"p{i}": v for i, v in enumerate(items)}
    parts = [f"{{p{i}}}" for i in range(len(items))]
    if last is not None and len(parts) > 1:
        params["last"] = last
        template = sep.join(parts[:-1]) + "{last}" + parts[-1]
    else:
        template = sep.join(parts)
    return Msg(template, params)


def _same(text: str) -> str:
    return text


def _param_text(v: Param, t: Callable[[str], str], number: NumberFormat) -> str:
    if isinstance(v, Said):
        return v.msg.text(t, number)
    if isinstance(v, Msg):
        return v.text(t, number)
    if isinstance(v, Num):
        return number(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    return number(Num(v, "d" if isinstance(v, int) else "g"))


def _param_dict(v: Param) -> Any:
    if isinstance(v, Said):
        return {"msg": v.msg.to_dict()}
    if isinstance(v, Msg):
        return {"msg": v.to_dict()}
    if isinstance(v, Num):
        return {"num": v.value, "spec": v.spec}
    return v


def _param_from(v: Any) -> Param:
    if isinstance(v, dict) and "msg" in v:
        return Msg.from_dict(v["msg"])
    if isinstance(v, dict) and "num" in v:
        return Num(float(v["num"]), str(v.get("spec", "g")))
    return v if isinstance(v, (str, int, float)) else str(v)


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
