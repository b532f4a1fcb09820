"""Estimates hour by hour: an estimate's PV, battery, heat pumps and EV charging dispatched in a reference district.

The annual model counts a battery by a cycles parameter (so only its losses show) and PV by a fixed self-consumed
share. Here both come out of an 8,760-hour dispatch (:mod:`kb.hourly.dispatch`) in a reference district: ``homes``
dwellings using the district-baseline record's electricity per home, plus the estimate's heat pumps and EV
charging as loads. Each Monte Carlo draw changes only scalars (the PV output, the heat-pump and charging
electricity, the battery's efficiency), so the shapes are made once and the dispatch runs on a small grid of those
scalars; every draw is then read off the grid by linear interpolation (one exact run for the central estimate).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import RegularGridInterpolator

from kb.errors import InvalidInput
from kb.hourly.dispatch import Battery, DispatchResult, dispatch, kpis
from kb.hourly.ped import CarrierExchange, classify
from kb.hourly.profiles import electricity_profile, kwh_text
from kb.hourly.shapes import BATTERY_HOURS, PV_TILT, city_climate, hp_shape, weeks
from kb.i18n import N_, Msg, Num, Said
from kb.replication.bounds import DISTRICT_HOMES, check
from kb.replication.cities import CityProfile
from kb.replication.inputs import Input

__all__ = ["District", "HourlyModel", "hourly_model", "HOURLY_MODELS", "GRID_POINTS", "HOURLY_NOTE"]

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
Array = F64 | float

HOURLY_MODELS = frozenset({"pv", "battery", "heat_pump", "heat_recovery", "ev_charging", "car_sharing"})
"""Models whose electricity the reference district dispatches hour by hour."""
GRID_POINTS: dict[str, int] = {"pv": 5, "heat_pumps": 3, "charging": 3, "round_trip": 3}
"""Grid points per varying scalar (PV output, heat-pump and charging electricity, battery efficiency)."""
HOURLY_NOTE = N_("PV self-consumption and the battery come out of an 8,760-hour dispatch in the reference "
                 "district: the central estimate is one exact run; each Monte Carlo draw is read off a grid of {runs} "
                 "dispatch runs over the scalars that vary between draws (linear interpolation; the hourly shapes "
                 "are shared)")
BOUNDARY = N_("the reference district's electricity connection: its homes' use, the estimate's heat pumps and EV "
              "charging, PV and battery; heat and fuels lie outside this boundary (their changes are in the annual "
              "figures)")
SPACE_HEATING_SHARE = 0.817  # the deep-retrofit measure type's EU household share, as the district plans use it


@dataclass(frozen=True)
class District:
    """The reference district an estimate is dispatched in: ``homes`` (None = sized from the estimate, see
    :func:`hourly_model`) and the electricity each home uses (the district-baseline record's input)."""

    electricity_per_home: Input
    homes: float | None = None


@dataclass
class _Grid:
    axes: dict[str, F64]
    p2l: F64
    charged: F64
    delivered: F64
    cycles: F64
    runs: int

    def covers(self, v: Mapping[str, F64]) -> bool:
        return all(float(v[k].min()) >= a[0] - 1e-9 * max(1.0, abs(a[0])) and
                   float(v[k].max()) <= a[-1] + 1e-9 * max(1.0, abs(a[-1])) for k, a in self.axes.items())


@dataclass
class HourlyModel:
    """Shapes and settings of one estimate's reference district; ``adjust`` gives the hourly results per draw."""

    city: CityProfile
    homes: float
    homes_source: str
    electricity_per_home: Input
    household_shape: F64
    pv_shape: F64
    hp_shape: F64
    provenance: dict[str, str]
    battery: bool
    grid: _Grid | None = field(default=None, repr=False)
    said: dict[str, Msg] = field(default_factory=dict)
    """Structured messages (translated by the app) of ``homes_source`` and of some provenance lines."""

    @property
    def household_kwh(self) -> float:
        return self.homes * self.electricity_per_home.mid

    def _run(self, pv: F64, hp: F64, ev: F64, rte: F64, cap: float) -> tuple[DispatchResult, DispatchResult | None]:
        load = (self.household_kwh + ev)[:, None] * self.household_shape + hp[:, None] * self.hp_shape
        pv_h = pv[:, None] * self.pv_shape
        without = dispatch(load, pv_h)
        if not self.battery or cap <= 0:
            return without, None
        return without, dispatch(load, pv_h, Battery(cap, cap / BATTERY_HOURS, rte))

    def _outputs(self, pv: F64, hp: F64, ev: F64, rte: F64, cap: float) -> tuple[F64, F64, F64, F64]:
        without, with_b = self._run(pv, hp, ev, rte, cap)
        p2l = without.annual("pv_to_load")
        if with_b is None:
            z = np.zeros_like(p2l)
            return p2l, z, z.copy(), z.copy()
        return p2l, with_b.annual("pv_to_battery"), with_b.annual("battery_to_load"), with_b.cycles

    def adjust(self, pv: Array, hp: Array, ev: Array, rte: Array, cap: float, n: int) -> dict[str, F64]:
        """Per draw (arrays of length ``n``): PV used directly by the load ``pv_to_load`` (without the battery),
        ``charged`` from PV surplus into the battery and ``delivered`` from it to the load (kWh/yr), the battery's
        equivalent full ``cycles``, and the ``self_consumption`` and ``self_sufficiency`` with the battery."""
        v = {k: np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)) for k, x in
             (("pv", pv), ("heat_pumps", hp), ("charging", ev), ("round_trip", rte))}
        if all(float(a.max() - a.min()) <= 1e-12 * max(1.0, float(abs(a).max())) for a in v.values()):
            one = {k: a[:1].copy() for k, a in v.items()}
            p2l, ch, de, cy = self._outputs(one["pv"], one["heat_pumps"], one["charging"], one["round_trip"], cap)
            p2l, ch, de, cy = (np.broadcast_to(x, (n,)).copy() for x in (p2l, ch, de, cy))
        else:
            if self.grid is None or not self.grid.covers(v):
                self.grid = self._grid(v, cap)
            p2l, ch, de, cy = self._interpolate(self.grid, v)
        load = self.household_kwh + v["charging"] + v["heat_pumps"]
        gen = v["pv"]
        with np.errstate(divide="ignore", invalid="ignore"):
            sc = np.where(gen > 0, (p2l + ch) / np.where(gen > 0, gen, 1.0), 0.0)
            ss = np.where(load > 0, (p2l + de) / np.where(load > 0, load, 1.0), 0.0)
            share = np.where(gen > 0, p2l / np.where(gen > 0, gen, 1.0), 0.0)
        return {"pv_to_load": p2l, "charged": ch, "delivered": de, "cycles": cy, "self_consumption": sc,
                "self_sufficiency": ss, "direct_share": share}

    def _grid(self, v: Mapping[str, F64], cap: float) -> _Grid:
        axes: dict[str, F64] = {}
        for k, a in v.items():
            lo, hi = float(a.min()), float(a.max())
            pts = GRID_POINTS[k] if hi - lo > 1e-12 * max(1.0, abs(hi)) else 1
            if k == "round_trip" and not self.battery:
                pts = 1
            axes[k] = np.linspace(lo, hi, pts)
        combos = np.array(list(itertools.product(*axes.values())), dtype=np.float64)
        cols = dict(zip(axes, combos.T, strict=True))
        shape = tuple(len(a) for a in axes.values())
        outs = self._outputs(cols["pv"], cols["heat_pumps"], cols["charging"], cols["round_trip"], cap)
        p2l, ch, de, cy = (o.reshape(shape) for o in outs)
        log.debug("hourly grid of %d dispatch runs", len(combos))
        return _Grid(axes, p2l, ch, de, cy, len(combos))

    @staticmethod
    def _interpolate(g: _Grid, v: Mapping[str, F64]) -> tuple[F64, F64, F64, F64]:
        active = [k for k, a in g.axes.items() if len(a) > 1]
        sl = tuple(slice(None) if k in active else 0 for k in g.axes)
        pts = np.column_stack([np.clip(v[k], g.axes[k][0], g.axes[k][-1]) for k in active])
        out = []
        for table in (g.p2l, g.charged, g.delivered, g.cycles):
            f = RegularGridInterpolator(tuple(g.axes[k] for k in active), table[sl], method="linear")
            out.append(np.asarray(f(pts), dtype=np.float64))
        return out[0], out[1], out[2], out[3]

    def report(self, pv: float, hp: float, ev: float, rte: float, cap: float, prices: Mapping[str, float],
               pef: float, co2: float) -> dict[str, Any]:
        """The central estimate's hourly picture: KPIs of the district before the measures, with them but without
        the battery, and with everything; the battery's gain; PED classification; typical weeks; provenance."""
        one = np.ones(1)
        before = dispatch(self.household_kwh * self.household_shape[None, :], np.zeros((1, self.pv_shape.size)))
        without, with_b = self._run(pv * one, hp * one, ev * one, rte * one, cap)
        final = with_b if with_b is not None else without
        cases = {"before": before, "without_battery": without} if with_b is not None else {"before": before}
        cases["with_measures"] = final
        table = {name: _scalars(kpis(r)) for name, r in cases.items()}
        k = kpis(final)
        monthly = {key.removeprefix("monthly_").removesuffix("_kwh"): [float(x) for x in np.asarray(val)[0]]
                   for key, val in k.items() if key.startswith("monthly_")}
        status = classify([CarrierExchange("electricity", final.grid_import[0], pef, co2, final.grid_export[0])])
        ped = {**status.to_dict(), "boundary": BOUNDARY,
               "definitions": [{**r.to_dict(), "boundary": BOUNDARY} for r in status.results]}
        out: dict[str, Any] = {
            "district": {"homes": self.homes, "homes_source": self.homes_source,
                         **({"homes_source_message": self.said["homes_source"].to_dict()}
                            if "homes_source" in self.said else {}),
                         "electricity_per_home_kwh": self.electricity_per_home.mid,
                         "electricity_source": f"{self.electricity_per_home.name} "
                                               f"({self.electricity_per_home.evidence}; "
                                               f"{self.electricity_per_home.source})",
                         "household_kwh": self.household_kwh},
            "kpis": table["with_measures"],
            "cases": table,
            "monthly_kwh": monthly,
            "ped": ped,
            "provenance": self.provenance,
            "provenance_messages": {k: m.to_dict() for k, m in self.said.items() if k in self.provenance},
            "weeks": weeks(final.load[0], final.pv[0], final.grid_import[0], final.grid_export[0], final.soc[0]),
        }
        if with_b is not None:
            d = float(with_b.annual("battery_to_load")[0])
            c = float(with_b.annual("pv_to_battery")[0])
            retail, export = prices.get("electricity", 0.0), prices.get("export", 0.0)
            w, b = table["without_battery"], table["with_measures"]
            out["battery_gain"] = {
                "self_consumption": [w["self_consumption"], b["self_consumption"]],
                "self_sufficiency": [w["self_sufficiency"], b["self_sufficiency"]],
                "peak_import_kw": [w["peak_import_kw"], b["peak_import_kw"]],
                "annual_import_kwh": [w["annual_import_kwh"], b["annual_import_kwh"]],
                "annual_export_kwh": [w["annual_export_kwh"], b["annual_export_kwh"]],
                "delivered_kwh": d, "charged_kwh": c, "losses_kwh": c - d, "cycles": b["battery_cycles"],
                "value_eur": d * retail - c * export, "retail_price": retail, "export_value": export,
            }
        return out


