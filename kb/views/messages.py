"""Library messages rewritten for the app: plain labels instead of keys, what to do on the page instead of CLI flags.

The library's messages name keys and command-line options for ``kb`` users; the CLI shows them unchanged. The app
shows :func:`app_message` of the same error, and :func:`plain_reason` of the reasons an output was not computed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from babel.numbers import format_decimal

from kb.i18n import N_, Msg, Num, Said
from kb.replication.cities import DriverMissing
from kb.replication.inputs import ParameterMissing
from kb.replication.simulation import METRICS, ScaleMissing
from kb.views.fmt import Translate, format_number, identity, in_sentence, label_of, plain_units_in, unit_of

__all__ = ["app_message", "plain_reason", "say", "said"]

_SCALE_MISSING = N_("The source record gives no scale for this measure: enter the scale in the box above.")
_PARAM_MISSING = N_("No source in the knowledge base gives the {name} of {measure}: enter your own value in the box "
                    "above (it is labelled 'entered by the user' in the assumptions).")
_DRIVER_MISSING = N_("{city} has no value for {label}{unit}, needed for {purpose}. Fill it in on the My city page "
                     "(it is labelled 'entered by the user').")

_KEY = re.compile(r"'([a-z][a-z0-9]*(?:_[a-z0-9]+)+|hdd|cdd|ghi|capex|opex)'")
_CLI_BITS = (
    re.compile(r";?\s*give the scale: --scale [^;.)]*(\([^)]*\))?"),
    re.compile(r",?\s*give '--driver [^']*' on the command line"),
    re.compile(r"\s*\(kb [a-z]+ --[^)]*\)"),
    re.compile(r"\s*\(add \[factors\] [a-z0-9_]+\)"),
    re.compile(r"\s*\(city driver '[a-z0-9_]+'\)"),
    re.compile(r"\s*\(its record has no value in a row with key '[a-z_]+'\)"),
)


def _labels(text: str) -> str:
    return _KEY.sub(lambda m: in_sentence(label_of(m.group(1))), text)


_SPACED = {k.replace("_", " "): k for k in METRICS if "_" in k}
_SPACED_KEY = re.compile(r"\b(" + "|".join(re.escape(k) for k in _SPACED) + r")\b")
_BARE_KEY = re.compile(r"\b([a-z]+(?:_[a-z0-9]+)+)\b")


def plain_reason(text: str, t: Translate = identity) -> str:
    """A library reason, note or warning for a reader: command-line hints dropped, keys (quoted, bare or with
    spaces for underscores: ``co2 avoided``) as plain labels, units written plainly. With ``t``, a fixed sentence
    the catalogue has is translated; any other stays English (the library speaks English)."""
    for pattern in _CLI_BITS:
        text = pattern.sub("", text)
    text = _labels(text)
    text = _SPACED_KEY.sub(lambda m: in_sentence(label_of(_SPACED[m.group(1)])), text)
    text = _BARE_KEY.sub(lambda m: in_sentence(label_of(m.group(1))), text)
    return t(plain_units_in(text).replace("CO2", "CO₂"))


def app_message(exc: BaseException, t: Translate = identity) -> str:
    """What the app says for a library error: the remedy on the page for the errors that name a key or a
    command-line option; any other message with its keys as labels and CLI hints dropped."""
    if isinstance(exc, ScaleMissing):
        return t(_SCALE_MISSING)
    if isinstance(exc, ParameterMissing):
        return t(_PARAM_MISSING).format(name=exc.key.replace("_", " "), measure=exc.measure)
    if isinstance(exc, DriverMissing):
        unit = unit_of(exc.key, t)
        return t(_DRIVER_MISSING).format(city=exc.city, label=in_sentence(label_of(exc.key, t)),
                                         unit=t(" (in {unit})").format(unit=unit) if unit else "",
                                         purpose=plain_reason(exc.purpose, t))
    return plain_reason(str(exc), t)


def say(message: Msg | Mapping[str, Any] | str | None, t: Translate = identity, locale: str = "en_GB") -> str:
    """A library sentence for a reader: a structured :class:`~kb.i18n.Msg` (or its dictionary, or a
    :class:`~kb.i18n.Said` string) translated with ``t`` and its numbers written in ``locale`` (decimal comma in
    Polish); any other string through :func:`plain_reason`; None → ``""``."""
    if message is None:
        return ""
    if isinstance(message, Said):
        message = message.msg
    if isinstance(message, str):
        return plain_reason(message, t)
    msg = message if isinstance(message, Msg) else Msg.from_dict(message)
    return msg.text(t, lambda n: _number(n, locale))


_FIXED = re.compile(r"\.(\d+)f$")


def _number(n: Num, locale: str) -> str:
    """A number of a message in the reader's locale: the decimals the library fixed (``.1f``: one), whole for
    counts, else about three significant figures (:func:`~kb.views.fmt.format_number`)."""
    fixed = _FIXED.search(n.spec)
    if fixed and int(fixed.group(1)) > 0 and math.isfinite(n.value):
        places = int(fixed.group(1))
        return format_decimal(round(n.value, places), format="#,##0." + "0" * places, locale=locale)
    return format_number(n.value, locale=locale, whole=n.whole)


def said(d: Mapping[str, Any], t: Translate = identity, locale: str = "en_GB", key: str = "explanation") -> str:
    """The sentence of a result dictionary: its structured ``message`` where it has one, else its English ``key``."""
    message = d.get("message")
    return say(message if isinstance(message, (Msg, Mapping)) else d.get(key), t, locale)
