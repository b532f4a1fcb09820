"""The brief as a document model: sections of paragraphs, bullets, tables and charts, plus numbered sources."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kb.briefs.lang import localized


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 3


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass(frozen=True)
class RangeBar:
    """One metric's P10–P50–P90 range, with the reference and evidence that go with it."""

    label: str
    unit: str
    p10: float
    p50: float
    p90: float
    ref: str


@dataclass(frozen=True)
class RangeChart:
    title: str
    bars: list[RangeBar]


@dataclass(frozen=True)
class Series:
    """One series of an :class:`XYChart`: a line, an area filled down to zero, or bars side by side per x."""

    label: str
    values: list[float]
    color: str
    kind: str = "line"  # line, area, bar


@dataclass(frozen=True)
class XYChart:
    """Series over one shared x axis (hours of a week, months, hours of the year), with a caption saying how to read
    it; bars are drawn per x as categories, lines and areas on a numeric x axis."""

    title: str
    x: list[float]
    series: list[Series]
    y_label: str
    x_label: str = ""
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    caption: str = ""


Block = Heading | Paragraph | Bullets | Table | RangeChart | XYChart


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2


@dataclass(frozen=True)
class BriefSource:
    """A numbered source of the brief: a record's source, a knowledge-base record, or the replication model."""

    n: int
    title: str
    url: str = ""
    publisher: str = ""
    year: str = ""
    origin: str = ""


@dataclass
class Brief:
    title: str
    city_id: str
    city_name: str
    solutions: list[tuple[str, str]]
    date: str
    kb_version: str
    seed: int
    sections: list[Section] = field(default_factory=list)
    sources: list[BriefSource] = field(default_factory=list)
    kind: str = "replication brief"  # what the document is, in the page footer
    purpose: str = ""  # one line saying what this is, under the title
    lang: str = "en"  # the language of the frame (kb.i18n.LANGUAGES); the records' text stays English

    def charts(self) -> list[RangeChart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, RangeChart)]

    def xy_charts(self) -> list[XYChart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, XYChart)]

    def file_stem(self) -> str:
        """A file name stem such as ``brief-test-battery-site-krakow``."""
        ids = "-".join(sid for sid, _ in self.solutions[:3]) + ("-etc" if len(self.solutions) > 3 else "")
        return f"brief-{ids}-{self.city_id}"


def fmt(value: float | int | None) -> str:
    """A number for a reader: thousands separated, about three significant figures; ``—`` for none. In the brief's
    language (:mod:`kb.briefs.lang`): ``11 881`` and ``1,5`` in Polish."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if a >= 100:
        s = f"{round(v):,}"
    elif a == 0:
        s = "0"
    else:
        s = f"{v:.3g}"
        if "e" in s:
            s = f"{v:.6f}".rstrip("0").rstrip(".")
    return localized(s.replace("-", "−") if s.startswith("-") else s)


INERT = str.maketrans({"<": "‹", ">": "›", "[": "(", "]": ")", "*": "∗", "`": "'", "|": "/"})


def inert(text: str) -> str:
    """User-written text (app lessons) made inert in Markdown: no tags, links, emphasis or table breaks."""
    return " ".join(text.translate(INERT).split())
