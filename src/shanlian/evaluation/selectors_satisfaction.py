"""Reading satisfaction surveys as the acting user may, their results, and the satisfaction rate that feeds a station's
or a project's evaluation.

Who sees what (a design choice, written once here). A station's surveys: its own staff (its social workers and the
managers of the agency running it), the city's and the district's administrators over its street, and the street's
officer. A project's surveys: the managers of its lead organization, the staff of its station, and the administrators
and street officers of its area (its fund's division, else its station's street). The same people, less the street
officer, create surveys (`may_manage_*`). Anything else is answered as missing.

How results are counted. Every answer is 1 (very unsatisfied) to 5 (very satisfied). The satisfaction rate is the
share of all answers, over every question of every response, that are 4 or 5; a question's rate is the same share
of its answers. A station's or a project's rate for a year pools the answers of its surveys that open in that year
(a station's includes the surveys of its service projects), so a survey weighs by how many answered it. Rates are
Decimals with four places (0.9134), half up; a leaf marked from satisfaction gets its points × the rate, two places.

Results are counted from the responses' answers in one query per list (each response holds its answers as a JSON
list: counting in Python keeps one way of counting on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.addresses import public_url
from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.scoping import Role, Scope
from shanlian.grants.models import ServiceProject
from shanlian.grants.services.projects import area_path
from shanlian.orgs.models import Station
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division, Level

from .models import Survey, SurveyResponse
from .satisfaction_counts import (
    Pool,
    Tally,
    at_station,
    station_pools,
    tallies,
    year_bounds,
)

MAX_CHOICES = 500
TOKEN_MAX = 64  # a token longer than any made is not looked up
DEVICE_PURPOSE = "evaluation.survey_device"

ADMINS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
STATION_STAFF = (Role.STATION_WORKER, Role.AGENCY_MANAGER)
LEAD_MANAGERS = (Role.ORG_MANAGER, Role.AGENCY_MANAGER)
SURVEY_ROLES = (*ADMINS, Role.STREET_OFFICER, *STATION_STAFF, Role.ORG_MANAGER)
DASHBOARD_ROLES = (*ADMINS, Role.STREET_OFFICER, *STATION_STAFF)



# --- who may -------------------------------------------------------------------------------------------------------


def may_open_satisfaction(scope: Scope) -> bool:
    """The surveys' pages: staff of stations and areas, and managers of organizations (their projects' surveys)."""
    return scope.is_superuser or scope.has(*SURVEY_ROLES)


def may_open_dashboard(scope: Scope) -> bool:
    """The dashboard by district and station: staff of stations and areas."""
    return scope.is_superuser or scope.has(*DASHBOARD_ROLES)


def project_station_id(project: ServiceProject) -> int | None:
    """The station a project is run at: its own, else its fund's."""
    if project.station_id is not None:
        return project.station_id
    return project.fund.station_id if project.fund is not None else None


def may_manage_station(scope: Scope, station: Station) -> bool:
    return scope.is_station_staff(station.pk) or (scope.has(*ADMINS) and scope.covers_path(station.street.path, scope.admin_paths))


def may_read_station(scope: Scope, station: Station) -> bool:
    return may_manage_station(scope, station) or (
        scope.has(Role.STREET_OFFICER) and scope.covers_path(station.street.path, scope.people_paths))


def may_manage_project(scope: Scope, project: ServiceProject) -> bool:
    if scope.is_superuser or (scope.has(*LEAD_MANAGERS) and project.lead_id in scope.organization_ids):
        return True
    station_id = project_station_id(project)
    if station_id is not None and scope.is_station_staff(station_id):
        return True
    return scope.has(*ADMINS) and scope.covers_path(area_path(project), scope.admin_paths)


def may_read_project(scope: Scope, project: ServiceProject) -> bool:
    return may_manage_project(scope, project) or (
        scope.has(Role.STREET_OFFICER) and scope.covers_path(area_path(project), scope.people_paths))


def may_manage_survey(scope: Scope, survey: Survey) -> bool:
    if survey.station is not None:
        return may_manage_station(scope, survey.station)
    assert survey.project is not None
    return may_manage_project(scope, survey.project)


