"""The brand organizations' public showcase: the organizations a brand batch named, each page built from its records
(its grade and certificates, the service projects it leads, its stations' volunteer hours, the money its stations'
funds raised and paid out this year), read through the other apps' public selectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from shanlian.charity.selectors.public import stations_money
from shanlian.core.errors import NotFound
from shanlian.core.money import Money
from shanlian.grants.selectors_public import projects_public
from shanlian.orgs.models import Organization, Station
from shanlian.timebank.selectors import station_figures

from .models import Assessment, AssessmentStatus

PROJECTS_SHOWN = 12


def brand_named() -> QuerySet[Assessment]:
    """Every naming of a brand organization, the latest batch first."""
    return (Assessment.objects.filter(status=AssessmentStatus.AWARDED, named=True)
            .select_related("organization", "call__region").order_by("-call__year", "-call__batch", "organization__name"))


@dataclass
class Showcase:
    organization: Organization
    named: list[Assessment]  # each batch that named it
    grade_award: Assessment | None
    year: int
    stations: list[Station]
    hours: Decimal
    person_times: int
    raised: Money
    paid: Money
    projects: list[Any] = field(default_factory=list)
    project_count: int = 0


def showcase(organization_id: int) -> Showcase:
    named = list(brand_named().filter(organization_id=organization_id))
    if not named:
        raise NotFound()
    org = named[0].organization
    year = timezone.localdate().year
    stations = list(Station.objects.filter(agency=org).select_related("street").order_by("name"))
    figures = [station_figures(station=s, year=year) for s in stations]
    raised, paid = stations_money(station_ids=[s.pk for s in stations], year=year)
    projects = projects_public().filter(lead=org).order_by("-starts_on", "-id")
    grade_award = (Assessment.objects.filter(organization=org, status=AssessmentStatus.AWARDED, named=False)
                   .select_related("call").order_by("-awarded_on").first())
    return Showcase(organization=org, named=named, grade_award=grade_award, year=year, stations=stations,
                    hours=sum((f.hours for f in figures), Decimal(0)), person_times=sum(f.person_times for f in figures),
                    raised=raised, paid=paid, projects=list(projects[:PROJECTS_SHOWN]), project_count=projects.count())
