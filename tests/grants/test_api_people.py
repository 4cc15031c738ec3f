"""The people's API of micro-venture rounds (/api/grants): a resident's rounds, needs, support and ballot; an
applicant's proposals drafted, changed, submitted and withdrawn. Allowed and refused (anonymous 401, not a resident
403, outside the area 403, outside the phase 409, a second support 200 unchanged, a ballot over or under the limits or
over the budget 400, another organization's proposal 404), bodies bounded, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import Ballot, BallotChoice, Need, NeedSupport, PhaseKind, Proposal, ProposalStatus
from tests.app import App, app_of, code

from .. import factories as f
from .conftest import DAY
from .test_proposals import ELDERS, YOUTH, proposal_args
from .test_resident_pages import feasible

pytestmark = pytest.mark.django_db
G = "/grants"


class Api(App):
    def put(self, path: str, body: Any) -> Any:
        return self.client.generic("PUT", f"/api{path}", json.dumps(body), content_type="application/json", **self.headers)


def api_of(user) -> Api:
    app = app_of(user)
    out = Api()
    out.headers = app.headers
    return out


def fields(resp) -> set[str]:
    body = resp.json()
    return {c["code"] for errs in (body.get("fields") or {}).values() for c in errs} | {body["code"]}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def outsider(city):
    return f.user_with_role("outsider", Role.DONOR, None, person_in=city.communities["东兴"], name="东兴居民")


# --- residents ---------------------------------------------------------------------------------------------------

def test_my_rounds(world, django_assert_max_num_queries):
    r = world.round(PhaseKind.NEEDS)
    world.round(PhaseKind.VOTE, title="第二轮", budget="20000")
    world.round(PhaseKind.NEEDS, open=False, title="草稿")
    app = api_of(world.residents[0])
    with django_assert_max_num_queries(12):
        resp = app.get(f"{G}/me/rounds")
    assert resp.status_code == 200
    rows = resp.json()
    assert len(rows) == 2
    mine = next(x for x in rows if x["id"] == r.pk)
    assert mine["needs_open"] and not mine["vote_open"] and mine["phase"] == "needs" and mine["budget"] == "60000.00"
    assert len(mine["phases"]) == 9
    assert api_of(outsider(world.city)).get(f"{G}/me/rounds").json() == []
    refused = api_of(world.city.users["expert"]).get(f"{G}/me/rounds")
    assert refused.status_code == 403 and code(refused) == "not_a_resident"
    anon = Api().get(f"{G}/me/rounds")
    assert anon.status_code == 401


def test_naming_and_supporting_a_need(world):
    r = world.round(PhaseKind.NEEDS)
    app = api_of(world.residents[0])
    resp = app.post(f"{G}/rounds/{r.pk}/needs", {"text": "社区需要长者饭堂", "category": "elderly"})
    assert resp.status_code == 201, resp.content
    need = resp.json()
    assert need["community"]["name"] == "盐运西社区" and need["supporters"] == 0
    other = app.post(f"{G}/rounds/{r.pk}/needs", {"text": "四点半课堂", "category": "children",
                                                  "community": world.city.communities["都府"].pk})
    assert other.status_code == 201 and other.json()["community"]["name"] == "都府社区"
    far = app.post(f"{G}/rounds/{r.pk}/needs", {"text": "x", "category": "children", "community": world.city.communities["东兴"].pk})
    assert far.status_code == 400 and "community_not_in_area" in fields(far)
    bad = app.post(f"{G}/rounds/{r.pk}/needs", {"text": "x" * 501, "category": "elderly"})
    assert bad.status_code == 400 and code(bad) == "invalid_request"
    wrong = app.post(f"{G}/rounds/{r.pk}/needs", {"text": "x", "category": "nonsense"})
    assert wrong.status_code == 400 and "invalid_category" in fields(wrong)

    supporter = api_of(world.residents[1])
    url = f"{G}/rounds/{r.pk}/needs/{need['id']}/support"
    first = supporter.post(url)
    assert first.status_code == 200 and first.json()["supporters"] == 1 and first.json()["supported"]
    second = supporter.post(url)  # once: nothing changes
    assert second.status_code == 200 and second.json()["supporters"] == 1 and NeedSupport.objects.count() == 1
    assert supporter.post(f"{G}/rounds/{r.pk}/needs/2000000000/support").status_code == 404


def test_needs_refused_outside_the_area_the_phase_and_to_non_residents(world):
    r = world.round(PhaseKind.NEEDS)
    need = gs.need_submit(actor=world.residents[1], round=r, text="社区需要长者饭堂", category="elderly")
    out = api_of(outsider(world.city))
    resp = out.post(f"{G}/rounds/{r.pk}/needs", {"text": "x", "category": "elderly"})
    assert resp.status_code == 403 and code(resp) == "not_in_area"
    resp = out.post(f"{G}/rounds/{r.pk}/needs/{need.pk}/support")
    assert resp.status_code == 403 and code(resp) == "not_in_area"
    resp = api_of(world.city.users["donor"]).post(f"{G}/rounds/{r.pk}/needs", {"text": "x", "category": "elderly"})
    assert resp.status_code == 403 and code(resp) == "not_a_resident"
    app = api_of(world.residents[0])
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        late = app.post(f"{G}/rounds/{r.pk}/needs", {"text": "x", "category": "elderly"})
        assert late.status_code == 409 and code(late) == "phase_closed"
        late = app.post(f"{G}/rounds/{r.pk}/needs/{need.pk}/support")
        assert late.status_code == 409 and code(late) == "phase_closed"
    assert Need.objects.count() == 1 and NeedSupport.objects.count() == 0
    draft = world.round(PhaseKind.NEEDS, open=False, title="草稿")
    assert app.post(f"{G}/rounds/{draft.pk}/needs", {"text": "x", "category": "elderly"}).status_code == 404


@pytest.fixture
def vote_round(world):
    r = world.round(PhaseKind.VOTE, budget="40000", max_choices=3, knapsack=True)
    r.ps = [feasible(world, r, price) for price in ("20000", "15000", "12000", "8000")]
    return r


def test_casting_reading_and_changing_a_ballot(world, vote_round):
    app = api_of(world.residents[0])
    url = f"{G}/rounds/{vote_round.pk}/ballot"
    before = app.get(url)
    assert before.status_code == 200
    body = before.json()
    assert not body["voted"] and body["may_change"] and len(body["proposals"]) == 4 and body["knapsack"]
    assert body["proposals"][0]["cost"] == "20000.00"
    ids = [p.pk for p in vote_round.ps]
    cast = app.put(url, {"choices": [{"proposal_id": ids[0]}, {"proposal_id": ids[3]}]})
    assert cast.status_code == 200, cast.content
    assert cast.json()["voted"] and {c["proposal_id"] for c in cast.json()["choices"]} == {ids[0], ids[3]}
    again = app.put(url, {"choices": [{"proposal_id": ids[1]}]})
    assert again.status_code == 200 and [c["proposal_id"] for c in again.json()["choices"]] == [ids[1]]
    assert Ballot.objects.count() == 1
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        late = app.put(url, {"choices": [{"proposal_id": ids[2]}]})
        assert late.status_code == 409 and code(late) == "phase_closed"
        shown = app.get(url).json()
        assert shown["refusal"] == "phase_closed" and not shown["may_change"] and shown["voted"]


@pytest.mark.parametrize(("pick", "expected"), [
    ([0, 1, 2, 3], "ballot_too_many"),
    ([0, 1, 2], "ballot_over_budget"),
    ([], "ballot_too_few"),
    ([0, 0], "ballot_duplicate"),
])
def test_ballots_that_break_the_rules(world, vote_round, pick, expected):
    ids = [vote_round.ps[i].pk for i in pick]
    resp = api_of(world.residents[0]).put(f"{G}/rounds/{vote_round.pk}/ballot", {"choices": [{"proposal_id": i} for i in ids]})
    assert resp.status_code == 400 and expected in fields(resp)
    assert not Ballot.objects.exists()


def test_ballot_bounds_and_strangers(world, vote_round):
    app = api_of(world.residents[0])
    url = f"{G}/rounds/{vote_round.pk}/ballot"
    assert app.put(url, {"choices": [{"proposal_id": 1}] * 51}).status_code == 400  # over the schema's bound
    assert app.put(url, {"choices": [{"proposal_id": 0}]}).status_code == 400
    assert app.put(url, {"choices": "all"}).status_code == 400
    stranger = app.put(url, {"choices": [{"proposal_id": 2_000_000_000}]})
    assert stranger.status_code == 400 and "proposal_not_on_ballot" in fields(stranger)
    stranger_app = api_of(outsider(world.city))
    out = stranger_app.put(url, {"choices": [{"proposal_id": vote_round.ps[3].pk}]})
    assert out.status_code == 403 and code(out) == "not_in_area"
    assert stranger_app.get(url).status_code == 403
    nobody = api_of(world.city.users["expert"]).put(url, {"choices": [{"proposal_id": vote_round.ps[3].pk}]})
    assert nobody.status_code == 403 and code(nobody) == "not_a_resident"
    assert not Ballot.objects.exists()


def test_under_the_fewest_and_cumulative_points(world):
    r = world.round(PhaseKind.VOTE, min_choices=2, max_choices=3)
    ps = [feasible(world, r) for _ in range(3)]
    app = api_of(world.residents[0])
    few = app.put(f"{G}/rounds/{r.pk}/ballot", {"choices": [{"proposal_id": ps[0].pk}]})
    assert few.status_code == 400 and "ballot_too_few" in fields(few)
    c = world.round(PhaseKind.VOTE, ballot_kind="cumulative", points=10, max_choices=3, rule="combined", expert_weight="0.5",
                    title="累积投票轮", budget="30000")
    cs = [feasible(world, c) for _ in range(3)]
    url = f"{G}/rounds/{c.pk}/ballot"
    over = app.put(url, {"choices": [{"proposal_id": cs[0].pk, "points": 8}, {"proposal_id": cs[1].pk, "points": 5}]})
    assert over.status_code == 400 and "ballot_points" in fields(over)
    dup = app.put(url, {"choices": [{"proposal_id": cs[0].pk, "points": 2}, {"proposal_id": cs[0].pk, "points": 3}]})
    assert dup.status_code == 400 and "ballot_duplicate" in fields(dup)
    ok = app.put(url, {"choices": [{"proposal_id": cs[0].pk, "points": 7}, {"proposal_id": cs[2].pk, "points": 3}]})
    assert ok.status_code == 200
    assert dict(BallotChoice.objects.filter(ballot__round=c).values_list("proposal_id", "points")) == {cs[0].pk: 7, cs[2].pk: 3}


# --- applicants --------------------------------------------------------------------------------------------------

def body_of(world, r, **change) -> dict[str, Any]:
    args = proposal_args(world, r)
    body = {k: args[k] for k in ("title", "summary", "beneficiaries", "beneficiary_count", "outcomes")}
    body.update(starts_on=args["starts_on"].isoformat(), ends_on=args["ends_on"].isoformat(), lines=args["lines"],
                milestones=[{"title": m["title"], "due_on": m["due_on"] if isinstance(m["due_on"], str) else m["due_on"].isoformat()}
                            for m in args["milestones"]])
    body.update(change)
    return body


def test_an_applicant_drafts_changes_submits_and_lists_a_proposal(world):
    r = world.round(PhaseKind.PROPOSALS)
    need = Need.objects.create(round=r, text="长者防跌倒", category="elderly", community=world.city.communities["盐运西"],
                               source="resident", submitted_by=world.residents[0])
    app = api_of(world.managers[ELDERS])
    resp = app.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r, needs=[need.pk]))
    assert resp.status_code == 201, resp.content
    p = resp.json()
    assert (p["status"], p["requested"], p["number"], p["needs"]) == ("draft", "12000.00", 1, [need.pk])
    assert [line["amount"] for line in p["lines"]] == ["6000.00", "3600.00", "2400.00"]
    changed = app.put(f"{G}/proposals/{p['id']}", body_of(world, r, title="长者防跌倒改造（修订）"))
    assert changed.status_code == 200 and changed.json()["title"] == "长者防跌倒改造（修订）" and changed.json()["needs"] == []
    sub = app.post(f"{G}/proposals/{p['id']}/submit")
    assert sub.status_code == 200 and sub.json()["status"] == "submitted" and len(sub.json()["revisions"]) == 1
    assert app.post(f"{G}/proposals/{p['id']}/submit").status_code == 200  # again: quiet
    listed = app.get(f"{G}/me/proposals")
    assert listed.status_code == 200 and listed.json()["count"] == 1 and listed.json()["results"][0]["status"] == "submitted"
    assert api_of(world.managers[YOUTH]).get(f"{G}/me/proposals").json()["count"] == 0
    locked = app.put(f"{G}/proposals/{p['id']}", body_of(world, r))
    assert locked.status_code == 409 and code(locked) == "not_editable"


def test_proposal_errors_name_the_field_and_row(world):
    r = world.round(PhaseKind.PROPOSALS)
    app = api_of(world.managers[ELDERS])
    lines = [dict(line) for line in proposal_args(world, r)["lines"]]
    lines[1]["unit_price"] = "3.005"
    lines[2]["amount"] = "2500"
    resp = app.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r, lines=lines, title=""))
    assert resp.status_code == 400
    body = resp.json()["fields"]
    assert {"lines.2.unit_price", "lines.3.amount", "title"} <= set(body)
    assert body["lines.3.amount"][0]["code"] == "line_not_exact"
    too_many = app.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r, lines=lines * 11))
    assert too_many.status_code == 400 and code(too_many) == "invalid_request"
    big = app.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r, beneficiary_count=10**9))
    assert big.status_code == 400
    assert not Proposal.objects.exists()


def test_proposals_refused_outside_the_call_to_strangers_and_to_other_organizations(world):
    r = world.round(PhaseKind.PROPOSALS)
    app = api_of(world.managers[ELDERS])
    p = app.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r)).json()
    youth = api_of(world.managers[YOUTH])
    assert youth.put(f"{G}/proposals/{p['id']}", body_of(world, r)).status_code == 404
    assert youth.post(f"{G}/proposals/{p['id']}/submit").status_code == 404
    assert youth.post(f"{G}/proposals/{p['id']}/withdraw", {"reason": "x"}).status_code == 404
    theirs = youth.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r, applicant=world.groups[ELDERS].pk))
    assert theirs.status_code == 403 and code(theirs) == "not_applicant"
    resident = api_of(world.residents[0])
    assert code(resident.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r))) == "not_applicant"
    assert resident.get(f"{G}/me/proposals").status_code == 403
    needs = world.round(PhaseKind.NEEDS, title="需求轮", budget="20000")
    closed = app.post(f"{G}/rounds/{needs.pk}/proposals", body_of(world, needs))
    assert closed.status_code == 409 and code(closed) == "phase_closed"
    assert Proposal.objects.count() == 1 and Proposal.objects.get().status == ProposalStatus.DRAFT


def test_withdrawing_a_proposal(world):
    r = world.round(PhaseKind.PROPOSALS)
    app = api_of(world.managers[ELDERS])
    p = app.post(f"{G}/rounds/{r.pk}/proposals", body_of(world, r)).json()
    assert app.post(f"{G}/proposals/{p['id']}/withdraw", {"reason": "因" * 501}).status_code == 400
    done = app.post(f"{G}/proposals/{p['id']}/withdraw", {"reason": "团队人手不足"})
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    again = app.post(f"{G}/proposals/{p['id']}/submit")
    assert again.status_code == 409
