"""What the route walk asks about on the evaluation satisfaction pages: objects made through the services, and who may see them.

The 北京街 station's anonymous survey of its beneficiaries (set up by its social worker, answered once), and a service
project of the 石牌街 station led by 同心 with a survey of its own. The bindings are built when the walk first reads
them (test_route_walk imports this module before it defines `Binding`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shanlian.evaluation.services import satisfaction as ss
from shanlian.grants.services.projects import service_project_register
from tests.web.lazy import Lazy


def _bindings() -> dict[str, Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    bjj = staff("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker")
    return {
        "survey_id": Binding(lambda s, r: s.satisfaction.survey.pk, bjj, NO_ID,
                             "the 北京街 station's survey: its staff (worker, agency), its street, district and city"),
        "satisfaction_station_id": Binding(lambda s, r: s.satisfaction.survey.station_id, bjj, NO_ID,
                                           "the 北京街 station's results by year: the same readers"),
        "satisfaction_project_id": Binding(lambda s, r: s.satisfaction.project.pk, staff("city_admin", "other_worker", "tongxin"),
                                           NO_ID, "同心's project at the 石牌街 station (天河): its station's worker, the city, and "
                                           "同心's manager (`tongxin`, the grading part's walker, when it walks)"),
        "survey_token": Binding(lambda s, r: s.satisfaction.survey.token, None, "0" * 43,
                                "an anonymous survey's link: anyone holding it answers (public)"),
    }


# Parameter name → Binding, as in test_route_walk.BINDINGS (and by namespace, by route).
BINDINGS: Mapping[str, Any] = Lazy(_bindings)
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: dict[tuple[str, str], Any] = {}
# Walkers of its own (users it adds in `build`), beside the city's.
WALKERS: tuple[str, ...] = ()


@dataclass
class SatisfactionSite:
    survey: Any
    project: Any
    project_survey: Any


def build(city: Any, users: dict[str, Any]) -> Any:
    """The objects the bindings name (an object with attributes), made through the services; `users` may be added to
    (a walker of its own)."""
    today = timezone.localdate()
    survey = ss.survey_create(actor=users["station_worker"], title="北京街社工站服务对象满意度调查", audience="beneficiary",
                              anonymous=True, questions=ss.default_questions("beneficiary"), opens_on=today - dt.timedelta(days=7),
                              closes_on=today + dt.timedelta(days=23), station=city.stations["北京街"])
    ss.response_submit(survey=survey, answers=[5, 4, 5, 4, 5, 5], comment="社工很耐心", device="route-walk-phone-0001")
    project = service_project_register(
        actor=users["other_worker"], title="石牌长者关爱", area="elderly", lead=city.orgs["同心"], summary="独居长者探访与陪伴",
        beneficiaries="独居长者", beneficiary_count=30, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31),
        station=city.stations["石牌街"])
    project_survey = ss.survey_create(actor=users["other_worker"], title="长者关爱项目满意度", audience="beneficiary", anonymous=False,
                                      questions=["探访的及时性", "社工的态度", "总体满意度"], opens_on=today,
                                      closes_on=today + dt.timedelta(days=30), project=project)
    return SatisfactionSite(survey=survey, project=project, project_survey=project_survey)
