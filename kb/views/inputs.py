"""Numbers typed by a user: read with a decimal comma or point, checked against a library bound, refused in words."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, parse_decimal

from kb.errors import InvalidInput
from kb.i18n import N_
from kb.replication.bounds import Bound
from kb.replication.inputs import MeasureType
from kb.views.fmt import Translate, format_number, identity

__all__ = ["Entry", "EntryRefused", "NUMBER_HELP", "TypicalScale", "entry_text", "parse_number", "read_entry",
           "typical_scale"]

NUMBER_HELP = N_("Type a decimal comma or a decimal point (1,5 or 1.5) and group thousands with spaces (1 500). "
               "A single comma before exactly three digits (1,500) is unclear and is refused: write 1500 or 1,5.")
"""How every number field reads its text (shown in each field's help)."""

MAX_CHARS = 64  # no number a user means is longer; longer text is refused before it is parsed

# Space-like characters people type or paste between digit groups: space, no-break, narrow no-break, thin space.
_SPACES = re.compile("[ \u00a0\u202f\u2009]+")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # the minus sign and the en dash some keyboards give
_SHAPE = re.compile(r"[+-]?[0-9.,\u00a0]*[0-9][0-9.,\u00a0]*(?:[eE][+-]?[0-9]{1,6})?")
_NBSP = "\u00a0"


class EntryRefused(InvalidInput, ValueError):
    """Text that is not a number, or is unclear (``1,500``): the message says why and what to type. ``template``
    and ``values`` keep the sentence's catalogue form, for the page to show it in its language."""

    def __init__(self, template: str, **values: str) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


@dataclass(frozen=True)
class Entry:
    """What a number field holds: a value within its bound, nothing (blank), or the reason it is refused."""

    value: float | None = None
    error: str = ""

    @property
    def empty(self) -> bool:
        return self.value is None and not self.error


def parse_number(text: str, locale: str | None = None) -> float | None:
    """The number in ``text`` (``None`` when blank), read with Babel.

    A decimal comma and a decimal point are both accepted; digit groups may be separated by spaces (``1 500``),
    by commas before a decimal point (``1,500.5``) or by dots before a decimal comma (``1.500,5``). A single comma
    followed by exactly three digits (``1,500``) means 1500 in English and 1.5 in Polish: with ``locale`` ``"en"``
    or ``"pl"`` it is read that way; without a locale (the app has no language switch yet) it is refused as
    unclear, never guessed. Anything else that is not a number raises :class:`EntryRefused`.
    """
    raw = (text or "").strip()
    if not raw:
        return None
    if len(raw) > MAX_CHARS:
        raise EntryRefused(N_("{start}… is too long to be a number"), start=raw[:20])
    s = _SPACES.sub(_NBSP, raw.translate(_MINUS))
    if not _SHAPE.fullmatch(s):
        raise EntryRefused(N_('"{text}" is not a number'), text=raw)
    s = s.lstrip("+")
    mantissa, _, exponent = s.lower().partition("e")
    try:
        value = _babel(mantissa, raw, locale)
        if exponent:
            value = value.scaleb(int(exponent))
        out = float(value)
    except EntryRefused:
        raise
    except (NumberFormatError, InvalidOperation, OverflowError, ValueError):
        raise EntryRefused(N_('"{text}" is not a number'), text=raw) from None
    return out


def _babel(s: str, raw: str, locale: str | None) -> Decimal:
    """``s`` (signs and digit groups normalised) parsed strictly in the locale its separators say it is in."""
    commas, dots, spaces = s.count(","), s.count("."), s.count(_NBSP)
    if commas and dots:
        if spaces:
            raise EntryRefused(N_('"{text}" mixes spaces, commas and points: write it as 1500.5 or 1 500,5'),
                               text=raw)
        return parse_decimal(s, locale="en" if s.rfind(".") > s.rfind(",") else "de", strict=True)
    if spaces:  # spaces group the digits; a comma or a point is the decimal separator
        if dots:
            return parse_decimal(s.replace(_NBSP, ","), locale="en", strict=True)
        return parse_decimal(s, locale="pl", strict=True)
    if dots > 1:
        raise EntryRefused(N_('"{text}" has several points: group thousands with spaces (1 500 000) instead'),
                           text=raw)
    if commas > 1:
        return parse_decimal(s, locale="en", strict=True)  # 1,500,000: only English groups digits that way
    if commas == 1:
        whole, _, frac = s.partition(",")
        grouped = len(frac) == 3 and whole.lstrip("-") not in ("", "0") and len(whole.lstrip("-")) <= 3
        if grouped and locale is None:
            raise EntryRefused(N_('"{text}" is unclear (a thousands comma or a decimal comma?): write {whole} for the '
                                  'whole number or {decimal} for the decimal'), text=raw, whole=whole + frac,
                               decimal=f"{whole}.{frac}")
        return parse_decimal(s, locale="en" if grouped and locale == "en" else "pl", strict=True)
    return parse_decimal(s, locale="en", strict=True)


def describe(bound: Bound, t: Translate = identity, locale: str | None = None) -> str:
    """The allowed range in words: the library's English (``from 0 to 1,000,000 kWp``), or in the language of
    ``t`` with its number format (``od 0 do 1 000 000 kWp``)."""
    if t is identity:
        return bound.describe()
    unit = f" {t(bound.unit)}" if bound.unit and bound.unit != "-" else ""
    low, high = (format_number(x, locale=locale or "en_GB", whole=float(x).is_integer())
                 for x in (bound.low, bound.high))
    template = N_("more than {low} and at most {high}{unit}") if bound.low_open else N_("from {low} to {high}{unit}")
    return t(template).format(low=low, high=high, unit=unit)


def read_entry(text: str, bound: Bound, what: str, locale: str | None = None, t: Translate = identity) -> Entry:
    """The text of a number field as an :class:`Entry`: its value when it is a number within ``bound``; blank is
    empty; else the refusal in one sentence naming the field (``what``), the text and the allowed range (in the
    language of ``t``)."""
    try:
        value = parse_number(text, locale)
    except EntryRefused as exc:
        return Entry(error=t("{what}: {reason} (allowed: {range}).").format(
            what=what, reason=t(exc.template).format(**exc.values), range=describe(bound, t, locale)))
    if value is None:
        return Entry()
    if not math.isfinite(value) or not bound.contains(value):
        shown = text.strip()
        return Entry(error=t("{what}: {text} is outside the allowed range ({range}).").format(
            what=what, text=shown, range=describe(bound, t, locale)))
    return Entry(value)


def entry_text(value: float, locale: str | None = None) -> str:
    """A number as a field's text that reads back to the same float: every digit, groups separated by spaces
    (``1 500``, ``0.125``), never the unclear ``1,500``; with a ``locale`` whose decimal sign is a comma, that
    comma (``0,125`` in Polish, which :func:`parse_number` reads back in that locale)."""
    if not math.isfinite(value):
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return format_decimal(int(value), locale="en").replace(",", " ")
    if abs(value) < 1e-6 or abs(value) >= 1e15:  # written out, these would be dozens of zeros
        return repr(float(value))
    text = format_decimal(Decimal(repr(float(value))), locale="en", decimal_quantization=False).replace(",", " ")
    return text.replace(".", ",") if locale and get_decimal_symbol(locale) == "," else text


# --- a typical size from the measure-type record ----------------------------------------------------------------

@dataclass(frozen=True)
class TypicalScale:
    """A typical size of one measure, read from a sourced row of its measure-type record."""

    value: float
    unit: str
    row: str  # the row's own words, e.g. "capex, commercial rooftop (110 kWp unit), per kWp DC"
    evidence: str
    source: str

    def label(self) -> str:
        return f"{entry_text(self.value)} {self.unit}"


NO_TYPICAL = N_("No typical size in the sources: enter your own.")


def typical_scale(mt: MeasureType) -> TypicalScale | None:
    """The reference unit size a sourced parameter row of the measure type names in the type's scale unit
    (``(110 kWp unit)``); the row the model's cost comes from first. ``None`` when no row names one: nothing is
    invented."""
    unit = mt.scale_unit.strip()
    if not unit or unit == "-":
        return None
    pattern = re.compile(r"\((\d[\d.,]*)\s*" + re.escape(unit) + r"\s+unit\)")
    rows = sorted(mt.params.values(), key=lambda p: p.key != "capex")
    for p in rows:
        m = pattern.search(p.name)
        if m is None:
            continue
        try:
            value = parse_number(m.group(1), "en")
        except EntryRefused:
            continue
        if value is not None and value > 0:
            return TypicalScale(value, unit, p.name, p.evidence, p.source)
    return None
