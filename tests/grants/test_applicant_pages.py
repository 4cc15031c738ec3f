"""The applicant's pages: a community group's manager drafts a proposal with budget lines and milestones as rows,
sees the service's errors next to the right field of the right row, saves, submits, mends a returned proposal,
withdraws it; another organization's proposals are not found, and outside the call for proposals nothing is written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import PhaseKind, Proposal, ProposalAttachment, ProposalRevision, ProposalStatus
from shanlian.people import services as people_services
from shanlian.people.selectors import actor_scope

from .test_proposals import ELDERS, YOUTH, proposal_args

pytestmark = pytest.mark.django_db


def text(resp) -> str:
    return resp.content.decode()


def error_codes(html: str) -> set[str]:
    return set(re.findall(r'data-error-code="([^"]+)"', html))


def rows_of(html: str, kind: str) -> list[str]:
    """The HTML of each row of a kind (line, milestone), in order."""
    return html.split(f'data-testid="{kind}-row"')[1:]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def r(world):
    return world.round(PhaseKind.PROPOSALS)


@pytest.fixture
def as_user(client):
    def _as(user):
        client.force_login(user)
        return client
    return _as


def form_data(world: Any, r: Any, **change: Any) -> dict[str, Any]:
    """The proposal of test_proposals.proposal_args as the page posts it: rows with indexed names."""
    args = proposal_args(world, r)
    data: dict[str, Any] = {k: str(args[k]) for k in ("title", "summary", "beneficiaries", "beneficiary_count", "outcomes")}
    data.update(starts_on=args["starts_on"].isoformat(), ends_on=args["ends_on"].isoformat(), co_funding="", co_funding_source="")
    for i, line in enumerate(args["lines"], start=1):
        for k in ("category", "item", "quantity", "unit", "unit_price"):
            data[f"line-{i}-{k}"] = line[k]
    data["line-4-category"] = "other"  # a spare row left empty: ignored
    for i, m in enumerate(args["milestones"], start=1):
        due = m["due_on"]
        data[f"milestone-{i}-title"] = m["title"]
        data[f"milestone-{i}-due_on"] = due if isinstance(due, str) else due.isoformat()
    data["action"] = "save"
    data.update(change)
    return data


# --- home --------------------------------------------------------------------------------------------------------

def test_home_lists_the_organization_s_proposals_and_the_open_rounds(world, r, as_user, django_assert_max_num_queries):
    p = gs.proposal_save(**proposal_args(world, r))
    gs.proposal_save(**proposal_args(world, r, YOUTH, title="青年陪伴长者"))
    c = as_user(world.managers[ELDERS])
    with django_assert_max_num_queries(16):
        resp = c.get(reverse("grants:applicant_home"))
    page = text(resp)
    assert resp.status_code == 200
    assert page.count('data-testid="proposal"') == 1 and "长者防跌倒入户改造" in page and "青年陪伴长者" not in page
    assert reverse("grants:proposal_new", args=[r.pk]) in page and reverse("grants:proposal", args=[p.pk]) in page


@pytest.mark.parametrize("name", ["donor", "volunteer", "expert", "station_worker", "nobody"])
def test_someone_who_manages_no_organization_is_refused(world, r, login, name):
    c = login(name)
    for url in (reverse("grants:applicant_home"), reverse("grants:proposal_new", args=[r.pk])):
        resp = c.get(url)
        assert resp.status_code == 403 and "not_applicant" in error_codes(text(resp)), url


def test_returned_screened_and_noted_proposals_say_so(world, r, as_user):
    p = gs.proposal_submit(actor=world.managers[ELDERS], proposal=gs.proposal_save(**proposal_args(world, r)))
    gs.proposal_return(actor=world.staff, proposal=p, note="请补充预算明细的报价依据")
    c = as_user(world.managers[ELDERS])
    assert "请补充预算明细的报价依据" in text(c.get(reverse("grants:applicant_home")))
    page = text(c.get(reverse("grants:proposal", args=[p.pk])))
    assert 'data-testid="note"' in page and 'data-testid="edit"' in page and 'data-testid="revision"' in page


# --- the form ----------------------------------------------------------------------------------------------------

def test_a_manager_drafts_a_proposal_through_the_form(world, r, as_user):
    c = as_user(world.managers[ELDERS])
    url = reverse("grants:proposal_new", args=[r.pk])
    page = c.get(url)
    assert page.status_code == 200 and 'name="line-1-item"' in text(page) and 'id="line-template"' in text(page)
    resp = c.post(url, form_data(world, r))
    p = Proposal.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("grants:proposal", args=[p.pk])
    assert (p.status, p.requested.amount, p.applicant) == (ProposalStatus.DRAFT, 12000, world.groups[ELDERS])
    assert [line.amount.amount for line in p.lines.all()] == [6000, 3600, 2400]
    assert [m.title for m in p.milestones.all()] == ["入户评估完成", "改造完成", "结项总结"]
    shown = text(c.get(reverse("grants:proposal", args=[p.pk])))
    assert "¥12,000.00" in shown and shown.count('data-testid="line"') == 3 and 'data-testid="submit"' in shown


def test_rows_left_with_gaps_are_closed_up(world, r, as_user):
    data = form_data(world, r)
    for k in ("category", "item", "quantity", "unit", "unit_price"):  # the second line typed as the seventh
        data[f"line-7-{k}"] = data.pop(f"line-2-{k}")
    resp = as_user(world.managers[ELDERS]).post(reverse("grants:proposal_new", args=[r.pk]), data)
    assert resp.status_code == 302
    items = [(line.n, line.item) for line in Proposal.objects.get().lines.all()]
    assert items == [(1, "不锈钢扶手"), (2, "防跌倒讲座"), (3, "社工入户评估")]


def test_errors_show_next_to_the_field_and_row_they_are_about(world, r, as_user):
    c = as_user(world.managers[ELDERS])
    url = reverse("grants:proposal_new", args=[r.pk])
    resp = c.post(url, form_data(world, r, **{"title": "", "line-2-unit_price": "3.005", "milestone-3-due_on": "2099-01-01",
                                              "beneficiary_count": "很多"}))
    assert resp.status_code == 400 and not Proposal.objects.exists()
    page = text(resp)
    lines, milestones = rows_of(page, "line"), rows_of(page, "milestone")
    assert "money_precision" in error_codes(lines[1]) and not error_codes(lines[0])
    assert "milestone_outside_period" in error_codes(milestones[2]) and not error_codes(milestones[0])
    assert 'value="3.005"' in lines[1]  # what was typed stays
    head = page.split('data-testid="lines"')[0]
    assert {"required", "invalid_number"} <= error_codes(head)


def test_a_line_not_exact_to_the_fen_and_a_request_out_of_range(world, r, as_user):
    c = as_user(world.managers[ELDERS])
    url = reverse("grants:proposal_new", args=[r.pk])
    resp = c.post(url, form_data(world, r, **{"line-1-quantity": "0.5", "line-1-unit_price": "0.01"}))
    assert resp.status_code == 400 and "line_not_exact" in error_codes(rows_of(text(resp), "line")[0])
    resp = c.post(url, form_data(world, r, **{"line-1-quantity": "400"}))  # ¥66,000: over the largest grant
    assert resp.status_code == 400 and "request_out_of_range" in error_codes(text(resp).split('data-testid="line-row"')[0])
    resp = c.post(url, {k: v for k, v in form_data(world, r).items() if not k.startswith("line-")})
    assert resp.status_code == 400 and "lines_required" in error_codes(text(resp))
    assert not Proposal.objects.exists()


def test_save_and_submit_in_one_go_then_no_more_editing(world, r, as_user):
    c = as_user(world.managers[ELDERS])
    resp = c.post(reverse("grants:proposal_new", args=[r.pk]), form_data(world, r, action="submit"))
    p = Proposal.objects.get()
    assert resp.status_code == 302 and p.status == ProposalStatus.SUBMITTED and ProposalRevision.objects.filter(proposal=p).count() == 1
    edit = c.get(reverse("grants:proposal_edit", args=[p.pk]))
    assert edit.status_code == 302  # only drafts and returned proposals are edited
    assert c.post(reverse("grants:proposal_edit", args=[p.pk]), form_data(world, r, title="改")).status_code == 302
    p.refresh_from_db()
    assert p.title == "长者防跌倒入户改造"


def test_editing_a_draft_and_submitting_it(world, r, as_user):
    p = gs.proposal_save(**proposal_args(world, r))
    c = as_user(world.managers[ELDERS])
    page = text(c.get(reverse("grants:proposal_edit", args=[p.pk])))
    assert 'value="不锈钢扶手"' in page and len(rows_of(page, "milestone")) == 6  # three, two spare and the template
    resp = c.post(reverse("grants:proposal_edit", args=[p.pk]), form_data(world, r, title="长者防跌倒改造（修订）",
                                                                          **{"line-1-quantity": "20"}))
    assert resp.status_code == 302
    p.refresh_from_db()
    assert p.title == "长者防跌倒改造（修订）" and p.requested.amount == 9000
    assert c.post(reverse("grants:proposal_submit", args=[p.pk])).status_code == 302
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED


def test_a_returned_proposal_is_mended_and_resubmitted_as_a_new_revision(world, r, as_user):
    p = gs.proposal_submit(actor=world.managers[ELDERS], proposal=gs.proposal_save(**proposal_args(world, r)))
    gs.proposal_return(actor=world.staff, proposal=p, note="预算偏高")
    c = as_user(world.managers[ELDERS])
    resp = c.post(reverse("grants:proposal_edit", args=[p.pk]), form_data(world, r, action="submit", **{"line-1-quantity": "30"}))
    assert resp.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.revision, p.requested.amount) == (ProposalStatus.SUBMITTED, 2, 10500)
    page = text(c.get(reverse("grants:proposal", args=[p.pk])))
    assert page.count('data-testid="revision"') == 2 and "预算偏高" in page


def test_a_manager_of_two_organizations_chooses_which_proposes(world, r, as_user):
    user = world.managers[ELDERS]
    root = get_user_model().objects.get(username="root")
    people_services.role_grant(actor=root, scope=actor_scope(root), user=user, role=Role.ORG_MANAGER, target=world.groups[YOUTH])
    user = get_user_model().objects.get(pk=user.pk)  # a fresh scope
    c = as_user(user)
    url = reverse("grants:proposal_new", args=[r.pk])
    assert 'name="applicant"' in text(c.get(url))
    assert c.post(url, form_data(world, r, applicant="")).status_code == 400
    assert c.post(url, form_data(world, r, applicant=str(world.city.orgs["启明"].pk))).status_code == 400  # not theirs
    assert c.post(url, form_data(world, r, applicant=str(world.groups[YOUTH].pk))).status_code == 302
    assert Proposal.objects.get().applicant == world.groups[YOUTH]


def test_attachments_follow_the_upload_rules(world, r, as_user):
    c = as_user(world.managers[ELDERS])
    url = reverse("grants:proposal_new", args=[r.pk])
    bad = c.post(url, {**form_data(world, r), "attachments": [SimpleUploadedFile("virus.exe", b"MZ")]})
    assert bad.status_code == 400 and "attachment_type" in error_codes(text(bad)) and not Proposal.objects.exists()
    ok = c.post(url, {**form_data(world, r), "attachments": [SimpleUploadedFile("预算说明.pdf", b"%PDF-1.4 test")]})
    assert ok.status_code == 302 and ProposalAttachment.objects.get().name == "预算说明.pdf"


def test_no_proposals_outside_the_call(world, as_user):
    r = world.round(PhaseKind.NEEDS)
    c = as_user(world.managers[ELDERS])
    resp = c.get(reverse("grants:proposal_new", args=[r.pk]))
    assert resp.status_code == 409 and "phase_closed" in error_codes(text(resp))
    assert c.post(reverse("grants:proposal_new", args=[r.pk]), form_data(world, r)).status_code == 409
    draft = world.round(PhaseKind.PROPOSALS, open=False, title="未开放")
    assert c.get(reverse("grants:proposal_new", args=[draft.pk])).status_code == 404
    assert not Proposal.objects.exists()


def test_a_draft_whose_call_closed_is_refused_on_save(world, r, as_user):
    import time_machine
    from django.utils import timezone

    from .conftest import DAY

    p = gs.proposal_save(**proposal_args(world, r))
    c = as_user(world.managers[ELDERS])
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        resp = c.post(reverse("grants:proposal_edit", args=[p.pk]), form_data(world, r, title="晚了"))
        assert resp.status_code == 409 and "phase_closed" in error_codes(text(resp))
        sub = c.post(reverse("grants:proposal_submit", args=[p.pk]))
        assert sub.status_code == 409 and "phase_closed" in error_codes(text(sub))
    p.refresh_from_db()
    assert p.status == ProposalStatus.DRAFT and p.title == "长者防跌倒入户改造"


# --- another organization's ----------------------------------------------------------------------------------------

def test_another_organization_s_proposal_is_not_found(world, r, as_user):
    p = gs.proposal_save(**proposal_args(world, r))
    c = as_user(world.managers[YOUTH])
    for name, method in (("proposal", "get"), ("proposal_edit", "get"), ("proposal_edit", "post"), ("proposal_submit", "post"),
                         ("proposal_withdraw", "post")):
        resp = getattr(c, method)(reverse(f"grants:{name}", args=[p.pk]), {"reason": "x"} if method == "post" else None)
        assert resp.status_code == 404, (name, method)
    p.refresh_from_db()
    assert p.status == ProposalStatus.DRAFT


# --- withdrawing ---------------------------------------------------------------------------------------------------

def test_withdrawing_with_a_reason(world, r, as_user):
    p = gs.proposal_submit(actor=world.managers[ELDERS], proposal=gs.proposal_save(**proposal_args(world, r)))
    c = as_user(world.managers[ELDERS])
    url = reverse("grants:proposal_withdraw", args=[p.pk])
    long = c.post(url, {"reason": "因" * 501})
    assert long.status_code == 400 and "too_long" in error_codes(text(long))
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED
    assert c.get(url).status_code == 405
    assert c.post(url, {"reason": "团队人手不足，下一轮再申报"}).status_code == 302
    p.refresh_from_db()
    assert p.status == ProposalStatus.WITHDRAWN
    page = text(c.get(reverse("grants:proposal", args=[p.pk])))
    assert 'data-testid="withdraw-form"' not in page and 'data-testid="edit"' not in page
    again = c.post(url, {"reason": ""})
    assert again.status_code in (302, 409)


