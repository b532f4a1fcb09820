"""Structured library messages (kb.i18n.Msg, Said): English for the CLI, the reader's language and number format on
a page, intact through dictionaries and pickling; every template the library marks has a Polish translation with
the same fields (a wrong field would silently fall back to English)."""

from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir, extract_from_file

from kb import i18n
from kb.hourly.ped import CarrierExchange, classify
from kb.i18n import AND, Msg, Num, Said, joined, translator
from kb.views.messages import say

ROOT = Path(__file__).resolve().parents[2]
PL = translator("pl")
FIELDS = re.compile(r"\{[a-z_0-9]*\}")
# the library modules that build sentences as Msg (their N_ texts are shown translated by the app)
LIBRARY = ("replication", "hourly", "lessons/input.py", "i18n.py")


def _library_templates() -> dict[str, str]:
    out: dict[str, str] = {}
    for part in LIBRARY:
        path = ROOT / "kb" / part
        found = (extract_from_file("python", str(path), keywords={"N_": None}) if path.is_file() else
                 ((ln, m, c, x) for _f, ln, m, c, x in extract_from_dir(str(path), method_map=[("**.py", "python")],
                                                                        keywords={"N_": None})))
        for lineno, message, _c, _x in found:
            if isinstance(message, str) and any(ch.isalpha() for ch in message):
                out.setdefault(message, f"kb/{part}:{lineno}")
    return out


def test_every_library_template_has_a_polish_translation_with_the_same_fields() -> None:
    templates = _library_templates()
    assert len(templates) > 100, "the fit, PED, provenance and lesson templates are marked"
    untranslated = [f"{where}: {m!r}" for m, where in templates.items() if PL(m) == m and FIELDS.sub("", m).strip(
        " .;()") and not m.strip().startswith("/")]
    assert not untranslated, "\n".join(untranslated[:30])
    wrong = [f"{where}: {m!r}" for m, where in templates.items()
             if sorted(FIELDS.findall(m)) != sorted(FIELDS.findall(PL(m)))]
    assert not wrong, "\n".join(wrong)


def test_a_message_is_english_for_the_cli_and_polish_on_the_page() -> None:
    msg = Msg("Simple payback about {payback} years in {city} (lifetime about {lifetime} years)",
              {"payback": Num(11.4987, ".1f"), "city": "Kraków", "lifetime": Num(35.0, ".0f")})
    assert str(msg) == "Simple payback about 11.5 years in Kraków (lifetime about 35 years)"
    assert say(msg, PL, "pl_PL") == "Prosty okres zwrotu w mieście Kraków wynosi około 11,5 lat (okres eksploatacji " \
                                    "około 35 lat)"
    big = Msg("{text}; the source scale (about {capex} EUR) fits the budget of {budget} EUR.",
              {"text": msg, "capex": Num(1819870.4, ",.0f"), "budget": Num(2e6, ",.0f")})
    assert str(big).endswith("(about 1,819,870 EUR) fits the budget of 2,000,000 EUR.")
    assert say(big, PL, "pl_PL").replace("\u00a0", " ").endswith(
        "(około 1 819 870 EUR) mieści się w budżecie 2 000 000 EUR.")


def test_lists_join_in_the_reader_language() -> None:
    both = joined([Msg("heating degree-days"), Msg("PV yield")], ", ", Msg(AND))
    assert str(both) == "heating degree-days and PV yield"
    assert both.text(PL) == "stopniodni grzania i uzysk z fotowoltaiki"
    assert str(joined(["a", "b", "c"], ", ", Msg(AND))) == "a, b and c"


def test_a_message_survives_dictionaries_json_and_pickling() -> None:
    msg = Msg("It needs net import in {net_hours} of {hours} hours, so it is not self-sufficient at every hour.",
              {"net_hours": 2710, "hours": 8760}, capital=True)
    data = json.loads(json.dumps(msg.to_dict()))
    assert Msg.from_dict(data) == msg and say(data, PL, "pl_PL").startswith("Potrzebuje importu netto w 2")
    said = Said(msg)
    assert said == str(msg) and isinstance(said, str)
    for copied in (pickle.loads(pickle.dumps(said)), copy.deepcopy(said)):
        assert isinstance(copied, Said) and copied.msg == msg
    assert not isinstance(said + "!", Said), "a changed text is plain English again"


def test_a_translation_with_a_wrong_field_falls_back_to_english() -> None:
    msg = Msg("Outdoor temperature {x}", {"x": 1})
    assert msg.text(lambda s: "Temperatura {y}") == "Outdoor temperature 1"


def test_the_ped_reasons_keep_their_english_and_carry_their_message() -> None:
    status = classify([CarrierExchange("electricity", 100_000.0, 2.5, 0.6, 50_000.0)])
    annual = status.get("annual_primary_energy")
    assert annual.explanation == ("Over the year the district imports 125.0 MWh primary energy/yr more primary energy "
                                  "than it exports.")
    assert annual.message is not None and annual.to_dict()["message"] == annual.message.to_dict()
    assert say(annual.to_dict()["message"], PL, "pl_PL") == (
        "W skali roku dzielnica importuje o 125,0 MWh energii pierwotnej/rok więcej energii pierwotnej, niż "
        "eksportuje.")


def test_catalogue_file_is_read() -> None:
    assert (i18n.LOCALE_DIR / "pl" / "LC_MESSAGES" / "pl17.po").is_file()
