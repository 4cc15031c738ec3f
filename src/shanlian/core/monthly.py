"""The monthly report's parts, assembled from what each app declares, as the menus are (navigation.py): an app whose
work the civil-affairs bureau counts has a `monthly.py` whose `SECTIONS` lists its parts of the report. Each part
names its columns and one function that counts them for a set of stations over a period; the `reports` app sums
stations into streets, districts and the city, and writes the page, the XLSX and the PDF. Nothing here knows an
app's tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps

Figure = int | Decimal
# counts(station_ids, start, end) -> {station_id: {column key: figure}}; `end` is exclusive (the first day after the
# period). A station with nothing to count may be left out; a missing column reads as 0. One or a few grouped queries
# for all stations at once, never a query per station.
Counter = Callable[[Sequence[int], date, date], dict[int, dict[str, Figure]]]


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # gettext_lazy
    money: bool = False  # yuan with two decimals (Decimal); otherwise a whole count, or hours when `hours`
    hours: bool = False  # Decimal hours with one decimal
    # Every column adds up from stations to streets, districts and the city; a count of people is counted per
    # station (what the bureau's form asks), so a person served by two stations counts at each.


@dataclass(frozen=True)
class Section:
    """One part of the report, e.g. case work (个案) with its cases, sessions and person-times."""

    key: str
    title: Any
    columns: tuple[Column, ...]
    counts: Counter
    order: int


@cache
def declared_sections() -> tuple[Section, ...]:
    sections: list[Section] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("shanlian."):
            continue
        try:
            module = import_module(f"{config.name}.monthly")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.monthly":
                raise
            continue
        sections.extend(getattr(module, "SECTIONS", ()))
    return tuple(sorted(sections, key=lambda s: (s.order, s.key)))
