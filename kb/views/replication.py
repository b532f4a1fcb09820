"""Table and chart data for the replication pages (no Streamlit): drivers, ranges, source vs city, tornado.

Signed outputs are shown in words (:func:`in_words`, :func:`range_in_words`, from :mod:`kb.replication.words` so
that briefs, a lower layer, use the same words): "317 MWh/yr electricity generated", never "−317". Rows keep the
signed figures of ``kb estimate --json`` beside a ``direction`` word and the values as shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal, format_percent
from sqlalchemy import Engine

from kb.i18n import N_, Msg
from kb.records.vocab import DRIVER_KEYS
from kb.replication.cities import DRIVER_LABELS, CityProfile, find_city
from kb.replication.sensitivity import NO_SPREAD, summary
from kb.replication.simulation import Estimate, Metric
from kb.replication.solution import estimate_solution
from kb.replication.words import cell, direction_of, generates, in_words, number, oriented, range_in_words, word
from kb.views.fmt import (
    BLANK,
    COUNT_UNITS,
    Translate,
    format_number,
    format_share,
    format_years,
    identity,
    in_sentence,
    label_of,
    plain_unit,
)
from kb.views.messages import plain_reason, say

__all__ = ["HEADLINE", "ESSENTIAL_DRIVERS", "driver_rows", "comparison_rows", "range_rows", "side_by_side",
           "tornado_rows", "sensitivity_rows", "sensitivity_verdict", "metric_in_words", "in_words", "range_in_words",
           "word", "NO_SPREAD", "sensitivity_sentence",
           "ECONOMICS", "economics_rows", "cash_flow_rows", "range_title", "assumption_rows",
           "unavailable_lines", "side_by_side_table", "capitalized", "Words", "EVIDENCE_WORDS", "economics_notes",
           "provenance_text", "LIBRARY_PHRASES"]

HEADLINE: tuple[str, ...] = ("electricity", "natural_gas", "petrol", "co2_avoided", "primary_energy_saved",
                             "nox_avoided", "savings", "capex", "payback", "cost_per_tco2")
ESSENTIAL_DRIVERS: tuple[str, ...] = ("hdd", "pv_yield", "grid_co2", "pef_electricity", "electricity_price_household",
                                      "gas_price_household", "district_heating_share")


def driver_rows(city: CityProfile) -> list[dict[str, Any]]:
    """Every driver key: value, unit, year, evidence, source ('missing' where the city has none)."""
    rows: list[dict[str, Any]] = []
    for key, unit in DRIVER_KEYS.items():
        label = DRIVER_LABELS.get(key, key)
        d = city.drivers.get(key)
        if d is not None and d.value is not None:
            rows.append({"driver": label, "key": key, "value": d.value, "unit": d.unit, "year": d.year,
                         "evidence": d.evidence, "source": d.source})
        else:
            rows.append({"driver": label, "key": key, "value": None, "unit": unit, "year": "", "evidence": "missing",
                         "source": ""})
    return rows


def comparison_rows(a: CityProfile, b: CityProfile, keys: tuple[str, ...] = ESSENTIAL_DRIVERS) -> list[dict[str, Any]]:
    """Long-form rows for a grouped bar chart of two cities' drivers, as a share of the larger value."""
    rows = []
    for key in keys:
        va, vb = a.value(key), b.value(key)
        top = max(v for v in (va, vb, 0.0) if v is not None) or 1.0
        for city, v in ((a, va), (b, vb)):
            if v is not None:
                rows.append({"driver": key, "city": city.name, "value": v, "relative": v / top,
                             "unit": DRIVER_KEYS[key]})
    return rows


# every "noun direction" the sign words make (kb.replication.words), for the catalogue: shown translated
_SHOWN_NAMES: tuple[str, ...] = (
    N_("electricity saved"), N_("electricity generated"), N_("electricity added"), N_("natural gas saved"),
    N_("natural gas added"), N_("district heat saved"), N_("district heat added"), N_("petrol/diesel saved"),
    N_("petrol/diesel added"), N_("CO₂ avoided"), N_("CO₂ added"), N_("primary energy saved"),
    N_("primary energy added"), N_("NOx avoided"), N_("NOx added"), N_("energy cost saved"),
    N_("energy cost added"))
