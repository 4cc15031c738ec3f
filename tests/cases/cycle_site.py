"""The case cycle over the shared test city (conftest.build_site): 陈秀英 (an elder living alone at 北京街) gets a case
carried through the services to "in service": a Barthel baseline, a plan of two goals approved by the agency's manager,
a home visit 40 days ago (so a visit is due), and a referral consent naming the 基金会. Built once per module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from shanlian.cases import services as cs
from shanlian.cases import services_cycle as cy
from shanlian.cases import services_records as cr
from shanlian.cases.models import Instrument
from shanlian.cases.standard import standard_instruments

NOTE = "老人独居，膝痛加重，冰箱里只剩咸菜"


def barthel(instrument: Instrument, level: int) -> dict[str, str]:
    """Answers at one level per item (0 lowest option, 9 highest)."""
    return {item["key"]: item["options"][min(level, len(item["options"]) - 1)]["value"] for item in instrument.items}


@dataclass
class Cycle:
    barthel: Instrument
    gds: Instrument
    case: Any
    plan: Any
    visit: Any
    referral_consent: Any


def build_cycle(site: Any) -> Cycle:
    standard_instruments(Instrument)
    b, g = Instrument.objects.get(code="barthel"), Instrument.objects.get(code="gds15")
    worker, manager = site.users["station_worker"], site.users["agency_manager"]
    today = timezone.localdate()
    case = cy.case_open(actor=worker, beneficiary=site.elder, source="outreach", problem="独居，行动不便，情绪低落",
                        opened_on=today - dt.timedelta(days=90))
    cy.assessment_record(actor=worker, case=case, instrument=b, kind="baseline", answers=barthel(b, 1),
                         assessed_on=today - dt.timedelta(days=88))
    plan = cy.plan_write(actor=worker, case=case, starts_on=today - dt.timedelta(days=85), ends_on=today + dt.timedelta(days=200),
                         summary="每两周入户一次", home_visit_days=None,
                         goals=[cy.GoalIn("提高日常生活自理能力", "action", b, 70), cy.GoalIn("每周至少一次与邻里交往", "psychological")])
    plan = cy.plan_submit(actor=worker, plan=plan, version=plan.version)
    plan = cy.plan_approve(actor=manager, plan=plan, version=plan.version)
    visit = cr.record_add(actor=worker, case=case, kind="home_visit", care_kind="action", served_on=today - dt.timedelta(days=40),
                          minutes=60, notes=NOTE)
    consent = cs.consent_record(actor=worker, beneficiary=site.elder, purpose="referral", recipients=["organization"],
                                organizations=[site.city.orgs["基金会"]], given_on=today - dt.timedelta(days=10))
    case.refresh_from_db()
    return Cycle(barthel=b, gds=g, case=case, plan=plan, visit=visit, referral_consent=consent)


@pytest.fixture(scope="module")
def cycle(site, django_db_blocker):
    with django_db_blocker.unblock():
        return build_cycle(site)
