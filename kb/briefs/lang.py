"""The brief's language: its frame (headings, labels, sentences) through the catalogues, its numbers in that locale.

A brief is built and rendered in one language (``Brief.lang``). ``with language(lang):`` sets it for the building
or rendering code below it (a context variable: each thread and each nested call sees its own); ``t(message)`` then
gives the message in that language and :func:`localized` turns a number written the English way (``11,881.5``)
into the locale's (``11 881,5`` in Polish, with a no-break space so that a number never splits across lines).
The records' own text (titles, summaries, barriers, sources) is never translated: the brief says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, Protocol, TypeVar

from babel.numbers import get_decimal_symbol, get_group_symbol

from kb import i18n
from kb.i18n import N_, Msg, Said, english_number

__all__ = ["language", "current", "t", "localized", "percent", "word", "directed", "term", "in_its_language",
           "said"]

_LANG: ContextVar[str] = ContextVar("brief_language", default=i18n.DEFAULT)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Build or render the brief in ``lang`` (unknown languages read as English) within the block."""
    token = _LANG.set(lang if lang in i18n.LANGUAGES else i18n.DEFAULT)
    try:
        yield
    finally:
        _LANG.reset(token)


def current() -> str:
    """The language the brief is being built or rendered in."""
    return _LANG.get()


def t(message: str) -> str:
    """``message`` in the brief's language (English when untranslated)."""
    return i18n.translator(_LANG.get())(message)


def localized(english: str) -> str:
    """A number written the English way (``−11,881.5``) in the brief's locale (``−11 881,5`` in Polish)."""
    lang = _LANG.get()
    if lang == i18n.DEFAULT:
        return english
    loc = i18n.locale_of(lang)
    table = {",": get_group_symbol(loc), ".": get_decimal_symbol(loc)}
    return "".join(table.get(ch, ch) for ch in english)


def said(message: Msg | Mapping[str, Any] | str | None, english: str = "") -> str:
    """A library sentence in the brief's language: a structured message (a :class:`~kb.i18n.Msg`, its dictionary or
    a :class:`~kb.i18n.Said`) translated, its numbers written the English way then in the brief's locale; else
    ``english`` (or the string itself) unchanged."""
    if isinstance(message, Said):
        message = message.msg
    if isinstance(message, Mapping):
        message = Msg.from_dict(message)
    if isinstance(message, Msg):
        return message.text(t, lambda n: localized(english_number(n)))
    return message or english


def percent(x: float, digits: int = 0) -> str:
    """A fraction as a percentage with a space before the sign: ``0.054`` → ``5.4 %`` (``5,4 %`` in Polish)."""
    return localized(f"{x * 100:.{digits}f}") + " %"


# The direction words of kb.replication.words, alone and after their noun, marked for the catalogue: a column of
# amounts "saved" shows a value the other way as "4 added"; a label reads "electricity generated".
WORDS = (N_("saved"), N_("generated"), N_("avoided"), N_("added"), N_("unchanged"))
PHRASES = (N_("electricity saved"), N_("electricity generated"), N_("electricity added"), N_("natural gas saved"),
           N_("natural gas added"), N_("district heat saved"), N_("district heat added"), N_("petrol/diesel saved"),
           N_("petrol/diesel added"), N_("CO₂ avoided"), N_("CO₂ added"), N_("primary energy saved"),
           N_("primary energy added"), N_("NOx avoided"), N_("NOx added"), N_("energy cost saved"),
           N_("energy cost added"))
KINDS = (N_("replication brief"), N_("district-plan brief"))  # what a document is, in its page footer
# the record vocabulary a brief shows in its frame (kb.records.vocab): status, barrier type, phase, outcome
VOCABULARY = (N_("concept"), N_("planned"), N_("under-construction"), N_("operational"), N_("completed"),
              N_("dropped"), N_("regulatory"), N_("financial"), N_("social"), N_("technical"), N_("organisational"),
              N_("market"), N_("planning"), N_("permitting"), N_("financing"), N_("procurement"), N_("construction"),
              N_("operation"), N_("engagement"), N_("worked"), N_("partly"), N_("failed"), N_("open"))


def term(english: str) -> str:
    """A word of the record vocabulary (status, barrier type, phase, outcome) in the brief's language."""
    return t(english) if english else english


def word(english: str) -> str:
    """A direction word (``saved``, ``added`` …) in the brief's language."""
    return t(english)


def directed(noun: str, english_word: str) -> str:
    """``electricity generated`` in the brief's language (the phrase whole: Polish agrees the word with its noun)."""
    return t(" ".join((noun, english_word)))


class _HasLang(Protocol):
    lang: str


B = TypeVar("B", bound=_HasLang)
R = TypeVar("R")


def in_its_language(render: Callable[[B], R]) -> Callable[[B], R]:
    """A renderer run in the language of the brief it renders."""

    @wraps(render)
    def run(brief: B) -> R:
        with language(brief.lang):
            return render(brief)

    return run
