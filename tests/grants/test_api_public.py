"""The public API of rounds and service projects (/api/grants, no login): the same data as the public pages, the
results refused until the vote has closed, drafts and unknown ids not found, filters checked, bounded queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shanlian.grants.models import PhaseKind, ProposalStatus, Result

from . import test_public_pages as pages
from .test_public_pages import commissioned, proposal

# The pages' fixtures, shared: a round whose vote runs, the same allocated, a round project; the turnout cache emptied.
voting, allocated, round_project, fresh_cache = pages.voting, pages.allocated, pages.round_project, pages.fresh_cache

pytestmark = pytest.mark.django_db


def get(client, path: str, **query):
    return client.get("/api/grants" + path, query)


def test_the_rounds_are_listed_without_drafts_and_without_a_login(client, world):
    shown = world.round(PhaseKind.PROPOSALS, title="公开的一轮")
    world.round(PhaseKind.NEEDS, title="草稿轮次", open=False)
    answer = get(client, "/rounds")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 1 and body["results"][0]["id"] == shown.pk
    row = body["results"][0]
    assert row["budget"] == "60000.00" and row["current_phase"] == "proposals" and row["fund"]["code"] == "yx-bjj"
    assert get(client, "/rounds", page=5).status_code == 400


def test_a_draft_or_unknown_round_is_404(client, world):
    draft = world.round(PhaseKind.NEEDS, open=False)
    for path in (f"/rounds/{draft.pk}", f"/rounds/{draft.pk}/results", "/rounds/2000000000"):
        answer = get(client, path)
        assert answer.status_code == 404 and answer.json()["code"] == "round_not_found", path


def test_during_the_vote_the_turnout_is_live_and_the_results_refused(client, voting):
    r = voting.round
    Result.objects.create(round=r, proposal=voting.p[0], rank=1, votes=3, funded=True, amount="20000", fund=r.fund,
                          reason_code="greedy_funded", reason_params={"approvals": 3}, decided_at=timezone.now())
    body = get(client, f"/rounds/{r.pk}").json()
    assert body["turnout"]["live"] is True and body["turnout"]["ballots"] == 4 and body["turnout"]["eligible"] >= 6
    assert body["results"] is None and body["results_hidden"]["code"] == "results_hidden"
    titles = [p["title"] for p in body["proposals"]]
    assert "撤回的项目" not in titles and "不可行的项目" in titles
    infeasible = next(p for p in body["proposals"] if p["title"] == "不可行的项目")
    assert infeasible["feasibility"] == "infeasible" and infeasible["infeasible_reason"] == "服务对象不在本街道"
    assert infeasible["accepted_price"] is None
    assert body["proposals"][0]["accepted_price"] == "20000.00"
    assert [ph["state"] for ph in body["phases"] if ph["kind"] == "vote"] == ["current"]
    refused = get(client, f"/rounds/{r.pk}/results")
    assert refused.status_code == 409 and refused.json()["code"] == "results_hidden"


def test_after_the_vote_the_results_with_their_reasons(client, allocated, django_assert_max_num_queries):
    r = allocated.round
    answer = get(client, f"/rounds/{r.pk}/results")
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["rows"]) == 4 and [x["rank"] for x in body["rows"]] == [1, 2, 3, 4]
    assert all(x["reason"] for x in body["rows"])
    overridden = [x for x in body["rows"] if x["overridden"]]
    assert len(overridden) == 1 and overridden[0]["override_reason"] == "申请方未按时提交资质证明" and not overridden[0]["funded"]
    assert body["awarded"] == f"{sum(float(x['amount']) for x in body['rows']):.2f}"
    assert float(body["awarded"]) + float(body["left"]) == float(body["budget"]) == 40000
    with django_assert_max_num_queries(12):
        detail = get(client, f"/rounds/{r.pk}").json()
    assert detail["results"] == body and detail["results_hidden"] is None
    assert detail["turnout"]["live"] is False and detail["turnout"]["ballots"] == 4


def test_a_blind_round_does_not_name_its_applicants_during_the_review(client, world):
    r = world.round(PhaseKind.REVIEW, blind_review=True)
    proposal(world, r, "10000")
    body = get(client, f"/rounds/{r.pk}").json()
    assert body["applicants_hidden"] is True and body["proposals"][0]["applicant"] is None
    assert world.groups["长者互助队"].name not in str(body)


def test_the_projects_are_filtered_and_bad_filters_refused(client, world):
    commissioned(world, "长者饭堂", area="elderly", brand_stage="brand")
    commissioned(world, "四点半课堂", area="children")
    assert get(client, "/projects").json()["count"] == 2
    body = get(client, "/projects", area="elderly").json()
    assert [p["title"] for p in body["results"]] == ["长者饭堂"] and body["results"][0]["brand_stage"] == "brand"
    assert get(client, "/projects", brand_stage="brand", area="children").json()["count"] == 0
    refused = get(client, "/projects", area="nonsense")
    assert refused.status_code == 400 and refused.json()["fields"]["area"][0]["code"] == "invalid_choice"
    assert get(client, "/projects", origin="x" * 50).status_code == 400


def test_a_round_project_with_its_agreement_tranches_and_progress(client, round_project, django_assert_max_num_queries):
    rp = round_project
    with django_assert_max_num_queries(10):
        answer = get(client, f"/projects/{rp.project.pk}")
    assert answer.status_code == 200
    body = answer.json()
    a = body["agreement"]
    assert a["award"] == "18000.00" and a["paid"] == "7200.00" and a["spent"] is None
    assert [(t["amount"], t["paid"]) for t in a["tranches"]] == [("7200.00", True), ("7200.00", False), ("3600.00", False)]
    assert [m["done"] for m in a["milestones"]] == [True, False, False]
    assert a["milestones"][0]["evidence"][0]["person_times"] == 186
    assert [x["planned"] for x in a["lines"]] == ["12000.00", "6000.00"] and a["lines"][0]["actual"] is None
    assert [p["period_end"] for p in body["progress"]] == ["2026-05-31", "2026-04-30"]
    assert body["progress"][1]["photo_captions"] == ["入户评估现场"]
    assert body["person_times"] == 186 and body["sessions"] == 12
    text = str(body)
    assert "payee" not in text and "ICBC" not in text and "submitted_by" not in text and "互助队队长" not in text
    assert get(client, "/projects/2000000000").json()["code"] == "project_not_found"


def test_the_public_operations_need_no_login_in_the_schema(client):
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/grants/rounds", "/api/grants/rounds/{round_id}", "/api/grants/rounds/{round_id}/results",
                 "/api/grants/projects", "/api/grants/projects/{service_project_id}"):
        assert not schema["paths"][path]["get"].get("security"), path


def test_a_commissioned_project_has_no_agreement(client, world):
    sp = commissioned(world, "邻里议事会", area="governance")
    body = get(client, f"/projects/{sp.pk}").json()
    assert body["agreement"] is None and body["origin"] == "commissioned" and body["lead"]["name"]
    assert body["progress"] == [] and body["closing_report"] == ""


def test_proposals_in_draft_are_not_in_the_api(client, world):
    r = world.round(PhaseKind.PROPOSALS)
    proposal(world, r, "5000", status=ProposalStatus.DRAFT, title="草稿")
    proposal(world, r, "5000", status=ProposalStatus.SUBMITTED, title="已提交")
    body = get(client, f"/rounds/{r.pk}").json()
    assert [p["title"] for p in body["proposals"]] == ["已提交"] and body["proposals"][0]["feasibility"] == "pending"
