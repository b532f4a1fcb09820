"""AppTest in Polish: the sentences the library builds with values inside (fit explanations, PED reasons, provenance,
price-year conversions, site-figure warnings, profile names, lesson checks) reach a Polish page in Polish, with the
values in the Polish number format, and none of them in English; the English page keeps its English."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.store import database
from tests.factories import rendered_text

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = "ams-schoonschip-pv-heatpumps"
GROUPED = r"\d{1,3}(?:[\s\u00a0\u202f]\d{3})+"  # Polish digit groups: 3 155, never 3,155


def open_page(url_path: str, lang: str = "pl", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at._page_hash = calc_hash(url_path)
    return at.run()


def plain(texts: list[str]) -> list[str]:
    """What the reader sees of rendered Markdown: entities decoded, non-breaking spaces as spaces."""
    return [html.unescape(s).replace("\u00a0", " ").replace("\u202f", " ") for s in texts]


def english_left(text: list[str], sentences: tuple[str, ...]) -> list[tuple[str, str]]:
    """The English sentence beginnings still shown somewhere on the page."""
    return [(e, s[:140]) for s in text for e in sentences if e in s]


def table(at: AppTest, *columns: str) -> list[dict[str, str]]:
    frame = next(df.value for df in at.dataframe if set(columns) <= set(df.value.columns))
    return frame.to_dict("records")


# --- Estimate: Kraków, the bundled Schoonschip solution ----------------------------------------------------------

ESTIMATE_ENGLISH = (
    "chosen by the user", "not used: the", "model assumption: sized", "= EUR2024 (price index", "states no price year",
    "Over the year the district", "Its exchanges across", "It needs net import", "No named off-site",
    "Trading with the grids", "the reference district's electricity connection", "PV self-consumption and the battery",
    "CO2 life-cycle", "homes × ", "power = capacity", "sets the load the PV",
    "homes in the reference district")


def estimate(lang: str = "pl", solution: str = SOLUTION) -> AppTest:
    at = open_page("estimate", lang, solution=solution, city="krakow")
    at.number_input(key="est_samples").set_value(200)
    for field in at.text_input:
        if field.key and field.key.startswith(f"scale_{solution}_") and not field.value:
            field.input("500")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_estimate_provenance_ped_and_price_years_in_polish(app_env: Path) -> None:
    at = estimate()
    text = plain(rendered_text(at))
    ped = table(at, "definition", "why")
    why = {r["definition"]: r["why"] for r in ped}
    annual = why["Roczny dodatni bilans energii pierwotnej"]
    assert re.fullmatch(r"W skali roku dzielnica (im|eks)portuje o \d+,\d MWh energii pierwotnej/rok więcej energii "
                        r"pierwotnej, niż (eks|im)portuje\.", annual), annual
    assert why["PED autonomiczny (PEDautonomous)"].startswith("Potrzebuje importu netto w ")
    assert why["PED wirtualny (PEDvirtual)"].startswith("Nie uwzględniono żadnego nazwanego")
    rows = table(at, "input", "source", "note", "unit")
    scales = [r for r in rows if r["input"].startswith("Skala")]
    assert scales and {r["source"] for r in scales} == {"wybrane przez użytkownika"}
    notes = " ".join(r["note"] for r in rows)
    assert "nieużywane: udział autokonsumpcji wynika z symulacji godzinowej" in notes
    assert "nieużywane: cykle magazynu energii wynikają z symulacji godzinowej" in notes
    homes = next(r for r in rows if r["input"].startswith("Mieszkania w dzielnicy referencyjnej"))
    assert homes["source"].startswith("założenie modelu: liczba dobrana tak") and "kWh na mieszkanie" in homes["source"]
    assert homes["note"] == "wyznacza zużycie, które fotowoltaika i magazyn energii pokrywają godzina po godzinie"
    names = {r["input"] for r in rows}
    assert {"Emisyjność CO₂ energii z sieci (w cyklu życia), Kraków",
            "Cena energii elektrycznej (taryfa: gospodarstwa domowe), Kraków"} <= names, names
    assert not [n for n in names if "grid CO2" in n or "electricity price" in n or "primary energy factor" in n]
    units = {r["unit"] for r in rows}
    assert {"cykli/rok", "EUR/kWh/rok", "EUR2020/kWp/rok"} <= units and not {"cycles/yr", "EUR/kWh/yr"} & units
    captions = plain([c.value for c in at.caption])
    assert any(re.search(r"EUR2020 × 1,2000 = EUR2024 \(wskaźnik cen 126,07 ÷ 105,06\)", c) for c in captions)
    assert any("jednostka nie podaje roku cen" in c and "EUR/kWh/rok" in c for c in captions)
    assert any("CO₂: w cyklu życia, energia pierwotna: nieodnawialna" in c for c in captions)
    assert any("przyłącze elektroenergetyczne dzielnicy referencyjnej" in c for c in captions)
    profiles = " ".join(text)
    assert re.search(r"Profil – Mieszkania: \d+ mieszkań × 3 600 kWh/rok każde", profiles)
    assert "moc = pojemność ÷ 2 h" in profiles and "symulacji 8760 godzin" in profiles
    assert not english_left(text, ESTIMATE_ENGLISH), english_left(text, ESTIMATE_ENGLISH)


def test_estimate_site_figure_warning_in_polish(app_env: Path) -> None:
    at = estimate(solution="bio-beta-boreholes")
    warnings = [c for c in plain([c.value for c in at.caption]) if c.startswith("⚠")]
    assert any("nie posłużyła do skalowania modelu: suma obejmująca prace niezwiązane z energią" in w
               for w in warnings), warnings
    assert not english_left(warnings, ("not used to scale the model", "a total that includes"))


def test_estimate_in_english_keeps_the_library_english(app_env: Path) -> None:
    at = estimate("en")
    text = plain(rendered_text(at))
    why = " ".join(r["why"] for r in table(at, "definition", "why"))
    assert re.search(r"Over the year the district (im|ex)ports \d+\.\d MWh primary energy/yr more", why), why
    rows = table(at, "input", "source", "note")
    assert "chosen by the user" in {r["source"] for r in rows if r["input"].startswith("Scale")}
    assert {"Grid CO2 intensity (life-cycle), Kraków", "Electricity price (household), Kraków"} <= {
        r["input"] for r in rows}
    captions = plain([c.value for c in at.caption])
    assert any("EUR2020 × 1.2000 = EUR2024 (price index 126.07 ÷ 105.06)" in c for c in captions), captions
    assert not any("Skala" in s or "wybrane przez" in s for s in text)


# --- Match: Kraków, with needs and a budget ----------------------------------------------------------------------

MATCH_ENGLISH = ("Simple payback about", "figures in the record are measured", "Nothing known about",
                 "District heating serves about", "Your needs name", "Recorded as", "It failed on", "more heating "
                 "degree-days", "less PV yield", "Payback not computed", "Does not pay back", "the budget of",
                 "The record holds no figures", "its one precondition")


def test_match_explanations_in_polish(app_env: Path) -> None:
    at = open_page("match", city="krakow")
    at.text_input(key="match_needs").input("ograniczyć zużycie gazu w blokach z ciepłem systemowym").run()
    at.number_input(key="match_budget").set_value(2_000_000.0).run()
    assert not at.exception, at.exception
    text = plain(rendered_text(at))
    shown = "\n".join(text)
    assert re.search(r"Prosty okres zwrotu w mieście Kraków wynosi około \d+,\d lat \(okres eksploatacji około \d+ "
                     r"lat\)", shown)
    # the first (open) breakdown's climate sentence; closed breakdowns are built only when opened
    assert re.search(r"Kraków ma o \d+ % (więcej|mniej|większy|mniejszy|większą|mniejszą) [^()\n]+ "
                     r"\(\d[\d ,]* wobec \d[\d ,]* [^)\n]+\)", shown)
    assert "Wartości zmierzone lub zainstalowane: " in shown
    assert "Twoje potrzeby dotyczą tematów: gaz" in shown and "rozwiązanie odpowiada na" in shown
    assert "Zapisane jako „zaniechane”, więc jest pokazane ze względu na wnioski" in shown
    assert "Nie powiodło się z powodu: " in shown
    assert not english_left(text, MATCH_ENGLISH), english_left(text, MATCH_ENGLISH)


def test_match_explanations_stay_english_in_english(app_env: Path) -> None:
    at = open_page("match", "en", city="krakow")
    shown = "\n".join(plain(rendered_text(at)))
    assert re.search(r"Simple payback about \d+\.\d years in Kraków \(lifetime about \d+ years\)", shown)
    assert re.search(r"Kraków has \d+ % (more|less) [^()\n]+ \(\d[\d,.]* vs \d[\d,.]* [^)\n]+\)", shown)
    assert "Recorded as dropped, so it is shown for its lessons" in shown


# --- District plan: the Kraków example ---------------------------------------------------------------------------

def test_plan_ped_reasons_and_units_in_polish(app_env: Path) -> None:
    at = open_page("district-plan")
    at.selectbox(key="plan_example").set_value("krakow-example-district").run()
    assert not at.exception, at.exception
    text = plain(rendered_text(at))
    why = {r["definition"]: r["why"] for r in table(at, "definition", "why")}
    assert re.fullmatch(rf"W skali roku dzielnica importuje o {GROUPED},\d MWh energii pierwotnej/rok więcej "
                        r"energii pierwotnej, niż eksportuje\.", why["Roczny dodatni bilans energii pierwotnej"])
    assert why["PED autonomiczny (PEDautonomous)"].startswith(
        "Importuje nośniki znane tylko jako wartości roczne (ciepło systemowe)")
    assert "dzielnica i tak ma w skali roku niedobór" in why["PED dynamiczny (PEDdynamic)"]
    measures = [m for m in plain([m.value for m in at.markdown]) if m.startswith("**")]
    assert any("— 200 mieszkań" in m for m in measures) and any("— 40 punktów ładowania" in m for m in measures)
    assert any("— 10 samochodów" in m for m in measures) and any("· założenie: " in m for m in measures)
    notes = plain([c.value for c in at.caption if c.value.startswith("ℹ")])
    assert "ℹ CO₂ pomija nośnik „ciepło systemowe”: brak wskaźnika emisji CO₂" in notes, notes
    assert any(n.startswith("ℹ stan wyjściowy ciepła oszacowany: powierzchnia mieszkalna") for n in notes), notes
    warnings = plain([w.value for w in at.warning])
    assert any("– pominięte w bilansie: żadne źródło w bazie wiedzy nie podaje dla niego wartości „km per shared car”"
               in w for w in warnings), warnings
    assert any(re.search(r": zastąpiłoby [\d ]+ MWh/rok \(nośnik: gaz ziemny\).* \d+% losowań", w) for w in warnings)
    english = ("Over the year the district", "Trading with the grids", "It imports", "Its exchanges across",
               "No named off-site", " homes ·", " points ·", " cars ·", "left out of the balance", "would displace",
               "CO2 leaves out", "savings leave out", "baseline estimated", "heat measures use", "exported PV",
               "add a row with key", "--param")
    assert not english_left(text, english), english_left(text, english)


# --- My city: Kraków's hourly profiles ---------------------------------------------------------------------------

def test_my_city_profile_names_and_units_in_polish(app_env: Path) -> None:
    at = open_page("my-city")
    at.selectbox(key="my_city_choice").set_value("krakow").run()
    assert not at.exception, at.exception
    heads = [m for m in plain([m.value for m in at.markdown]) if m.startswith("**")]
    assert any(h.startswith("**Produkcja fotowoltaiki na kWp (nachylenie 35°, południe)** (1 024 kWh rocznie na kWp)")
               for h in heads), heads
    assert any(h.startswith("**Temperatura zewnętrzna** (średnia roczna 8,27 °C)") for h in heads), heads
    assert any(h.startswith("**COP powietrznej pompy ciepła**") for h in heads)
    assert any("kWh rocznie na mieszkanie" in h for h in heads)
    assert not english_left(heads, ("PV output per kWp", "Outdoor temperature", "Air-source heat-pump COP",
                                    "kWh per year per", "Household electricity per"))


# --- Lesson editor: an entry with a heading and a citation of an undeclared source --------------------------------

FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
PASSWORD = "staff-password-1"


@pytest.fixture
def staff_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(FIXTURES))
    assert not run_ingest(FIXTURES, app_env, FakeEmbedder(name="fake-hash")).errors
    accounts.add_user(database.get_engine(app_env), "ann", "staff", PASSWORD, by=Actor.system())
    return app_env


def test_lesson_editor_refusals_in_polish(staff_app: Path) -> None:
    at = AppTest.from_string("from kb.ui import lesson_editor_page\nlesson_editor_page.render()\n",
                             default_timeout=60)
    at.session_state["lang"] = "pl"
    at.session_state["kb_token"] = accounts.login(database.get_engine(staff_app), "ann", PASSWORD)
    at.run()
    assert not at.exception, at.exception
    prefix = "le_new_0_"
    at.text_input(key=prefix + "title").input("Mieszkańcy ufali spółdzielni")
    at.selectbox(key=prefix + "city").select("testville")
    at.selectbox(key=prefix + "phase").select("engagement")
    at.selectbox(key=prefix + "barrier").select("social")
    at.selectbox(key=prefix + "outcome").select("worked")
    at.multiselect(key=prefix + "solutions").select("test-battery-site")
    at.text_area(key=prefix + "summary").input("## Nowa sekcja\nSpółdzielnia przekonała sąsiadów.")
    at.text_area(key=prefix + "what_happened").input("Listy od operatora zostały bez odpowiedzi [S2].")
    at.text_area(key=prefix + "what_was_tried").input("Sąsiedzi chodzili od drzwi do drzwi.")
    at.text_area(key=prefix + "applies_when").input("Zaufanie do operatora jest niskie.")
    at.text_area(key=prefix + "sources").input("S1 | Raport z kampanii | https://example.org/r")
    at.button[0].click().run()
    assert not at.exception, at.exception
    [error] = plain([e.value for e in at.error])
    assert "nagłówki poziomu 1 lub 2" in error, error
    at.text_area(key=prefix + "summary").input("Spółdzielnia przekonała sąsiadów.")
    at.button[0].click().run()
    [error] = plain([e.value for e in at.error])
    assert "cytuje [S2], ale nie zadeklarowano źródła o tym identyfikatorze" in error, error
    assert not english_left([error], ("cites", "no source with this id", "headings of level"))
