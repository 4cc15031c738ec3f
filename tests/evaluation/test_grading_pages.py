"""The grade-assessment pages and API, as each person uses them: the organization applies, marks and attaches
evidence and submits; the committee assigns experts; each expert marks; the committee decides; anyone objects on
the public notice; the grade is awarded with a certificate. And who may not see what."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.evaluation.models import Assessment, Objection, Rating, Reviewer
from shanlian.evaluation.services import decisions as sd
from tests import factories as f

from .grading import evidence, grading, marks, reviewed, submitted


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def g(city):
    return grading(city)


def as_post(m: dict) -> dict[str, str]:
    return {f"m_{k}": str(next(iter(v.values()))) for k, v in m.items()}


def test_an_organization_applies_marks_attaches_and_submits_on_its_pages(client, g):
    client.force_login(g.manager)
    page = client.get(reverse("evaluation:calls"))
    assert page.status_code == 200 and b'data-testid="open-calls"' in page.content
    r = client.post(reverse("evaluation:call_apply", args=[g.call.pk]), {"apply-organization": g.org.pk})
    a = Assessment.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("evaluation:assessment", args=[a.pk])
    bad = {**as_post(marks(g)), f"m_{g.leaves()[1].pk}": "999"}
    r = client.post(reverse("evaluation:assessment_self", args=[a.pk]), bad)
    assert r.status_code == 400 and b'data-error-code="points_out_of_scale"' in r.content and not Rating.objects.exists()
    assert b'value="999"' in r.content  # what was typed stays
    r = client.post(reverse("evaluation:assessment_self", args=[a.pk]), as_post(marks(g)))
    assert r.status_code == 302 and Rating.objects.count() == len(g.leaves())
    r = client.post(reverse("evaluation:assessment_submit", args=[a.pk]), follow=True)
    assert b'evidence_missing' in r.content
    leaf = next(x for x in g.leaves() if x.evidence_required)
    client.post(reverse("evaluation:assessment_evidence", args=[a.pk]), {"indicator": leaf.pk, "file": evidence()})
    client.post(reverse("evaluation:assessment_submit", args=[a.pk]))
    a.refresh_from_db()
    assert a.status == "submitted" and str(a.self_total) == "97.75"
    page = client.get(reverse("evaluation:assessment", args=[a.pk]))
    assert b'data-testid="mark"' not in page.content  # submitted: no more inputs
    e = a.evidence.get()
    assert client.get(reverse("evaluation:evidence_file", args=[e.pk])).status_code == 200


def test_the_committee_assigns_experts_who_mark_on_their_pages_and_decides(client, g):
    a = submitted(g)
    client.force_login(g.admin)
    r = client.post(reverse("evaluation:call_assign", args=[g.call.pk]), {"assign-experts": [e.pk for e in g.experts]})
    assert r.status_code == 302 and Reviewer.objects.count() == 2
    for reviewer in Reviewer.objects.select_related("user"):
        client.force_login(reviewer.user)
        page = client.get(reverse("evaluation:assessment", args=[a.pk]))
        assert page.status_code == 200 and page.content.count(b'data-testid="mark"') == len(g.leaves())
        assert b'data-testid="rater-mark"' not in page.content  # never another expert's marks
        r = client.post(reverse("evaluation:assessment_review", args=[a.pk]), {**as_post(marks(g, "0.5")), "review-comment": "材料齐全"})
        assert r.status_code == 302
    client.force_login(g.admin)
    page = client.get(reverse("evaluation:assessment", args=[a.pk]))
    assert page.content.count(b'data-testid="rater-mark"') == 2 * len(g.leaves()) and b"59.50" in page.content
    r = client.post(reverse("evaluation:assessment_decide", args=[a.pk]), {"decide-grade": "2A", "decide-note": ""})
    assert r.status_code == 400 and b"grade_above_score" in r.content
    r = client.post(reverse("evaluation:assessment_decide", args=[a.pk]), {"decide-grade": "1A", "decide-note": ""})
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.grade) == ("notice", "1A")


def test_the_public_objects_on_the_notice_and_the_grade_reaches_the_organization_s_page(client, city, g):
    a = sd.assessment_decide(actor=g.admin, assessment=reviewed(g, "0.5"), grade="1A")
    notices = client.get(reverse("evaluation_public:notices"))
    assert notices.status_code == 200 and g.org.name.encode() in notices.content
    r = client.post(reverse("evaluation_public:notice", args=[a.pk]),
                    {"objection-name": "李先生", "objection-contact": "123", "objection-text": "有异议"})
    assert r.status_code == 400 and not Objection.objects.exists()
    r = client.post(reverse("evaluation_public:notice", args=[a.pk]),
                    {"objection-name": "李先生", "objection-contact": "13800138000", "objection-text": "服务记录不实"})
    assert r.status_code == 302 and Objection.objects.count() == 1
    client.force_login(g.admin)
    o = Objection.objects.get()
    client.post(reverse("evaluation:objection_answer", args=[o.pk]), {"answer-answer": "经核查，记录属实。", "answer-upheld": "no"})
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        client.post(reverse("evaluation:assessment_award", args=[a.pk]))
        client.logout()
        org_page = client.get(reverse("evaluation_public:organization", args=[g.org.pk]))
    a.refresh_from_db()
    assert a.status == "awarded" and a.certificate_no
    assert b'data-testid="grade">1A' in org_page.content and a.certificate_no.encode() in org_page.content
    check = client.get(reverse("evaluation_public:certificate", args=[a.certificate_no]))
    assert check.status_code == 200 and b'data-testid="certificate-grade">1A' in check.content
    pdf = client.get(reverse("evaluation_public:certificate_download", args=[a.certificate_no]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("evaluation_public:certificate", args=["440100-2026-1A-9999"])).status_code == 404


def test_who_may_open_an_assessment(client, city, g):
    a = submitted(g)
    other = f.user_with_role("other_org", Role.ORG_MANAGER, city.orgs["基金会"])
    for user in (other, city.users["agency_manager"], city.users["expert"], city.users["street_officer"], city.users["volunteer"]):
        client.force_login(user)
        assert client.get(reverse("evaluation:assessment", args=[a.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("evaluation_public:notice", args=[a.pk])).status_code == 404  # not on notice
    client.force_login(city.users["district_admin"])  # 越秀: 同心 is 天河's, and the call is the city's
    assert client.get(reverse("evaluation:assessment", args=[a.pk])).status_code == 404


def test_the_call_board_costs_the_same_however_many_assessments(client, city, g, django_assert_max_num_queries):
    submitted(g)
    client.force_login(g.admin)
    with django_assert_max_num_queries(40):
        r = client.get(reverse("evaluation:call", args=[g.call.pk]))
    assert r.status_code == 200 and r.content.count(b'data-testid="board-row"') == 1


def test_the_api_runs_the_same_flow_under_the_same_scopes(client, city, g):
    client.force_login(g.manager)
    r = client.post(f"/api/evaluation/calls/{g.call.pk}/apply", {"organization_id": g.org.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    r = client.put(f"/api/evaluation/assessments/{aid}/marks", {"marks": {g.leaves()[1].pk: {"points": "99"}}},
                   content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "points_out_of_scale"
    body = {"marks": dict(marks(g))}
    r = client.put(f"/api/evaluation/assessments/{aid}/marks", body, content_type="application/json")
    assert r.status_code == 200 and r.json()["self_total"] == "97.75"
    client.force_login(city.users["expert"])
    assert client.get(f"/api/evaluation/assessments/{aid}").status_code == 404
    client.logout()
    assert client.get("/api/evaluation/notices").status_code == 200
    assert client.get(f"/api/evaluation/assessments/{aid}").status_code == 401


def test_the_expert_pool_pages(client, city):
    expert = city.users["expert"]
    client.force_login(expert)
    r = client.post(reverse("people:expert_me"), {"form": "profile", "profile-expertise": ["finance", "law"],
                                                   "profile-title": "注册会计师", "profile-max_load": "8"})
    assert r.status_code == 302
    r = client.post(reverse("people:expert_me"), {"form": "profile", "profile-expertise": []})
    assert r.status_code == 400
    r = client.post(reverse("people:expert_me"), {"form": "tie", "tie-organization": city.orgs["同心"].pk, "tie-kind": "board",
                                                   "tie-note": "理事"})
    assert r.status_code == 302 and expert.expert_ties.count() == 1
    assert client.get(reverse("people:expert_pool")).status_code == 403
    client.force_login(city.users["city_admin"])
    page = client.get(reverse("people:expert_pool"))
    assert page.status_code == 200 and page.content.count(b'data-testid="expert-row"') == 1
    assert client.get(reverse("people:expert", args=[expert.pk])).status_code == 200
    client.force_login(city.users["station_worker"])
    assert client.get(reverse("people:expert", args=[expert.pk])).status_code == 404


def test_the_dashboard_counts_valid_grades_by_district_and_assessments_by_year(client, city, g, django_assert_max_num_queries):
    sd.assessment_decide(actor=g.admin, assessment=reviewed(g, "0.5"), grade="1A")
    client.force_login(g.admin)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("evaluation:dashboard"))
    assert page.status_code == 200
    d = page.context["d"]
    assert d.total.organizations == 4 and d.total.by_grade == {"4A": 1}  # 启明's 4A (2022-2027)
    assert [(r.division.name, r.organizations, r.graded) for r in d.rows if r.division] == [("越秀区", 2, 1), ("天河区", 1, 0)]
    assert [(y.year, y.applied, y.graded) for y in d.years] == [(2026, 1, 0)]
    own = f"{d.region.name}本级登记"  # organizations registered with the city itself, named after the region shown
    assert [str(d.row_label(r)) for r in d.rows if r.division is None] == [own] and own in page.content.decode()
    district = client.get(reverse("evaluation:dashboard"), {"region": city.districts["越秀"].pk})
    assert district.status_code == 200 and district.context["d"].total.organizations == 2
    client.force_login(city.users["district_admin"])  # 越秀 only
    assert client.get(reverse("evaluation:dashboard"), {"region": city.districts["天河"].pk}).status_code == 404
    assert client.get(reverse("evaluation:dashboard")).context["d"].region == city.districts["越秀"]
    for name in ("street_officer", "agency_manager", "expert"):
        client.force_login(city.users[name])
        assert client.get(reverse("evaluation:dashboard")).status_code == 404


def test_the_evaluation_home_lists_what_each_may_open(client, city):
    from shanlian.evaluation.models import Reminder

    Reminder.objects.create(user=city.users["agency_manager"], key="grade:x", text="启明的4A等级将于2027-05-01到期")
    for name, sees in (("city_admin", 4), ("agency_manager", 1), ("expert", 1)):
        client.force_login(city.users[name])
        page = client.get(reverse("evaluation:home"))
        assert page.status_code == 200 and page.content.count(b'data-testid="section"') >= sees
    client.force_login(city.users["agency_manager"])
    assert b"2027-05-01" in client.get(reverse("evaluation:home")).content
    client.force_login(city.users["volunteer"])
    assert client.get(reverse("evaluation:home")).status_code == 403


def test_a_certificate_or_survey_link_with_a_control_character_is_not_found(client, db):
    assert client.get("/api/evaluation/certificates/%00ZY2026").status_code == 404
    assert client.get("/public/evaluation/certificates/%00ZY2026/").status_code == 404
    assert client.get("/api/evaluation/satisfaction/answer/%00family_link").status_code == 404