_NOUNS: tuple[str, ...] = (N_("electricity"), N_("natural gas"), N_("district heat"), N_("petrol/diesel"),
                           N_("primary energy"), N_("energy cost"))  # CO₂ and NOx read the same
_AMOUNT_WORD: dict[str, str] = {"saved": N_("{amount} saved"), "generated": N_("{amount} generated"),
                                "avoided": N_("{amount} avoided"), "added": N_("{amount} added")}
EVIDENCE_WORDS: tuple[str, ...] = (N_("measured"), N_("installed"), N_("design"), N_("target"), N_("estimate"),
                                   N_("reference"), N_("missing"), N_("entered by the user"), N_("model assumption"))
"""The evidence levels as shown in tables (the records' own words, translated at display)."""


@dataclass(frozen=True)
class Words:
    """Signed outputs in words in one language: English through :mod:`kb.replication.words` (exactly as the briefs
    say them), another language from the catalogue with its number format (``317 MWh/rok``, decimal comma)."""

    t: Translate = identity
    locale: str = "en_GB"

    @property
    def english(self) -> bool:
        return self.t is identity and self.locale.startswith("en")

    def num(self, x: float) -> str:
        return number(x) if self.english else format_number(x, locale=self.locale)

    def said(self, name: str, value: float, unit: str, gen: bool) -> str:
        """``317 MWh/yr electricity generated``; in Polish ``energia elektryczna wytworzona: 317 MWh/rok``."""
        if self.english:
            return in_words(name, value, unit, gen)
        d = direction_of(name, gen)
        u = f" {unit}" if unit else ""
        if d is None:
            return f"{self.num(value)}{u}"
        if value == 0:
            return self.t("no change in {noun}").format(noun=self.t(d.noun))
        return self.t("{amount} {what}").format(amount=f"{self.num(abs(value))}{u}",
                                                what=self.t(f"{d.noun} {d.word(value)}"))

    def between(self, name: str, low: float, high: float, unit: str, gen: bool) -> str:
        """``between 12 and 20 MWh/yr saved``; in Polish ``… zaoszczędzony: od 12 do 20 MWh/rok``."""
        if self.english:
            return range_in_words(name, low, high, unit, gen)
        d = direction_of(name, gen)
        u = f" {unit}" if unit else ""
        if d is None:
            return self.t("between {low} and {high}").format(low=self.num(min(low, high)),
                                                             high=f"{self.num(max(low, high))}{u}")
        lo, hi = sorted((low, high), key=lambda v: v * d.gain_sign, reverse=True)
        if lo == hi:
            return self.said(name, lo, unit, gen)
        wa, wb = d.word(lo), d.word(hi)
        if wa == wb:
            small, large = sorted((abs(lo), abs(hi)))
            return self.t("between {low} and {high} {what}").format(
                low=self.num(small), high=f"{self.num(large)}{u}", what=self.t(f"{d.noun} {wa}"))
        a = self.t(_AMOUNT_WORD[wa]).format(amount=f"{self.num(abs(lo))}{u}") if lo != 0 else self.t("no change")
        b = self.t(_AMOUNT_WORD[wb]).format(amount=f"{self.num(abs(hi))}{u}") if hi != 0 else self.t("no change")
        return self.t("between {a} and {b} ({noun})").format(a=a, b=b, noun=self.t(d.noun))

    def cell(self, name: str, value: float, heading_word: str, gen: bool) -> str:
        if self.english:
            return cell(name, value, heading_word, gen)
        d = direction_of(name, gen)
        if d is None or not heading_word or value >= 0:
            return self.num(value)
        other = d.loss if heading_word != d.loss else d.gain
        return self.t(_AMOUNT_WORD.get(other, "{amount}")).format(amount=self.num(-value))


def shown_name(name: str, heading_word: str, gen: bool = False, t: Translate = identity) -> str:
    """A metric's name with its direction: ``electricity generated``, ``natural gas saved``, ``CO₂ avoided``."""
    d = direction_of(name, gen)
    return t(f"{d.noun} {heading_word}") if d is not None and heading_word else label_of(name, t)


def capitalized(text: str) -> str:
    """``electricity generated`` → ``Electricity generated`` (a label at the start of a cell or a title)."""
    return text[:1].upper() + text[1:]


