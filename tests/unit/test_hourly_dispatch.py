"""Hour-by-hour dispatch, its KPIs and the PED classification: conservation, limits, a hand-computed day."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import InvalidInput
from kb.hourly.dispatch import HOURS_PER_YEAR, Battery, DispatchInvalid, DispatchResult, dispatch, kpis
from kb.hourly.ped import CarrierExchange, OffsiteRenewable, PedInvalid, classify

TOL = 1e-9


def _check_conservation(r: DispatchResult, eta_c: float, eta_d: float, initial_kwh: float) -> None:
    np.testing.assert_allclose(r.pv, r.pv_to_load + r.pv_to_battery + r.grid_export + r.curtailed, atol=TOL)
    np.testing.assert_allclose(r.load, r.pv_to_load + r.battery_to_load + r.grid_import, atol=TOL)
    prev = np.concatenate([np.full(r.soc.shape[:-1] + (1,), initial_kwh), r.soc[..., :-1]], axis=-1)
    np.testing.assert_allclose(r.soc - prev, r.pv_to_battery * eta_c - r.battery_to_load / eta_d, atol=TOL)
    # supply = demand + export + storage change + losses
    np.testing.assert_allclose(r.pv + r.grid_import,
                               r.load + r.grid_export + r.curtailed + (r.soc - prev) + r.losses, atol=TOL)


# ---- a hand-computed day --------------------------------------------------------------------------------------
# Battery: 10 kWh, 5 kW, round trip 0.81 (charge 0.9 × discharge 0.9), reserve 10 % = 1 kWh, starts at the reserve.
# PV bell from 06:00 to 17:00 (sum 50 kWh); load 0.5 kWh/h except an evening peak of 3 kWh/h from 17:00 to 21:00.
DAY_PV = [0, 0, 0, 0, 0, 0, 0.5, 1.5, 3, 5, 7, 8, 8, 7, 5, 3, 1.5, 0.5, 0, 0, 0, 0, 0, 0]
DAY_LOAD = [0.5] * 17 + [3.0] * 5 + [0.5] * 2
DAY_BATTERY = Battery(capacity_kwh=10, power_kw=5, round_trip_efficiency=0.81, min_soc=0.1, initial_soc=0.1)


def test_hand_computed_day() -> None:
    r = dispatch(np.array(DAY_LOAD), np.array(DAY_PV), DAY_BATTERY)
    # 07:00 surplus 1.0 -> stores 0.9 (soc 1.9); 08:00 surplus 2.5 -> 2.25 (4.15); 09:00 4.5 -> 4.05 (8.2);
    # 10:00 surplus 6.5, 5 kW allowed but only 10 - 8.2 = 1.8 kWh room -> takes 1.8 / 0.9 = 2.0, exports 4.5.
    expect_charge = np.zeros(24)
    expect_charge[[7, 8, 9, 10]] = [1.0, 2.5, 4.5, 2.0]
    np.testing.assert_allclose(r.pv_to_battery, expect_charge, atol=TOL)
    # 11:00-16:00 battery full: surpluses 7.5, 7.5, 6.5, 4.5, 2.5, 1.0 exported; total export 4.5 + 29.5 = 34.0.
    expect_export = np.zeros(24)
    expect_export[10:17] = [4.5, 7.5, 7.5, 6.5, 4.5, 2.5, 1.0]
    np.testing.assert_allclose(r.grid_export, expect_export, atol=TOL)
    # 17:00 deficit 2.5 -> withdraws 2.5 / 0.9 = 2.778 (soc 7.222); 18:00 deficit 3 -> 3.333 (soc 3.889);
    # 19:00 only 3.889 - 1 = 2.889 kWh above the reserve -> delivers 2.889 × 0.9 = 2.6, imports 0.4 (soc 1.0).
    expect_dis = np.zeros(24)
    expect_dis[[17, 18, 19]] = [2.5, 3.0, 2.6]
    np.testing.assert_allclose(r.battery_to_load, expect_dis, atol=TOL)
    np.testing.assert_allclose(r.soc[[9, 10, 16, 17, 18, 19, 23]], [8.2, 10, 10, 10 - 2.5 / 0.9, 10 - 5.5 / 0.9,
                                                                    1.0, 1.0], atol=TOL)
    # imports: 00-05 6 × 0.5 = 3.0; 19:00 0.4; 20-21 2 × 3 = 6.0; 22-23 2 × 0.5 = 1.0 -> 10.4 kWh in 11 hours.
    assert float(r.annual_import) == pytest.approx(10.4)
    k = kpis(r)
    # PV used on site: direct 6.0 (0.5 × 11 h from 06:00 to 16:00, plus 0.5 at 17:00) + into the battery 10.0.
    assert float(k["self_consumption"]) == pytest.approx((6.0 + 10.0) / 50.0)
    # load 24.5 = direct 6.0 + battery 8.1 + import 10.4
    assert float(k["self_sufficiency"]) == pytest.approx((6.0 + 8.1) / 24.5)
    assert float(k["peak_import_kw"]) == pytest.approx(3.0)
    assert float(k["peak_export_kw"]) == pytest.approx(7.5)
    assert float(k["hours_of_net_import"]) == 11
    assert float(k["annual_export_kwh"]) == pytest.approx(34.0)
    # losses: charging 10 × 0.1 = 1.0, discharging 8.1 × (1 / 0.9 - 1) = 0.9; cycles: 9.0 kWh withdrawn / 10 kWh
    assert float(k["battery_losses_kwh"]) == pytest.approx(1.9)
    assert float(k["battery_cycles"]) == pytest.approx(0.9)
    assert "monthly_import_kwh" not in k  # a day is not a year
    _check_conservation(r, 0.9, 0.9, 1.0)


def test_export_limit_curtails_the_rest() -> None:
    r = dispatch(np.array(DAY_LOAD), np.array(DAY_PV), DAY_BATTERY, export_limit_kw=5.0)
    # 11:00 and 12:00 surplus 7.5 -> 2.5 curtailed each; 13:00 6.5 -> 1.5 curtailed
    assert float(r.annual_curtailed) == pytest.approx(6.5)
    assert float(r.grid_export.max()) == pytest.approx(5.0)
    _check_conservation(r, 0.9, 0.9, 1.0)


# ---- properties over random profiles and batteries ------------------------------------------------------------
profiles = st.lists(st.floats(0, 20, allow_nan=False), min_size=1, max_size=72)
batteries = st.builds(Battery, capacity_kwh=st.floats(0, 50), power_kw=st.floats(0, 20),
                      round_trip_efficiency=st.floats(0.5, 1.0), min_soc=st.floats(0, 0.5),
                      initial_soc=st.floats(0.5, 1.0))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), battery=batteries, limit=st.one_of(st.none(), st.floats(0, 15)))
def test_conservation_and_battery_limits(data: st.DataObject, battery: Battery, limit: float | None) -> None:
    load = data.draw(profiles)
    pv = data.draw(st.lists(st.floats(0, 20, allow_nan=False), min_size=len(load), max_size=len(load)))
    r = dispatch(np.array(load), np.array(pv), battery, export_limit_kw=limit)
    eta_c, eta_d = (float(x) for x in battery.efficiencies())
    cap = float(np.asarray(battery.capacity_kwh))
    init = float(np.asarray(battery.initial_soc)) * cap
    _check_conservation(r, eta_c, eta_d, init)
    for flow in (r.pv_to_load, r.pv_to_battery, r.battery_to_load, r.grid_import, r.grid_export, r.curtailed):
        assert np.all(flow >= -TOL)
    assert np.all(r.pv_to_battery <= float(np.asarray(battery.power_kw)) + TOL)
    assert np.all(r.battery_to_load <= float(np.asarray(battery.power_kw)) + TOL)
    assert np.all(r.soc <= cap + TOL)
    assert np.all(r.soc >= float(np.asarray(battery.min_soc)) * cap - TOL)
    # never charge and discharge in the same hour, never import and export in the same hour
    assert np.all(np.minimum(r.pv_to_battery, r.battery_to_load) <= TOL)
    assert np.all(np.minimum(r.grid_import, r.grid_export) <= TOL)
    if limit is not None:
        assert np.all(r.grid_export <= limit + TOL)


def test_self_consumption_zero_without_load_and_one_with_a_large_load() -> None:
    pv = np.abs(np.sin(np.linspace(0, 40 * np.pi, HOURS_PER_YEAR))) * 5
    assert float(kpis(dispatch(np.zeros(HOURS_PER_YEAR), pv))["self_consumption"]) == 0.0
    big = dispatch(np.full(HOURS_PER_YEAR, 10.0), pv)
    assert float(kpis(big)["self_consumption"]) == 1.0
    assert float(big.annual_export) == 0.0
    # with a battery and no load, PV only fills it once: self-consumption is the stored energy, no more
    r = dispatch(np.zeros(HOURS_PER_YEAR), pv, Battery(10, 5, 0.81))
    assert float(r.annual("pv_to_battery")) == pytest.approx(10 / 0.9)
    assert float(r.annual("battery_to_load")) == 0.0


def test_without_battery_or_export_the_annual_sums_are_the_annual_arithmetic() -> None:
    rng = np.random.default_rng(7)
    pv = rng.uniform(0, 2, HOURS_PER_YEAR)
    load = pv + rng.uniform(0, 3, HOURS_PER_YEAR)  # load ≥ PV in every hour: no export
    r = dispatch(load, pv)
    k = kpis(r)
    assert float(r.annual_import) == pytest.approx(load.sum() - pv.sum())
    assert float(r.annual_export) == 0.0
    assert float(k["self_consumption"]) == pytest.approx(1.0)
    assert float(k["self_sufficiency"]) == pytest.approx(pv.sum() / load.sum())
    np.testing.assert_allclose(k["monthly_import_kwh"].sum(), load.sum() - pv.sum())
    assert k["monthly_import_kwh"].shape == (12,)
    # January is hours 0-743, February 744-1415 (a non-leap year)
    assert float(k["monthly_import_kwh"][1]) == pytest.approx((load - pv)[744:1416].sum())
    np.testing.assert_allclose(k["monthly_balance_kwh"], -k["monthly_import_kwh"])


def test_three_samples_equal_three_single_runs() -> None:
    rng = np.random.default_rng(3)
    load = rng.uniform(0, 4, (3, HOURS_PER_YEAR))
    pv = rng.uniform(0, 6, (3, HOURS_PER_YEAR))
    caps = np.array([5.0, 20.0, 0.0])
    both = dispatch(load, pv, Battery(caps, 3.0, 0.9, 0.2, 0.5))
    kb = kpis(both)
    for i in range(3):
        one = dispatch(load[i], pv[i], Battery(float(caps[i]), 3.0, 0.9, 0.2, 0.5))
        for name in ("pv_to_load", "pv_to_battery", "battery_to_load", "grid_import", "grid_export", "soc"):
            np.testing.assert_allclose(getattr(both, name)[i], getattr(one, name), atol=TOL)
        for key, value in kpis(one).items():
            np.testing.assert_allclose(kb[key][i], value, atol=1e-7)
    # a shared load profile broadcasts against sampled PV
    shared = dispatch(load[0], pv, Battery(5.0, 3.0, 0.9))
    assert shared.grid_import.shape == (3, HOURS_PER_YEAR)


def test_bad_inputs_are_refused_with_a_sentence() -> None:
    with pytest.raises(DispatchInvalid, match="not negative"):
        dispatch(np.array([1.0, -1.0]), np.array([0.0, 0.0]))
    with pytest.raises(DispatchInvalid, match="do not match"):
        dispatch(np.ones(24), np.ones(25))
    with pytest.raises(InvalidInput, match="round-trip efficiency"):
        dispatch(np.ones(24), np.ones(24), Battery(10, 5, 1.5))
    with pytest.raises(DispatchInvalid, match="initial state of charge"):
        dispatch(np.ones(24), np.ones(24), Battery(10, 5, 0.9, min_soc=0.5, initial_soc=0.2))


# ---- PED classification ---------------------------------------------------------------------------------------
def _elec(imp: np.ndarray, exp: np.ndarray) -> CarrierExchange:
    return CarrierExchange("electricity", import_kwh=imp, export_kwh=exp, pef=2.0, co2_kg_per_kwh=0.5)


def test_ped_autonomous_needs_zero_net_import_hours() -> None:
    exp = np.full(24, 1.0)
    status = classify([_elec(np.zeros(24), exp)])
    auto = status.get("autonomous")
    assert auto.met and auto.margin == 0.0
    assert status.get("annual_primary_energy").margin == pytest.approx(24 * 2.0 / 1000)
    assert status.get("dynamic").met
    imp = np.zeros(24)
    imp[[18, 19]] = 0.5  # two evening hours with import, still positive over the day
    exp2 = exp.copy()
    exp2[[18, 19]] = 0.0
    status = classify([_elec(imp, exp2)])
    assert not status.get("autonomous").met
    assert status.get("autonomous").margin == 2
    assert status.hours_with_net_import == 2
    assert status.get("dynamic").met  # (22 × 1 − 2 × 0.5) × 2 kWh_PE = 42 kWh_PE
    assert status.get("dynamic").margin == pytest.approx(0.042)
    # an annual-only gas import rules autonomy out, and counts in the annual balance
    gas = CarrierExchange("natural gas", import_kwh=10.0, pef=1.1, co2_kg_per_kwh=0.2)
    status = classify([_elec(np.zeros(24), exp), gas])
    assert not status.get("autonomous").met
    assert "natural gas" in status.get("autonomous").explanation
    assert status.primary_energy_balance_mwh == pytest.approx((48 - 11) / 1000)
    assert status.co2_balance_t == pytest.approx((12 - 2) / 1000)


def test_ped_virtual_only_with_named_offsite_supply() -> None:
    imp = np.full(24, 2.0)
    exp = np.zeros(24)
    exp[10:14] = 3.0  # 48 imported, 12 exported: 36 kWh short × PEF 2 = 72 kWh_PE short
    status = classify([_elec(imp, exp)])
    assert not status.get("annual_primary_energy").met
    assert status.get("annual_primary_energy").margin == pytest.approx(-0.072)
    assert not status.get("virtual").met  # nothing off-site named
    wind = OffsiteRenewable("share of a wind farm", kwh_per_year=40.0, pef=2.0)
    status = classify([_elec(imp, exp)], [wind])
    virtual = status.get("virtual")
    assert virtual.met and virtual.margin == pytest.approx(0.008)  # (80 − 72) kWh_PE
    assert "share of a wind farm" in virtual.explanation
    assert not status.get("dynamic").met and not status.get("autonomous").met
    small = classify([_elec(imp, exp)], [OffsiteRenewable("small PV park", 10.0, 2.0)]).get("virtual")
    assert not small.met and small.margin == pytest.approx(-0.052)
    assert set(status.to_dict()) >= {"boundary", "definitions"}


def test_ped_refuses_mismatched_hours_and_unnamed_supply() -> None:
    with pytest.raises(PedInvalid, match="same hours"):
        heat = CarrierExchange("heat", np.zeros(25), pef=1.0, co2_kg_per_kwh=0.1)
        classify([_elec(np.zeros(24), np.zeros(24)), heat])
    with pytest.raises(PedInvalid, match="both hourly or both as annual"):
        classify([CarrierExchange("electricity", np.ones(24), pef=2.0, co2_kg_per_kwh=0.5, export_kwh=100.0)])
    with pytest.raises(PedInvalid, match="needs a name"):
        classify([_elec(np.zeros(24), np.zeros(24))], [OffsiteRenewable(" ", 1.0, 1.0)])


def test_dispatch_feeds_the_classification() -> None:
    r = dispatch(np.array(DAY_LOAD), np.array(DAY_PV), DAY_BATTERY)
    status = classify([_elec(r.grid_import, r.grid_export)])
    # export 34.0 − import 10.4 = 23.6 kWh × PEF 2 = 47.2 kWh_PE; 11 hours with import
    assert status.get("annual_primary_energy").margin == pytest.approx(0.0472)
    assert status.get("autonomous").margin == 11
