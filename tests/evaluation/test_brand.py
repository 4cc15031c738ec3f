"""Brand organization batches: eligibility (registered ≥ 5 years, a valid 4A or 5A, not abnormal, no penalty in 3
years) from the records, the pass mark, the naming after notice, and the public showcase built from records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.core.scoping import Role
from shanlian.evaluation import services as es
from shanlian.evaluation.models import AssessmentStatus
from shanlian.evaluation.services import assessments as sa
from shanlian.evaluation.services import decisions as sd
from shanlian.evaluation.services import reviews as sr
from shanlian.orgs.services import standing_record
from shanlian.people.selectors import actor_scope
from tests import factories as f

from .conftest import save
from .grading import Grading, evidence, marks, passed_inspection


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def b(city):
    admin = city.users["city_admin"]
    framework = es.framework_publish(actor=admin, framework=save(admin, city.city, kind="brand", bands=[], org_kind="",
                                                                 title="广州市品牌社会组织评价指标"))
    today = timezone.localdate()
    call = sa.call_create(actor=admin, region=city.city, kind="brand", year=2026, title="2026年第九批品牌社会组织评价",
                          batch=9, pass_mark="85", opens_on=today - dt.timedelta(days=3), closes_on=today + dt.timedelta(days=20),
                          review_until=today + dt.timedelta(days=40))
    org = city.orgs["启明"]  # 4A since 2022, registered 2015
    passed_inspection(admin, org)
    experts = [f.user_with_role(f"bx{n}", Role.EXPERT, None, name=name) for n, name in enumerate(["陈嘉敏", "何婉仪"])]
    return Grading(admin=admin, region=city.city, framework=framework, call=call, org=org,
                   manager=city.users["agency_manager"], experts=experts)


def _reviewed(b: Grading, share: str):
    a = sa.assessment_apply(actor=b.manager, call=b.call, organization=b.org)
    sa.self_rate(actor=b.manager, assessment=a, marks=marks(b, share))
    for leaf in b.leaves():
        if leaf.evidence_required:
            sa.evidence_add(actor=b.manager, assessment=a, indicator=leaf, upload=evidence())
    sa.assessment_submit(actor=b.manager, assessment=a)
    for r in sr.reviewers_assign(actor=b.admin, call=b.call, experts=b.experts):
        sr.evaluation_review_submit(actor=r.user, reviewer=r, marks=marks(b, share))
    a.refresh_from_db()
    return a


def test_only_a_graded_long_registered_organization_in_good_standing_may_apply(city, b):
    ungraded = city.orgs["同心"]  # no grade
    passed_inspection(b.admin, ungraded)
    manager = f.user_with_role("tx", Role.ORG_MANAGER, ungraded)
    with pytest.raises(Conflict) as refused:
        sa.assessment_apply(actor=manager, call=b.call, organization=ungraded)
    assert refused.value.code == "not_eligible"
    standing_record(actor=b.admin, scope=actor_scope(b.admin), organization=b.org, kind="penalty", on=dt.date(2024, 3, 1))
    with pytest.raises(Conflict) as refused:
        sa.assessment_apply(actor=b.manager, call=b.call, organization=b.org)
    assert "2024-03-01" in str(refused.value.message)


def test_named_only_at_the_pass_mark_and_after_the_notice(client, b):
    low = _reviewed(b, "0.7")  # 76.50 of 100
    with pytest.raises(ValidationFailed) as refused:
        sd.assessment_decide(actor=b.admin, assessment=low, named=True)
    assert refused.value.code == "below_pass_mark"
    decided = sd.assessment_decide(actor=b.admin, assessment=low, named=False)
    assert (decided.status, decided.named, decided.grade) == ("notice", False, "")


def test_a_named_organization_gets_its_certificate_and_showcase(client, b):
    a = sd.assessment_decide(actor=b.admin, assessment=_reviewed(b, "0.95"), named=True)
    assert a.named and a.total == Decimal("97.75")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        done = sd.assessment_award(actor=b.admin, assessment=a)
    b.org.refresh_from_db()
    assert done.status == AssessmentStatus.AWARDED and "-PP-" in done.certificate_no and b.org.grade == "4A"  # grade untouched
    page = client.get(reverse("evaluation_public:brands"))
    assert page.status_code == 200 and page.content.count(b'data-testid="brand-card"') == 1
    show = client.get(reverse("evaluation_public:brand", args=[b.org.pk]))
    assert show.status_code == 200 and b'data-testid="brand-figures"' in show.content and b.org.name.encode() in show.content
    assert client.get(reverse("evaluation_public:brand", args=[b.experts[0].pk + 999])).status_code == 404
    other = b.org.__class__.objects.exclude(pk=b.org.pk).first()
    assert client.get(reverse("evaluation_public:brand", args=[other.pk])).status_code == 404  # not named