def range_title(row: Mapping[Any, Any], t: Translate = identity) -> str:
    """The title of one output's panel in the range chart: ``Electricity generated (MWh/yr)``, ``CO₂ avoided
    (t CO₂/yr)``, from a :func:`range_rows` row."""
    name = shown_name(str(row["name"]), str(row["direction"]), t=t)
    unit = plain_unit(str(row["unit"]), t)
    return capitalized(f"{name} ({unit})" if unit else name)


def metric_in_words(est: Estimate, name: str, m: Metric, t: Translate = identity, locale: str = "en_GB") -> str:
    """``317 MWh/yr electricity generated (P10–P90: between 303 and 338 MWh/yr electricity generated)``."""
    d = m.to_dict()
    gen = generates(est.measures)
    unit = plain_unit(m.unit, t)
    w = Words(t, locale)
    if None in (d["p10"], d["p50"], d["p90"]):
        return w.said(name, d["p50"], unit, gen) if d["p50"] is not None else t("never")
    return f"{w.said(name, d['p50'], unit, gen)} (P10–P90: {w.between(name, d['p10'], d['p90'], unit, gen)})"


def range_rows(est: Estimate, names: tuple[str, ...] = HEADLINE, t: Translate = identity,
               locale: str = "en_GB") -> list[dict[str, Any]]:
    """P10/P50/P90 rows of the headline metrics with finite values: the signed figures (as in ``--json``), the
    ``direction`` word of the median, the values as shown (``shown_p10`` … positive in that direction) and a
    sentence ``in words``."""
    rows = []
    gen = generates(est.measures)
    for name in names:
        m = est.metrics.get(name)
        if m is None:
            continue
        d = m.to_dict()
        if None in (d["p10"], d["p50"], d["p90"]):
            continue
        w, s10, s50, s90 = oriented(name, d["p10"], d["p50"], d["p90"], gen)
        label = shown_name(name, w, gen, t)
        rows.append({"metric": f"{label} ({m.unit})", "name": name, "unit": m.unit, "direction": w,
                     "p10": d["p10"], "p50": d["p50"], "p90": d["p90"], "shown_p10": s10, "shown_p50": s50,
                     "shown_p90": s90, "in words": metric_in_words(est, name, m, t, locale)})
    return rows


def side_by_side(engine: Engine, est: Estimate, samples: int = 2000, seed: int = 42, t: Translate = identity,
                 locale: str = "en_GB") -> list[dict[str, Any]]:
    """The same solution at the same scale in its source city beside the chosen city (P50), with site figures."""
    sol = est.solution or {}
    rows: list[dict[str, Any]] = []
    source_est: Estimate | None = None
    if sol:
        try:
            source_est = estimate_solution(engine, sol["id"], find_city(engine, sol["city"]),
                                           {m["measure_type"]: m["scale"] for m in est.measures},
                                           samples=samples, seed=seed)
        except (LookupError, ValueError):
            source_est = None
    figures = (est.source_site or {}).get("figures", {})
    gen = generates(est.measures)
    words = Words(t, locale)
    for name in HEADLINE:
        m = est.metrics.get(name)
        if m is None:
            continue
        src = source_est.metrics.get(name) if source_est else None
        fig = figures.get(name)
        d = m.to_dict()
        p10, p50, p90 = (x if x is not None else 0.0 for x in (d["p10"], d["p50"], d["p90"]))
        w = oriented(name, p10, p50, p90, gen)[0]
        sign = -1.0 if _flipped(name, w, gen) else 1.0

        def shown(x: float | None, w: str = w, sign: float = sign, name: str = name) -> str:
            return t("never") if x is None else words.cell(name, sign * x, w, gen)

        rows.append({"metric": shown_name(name, w, gen, t), "unit": m.unit, "direction": w,
                     "source city, same scale (P50)": shown(src.to_dict()["p50"]) if src else "",
                     "source-site figure": shown(fig["value"]) if fig else "",
                     "site figure evidence": t(fig["evidence"]) if fig else "",
                     f"{est.city.name} (P10)": shown(d["p10"] if sign > 0 else d["p90"]),
                     f"{est.city.name} (P50)": shown(d["p50"]),
                     f"{est.city.name} (P90)": shown(d["p90"] if sign > 0 else d["p10"])})
    return rows


