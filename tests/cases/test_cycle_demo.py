"""The demo's case cycle (demo/cases_cycle.py) over the test city, run twice: a case at every stage, a closed case with
its review, a referral; the second run writes nothing. A module of its own, so no other test's case is in the way."""

from __future__ import annotations

from shanlian.cases.models import Case, Referral


def test_the_demo_case_cycle_twice(site, db):
    from shanlian.demo.cases import seed_cases
    from shanlian.demo.cases_cycle import seed_case_cycle

    seed_cases()
    assert not seed_case_cycle()  # the second run writes nothing
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"intake", "assessed", "plan_submitted", "in_service", "closed"} <= statuses  # reviewing: at 石牌街道, with its demo worker
    closed = Case.objects.filter(status="closed").first()
    assert closed.reviews.exists() and closed.assessments.filter(kind="review").exists()
    assert Referral.objects.exists()
