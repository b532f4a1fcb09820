"""Needs topics: the carriers, heat supply and building types a city's stated needs name, matched to solutions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kb.i18n import N_
from kb.replication.inputs import MeasureType
from kb.text import fold

# Heat-network measure types: they supply or decarbonise a collective heat network (a thermal network or geothermal
# ring, aquathermal and wastewater heat feeding one, seasonal storage in an aquifer).
NETWORK_TYPES = frozenset({"thermal-network", "ates", "aquathermal", "wastewater-heat-recovery"})
HEAT_SUPPLY_MODELS = frozenset({"heat_pump", "heat_recovery"})
HEAT_DEMAND_MODELS = frozenset({"retrofit", "green_roof"})
BUILDING_WORDS = ("apartment", "flat", "flats", "block", "blocks", "multi-family", "multifamily", "housing", "home",
                  "homes", "dwelling", "dwellings", "residential", "tenement", "estate")
_WORD = re.compile(r"[\w-]+", re.UNICODE)


@dataclass(frozen=True)
class Topic:
    """One thing a need can name: its words (a trailing ``*`` is a prefix), and what a solution must have."""

    name: str            # the plain words shown in explanations
    words: tuple[str, ...]
    answer: str          # how a matching solution answers it, in words


# English and a few Polish forms (folded: no diacritics, ł as l); phrases are matched word by word.
TOPICS: tuple[Topic, ...] = (
    Topic(N_("gas"), ("gas", "gases", "boiler", "boilers", "fossil", "gaz*", "kociol", "kotl*"),
          N_("it replaces gas")),
    Topic(N_("district heating"), ("district heating", "district heat", "heat network", "heat networks",
                               "heating network", "heating networks", "dh", "mpec", "cieplownic*",
                               "siec cieplownicza", "sieci cieplowniczej"), N_("it supplies a heat network")),
    Topic(N_("heat"), ("heat", "heating", "heated", "warmth", "hot water", "ciepl*", "ogrzew*", "grzew*"),
          N_("it supplies or saves heat")),
    Topic(N_("apartment blocks"), BUILDING_WORDS + ("blok*", "mieszk*", "osiedl*", "kamienic*"),
          N_("it serves housing")),
    Topic(N_("electricity"), ("electricity", "electric", "power", "solar", "pv", "photovoltaic", "photovoltaics",
                          "fotowolt*", "slonecz*", "prad*", "elektr*"), N_("it produces or manages electricity")),
    Topic(N_("storage"), ("storage", "battery", "batteries", "magazyn*"), N_("it stores energy")),
    Topic(N_("mobility"), ("mobility", "transport", "car", "cars", "ev", "evs", "charging", "traffic", "samochod*",
                       "transport*", "mobilnosc*", "ladowa*"), N_("it changes how people travel")),
    Topic(N_("greenery and rain water"), ("green roof", "green roofs", "greenery", "rain", "rainwater", "flood",
                                      "flooding", "heat island", "zielen*", "deszcz*"), N_("it adds greenery")),
)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _hits(tokens: list[str], word: str) -> bool:
    parts = word.split()
    n = len(parts)
    for i in range(len(tokens) - n + 1):
        ok = True
        for j, p in enumerate(parts):
            t = tokens[i + j]
            if not (t.startswith(p[:-1]) if p.endswith("*") else t == p):
                ok = False
                break
        if ok:
            return True
    return False


def named_in(topic: Topic, text: str) -> bool:
    """Whether a text names the topic (one of its words or phrases)."""
    toks = _tokens(text)
    return any(_hits(toks, w) for w in topic.words)


def topics_in(needs: str) -> list[Topic]:
    """The topics a needs text names, in the order of :data:`TOPICS`."""
    return [t for t in TOPICS if named_in(t, needs)]


def heat_role(types: Iterable[MeasureType]) -> str:
    """``network`` (supplies a heat network), ``individual`` (replaces boilers building by building), ``demand``
    (saves heat whatever supplies it) or ``none`` (not a heat measure)."""
    types = list(types)
    if any(mt.id in NETWORK_TYPES for mt in types):
        return "network"
    if any(mt.model in HEAT_SUPPLY_MODELS and mt.displaces == "natural_gas" for mt in types):
        return "individual"
    if any(mt.model in HEAT_DEMAND_MODELS for mt in types):
        return "demand"
    return "none"


def answers(topic: Topic, types: list[MeasureType], text: str) -> float:
    """How fully a solution (its measure types, and for building types its own words) answers one topic, 0–1."""
    models = {mt.model for mt in types}
    role = heat_role(types)
    if topic.name == "gas":
        return 1.0 if any(mt.displaces == "natural_gas" and mt.model != "green_roof" for mt in types) else 0.0
    if topic.name == "district heating":
        return 1.0 if role == "network" else 0.0
    if topic.name == "heat":
        return {"network": 1.0, "individual": 1.0, "demand": 0.5 if models == {"green_roof"} else 1.0}.get(role, 0.0)
    if topic.name == "apartment blocks":
        toks = _tokens(text)
        return 1.0 if any(_hits(toks, w) for w in BUILDING_WORDS) else 0.0
    if topic.name == "electricity":
        return 1.0 if "pv" in models else 0.5 if models & {"battery", "energy_management"} else 0.0
    if topic.name == "storage":
        return 1.0 if "battery" in models or any(mt.id == "ates" for mt in types) else 0.0
    if topic.name == "mobility":
        return 1.0 if models & {"car_sharing", "ev_charging"} else 0.0
    if topic.name == "greenery and rain water":
        return 1.0 if "green_roof" in models else 0.0
    return 0.0