def may_read_survey(scope: Scope, survey: Survey) -> bool:
    if survey.station is not None:
        return may_read_station(scope, survey.station)
    assert survey.project is not None
    return may_read_project(scope, survey.project)


def _none() -> Q:
    return Q(pk__in=[])


def stations_q(scope: Scope, prefix: str = "", *, manage: bool = False) -> Q:
    """Stations (at `prefix`, e.g. "station__") the actor reads, or manages: `may_read_station` as a filter."""
    if scope.is_superuser:
        return Q()
    q = _none()
    if scope.has(*STATION_STAFF) and scope.station_ids:
        q |= Q(**{f"{prefix}pk__in": sorted(scope.station_ids)})
    if scope.has(*ADMINS):
        q |= scope.path_q(f"{prefix}street__path", scope.admin_paths)
    if scope.has(Role.STREET_OFFICER) and not manage:
        q |= scope.path_q(f"{prefix}street__path", scope.people_paths)
    return q


def projects_q(scope: Scope, prefix: str = "", *, manage: bool = False) -> Q:
    """Projects (at `prefix`, e.g. "project__") the actor reads, or manages: `may_read_project` as a filter."""
    if scope.is_superuser:
        return Q()
    q = _none()
    if scope.has(*LEAD_MANAGERS) and scope.organization_ids:
        q |= Q(**{f"{prefix}lead_id__in": sorted(scope.organization_ids)})
    if scope.has(*STATION_STAFF) and scope.station_ids:
        ids = sorted(scope.station_ids)
        q |= Q(**{f"{prefix}station_id__in": ids}) | Q(**{f"{prefix}station__isnull": True, f"{prefix}fund__station_id__in": ids})
    areas = [scope.admin_paths] if scope.has(*ADMINS) else []
    if scope.has(Role.STREET_OFFICER) and not manage:
        areas.append(scope.people_paths)
    for paths in areas:  # `area_path`: the fund's division, else the station's street
        q |= (Q(**{f"{prefix}fund__isnull": False}) & scope.path_q(f"{prefix}fund__division__path", paths)) | (
            Q(**{f"{prefix}fund__isnull": True}) & scope.path_q(f"{prefix}station__street__path", paths))
    return q


def surveys_q(scope: Scope) -> Q:
    """The surveys the actor reads: `may_read_survey` as a filter."""
    if scope.is_superuser:
        return Q()
    return (Q(station__isnull=False) & stations_q(scope, "station__")) | (Q(project__isnull=False) & projects_q(scope, "project__"))


