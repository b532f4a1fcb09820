"""A hand-made estimate and fit for the brief tests, in the shape of ``kb estimate --json`` and ``kb match --json``."""

from __future__ import annotations

from typing import Any

BRIEF_DATE = "2026-01-15"
BRIEF_SEED = 7
SITE = "test-battery-site S1: Fixture news item"
CATALOGUE = "test-battery S1: Fixture technology catalogue"
STATS = "krakow S1: Fixture statistics for Kraków"


def fake_estimate(solution_id: str, city: str, scale: float | None, seed: int) -> dict[str, Any]:
    """2,000 kWh of storage in Kraków: 250 cycles × 2,000 kWh × 0.9 ≈ 450 MWh/yr shifted, at 615 g/kWh."""
    value = scale if scale is not None else 2000.0
    k = value / 2000.0
    return {
        "solution": solution_id, "city": city, "scale": {"value": value, "unit": "kWh"},
        "metrics": {
            "electricity": {"unit": "MWh/yr", "p10": 380.0 * k, "p50": 450.0 * k, "p90": 520.0 * k},
            "co2_avoided": {"unit": "tCO2/yr", "p10": 21.0 * k, "p50": 27.7 * k, "p90": 34.5 * k},
            "capex": {"unit": "EUR", "p10": 680000.0 * k, "p50": 800000.0 * k, "p90": 920000.0 * k},
            "opex": {"unit": "EUR/yr", "p10": 11000.0 * k, "p50": 16000.0 * k, "p90": 19000.0 * k},
            "savings": {"unit": "EUR/yr", "p10": 21000.0 * k, "p50": 27000.0 * k, "p90": 33000.0 * k},
            "payback": {"unit": "yr", "p10": 55.0, "p50": 73.0, "p90": 110.0},
            "cost_per_tco2": {"unit": "EUR/tCO2", "p10": 1200.0, "p50": 1650.0, "p90": 2400.0},
        },
        "source_site": {"city": "testville", "scale": {"value": 2000.0, "unit": "kWh"}},
        "assumptions": [
            {"name": "scale", "value": value, "unit": "kWh", "evidence": "design", "source": SITE},
            {"name": "round_trip_efficiency", "value": 0.9, "low": 0.85, "high": 0.95, "unit": "-",
             "evidence": "reference", "source": CATALOGUE},
            {"name": "cycles_per_year", "value": 250, "unit": "cycles/yr", "evidence": "reference",
             "source": CATALOGUE},
            {"name": "capex", "value": 400, "unit": "EUR/kWh", "evidence": "reference", "source": CATALOGUE},
            {"name": "grid_co2", "value": 615, "unit": "g/kWh", "evidence": "reference", "source": STATS},
            {"name": "electricity_price_household", "value": 0.22, "unit": "EUR/kWh", "evidence": "reference",
             "source": STATS},
        ],
        "sensitivity": [
            {"metric": "co2_avoided", "metric_unit": "tCO2/yr", "input": "cycles_per_year", "at_low": 23.1,
             "at_high": 33.2, "swing": 10.1},
            {"metric": "co2_avoided", "metric_unit": "tCO2/yr", "input": "round_trip_efficiency", "at_low": 26.2,
             "at_high": 29.2, "swing": 3.0},
            {"metric": "savings", "metric_unit": "EUR/yr", "input": "electricity_price_household", "at_low": 20000,
             "at_high": 34000, "swing": 14000},
        ],
        "most_influential": {"co2_avoided": "cycles_per_year", "savings": "electricity_price_household"},
        "unavailable": [{"metric": "nox_avoided", "reason": "no NOx factor for grid electricity"}],
    }


def fake_fit(solution_id: str, city: str) -> dict[str, Any]:
    return {"id": solution_id, "title": "", "fit": 0.62, "factors": [
        {"name": "climate", "score": 0.8, "explanation": "Kraków is colder than the source (3300 vs 3000 K·d)."},
        {"name": "energy system", "score": 0.4, "explanation": "Needs a grid operator that allows shared storage."},
        {"name": "economics", "score": 0.3, "explanation": "Payback is long at Polish prices."},
        {"name": "evidence", "score": 0.5, "explanation": "Design figures only; nothing measured."},
    ]}


def no_lessons(solution_id: str) -> list[dict[str, Any]]:
    return []
