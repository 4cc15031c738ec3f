"""What the route walk asks about on the beneficiaries' pages and API: objects made through the services, and who may
see them.

陈秀英 of 盐运西 becomes a beneficiary of the 北京街 station (an elder living alone on the minimum allowance), with a
consent to services and an open access request. Her station's worker and the agency's manager see values; the street,
district and city officers see masked values; nobody else sees her at all. The bindings are built when the walk first
reads them (test_route_walk imports this module before it defines `Binding`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shanlian.cases import services as cs
from shanlian.cases.models import Category, ConsentText
from shanlian.cases.standard import standard_data
from tests.web.lazy import Lazy


def _bindings() -> dict[str, Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    bjj = staff("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker")
    return {
        "beneficiary_id": Binding(lambda s, r: s.cases.elder.pk, bjj, NO_ID,
                                  "a 北京街 beneficiary: its station's worker and agency (values); its street, district and city "
                                  "(masked)"),
        "consent_id": Binding(lambda s, r: s.cases.consent.pk, bjj, NO_ID, "her consent: whoever sees her record"),
        "data_request_id": Binding(lambda s, r: s.cases.request.pk, bjj, NO_ID, "her access request: whoever sees her record"),
        "case_id": Binding(lambda s, r: s.cases.case.pk, bjj, NO_ID, "her case: the case team (values) and the officers (masked)"),
        "case_plan_id": Binding(lambda s, r: s.cases.plan.pk, bjj, NO_ID, "her submitted plan: as her case"),
        "service_record_id": Binding(lambda s, r: s.cases.record.pk, bjj, NO_ID, "a home visit of her case: as her case"),
        "referral_id": Binding(lambda s, r: s.cases.referral.pk, bjj, NO_ID, "her referral to the foundation: as her case"),
    }


BINDINGS: Mapping[str, Any] = Lazy(_bindings)
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: dict[tuple[str, str], Any] = {}
WALKERS: tuple[str, ...] = ()


@dataclass
class CasesSite:
    elder: Any
    consent: Any
    request: Any
    case: Any = None
    plan: Any = None
    record: Any = None
    referral: Any = None


def build(city: Any, users: dict[str, Any]) -> Any:
    worker = users["station_worker"]
    standard_data(Category, ConsentText)  # migration 0002's rows, in case a transactional test emptied the tables before
    cats = {c.code: c for c in Category.objects.filter(code__in=["elderly_alone", "dibao"])}
    elder = cs.beneficiary_register(actor=worker, person=city.people["陈秀英"], station=city.stations["北京街"],
                                    categories=list(cats.values()), living_situation="alone", address="盐运西街12号302",
                                    health="高血压")
    cs.allowance_add(actor=worker, beneficiary=elder, kind="dibao", monthly_amount="1120.00", starts_on=dt.date(2025, 1, 1))
    consent = cs.consent_record(actor=worker, beneficiary=elder, purpose="service", recipients=["station", "agency"],
                                given_on=timezone.localdate() - dt.timedelta(days=30))
    request = cs.data_request_record(actor=worker, beneficiary=elder, kind="access", received_on=timezone.localdate())
    site = CasesSite(elder=elder, consent=consent, request=request)
    _cycle(site, city, worker)
    return site


def _cycle(site: CasesSite, city: Any, worker: Any) -> None:
    """Her case, assessed, with a plan waiting for the agency's manager, a home visit and a referral under consent."""
    from shanlian.cases import services_cycle as cy
    from shanlian.cases import services_records as cr
    from shanlian.cases.models import Instrument
    from shanlian.cases.standard import standard_instruments

    standard_instruments(Instrument)
    barthel = Instrument.objects.get(code="barthel")
    today = timezone.localdate()
    site.case = cy.case_open(actor=worker, beneficiary=site.elder, source="outreach", problem="独居，行动不便",
                             opened_on=today - dt.timedelta(days=20))
    cy.assessment_record(actor=worker, case=site.case, instrument=barthel, kind="baseline",
                         answers={i["key"]: i["options"][1]["value"] for i in barthel.items})
    plan = cy.plan_write(actor=worker, case=site.case, starts_on=today, ends_on=today + dt.timedelta(days=90),
                         goals=[cy.GoalIn("提高自理能力", "action", barthel, 70)])
    site.plan = cy.plan_submit(actor=worker, plan=plan, version=plan.version)
    site.record = cr.record_add(actor=worker, case=site.case, kind="home_visit", care_kind="action",
                                served_on=today - dt.timedelta(days=3), minutes=40, notes="入户探访")
    org = city.orgs["基金会"]
    cs.consent_record(actor=worker, beneficiary=site.elder, purpose="referral", recipients=["organization"], organizations=[org],
                      given_on=today - dt.timedelta(days=5))
    site.referral = cr.referral_send(actor=worker, case=site.case, organization=org, reason="助餐补贴")