def _scalars(k: Mapping[str, F64]) -> dict[str, float]:
    return {key: float(np.asarray(val).reshape(-1)[0]) for key, val in k.items() if not key.startswith("monthly_")}


def hourly_model(city: CityProfile, district: District, models: Sequence[tuple[str, float]],
                 central_pv_kwh: float) -> tuple[HourlyModel | None, str]:
    """The reference district for an estimate of these ``(model, scale)`` measures, or ``(None, reason)``.

    Without ``district.homes`` the district is sized so that its homes use, over the year, as much electricity as
    the PV generates in the central estimate (an annual net-zero-electricity district, the premise of a PED); with
    heat pumps and no PV, it is the heat pumps' homes. A battery is dispatched only with PV in the estimate (it
    charges from PV surplus only)."""
    kinds = {m for m, _ in models}
    if not kinds & HOURLY_MODELS:
        return None, ""
    has_pv = "pv" in kinds
    if "battery" in kinds and not has_pv:
        return None, Said(Msg(N_("no hourly dispatch: the battery charges only from PV surplus and this estimate has "
                                 "no PV; it is counted with the cycles parameter of the annual model (add PV to see "
                                 "it dispatched)")))
    cl, _ = city_climate(city)
    if cl is None:
        return None, Said(Msg(N_("no hourly dispatch: {city} has no monthly climate or no latitude and longitude in "
                                 "its city record; PV self-consumption is the annual model's share"),
                              {"city": city.name}),
                          f"no hourly dispatch: {city.name} has no monthly climate (ghi_01…ghi_12, temp_01…temp_12) "
                          "or no latitude and longitude in its city record; PV self-consumption is the annual "
                          "model's share")
    per_home = district.electricity_per_home.mid
    if not per_home > 0:
        return None, Said(Msg(N_("no hourly dispatch: the electricity per home of the reference district is not "
                                 "positive")))
    if district.homes is not None:
        homes = check(district.homes, DISTRICT_HOMES, "homes in the reference district", InvalidInput)
        how = "entered by the user"
        how_said = Msg(N_("entered by the user"))
    elif has_pv and central_pv_kwh > 0:
        homes = float(max(1, round(central_pv_kwh / per_home)))
        how = (f"model assumption: sized so that its homes use as much electricity in a year as the PV generates "
               f"in the central estimate ({central_pv_kwh / 1e3:,.0f} MWh ÷ {per_home:,.0f} kWh per home)")
        how_said = Msg(N_("model assumption: sized so that its homes use as much electricity in a year as the PV "
                          "generates in the central estimate ({pv} MWh ÷ {per_home} kWh per home)"),
                       {"pv": Num(central_pv_kwh / 1e3, ",.0f"), "per_home": Num(per_home, ",.0f")})
    else:
        hp_homes = sum(s for m, s in models if m == "heat_pump")
        if hp_homes < 1:
            return None, Said(Msg(N_("no hourly dispatch: enter the number of homes of the reference district")))
        homes, how = float(round(hp_homes)), "the heat pumps' homes (the estimate's scale)"
        how_said = Msg(N_("the heat pumps' homes (the estimate's scale)"))
    try:
        hh = electricity_profile(1.0, "household")
        pvp = cl.pv()
        hp, hp_how = hp_shape(cl.temp, SPACE_HEATING_SHARE)
    except InvalidInput as exc:
        log.warning("hourly dispatch unavailable: %s", exc)
        return None, f"no hourly dispatch: {exc}"
    provenance = {
        "homes": f"{homes:,.0f} homes × {per_home:,.0f} kWh/yr each ({district.electricity_per_home.source}): "
                 f"{how}",
        "electricity": hh.provenance.replace(f"; scaled to {kwh_text(1.0)} kWh/yr", "")
        + "; scaled to the homes' use; EV charging follows the same profile (model assumption)",
        "pv": f"{pvp.provenance}; normalised to the annual model's generation of each draw; tilt {PV_TILT:g}° facing "
              f"south (model assumption); time {cl.tz_how}",
    }
    if kinds & {"heat_pump", "heat_recovery"}:
        provenance["heat_pumps"] = (hp_how + f"; space-heating share {SPACE_HEATING_SHARE:g} (deep-retrofit "
                                             "measure type, EU households)")
    said = {"homes_source": how_said,
            "homes": Msg(N_("{homes} homes × {per_home} kWh/yr each ({source}): {how}"),
                         {"homes": Num(homes, ",.0f"), "per_home": Num(per_home, ",.0f"),
                          "source": district.electricity_per_home.source, "how": how_said})}
    if "battery" in kinds:
        provenance["battery"] = (f"power = capacity ÷ {BATTERY_HOURS:g} h (the measure type's capex is for a 2-hour "
                                 "battery; model assumption); charged only from PV surplus, discharged only into "
                                 "the district's own deficit, empty on 1 January")
        said["battery"] = Msg(N_("power = capacity ÷ {hours} h (the measure type's capex is for a 2-hour battery; "
                                 "model assumption); charged only from PV surplus, discharged only into the "
                                 "district's own deficit, empty on 1 January"), {"hours": Num(BATTERY_HOURS)})
    model = HourlyModel(city, homes, how, district.electricity_per_home, hh.values / float(hh.values.sum()),
                        pvp.values / float(pvp.values.sum()), hp, provenance, "battery" in kinds, said=said)
    return model, ""
