"""Hourly profiles (kb.hourly.profiles): PV, space heat and hot water, heat-pump COP, electricity, city climate."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kb.errors import InvalidInput
from kb.hourly import profiles as P

ROOT = Path(__file__).resolve().parents[2]
# Kraków (Balice, IMGW typical year) as in solutions/cities/krakow.md
GHI = [27.2, 37.3, 66.9, 107.2, 160.5, 162.0, 155.5, 130.7, 87.4, 54.5, 30.9, 25.3]
TEMP = [-1.32, -2.63, 3.24, 8.25, 13.44, 18.19, 17.55, 17.55, 13.75, 9.32, 1.89, -0.76]
LAT, LON, TZ = 50.06143, 19.93658, 1.0


@pytest.fixture(scope="module")
def pv() -> P.Profile:
    return P.pv_profile(LAT, LON, 33, 180, GHI, TZ, monthly_temp_c=TEMP, annual_yield_kwh_kwp=952)


def test_pv_is_zero_at_night_and_peaks_near_solar_noon(pv: P.Profile) -> None:
    v = pv.values
    assert v.shape == (P.HOURS,) and np.all(v >= 0)
    days = v.reshape(365, 24)
    assert np.all(days[:, [0, 1, 2, 22, 23]] == 0)  # midnight hours, all year
    # solar noon in Kraków is about 11:40 local standard time: the peak hour is 11:00-12:00 or its neighbour
    peaks = days[days.sum(axis=1) > 0].argmax(axis=1)
    assert np.median(peaks) in (11, 12) and np.all((peaks >= 10) & (peaks <= 13))


def test_pv_sums_to_the_given_yield_and_says_how_it_was_made(pv: P.Profile) -> None:
    assert pv.annual == pytest.approx(952, rel=1e-9)
    assert "clear-sky shape scaled to monthly GHI" in pv.provenance and "952" in pv.provenance
    assert pv.monthly()[5] > 3 * pv.monthly()[0]  # June well above January


def test_flat_pv_follows_the_monthly_ghi() -> None:
    """On a horizontal plane the monthly output is proportional to the sourced monthly GHI: within 1 % without the
    temperature correction, within 10 % with it (cool winter cells gain, hot summer cells lose)."""
    want = np.array(GHI) / sum(GHI)
    flat = P.pv_profile(LAT, LON, 0, 180, GHI, TZ, monthly_temp_c=TEMP)
    share = flat.monthly() / flat.annual
    assert np.allclose(share, want, rtol=0.10), np.round(share / want, 3)
    assert share[0] / want[0] > 1 > share[6] / want[6]
    isothermal = P.pv_profile(LAT, LON, 0, 180, GHI, TZ, monthly_temp_c=TEMP, gamma_per_k=0.0)
    share = isothermal.monthly() / isothermal.annual
    assert np.allclose(share, want, rtol=0.01), np.round(share / want, 3)
    assert "modelled yield" in flat.provenance


def test_unscaled_clear_sky_is_an_upper_bound(pv: P.Profile) -> None:
    ub = P.pv_profile(LAT, LON, 33, 180, None, TZ, monthly_temp_c=TEMP, scaled=False)
    scaled = P.pv_profile(LAT, LON, 33, 180, GHI, TZ, monthly_temp_c=TEMP)
    assert ub.provenance.startswith("upper bound")
    assert np.all(ub.monthly() > scaled.monthly())
    assert np.all(ub.values >= scaled.values - 0.02)  # hour by hour too, up to diffuse light at a low sun


def test_pv_refuses_bad_inputs_with_a_sentence() -> None:
    with pytest.raises(InvalidInput, match="12 monthly"):
        P.pv_profile(LAT, LON, 33, 180, GHI[:11], TZ)
    with pytest.raises(InvalidInput, match="Tilt"):
        P.pv_profile(LAT, LON, 120, 180, GHI, TZ)


def test_hourly_temperature_keeps_the_monthly_means() -> None:
    t = P.hourly_temperature(TEMP)
    means = np.bincount(P.MONTH_OF_HOUR, weights=t.values) / np.bincount(P.MONTH_OF_HOUR)
    assert np.allclose(means, TEMP, atol=1e-3)
    assert "model assumption" in t.provenance


def test_heat_sums_to_the_annual_totals_and_follows_the_cold() -> None:
    space, water = P.heat_profile(TEMP, 10_000, 2_000)
    assert space.annual == pytest.approx(10_000) and water.annual == pytest.approx(2_000)
    temp = P.hourly_temperature(TEMP).values
    assert np.all(space.values[temp > P.HEATING_LIMIT_C] == 0)
    assert space.monthly()[0] > 10 * space.monthly()[6]
    daily = water.values.reshape(365, 24).sum(axis=1)
    assert np.allclose(daily, 2_000 / 365)
    day = water.values[:24]
    assert day[7] > day[3] and day[19] > day[14]  # morning and evening peaks
    assert "Eurostat" in space.provenance and "model assumption" in water.provenance


def test_heat_refuses_a_climate_without_heating_hours() -> None:
    with pytest.raises(InvalidInput, match="heating limit"):
        P.heat_profile([25.0] * 12, 1000, 0, diurnal_half_range_k=0)


def test_ground_source_cop_beats_air_in_january() -> None:
    air = P.hourly_temperature(TEMP).values
    cops = {s: P.cop_profile(s, P.source_temperature(s, air).values, 35.0) for s in ("air", "ground", "water")}
    jan = slice(0, 31 * 24)
    assert cops["ground"].values[jan].mean() > cops["air"].values[jan].mean()
    assert cops["air"].values[jan].mean() < cops["air"].values[4000:5000].mean()  # air COP drops in winter
    for c in cops.values():
        assert np.all((c.values >= P.COP_RANGE[0]) & (c.values <= P.COP_RANGE[1]))
    assert "model assumption" in P.source_temperature("ground", air).provenance
    with pytest.raises(InvalidInput, match="Carnot"):
        P.cop_profile("air", air, 35.0, carnot_efficiency=1.5)


def test_electricity_profiles_sum_to_the_demand_with_an_evening_peak_for_homes() -> None:
    home = P.electricity_profile(3_500, "household")
    office = P.electricity_profile(50_000, "services")
    assert home.values.shape == office.values.shape == (P.HOURS,)
    assert home.annual == pytest.approx(3_500) and office.annual == pytest.approx(50_000)
    hourly_mean = home.values.reshape(365, 24).mean(axis=0)
    assert hourly_mean[17:21].max() > hourly_mean[9:16].max() and hourly_mean.argmax() >= 17
    office_mean = office.values.reshape(365, 24).mean(axis=0)
    assert 8 <= office_mean.argmax() <= 14
    assert "BDEW" in home.provenance and "demandlib" in home.provenance
    with pytest.raises(InvalidInput):
        P.electricity_profile(-1, "household")


def test_krakow_record_gives_twelve_months_of_climate(tmp_path: Path) -> None:
    from ingest.loader import run_ingest
    from kb.embeddings import FakeEmbedder
    from kb.replication.cities import find_city
    from kb.store import database

    corpus = tmp_path / "corpus" / "cities"
    corpus.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "cities" / "krakow.md", corpus)
    db = tmp_path / "kb.sqlite"
    result = run_ingest(corpus.parent, db, FakeEmbedder())
    assert not result.errors, result.errors
    city = find_city(database.get_engine(db), "Kraków")
    climate = P.monthly_climate(city)
    assert climate is not None
    ghi, temp = climate
    assert ghi == GHI and temp == TEMP
    assert P.monthly_diffuse(city) is not None
    assert city.drivers["ghi_01"].source.startswith("krakow S7")
    assert "ghi_01" not in city.missing  # monthly rows are extra drivers; the keyed driver list is unchanged
    assert P.monthly_climate(object()) is None
