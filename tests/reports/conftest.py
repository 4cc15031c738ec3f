"""The monthly report's tests share a section that exists only here (`fake`): it counts every station the same
way, records each call, and is put among the declared sections by monkeypatching `declared_sections` where the
report reads it, so the assembly is tested apart from any app's tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy as _

from shanlian.core.monthly import Column, Figure, Section, declared_sections
from shanlian.reports.months import default_month
from tests.charity.conftest import books  # noqa: F401  (the charity tests' books, the time bank's and the hub: reused)
from tests.resources.conftest import hub  # noqa: F401
from tests.timebank.conftest import bank  # noqa: F401

CALLS: list[tuple[tuple[int, ...], dt.date, dt.date]] = []


def fake_counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    """Station pk p counts p visits, p·1.25 yuan and p·0.5 hours; stations with an even pk are left out (a missing
    station reads as 0), and every station gets no `people` figure (a missing column reads as 0)."""
    CALLS.append((tuple(station_ids), start, end))
    return {pk: {"visits": pk, "spent": Decimal(pk) * Decimal("1.25"), "hours": (Decimal(pk) / 2).quantize(Decimal("0.1"))}
            for pk in station_ids if pk % 2}


FAKE = Section(key="fake", title=_("Test section"), order=1, counts=fake_counts, columns=(
    Column("visits", _("Visits")), Column("people", _("People")), Column("spent", _("Spent"), money=True),
    Column("hours", _("Hours"), hours=True)))


@pytest.fixture
def fake(monkeypatch):
    """The fake section first, then every section the apps declare."""
    CALLS.clear()
    sections = (FAKE, *declared_sections())
    monkeypatch.setattr("shanlian.reports.selectors.declared_sections", lambda: sections)
    return sections


@pytest.fixture
def month() -> dt.date:
    return default_month()
