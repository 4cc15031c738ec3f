"""The experts' pages: the home page lists their assignments with the review phase's deadline; one review shows the
proposal (blind if the round says so), the rubric with its levels, scores and the weighted total; after submitting,
the others' scores; stepping back and declaring a tie; and the refusals (not an expert, another's assignment, a
conflict, a score outside the rubric, review closed)."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.grants.models import Assignment, AssignmentStatus, Criterion, ReviewerTie
from shanlian.people import services as people_services
from shanlian.people.selectors import actor_scope

from .conftest import DAY
from .test_staff_pages import review_round

pytestmark = pytest.mark.django_db


def scores_post(r, *values) -> dict:
    ids = Criterion.objects.filter(round=r).order_by("n").values_list("id", flat=True)
    return {f"score_{cid}": str(v) for cid, v in zip(ids, values, strict=True)}


def mine(p, expert) -> Assignment:
    return Assignment.objects.get(proposal=p, reviewer=expert)


def test_the_expert_home_lists_assignments_with_their_deadline(world, client):
    r, (p1, p2) = review_round(world)
    expert = world.experts[0]
    client.force_login(expert)
    page = client.get(reverse("web:home"))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('data-testid="assignment"') == Assignment.objects.filter(reviewer=expert).count() == 2
    assert "社区项目01" in body and r.title in body
    assert reverse("grants:expert_review", args=[mine(p1, expert).pk]) in body
    closes = timezone.localtime(r.phases.get(kind="review").closes_at).strftime("%Y-%m-%d %H:%M")
    assert closes in body
    listed = client.get(reverse("grants:expert_reviews"))
    assert listed.status_code == 200 and listed.content.decode().count('data-testid="assignment"') == 2


def test_an_expert_without_assignments_is_told_so(world, client):
    client.force_login(world.experts[0])
    assert 'data-testid="no-assignments"' in client.get(reverse("web:home")).content.decode()


def test_an_expert_scores_with_the_rubric_and_then_sees_the_others(world, client):
    r, (p1, _p2) = review_round(world)
    e1, e2 = [a.reviewer for a in Assignment.objects.filter(proposal=p1).order_by("id")[:2]]
    a1, a2 = mine(p1, e1), mine(p1, e2)
    client.force_login(e2)
    client.post(reverse("grants:expert_review", args=[a2.pk]), {**scores_post(r, 4, 2), "comment": "需求一般"})
    client.force_login(e1)
    page = client.get(reverse("grants:expert_review", args=[a1.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="applicant"' in body and world.groups["长者互助队"].name in body
    assert "需求迫切" in body and 'data-testid="weighted-total"' in body and 'data-testid="other-review"' not in body
    page = client.post(reverse("grants:expert_review", args=[a1.pk]), {**scores_post(r, 8, 4), "comment": "很好"})
    assert page.status_code == 302
    a1.refresh_from_db()
    assert a1.status == AssignmentStatus.SUBMITTED and a1.comment == "很好"
    body = client.get(reverse("grants:expert_review", args=[a1.pk])).content.decode()
    assert 'data-testid="other-review"' in body and "需求一般" in body
    assert "80.0%" in body  # (2×8 + 1×4) / (2×10 + 1×5), the weighted total the board counts
    again = client.post(reverse("grants:expert_review", args=[a1.pk]), scores_post(r, 1, 1))
    assert again.status_code == 409 and 'data-error-code="review_submitted"' in again.content.decode()


def test_a_blind_review_hides_the_applicant(world, client):
    r, (p1, _p2) = review_round(world, blind_review=True)
    a = Assignment.objects.filter(proposal=p1).first()
    client.force_login(a.reviewer)
    body = client.get(reverse("grants:expert_review", args=[a.pk])).content.decode()
    assert 'data-testid="blind"' in body and world.groups["长者互助队"].name not in body
    assert 'data-testid="tie-form"' not in body


def test_a_score_outside_the_rubric_is_refused_and_nothing_is_saved(world, client):
    r, (p1, _p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).first()
    client.force_login(a.reviewer)
    url = reverse("grants:expert_review", args=[a.pk])
    page = client.post(url, scores_post(r, 11, 4))
    assert page.status_code == 400 and 'data-error-code="score_out_of_rubric"' in page.content.decode()
    page = client.post(url, scores_post(r, "abc", 4))
    assert page.status_code == 400
    page = client.post(url, {**scores_post(r, 8, 4), **dict.fromkeys(list(scores_post(r, 8, 4))[:1], "")})
    assert page.status_code == 400
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ASSIGNED and not a.scores.exists()


def test_others_and_non_experts_are_refused(world, as_staff_client):
    r, (p1, _p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).order_by("id").first()
    outsider = next(e for e in world.experts if not Assignment.objects.filter(proposal=p1, reviewer=e).exists())
    c = as_staff_client(outsider)
    assert c.get(reverse("grants:expert_review", args=[a.pk])).status_code == 404
    assert c.post(reverse("grants:expert_review", args=[a.pk]), scores_post(r, 5, 3)).status_code == 404
    assert c.post(reverse("grants:expert_recuse", args=[a.pk]), {"recuse-reason": "x"}).status_code == 404
    assert c.get(reverse("grants:expert_review", args=[10**9])).status_code == 404
    for name in ("station_worker", "donor", "nobody"):
        c = as_staff_client(world.city.users[name])
        assert c.get(reverse("grants:expert_review", args=[a.pk])).status_code == 403
        assert c.get(reverse("grants:expert_reviews")).status_code == 403
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ASSIGNED


@pytest.fixture
def as_staff_client(client):
    def _as(user):
        client.force_login(user)
        return client
    return _as


def test_an_expert_with_a_conflict_is_refused(world, client):
    """An expert who came to work for the applicant after being assigned cannot submit (the service's rule)."""
    r, (p1, _p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).first()
    su = get_user_model().objects.get(is_superuser=True)
    people_services.role_grant(actor=su, scope=actor_scope(su), user=a.reviewer, role=Role.ORG_MANAGER, target=p1.applicant)
    client.force_login(a.reviewer)
    page = client.post(reverse("grants:expert_review", args=[a.pk]), scores_post(r, 8, 4))
    assert page.status_code == 409 and 'data-error-code="reviewer_tied"' in page.content.decode()
    assert not a.scores.exists()


def test_an_expert_steps_back_with_a_reason(world, client):
    r, (p1, _p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).first()
    client.force_login(a.reviewer)
    url = reverse("grants:expert_recuse", args=[a.pk])
    page = client.post(url, {"recuse-reason": ""})
    assert page.status_code == 400 and 'data-error-code="required"' in page.content.decode()
    assert client.post(url, {"recuse-reason": "出差无法评审"}).status_code == 302
    a.refresh_from_db()
    assert a.status == AssignmentStatus.RECUSED and a.recusal_reason == "出差无法评审"
    page = client.post(reverse("grants:expert_review", args=[a.pk]), scores_post(r, 8, 4))
    assert page.status_code == 409 and 'data-error-code="review_recused"' in page.content.decode()


def test_an_expert_declares_a_tie_to_the_applicant(world, client):
    r, (p1, p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).first()
    client.force_login(a.reviewer)
    assert 'data-testid="tie-form"' in client.get(reverse("grants:expert_review", args=[a.pk])).content.decode()
    assert client.post(reverse("grants:expert_tie", args=[a.pk]), {"tie-note": "曾任该组织理事"}).status_code == 302
    assert ReviewerTie.objects.filter(round=r, reviewer=a.reviewer, organization=p1.applicant).exists()
    assert not Assignment.objects.filter(reviewer=a.reviewer, proposal__in=[p1, p2], status=AssignmentStatus.ASSIGNED).exists()


def test_scores_outside_the_review_phase_are_refused(world, client):
    r, (p1, _p2) = review_round(world)
    a = Assignment.objects.filter(proposal=p1).first()
    client.force_login(a.reviewer)
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        assert 'data-testid="review-closed"' in client.get(reverse("grants:expert_review", args=[a.pk])).content.decode()
        page = client.post(reverse("grants:expert_review", args=[a.pk]), scores_post(r, 8, 4))
        assert page.status_code == 409 and 'data-error-code="phase_closed"' in page.content.decode()