def _require_open(actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not may_open_satisfaction(scope):
        raise PermissionDenied("not_survey_staff", _("Only the staff of stations and areas, and the managers of organizations, "
                                                     "open satisfaction surveys."))
    return scope


# --- surveys -------------------------------------------------------------------------------------------------------


def _listed(rows: QuerySet[Survey]) -> QuerySet[Survey]:
    return rows.select_related("station__street", "project__station__street", "project__fund__division", "project__lead")





def surveys_list(*, actor: Any, year: int | None = None, audience: str = "", station_id: int | None = None,
                 project_id: int | None = None, query: str = "") -> QuerySet[Survey]:
    """The surveys the actor reads, newest first, filtered (a survey belongs to the year it opens in)."""
    scope = _require_open(actor)
    rows = Survey.objects.filter(surveys_q(scope))
    if year is not None:
        first, last = year_bounds(year)
        rows = rows.filter(opens_on__gte=first, opens_on__lte=last)
    if audience:
        rows = rows.filter(audience=audience)
    if station_id is not None:
        rows = rows.filter(Q(station_id=station_id) | Q(project__station_id=station_id)
                           | Q(project__station__isnull=True, project__fund__station_id=station_id))
    if project_id is not None:
        rows = rows.filter(project_id=project_id)
    if query:
        rows = rows.filter(Q(title__icontains=query) | Q(station__name__icontains=query) | Q(project__title__icontains=query))
    return _listed(rows).order_by("-opens_on", "-id")


def survey_get(*, actor: Any, survey_id: int) -> Survey:
    scope = _require_open(actor)
    found = _listed(Survey.objects.filter(surveys_q(scope), pk=survey_id)).first()
    if found is None:
        if Survey.objects.filter(pk=survey_id).exists():
            access_denied(user_id=scope.user_id, object_type="evaluation.survey", object_id=survey_id)
        raise NotFound()
    return found


def survey_public_get(token: str) -> Survey:
    """A survey by the token of its link (anyone holding the link answers it)."""
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX or not token.isprintable():  # PostgreSQL refuses NUL
        raise NotFound("survey_not_found", _("No such survey: check the link or scan the code again."))
    found = _listed(Survey.objects.filter(token=token)).first()
    if found is None:
        raise NotFound("survey_not_found", _("No such survey: check the link or scan the code again."))
    return found


def survey_link(survey: Survey, request: HttpRequest | None = None) -> str:
    """The survey's public link, as a phone opens it (core.addresses)."""
    return public_url(reverse("evaluation_public:satisfaction_answer", args=[survey.token]), request=request)


def subject_name(survey: Survey) -> str:
    return survey.station.name if survey.station is not None else (survey.project.title if survey.project is not None else "")


def survey_state(survey: Survey, today: dt.date | None = None) -> str:
    """upcoming, open or closed, by its dates."""
    today = today or timezone.localdate()
    if today < survey.opens_on:
        return "upcoming"
    return "open" if today <= survey.closes_on else "closed"


def device_hash(survey: Survey, device: str) -> str:
    """The keyed hash a phone's answer is known by (one answer per phone): of the survey and the phone's random cookie,
    so the same phone is not recognisable from one survey to another, and the cookie itself is never stored."""
    return crypto.blind_index(f"{survey.pk}:{device}", purpose=DEVICE_PURPOSE)


def already_answered(survey: Survey, *, device: str = "", person_id: int | None = None) -> bool:
    if survey.anonymous:
        return bool(device) and SurveyResponse.objects.filter(survey=survey, device_hash=device_hash(survey, device)).exists()
    return person_id is not None and SurveyResponse.objects.filter(survey=survey, person_id=person_id).exists()


def answer_refusal(scope: Scope, survey: Survey) -> tuple[str, Any] | None:
    """Why the actor may not answer a named survey, as (code, message), or None: it is answered by residents on record,
    signed in, who are not the staff of what it surveys (an anonymous survey: nobody is asked who they are)."""
    if survey.anonymous:
        return None
    if scope.user_id is None:
        return "login_required", _("This survey is answered by name: sign in first.")
    if scope.person_id is None:
        return "not_a_resident", _("This survey is answered by name: only residents on record answer it.")
    if may_manage_survey(scope, survey):
        return "own_staff", _("The staff of what is surveyed do not answer its survey.")
    return None


# --- a station's and a project's results by year ---------------------------------------------------------------------


def station_get(*, actor: Any, station_id: int) -> Station:
    scope = _require_open(actor)
    found = Station.objects.select_related("street__parent", "agency").filter(stations_q(scope), pk=station_id).first()
    if found is None:
        if Station.objects.filter(pk=station_id).exists():
            access_denied(user_id=scope.user_id, object_type="orgs.station", object_id=station_id)
        raise NotFound()
    return found


def project_get(*, actor: Any, project_id: int) -> ServiceProject:
    scope = _require_open(actor)
    found = (ServiceProject.objects.select_related("lead", "station__street", "fund__division")
             .filter(projects_q(scope), pk=project_id).first())
    if found is None:
        if ServiceProject.objects.filter(pk=project_id).exists():
            access_denied(user_id=scope.user_id, object_type="grants.serviceproject", object_id=project_id)
        raise NotFound()
    return found


@dataclass
class YearRow:
    year: int
    pool: Pool


def _by_year(rows: QuerySet[Survey]) -> tuple[list[YearRow], list[Survey], dict[int, Tally]]:
    """The surveys latest first with their tallies, and their answers pooled by the year each opens in (two queries)."""
    surveys = list(rows.order_by("-opens_on", "-id"))
    counted = tallies(surveys)
    years: dict[int, Pool] = {}
    for s in surveys:
        years.setdefault(s.opens_on.year, Pool()).add(counted[s.pk])
    return [YearRow(year=y, pool=p) for y, p in sorted(years.items(), reverse=True)], surveys, counted


def station_years(station: Station) -> tuple[list[YearRow], list[Survey], dict[int, Tally]]:
    """The station's rate by year (its own surveys and its projects'), and those surveys with their tallies."""
    return _by_year(_listed(Survey.objects.annotate(at_station=at_station()).filter(at_station=station.pk)))


def project_years(project: ServiceProject) -> tuple[list[YearRow], list[Survey], dict[int, Tally]]:
    return _by_year(_listed(Survey.objects.filter(project=project)))


# --- the dashboard ---------------------------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    """A district (with its stations in scope) or a station: this year's answers pooled, and last year's rate."""

    id: int
    name: str
    stations: int
    pool: Pool
    last: Pool
    station: Station | None = None

    @property
    def change(self) -> Decimal | None:
        now, before = self.pool.percent, self.last.percent
        return None if now is None or before is None else now - before


@dataclass
class Dashboard:
    year: int
    district: Division | None
    rows: list[DashboardRow]
    total: DashboardRow


def _stations_in_scope(scope: Scope) -> QuerySet[Station]:
    return Station.objects.filter(stations_q(scope)).select_related("street__parent").order_by("street__code")


def dashboard(*, actor: Any, year: int, district_id: int | None = None) -> Dashboard:
    """The city's districts (those with stations in the actor's scope), or one district's stations, with their rates."""
    scope = actor_scope(actor)
    if not may_open_dashboard(scope):
        raise PermissionDenied("not_dashboard_staff", _("Only the staff of stations and areas open the satisfaction dashboard."))
    stations = list(_stations_in_scope(scope))
    district = None
    if district_id is not None:
        stations = [s for s in stations if s.street.parent_id == district_id]
        district = Division.objects.filter(pk=district_id, level=Level.DISTRICT).first()
        if district is None or not stations:
            raise NotFound()
    ids = [s.pk for s in stations]
    this, last = station_pools(station_ids=ids, year=year), station_pools(station_ids=ids, year=year - 1)
    rows: dict[int, DashboardRow] = {}
    for s in stations:
        key, name = (s.pk, s.name) if district is not None else (s.street.parent_id or 0, s.street.parent.name if s.street.parent else "")
        row = rows.setdefault(key, DashboardRow(id=key, name=name, stations=0, pool=Pool(), last=Pool(),
                                                station=s if district is not None else None))
        row.stations += 1
        row.pool.merge(this.get(s.pk))
        row.last.merge(last.get(s.pk))
    total = DashboardRow(id=0, name=district.name if district else "", stations=len(stations), pool=Pool(), last=Pool())
    for row in rows.values():
        total.pool.merge(row.pool)
        total.last.merge(row.last)
    return Dashboard(year=year, district=district, rows=list(rows.values()), total=total)





# --- the create form's choices -------------------------------------------------------------------------------------


def station_choices(actor: Any) -> QuerySet[Station]:
    """The stations the actor may survey (at most MAX_CHOICES)."""
    scope = actor_scope(actor)
    if scope.user_id is None:
        return Station.objects.none()
    ids = list(Station.objects.filter(stations_q(scope, manage=True)).order_by("street__code").values_list("pk", flat=True)[:MAX_CHOICES])
    return Station.objects.filter(pk__in=ids).select_related("street").order_by("street__code")


def project_choices(actor: Any) -> QuerySet[ServiceProject]:
    """The service projects the actor may survey (at most MAX_CHOICES)."""
    scope = actor_scope(actor)
    if scope.user_id is None:
        return ServiceProject.objects.none()
    ids = list(ServiceProject.objects.filter(projects_q(scope, manage=True)).order_by("-starts_on", "-id")
               .values_list("pk", flat=True)[:MAX_CHOICES])
    return ServiceProject.objects.filter(pk__in=ids).select_related("station").order_by("-starts_on", "-id")


def survey_years(today: dt.date | None = None) -> list[int]:
    """The years a list or the dashboard offers: from three years back to next year, latest first."""
    year = (today or timezone.localdate()).year
    return list(range(year + 1, year - 4, -1))