def _flipped(name: str, heading_word: str, gen: bool) -> bool:
    """Whether values of ``name`` change sign when shown under ``heading_word`` (a carrier saved, CO₂ added)."""
    d = direction_of(name, gen)
    return d is not None and bool(heading_word) and (heading_word == d.gain) != (d.gain_sign > 0)


def sensitivity_verdict(est: Estimate, metric: str) -> tuple[str, str | None]:
    """(sentence, dominant input or None) of the global sensitivity of one metric: the dominant input only when it
    dominates (:mod:`kb.replication.sensitivity`), else "no single input dominates …" or :data:`NO_SPREAD`."""
    return summary(est.sensitivity, est.most_influential, metric)


def sensitivity_sentence(est: Estimate, metric: str, t: Translate = identity, locale: str = "en_GB") -> str:
    """The verdict of :func:`sensitivity_verdict` in the language of ``t`` (English: the library's sentence, its
    keys as plain labels); the same rule, read from the estimate's rows (``dominant``, total index ``st``)."""
    if t is identity:
        return plain_reason(sensitivity_verdict(est, metric)[0])
    rows = sorted((r for r in est.sensitivity if r["metric"] == metric and r.get("st") is not None),
                  key=lambda r: -float(r["st"]))
    if not rows or float(rows[0]["st"]) <= 0:
        return t("the inputs given have no spread; nothing to rank")
    label = in_sentence(label_of(metric, t))

    def share(x: Any) -> str:
        return format_share(max(float(x), 0.0), locale=locale)

    names = [_input_label(est, r) for r in rows]
    if rows[0].get("dominant"):
        if len(rows) > 1 and float(rows[1]["st"]) > 0:
            return t("{input} dominates {output}: it explains {share} of its variance (total Sobol index), more than "
                     "twice the next input ({next}, {next_share})").format(
                input=names[0], output=label, share=share(rows[0]["st"]), next=names[1],
                next_share=share(rows[1]["st"]))
        return t("{input} dominates {output}: it explains {share} of its variance (total Sobol index); no other "
                 "uncertain input moves it").format(input=names[0], output=label, share=share(rows[0]["st"]))
    shown = ", ".join(f"{n} {share(r['st'])}" for n, r in list(zip(names, rows, strict=True))[:3]
                      if float(r["st"]) > 0)
    return t("no single input dominates {output} (total Sobol index: {shares})").format(output=label, shares=shown)


def tornado_rows(est: Estimate, metric: str, top: int = 8, t: Translate = identity,
                 locale: str = "en_GB") -> list[dict[str, Any]]:
    """The inputs that move one metric most, in the global ranking (total Sobol index, then swing): the output at
    the input's low and high (finite swings only), the indices, and the swing in words."""
    rows = [r for r in est.sensitivity if r["metric"] == metric and r["at_low"] is not None
            and r["at_high"] is not None]
    if not any(r.get("rank") for r in rows):
        rows = sorted(rows, key=lambda r: -(r["swing"] or 0))
    rows = rows[:top]
    gen = generates(est.measures)
    unit = next((str(r.get("metric_unit") or "") for r in rows), "")
    unit = plain_unit(unit, t) if not Words(t, locale).english else unit
    w = Words(t, locale)
    return [{"input": _input_label(est, r), "base": r["base"],
             "at_low": r["at_low"], "at_high": r["at_high"], "swing": r["swing"], "s1": r.get("s1"),
             "st": r.get("st"),
             "in words": t("{range} as the input goes from {low} to {high}").format(
                 range=w.between(metric, r["at_low"], r["at_high"], unit, gen), low=w.num(r["input_low"]),
                 high=w.num(r["input_high"]))
                         if "input_low" in r else w.between(metric, r["at_low"], r["at_high"], unit, gen)}
            for r in rows]


