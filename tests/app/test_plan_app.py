"""AppTest: the District plan page on the bundled corpus (fake embedder): examples, building, saving."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from kb import accounts
from kb.plans.model import Figure, OffsiteSupply, read_plan
from kb.plans.saved import list_plans, load_plan, save_plan
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]


def open_page(url_path: str = "district-plan") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at._page_hash = calc_hash(url_path)
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_krakow_example_evaluates_with_warnings_and_suggestions(app_env: Path) -> None:
    at = open_page()
    assert not at.exception, at.exception
    assert at.title[0].value == "District plan"
    at.selectbox(key="plan_example").set_value("krakow-example-district").run()
    assert not at.exception, at.exception
    assert float(_metric(at, "Balance, P50").replace(",", "")) < 0
    assert any("Short by" in w.value for w in at.warning)
    missing = [w.value for w in at.warning if "left out of the balance" in w.value]
    assert any("km per shared car" in w for w in missing), "a missing parameter is a per-measure warning"
    assert not any("km_per_shared_car" in w or "--param" in w for w in missing), "plain words, no key or CLI flag"
    assert any(s.value == "What would close the gap" for s in at.subheader)
    assert len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")) >= 1, "the waterfall"
    # Poland has national primary energy factors (Dz.U. 2023 poz. 697): no fallback is announced for Kraków
    assert not any("FALLBACK" in c.value and "electricity" in c.value for c in at.caption)
    assert any(s.value == "Hour by hour" for s in at.subheader)
    assert _metric(at, "Self-consumption").endswith("%")
    assert len(at.dataframe) >= 3, "the PED definitions as a table"
    assert any("Read it across" in c.value and "hours a year" in c.value for c in at.caption), \
        "the load-duration curve says how to read it"
    assert any("P10–P90 over 200 of the plan's 2,000 draws" in c.value for c in at.caption), "hourly ranges, said"
    assert any("P10–P90 over" in m.help for m in at.metric if m.label == "Self-consumption")


def test_budapest_example_evaluates(app_env: Path) -> None:
    at = open_page()
    at.selectbox(key="plan_example").set_value("budapest-kobanya-feherdulo").run()
    assert not at.exception, at.exception
    assert at.session_state["plan_name"].startswith("Budapest")
    assert float(_metric(at, "Balance, P50").replace(",", "")) < 0
    assert any("FALLBACK" in c.value for c in at.caption), "Hungary has no national PEF found: the EU default, said"


def test_build_a_small_plan_and_edit_it(app_env: Path) -> None:
    at = open_page()
    at.radio(key="plan_start").set_value("New district").run()
    assert not at.exception, at.exception
    before = float(_metric(at, "Balance, P50").replace(",", ""))
    at.selectbox(key="plan_add_type").set_value("rooftop-pv")
    at.text_input(key="plan_add_scale").input("200")
    at.button(key="FormSubmitter:plan_add-Add measure").click().run()
    assert not at.exception, at.exception
    assert len(at.session_state["plan_measures"]) == 1
    after = float(_metric(at, "Balance, P50").replace(",", ""))
    assert after > before, "PV raises the balance"
    at.text_input(key="plan_roof").input("100").run()
    assert any("exceeds the roof" in w.value for w in at.warning), "stacking guard"
    at.button(key="plan_rm_0").click().run()
    assert at.session_state["plan_measures"] == []
    assert any("Log in as hub staff" in c.value for c in at.caption), "anonymous visitors cannot save"


def test_staff_saves_a_plan(app_env: Path) -> None:
    at = open_page()
    engine = database.get_engine(app_env)
    accounts.add_user(engine, "eva", "staff", "long-enough-pw", accounts.Actor.system())
    at.session_state["kb_token"] = accounts.login(engine, "eva", "long-enough-pw")
    at.selectbox(key="plan_example").set_value("budapest-kobanya-feherdulo").run()
    at.button(key="plan_save").click().run()
    assert not at.exception, at.exception
    assert any("Saved as plan" in s.value for s in at.success)
    at.radio(key="plan_start").set_value("Saved plan").run()
    assert not at.exception, at.exception
    assert at.session_state["plan_name"].startswith("Budapest")


def test_a_saved_plan_keeps_its_offsite_supply_and_services_share(app_env: Path) -> None:
    at = open_page()
    engine = database.get_engine(app_env)
    accounts.add_user(engine, "eva", "staff", "long-enough-pw", accounts.Actor.system())
    actor = accounts.Actor.system()
    spec = replace(read_plan(ROOT / "solutions" / "plans" / "krakow-example-district.toml"),
                   offsite=[OffsiteSupply("Share in a wind park (contract)",
                                          Figure(2000, 2000, 2000, "MWh/yr", "assumption", "test-only figure"))],
                   services_share=Figure(0.3, 0.3, 0.3, "-", "assumption", "test-only share"))
    pid = save_plan(engine, spec, actor)
    at.session_state["kb_token"] = accounts.login(engine, "eva", "long-enough-pw")
    at.radio(key="plan_start").set_value("Saved plan").run()
    at.selectbox(key="plan_saved").set_value(pid).run()
    assert not at.exception, at.exception
    assert any("Off-site supply from the plan file" in c.value and "wind park" in c.value for c in at.caption)
    assert any("Off-site renewables" in c.value for c in at.caption), "the off-site table by the PED table"
    assert any("Share in a wind park (contract)" in str(df.value.to_dict()) for df in at.dataframe)
    at.button(key="plan_save").click().run()
    assert not at.exception, at.exception
    newest = max(p["id"] for p in list_plans(engine))
    assert newest != pid
    again = load_plan(engine, newest)
    assert again.offsite == spec.offsite and again.services_share == spec.services_share


def test_examples_by_district_name_and_the_default_from_my_city(app_env: Path) -> None:
    """Examples are listed by their districts' names; a Kraków user gets the Kraków example first, anyone else
    the first example."""
    at = open_page()
    assert not at.exception, at.exception
    box = at.selectbox(key="plan_example")
    assert "Kraków example housing district (no PED site identified)" in box.options
    assert not any(o.endswith("-district") or o.startswith("budapest-") for o in box.options), box.options
    assert at.session_state["plan_name"].startswith("Budapest"), "no city chosen: the first example"
    krakow = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    krakow.query_params["city"] = "krakow"
    krakow.run()
    krakow._page_hash = calc_hash("district-plan")
    krakow.run()
    assert not krakow.exception, krakow.exception
    assert krakow.session_state["plan_name"].startswith("Kraków")


def test_balance_bar_says_central_and_together_agrees_with_the_table(app_env: Path) -> None:
    at = open_page()
    at.selectbox(key="plan_example").set_value("krakow-example-district").run()
    assert not at.exception, at.exception
    p50 = _metric(at, "Balance, P50")
    reading = next(c.value for c in at.caption if "central estimate" in c.value)
    assert "P50" in reading and p50.replace("-", "−") in reading, (reading, p50)
    tables = [df.value for df in at.dataframe if "closes it alone" in df.value.columns]
    assert tables, "the suggestion table"
    table = tables[0]
    assert not any("Façade" in t for t in table["measure type"]), "no façade area in the Kraków plan"
    together = next((df.value for df in at.dataframe if list(df.value.columns)[:3] == ["measure type", "replaces",
                                                                                        "added"]), None)
    if together is not None:
        for _, row in together.iterrows():
            alone = table[(table["measure type"] == row["measure type"]) & (table["replaces"] == row["replaces"])]
            assert len(alone) == 1, row
            assert row["added"] <= alone["suggested"].iloc[0], "within the limit the table gives"
        assert any(m.value.startswith("Together, added in this order") for m in at.markdown)


def _new_district() -> AppTest:
    at = open_page()
    at.radio(key="plan_start").set_value("New district").run()
    assert not at.exception, at.exception
    return at


def test_heat_shares_above_all_of_the_heat_are_refused_with_the_sum(app_env: Path) -> None:
    at = _new_district()
    at.text_input(key="plan_share_gas").input("90")
    at.text_input(key="plan_share_dh").input("90").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("gas 90 % + district heat 90 % = 180 %" in e and "more than 100 %" in e for e in errors), errors
    assert not any(s.value == "Primary-energy balance" for s in at.subheader), "no balance of an impossible district"
    at.text_input(key="plan_share_dh").input("10").run()
    assert not at.error and any(s.value == "Primary-energy balance" for s in at.subheader)


def test_zero_homes_are_refused_in_plain_words(app_env: Path) -> None:
    at = _new_district()
    at.text_input(key="plan_homes").input("0").run()
    assert not at.exception, at.exception
    errors = [e.value.replace("&#58;", ":") for e in at.error]  # the Markdown source escapes the colon
    assert errors == ["Homes: 0 is outside the allowed range (from 1 to 10,000,000 homes)."], errors
    assert not any("TOML" in e or "district." in e for e in errors)


def test_a_decimal_comma_scale_is_added_as_typed(app_env: Path) -> None:
    at = _new_district()
    at.selectbox(key="plan_add_type").set_value("rooftop-pv")
    at.text_input(key="plan_add_scale").input("12,5")
    at.button(key="FormSubmitter:plan_add-Add measure").click().run()
    assert not at.exception, at.exception
    assert [m.scale.mid for m in at.session_state["plan_measures"]] == [12.5]
