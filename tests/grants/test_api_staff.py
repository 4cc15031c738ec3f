"""The staff's and experts' API of a round: the board, screening, the rubric, assignment, paper ballots, turnout,
the allocation and overrides under /api/grants/manage/; the expert's reviews under /me/reviews and /reviews/{id}.
Each operation's happy path and its refusals with their codes (never a 500)."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.utils import timezone

from shanlian.core import crypto
from shanlian.grants.models import Assignment, AssignmentStatus, Criterion, PaperKeying, PhaseKind, Proposal, ProposalStatus, Result

from .conftest import DAY
from .test_staff_pages import RUBRIC, ballot, make_proposal, review_round

pytestmark = pytest.mark.django_db
API = "/api/grants"


@pytest.fixture
def api(client, world):
    """api("station_worker").post(path, body) → (status, json)."""

    class Caller:
        def __init__(self, user) -> None:
            client.force_login(world.city.users[user] if isinstance(user, str) else user)

        def get(self, path: str):
            r = client.get(API + path)
            return r.status_code, r.json()

        def post(self, path: str, body=None):
            r = client.post(API + path, data=json.dumps(body if body is not None else {}), content_type="application/json")
            return r.status_code, r.json()

    return Caller


def codes(body) -> set[str]:
    return {body.get("code"), *(e["code"] for errs in (body.get("fields") or {}).values() for e in errs)}


def test_staff_list_their_rounds_and_outsiders_are_refused(world, api):
    r = world.round(PhaseKind.NEEDS)
    status, body = api("station_worker").get("/manage/rounds")
    assert status == 200 and [x["id"] for x in body] == [r.pk] and body[0]["phase"] == "needs"
    assert body[0]["budget"] == "60000.00"
    status, body = api("other_worker").get("/manage/rounds")
    assert status == 200 and body == []
    status, body = api("expert").get("/manage/rounds")
    assert status == 403 and body["code"] == "not_round_staff"


def test_the_board_and_turnout(world, api):
    r, (p1, p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).first()
    ids = list(Criterion.objects.filter(round=r).order_by("n").values_list("id", flat=True))
    status, body = api(a.reviewer).post(f"/reviews/{a.pk}", {"scores": {str(ids[0]): 8, str(ids[1]): 4}})
    assert status == 200
    status, board = api("station_worker").get(f"/manage/rounds/{r.pk}/board")
    assert status == 200 and board[0]["proposal_id"] == p1.pk and board[0]["rank"] == 1
    assert board[0]["submitted"] == 1 and board[0]["reviews"][0]["share"] == "0.8000"
    assert board[1]["rank"] is None
    assert api("other_worker").get(f"/manage/rounds/{r.pk}/board")[0] == 404
    assert api("expert").get(f"/manage/rounds/{r.pk}/board")[0] == 403
    assert api("station_worker").get("/manage/rounds/999999999/board")[0] == 404
    status, seen = api("station_worker").get(f"/manage/rounds/{r.pk}/turnout")
    assert status == 200 and seen["ballots"] == 0 and seen["eligible"] >= 6


def test_screening_through_the_api(world, api):
    r = world.round(PhaseKind.SCREENING)
    p = make_proposal(world, r, 1, status=ProposalStatus.SUBMITTED)
    q = make_proposal(world, r, 2, status=ProposalStatus.SUBMITTED)
    status, body = api("station_worker").post(f"/manage/proposals/{p.pk}/screening", {"feasible": True, "accepted_price": "20000"})
    assert status == 400 and "price_over_request" in codes(body)
    status, body = api("station_worker").post(f"/manage/proposals/{p.pk}/screening", {"feasible": True, "accepted_price": "9500"})
    assert status == 200 and body["status"] == "feasible" and body["accepted_price"] == "9500.00"
    status, body = api("station_worker").post(f"/manage/proposals/{q.pk}/screening", {"feasible": False})
    assert status == 400 and "reason_required" in codes(body)
    status, body = api("station_worker").post(f"/manage/proposals/{q.pk}/screening", {"feasible": "perhaps"})
    assert status == 400
    status, body = api("station_worker").post(f"/manage/proposals/{q.pk}/return", {"note": "请补充"})
    assert status == 200 and body["status"] == "returned"
    assert api("other_worker").post(f"/manage/proposals/{q.pk}/return", {"note": "x"})[0] == 404
    assert api("station_worker").post(f"/manage/proposals/{q.pk}/screening", {"feasible": True, "note": "长" * 501})[0] == 400


def test_the_rubric_and_the_assignment(world, api):
    r = world.round(PhaseKind.SCREENING)
    status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/rubric", {"criteria": RUBRIC})
    assert status == 200 and [c["name"] for c in body] == ["需求与受益人", "预算合理性"]
    bad = [{**RUBRIC[0], "levels": [{"from": 0, "text": "弱"}, {"from": 11, "text": "强"}]}]
    status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/rubric", {"criteria": bad})
    assert status == 400 and "level_above_max" in codes(body)
    status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/rubric", {"criteria": [{**RUBRIC[0], "max_score": 101}]})
    assert status == 400
    make_proposal(world, r, 1)
    experts = [e.pk for e in world.experts]
    status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/assign", {"experts": experts})
    assert status == 409 and body["code"] == "screening_not_over"
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/assign", {"experts": experts[:2]})
        assert status == 400 and "not_enough_reviewers" in codes(body)
        status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/assign", {"experts": experts})
        assert status == 200 and len(body) == 3
        status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/assign", {"experts": [0]})
        assert status == 400
        status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/assign", {"experts": [world.city.users["donor"].pk] * 3})
        assert status == 400 and "not_an_expert" in codes(body)


def test_paper_ballots_through_the_api(world, api):
    r = world.round(PhaseKind.VOTE)
    p1, _p2 = make_proposal(world, r, 1), make_proposal(world, r, 2)
    voter = crypto.decrypt(world.residents[0].person.resident_id_enc)
    body = {"paper_number": "C-7", "voter": voter, "choices": [p1.pk]}
    status, out = api("station_worker").post(f"/manage/rounds/{r.pk}/paper-ballots", body)
    assert status == 201 and out["status"] == "pending"
    status, out = api("station_worker").post(f"/manage/rounds/{r.pk}/paper-ballots", body)
    assert status == 409 and out["code"] == "second_keying_same_person"
    status, out = api("finance").post(f"/manage/rounds/{r.pk}/paper-ballots", body)
    assert status == 201 and out["status"] == "counted" and out["ballot_id"]
    status, out = api("finance").post(f"/manage/rounds/{r.pk}/paper-ballots", {**body, "voter": "13800000000"})
    assert status == 400 and "voter_not_found" in codes(out)
    status, out = api("finance").post(f"/manage/rounds/{r.pk}/paper-ballots", {**body, "paper_number": "X" * 21})
    assert status == 400
    assert api("other_worker").post(f"/manage/rounds/{r.pk}/paper-ballots", body)[0] == 404
    status, seen = api("station_worker").get(f"/manage/rounds/{r.pk}/turnout")
    assert seen["paper"] == 1 and seen["ballots"] == 1
    assert PaperKeying.objects.filter(round=r).count() == 2


def test_allocation_and_override_through_the_api(world, api):
    r = world.round(PhaseKind.ALLOCATION, budget="20000")
    p1, p2, p3 = (make_proposal(world, r, i, requested="10000", price="10000") for i in (1, 2, 3))
    for chosen in ((p1, p2), (p1,), (p2, p3)):
        ballot(world, r, *chosen)
    status, body = api("station_worker").post(f"/manage/rounds/{r.pk}/allocate")
    assert status == 403 and body["code"] == "not_round_admin"
    status, body = api("finance").post(f"/manage/rounds/{r.pk}/allocate")
    assert status == 200 and [x["funded"] for x in body] == [True, True, False] and body[0]["reason"]
    loser = Result.objects.get(proposal=p3)
    status, body = api("finance").post(f"/manage/results/{loser.pk}/override", {"funded": True, "reason": ""})
    assert status == 400 and "required" in codes(body)
    status, body = api("finance").post(f"/manage/results/{loser.pk}/override", {"funded": True, "reason": "补录"})
    assert status == 409 and body["code"] == "allocation_over_budget"
    winner = Result.objects.get(proposal=p2)
    status, body = api("finance").post(f"/manage/results/{winner.pk}/override", {"funded": False, "reason": "申请方放弃"})
    assert status == 200 and body["overridden"] and not body["funded"] and body["amount"] == "0.00"
    assert api("other_worker").post(f"/manage/results/{winner.pk}/override", {"funded": True, "reason": "x"})[0] == 404
    assert Proposal.objects.get(pk=p2.pk).status == ProposalStatus.NOT_FUNDED


def test_allocation_outside_its_phase_is_refused(world, api):
    r = world.round(PhaseKind.REVIEW)
    make_proposal(world, r, 1)
    status, body = api("finance").post(f"/manage/rounds/{r.pk}/allocate")
    assert status == 409 and body["code"] == "phase_closed"
    assert not Result.objects.exists()


def test_the_expert_s_reviews_through_the_api(world, api):
    r, (p1, p2) = review_round(world, blind_review=True)
    expert = Assignment.objects.filter(proposal=p1).first().reviewer
    a = Assignment.objects.get(proposal=p1, reviewer=expert)
    status, body = api(expert).get("/me/reviews")
    assert status == 200 and a.pk in [x["assignment_id"] for x in body] and body[0]["due"]
    status, view = api(expert).get(f"/reviews/{a.pk}")
    assert status == 200 and view["blind"] and view["applicant"] is None and view["criteria"][0]["levels"][0]["text"] == "需求不清"
    ids = [str(c["id"]) for c in view["criteria"]]
    status, body = api(expert).post(f"/reviews/{a.pk}", {"scores": {ids[0]: 11, ids[1]: 4}})
    assert status == 400 and "score_out_of_rubric" in codes(body)
    status, body = api(expert).post(f"/reviews/{a.pk}", {"scores": {ids[0]: 8}})
    assert status == 400 and "scores_incomplete" in codes(body)
    status, body = api(expert).post(f"/reviews/{a.pk}", {"scores": {ids[0]: 101, ids[1]: 4}})
    assert status == 400
    status, body = api(expert).post(f"/reviews/{a.pk}", {"scores": {ids[0]: 8, ids[1]: 4}, "comment": "好"})
    assert status == 200 and body["status"] == "submitted" and body["own_share"] == "0.8000"
    other = next(e for e in world.experts if not Assignment.objects.filter(proposal=p1, reviewer=e).exists())
    assert api(other).get(f"/reviews/{a.pk}")[0] == 404
    assert api(other).post(f"/reviews/{a.pk}", {"scores": {ids[0]: 8, ids[1]: 4}})[0] == 404
    assert api("donor").get("/me/reviews")[0] == 403
    b = Assignment.objects.filter(proposal=p2, reviewer=expert, status=AssignmentStatus.ASSIGNED).first()
    if b is not None:
        status, body = api(expert).post(f"/reviews/{b.pk}/recuse", {"reason": "利益相关"})
        assert status == 200 and body["status"] == "recused"