def sensitivity_rows(est: Estimate, metric: str, top: int = 8, t: Translate = identity,
                     locale: str = "en_GB") -> list[dict[str, Any]]:
    """A table of the global sensitivity of one metric: input, share of variance alone (S1) and in total (ST)."""
    out = []
    w = Words(t, locale)
    for r in [r for r in est.sensitivity if r["metric"] == metric][:top]:
        out.append({"input": _input_label(est, r),
                    "range": f"{w.num(r['input_low'])} – {w.num(r['input_high'])} "
                             f"{plain_unit(r.get('input_unit'), t)}".strip() if "input_low" in r else "",
                    "S1 (alone)": _share(r.get("s1"), locale), "ST (with interactions)": _share(r.get("st"), locale),
                    "dominates": t("yes") if r.get("dominant") else ""})
    return out


def _share(x: float | None, locale: str = "en_GB") -> str:
    return format_share(x, locale=locale)


def _input_label(est: Estimate, r: dict[str, Any]) -> str:
    """An input's name, with the measure's title in front where the estimate has several measures and the input
    belongs to one (a city driver such as the PV yield belongs to none: no leading ``: ``)."""
    titles = {str(m.get("measure_type")): str(m.get("title") or m.get("measure_type")) for m in est.measures}
    measure = str(r.get("measure") or "")
    if len(est.measures) > 1 and measure:
        return f"{titles.get(measure, measure)}: {r['input']}"
    return str(r["input"])


ECONOMICS: tuple[tuple[str, str], ...] = (
    ("npv", N_("Net present value")), ("irr", N_("Internal rate of return")),
    ("discounted_payback", N_("Discounted payback")), ("lcoe", N_("Levelised cost of electricity")),
    ("lcoh", N_("Levelised cost of heat")), ("net_abatement_cost", N_("Net cost per tonne of CO₂ avoided")),
)


def _econ_value(name: str, v: float | None, say: bool = True, t: Translate = identity, locale: str = "en_GB") -> str:
    """A life-cycle figure as read (``233,059 EUR``); ``say`` adds what its sign means for NPV and €/tCO2."""
    if v is None:
        return t("never pays back") if name == "discounted_payback" else t("none")
    if name == "irr":
        return t("{share} per year").format(share=format_percent(v, format="#,##0.0%", locale=locale))
    if name == "discounted_payback":
        return format_years(v, locale=locale, t=t)
    if name == "npv":
        return f"{format_decimal(round(v), format='#,##0', locale=locale)} EUR" + (
            (t(" (gains more than it costs)") if v > 0 else t(" (costs more than it saves)")) if say else "")
    if name == "net_abatement_cost":
        return (t("{amount} EUR per t CO₂").format(amount=format_decimal(round(v), format="#,##0", locale=locale))
                + (t(" (saves money)") if v < 0 and say else ""))
    return f"{format_decimal(v, format='#,##0.0', locale=locale)} EUR/MWh"


def economics_rows(est: Estimate, t: Translate = identity, locale: str = "en_GB") -> list[dict[str, Any]]:
    """The life-cycle economics that apply to the estimate: label, P50 in words and the P10–P90 range."""
    rows = []
    for name, label in ECONOMICS:
        m = est.metrics.get(name)
        if m is None:
            continue
        d = m.to_dict()
        rows.append({"name": name, "metric": t(label), "P50": _econ_value(name, d["p50"], t=t, locale=locale),
                     "value": _econ_value(name, d["p50"], say=name == "net_abatement_cost", t=t, locale=locale),
                     "P10 – P90": f"{_econ_value(name, d['p10'], t=t, locale=locale)} – "
                                  f"{_econ_value(name, d['p90'], t=t, locale=locale)}",
                     "p50": d["p50"], "unit": m.unit, "meaning": m.label})
    return rows


def cash_flow_rows(est: Estimate) -> list[dict[str, Any]]:
    """Year-by-year discounted cash flow of the central estimate (for the cumulative chart), or [] without one."""
    table = (est.economics or {}).get("cash_flow_central") or {}
    return [{"year": int(y["year"]), "cumulative discounted cash flow (EUR)": float(y["cumulative"]),
             "net cash flow (EUR)": float(y["net"])} for y in table.get("years", [])]


def side_by_side_table(rows: list[dict[str, Any]], t: Translate = identity) -> list[dict[str, Any]]:
    """:func:`side_by_side` rows for the page: the output's label capitalized with its plain unit, blanks as ``—``."""
    out = []
    for r in rows:
        unit = plain_unit(str(r.get("unit") or ""), t)
        shown = {k: (v if v not in (None, "") else BLANK) for k, v in r.items() if k not in ("metric", "unit",
                                                                                           "direction")}
        out.append({"output": capitalized(f"{r['metric']} ({unit})" if unit else str(r["metric"])), **shown})
    return out


