"""The group and community work of the monthly report (core/monthly.py): programmes with a session in the period, the
sessions held and their person-times, per station, counted by the one rule of selectors.station_counts (one grouped
query for all stations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from shanlian.core.monthly import Column, Figure, Section

from .models import Kind
from .selectors import station_counts


def _counts(kind: str, first: str) -> object:
    def counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
        out: dict[int, dict[str, Figure]] = {}
        for station_id, by_kind in station_counts(station_ids, start, end).items():
            row = by_kind.get(kind)
            if row:
                out[station_id] = {first: row["programmes"], "sessions": row["sessions"], "person_times": row["person_times"]}
        return out

    return counts


SECTIONS = (
    Section("group_work", _("Group work (小组工作)"),
            (Column("groups", _("Groups")), Column("sessions", _("Sessions (场次)")), Column("person_times", _("Person-times (人次)"))),
            _counts(Kind.GROUP, "groups"), 20),  # type: ignore[arg-type]
    Section("community_work", _("Community work (社区工作)"),
            (Column("activities", _("Activities")), Column("sessions", _("Sessions (场次)")),
             Column("person_times", _("Person-times (人次)"))),
            _counts(Kind.COMMUNITY, "activities"), 30),  # type: ignore[arg-type]
)