# the library's fixed provenance phrases in the assumption table (kb.replication), shown translated; any other
# source or note is the record's own text and stays as it is
LIBRARY_PHRASES: frozenset[str] = frozenset({
    N_("chosen by the user"), N_("entered by the user"), N_("reported at the source, not used to scale the model"),
    N_("source-site figure ÷ model at the source site"),
    N_("multiplies the model so that the source city at the source scale gives back the source figure"),
    N_("homes in the reference district (hourly dispatch)"),
    N_("sets the load the PV and the battery serve hour by hour"),
    N_("a kWh saved, or generated and used on site, is valued at this price; PV output beyond the self-consumption "
       "share is valued at the export value (its own row)"),
})


def provenance_text(row: Mapping[str, Any], key: str, t: Translate = identity, locale: str = "en_GB") -> str:
    """A library-made cell of an assumption row (``name``, ``source``, ``note``) for a reader: its structured message
    (``<key>_message``) translated with the numbers in ``locale``, a fixed library phrase translated, or the
    record's own text as it is."""
    message = row.get(f"{key}_message")
    if isinstance(message, Mapping):
        return say(message, t, locale)
    text = str(row.get(key) or "")
    return t(text) if text in LIBRARY_PHRASES else text


def assumption_rows(est: Estimate, t: Translate = identity, locale: str = "en_GB") -> list[dict[str, str]]:
    """The assumption table for a reader: every input's name (a measure's scale by its title), value and range
    formatted, its unit in plain words, evidence, source and note; a missing value as ``—``, never ``None``."""
    titles = {str(m.get("measure_type")): str(m.get("title") or m.get("measure_type")) for m in est.measures}
    rows = []
    for a in est.assumptions:
        name = provenance_text(a, "name", t, locale)
        if name.startswith("scale of "):
            title = titles.get(name.removeprefix("scale of "), name.removeprefix("scale of "))
            name = t("Scale of {title}").format(title=title)
        unit = str(a.get("unit") or "")
        low, high = a.get("low"), a.get("high")
        rows.append({"input": capitalized(name), "value": _num(a.get("value"), unit, locale),
                     "range": f"{_num(low, unit, locale)} – {_num(high, unit, locale)}" if low is not None
                     and high is not None and low != high else BLANK,
                     "unit": plain_unit(unit, t), "evidence": t(str(a.get("evidence") or BLANK)),
                     "source": provenance_text(a, "source", t, locale) or BLANK,
                     "note": provenance_text(a, "note", t, locale)})
    return rows


def _num(v: Any, unit: str, locale: str = "en_GB") -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return format_number(float(v), whole=unit in COUNT_UNITS, locale=locale)
    return BLANK if v is None else str(v)


def economics_notes(econ: Mapping[str, Any], titles: Mapping[str, str], t: Translate = identity,
                    locale: str = "en_GB") -> list[str]:
    """The notes of the economics (price-year conversions) for a reader, each measure by its title: the structured
    messages where the estimate has them (translated, numbers in ``locale``), else the English notes in plain words."""
    messages = econ.get("note_messages")
    if messages:
        out = []
        for m in messages:
            msg = Msg.from_dict(m)
            measure = str(msg.params.get("measure", ""))
            unit = plain_unit(str(msg.params.get("unit", "")), t)
            out.append(say(Msg(msg.template, {**msg.params, "measure": titles.get(measure, measure), "unit": unit}),
                           t, locale))
        return out
    notes = []
    for note in econ.get("notes", []):
        for mt_id, title in titles.items():  # a note names the measure by its id: by its title on the page
            note = note.replace(mt_id, title)
        notes.append(plain_reason(note, t))
    return notes


def unavailable_lines(est: Estimate, t: Translate = identity, locale: str = "en_GB") -> list[str]:
    """The outputs not computed, each ``CO₂ avoided: no district-heat CO₂ factor for Kraków`` (plain words)."""
    return [f"{label_of(str(u['metric']), t)}: {say(u['reason'], t, locale)}" for u in est.unavailable]
