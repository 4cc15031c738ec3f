"""Disclosure reports made automatically: a fundraising campaign or a project that runs longer than
CHARITY_LONG_ACTIVITY_MONTHS (6) months is disclosed for every calendar quarter of its run once the
quarter is over, and fully in a final report once it has ended (the rule asks for it within 3 months
of the end; the job makes it on its first run after the end).

"Longer than 6 months": the end is after the start plus 6 calendar months (Jan 1 → Jul 1); a
project's `ends_on` is its last day, so a project from Jan 1 to Jun 30 runs exactly 6 months and gets
no reports, one to Jul 1 does. A quarterly report covers the part of the quarter inside the run.

The content is frozen as JSON when the report is made (the public sees what was filed) and carries the
fields the national charity information platform (慈善中国) asks for: for a fundraising activity its
plan and results (title, record number, organizer, period, goal, raised, matched, spent, balance), for
a project its budget, income, spending by budget line, beneficiaries (when known) and leftover.
Running the job again makes nothing new (one report per subject, kind and period: a unique constraint).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from shanlian.core.conf import domain_setting
from shanlian.core.money import Money, fen_sum
from shanlian.ledger.models import Posting

from .models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    DisclosureReport,
    Donation,
    DonationStatus,
    Payout,
    PayoutLine,
    PayoutStatus,
    Project,
)
from .selectors.disclosure import _leftovers

SCHEMA = "shanlian.disclosure/1"
Kind = DisclosureReport.Kind


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def runs_longer_than(start: dt.date, end_exclusive: dt.date, months: int) -> bool:
    return end_exclusive > add_months(start, months)


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    return start, add_months(start, 3) - dt.timedelta(days=1)


def completed_quarters(start: dt.date, end: dt.date, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The parts of calendar quarters inside [start, end] whose quarter is over by `today`."""
    out = []
    q_start, q_end = quarter_of(start)
    while q_start <= end and q_end < today:
        out.append((max(q_start, start), min(q_end, end)))
        q_start = q_end + dt.timedelta(days=1)
        q_end = add_months(q_start, 3) - dt.timedelta(days=1)
    return out


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def _between(field: str, start: dt.date | None, end: dt.date) -> Q:
    q = Q(**{f"{field}__lt": _aware(end + dt.timedelta(days=1))})
    if start is not None:
        q &= Q(**{f"{field}__gte": _aware(start)})
    return q


def _yuan(fen: int) -> str:
    return str(Money.from_fen(fen).amount)


def _gifts(donations: Any, start: dt.date, end: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The gifts and their matches (not refunded) in the period and up to its end, in one query: a gift has at most
    one match, so the join adds no rows."""
    period, to_date = _between("received_at", start, end), _between("received_at", None, end)
    live = Q(match__refunded=False)
    sums = donations.aggregate(
        gifts=fen_sum("amount", filter=period), matched=fen_sum("match__amount", filter=period & live),
        count=Count("id", filter=period), gifts_to_date=fen_sum("amount", filter=to_date),
        matched_to_date=fen_sum("match__amount", filter=to_date & live), count_to_date=Count("id", filter=to_date))

    def figures(suffix: str) -> dict[str, Any]:
        gifts_fen, match_fen = int(sums["gifts" + suffix] or 0), int(sums["matched" + suffix] or 0)
        return {"fen": gifts_fen + match_fen, "gifts": _yuan(gifts_fen), "matched": _yuan(match_fen),
                "total": _yuan(gifts_fen + match_fen), "count": sums["count" + suffix]}

    return figures(""), figures("_to_date")


def _paid(payouts: Any, start: dt.date, end: dt.date) -> tuple[list[Payout], int, int]:
    """(the payouts paid in the period in the order paid, their total in fen, the total paid up to the period's end)."""
    upto = list(payouts.filter(_between("paid_at", None, end)).order_by("paid_at", "id"))
    since = _aware(start)
    in_period = [p for p in upto if p.paid_at is not None and p.paid_at >= since]
    return in_period, sum(p.amount.fen for p in in_period), sum(p.amount.fen for p in upto)


def campaign_content(campaign: Campaign, kind: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    donations = Donation.objects.filter(campaign=campaign, status=DonationStatus.CONFIRMED)
    period, to_date = _gifts(donations, start, end)
    targets = list(CampaignTarget.objects.filter(campaign=campaign).select_related("fund", "project").order_by("id"))
    # Spending attributed to a campaign: paid payouts of the projects it raised for by name.
    projects = [t.project_id for t in targets if t.project_id]
    paid = Payout.objects.filter(project_id__in=projects, status=PayoutStatus.PAID)
    paid_sums = paid.aggregate(spent=fen_sum("amount", filter=_between("paid_at", start, end)),
                               spent_to_date=fen_sum("amount", filter=_between("paid_at", None, end)))
    spent, spent_to_date = int(paid_sums["spent"] or 0), int(paid_sums["spent_to_date"] or 0)
    # Raised to date for each target (fund, project), matches included: one grouped query.
    raised: dict[tuple[int, int | None], int] = {(r["fund_id"], r["project_id"]): int(r["gifts"] or 0) + int(r["matched"] or 0)
              for r in donations.filter(_between("received_at", None, end)).values("fund_id", "project_id").order_by()
              .annotate(gifts=fen_sum("amount"), matched=fen_sum("match__amount", filter=Q(match__refunded=False)))}
    per_target = []
    for t in targets:
        fen = raised.get((t.fund_id, t.project_id), 0)
        per_target.append({"fund": t.fund.name, "fund_code": t.fund.code, "project": t.project.title if t.project else None,
                           "raised_to_date": _yuan(fen)})
    return {
        "schema": SCHEMA, "subject": "campaign", "kind": kind, "title": campaign.title, "code": campaign.slug,
        "record_number": campaign.record_number, "organizer": campaign.organizer.name,
        "organizer_credit_code": campaign.organizer.credit_code,
        "activity_period": {"start": timezone.localtime(campaign.starts_at).isoformat(),
                            "end": timezone.localtime(campaign.ends_at).isoformat()},
        "report_period": {"start": start.isoformat(), "end": end.isoformat()},
        "plan": {"goal": str(campaign.goal.amount), "purpose": campaign.description, "targets": per_target},
        "results": {
            "raised": period["total"], "gifts": period["gifts"], "matched": period["matched"], "gift_count": period["count"],
            "raised_to_date": to_date["total"], "matched_to_date": to_date["matched"], "gift_count_to_date": to_date["count"],
            "spent": _yuan(spent), "spent_to_date": _yuan(spent_to_date),
            "balance": _yuan(max(to_date["fen"] - spent_to_date, 0)),
        },
        "made_at": timezone.localtime().isoformat(),
    }


def project_content(project: Project, kind: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    donations = Donation.objects.filter(project=project, status=DonationStatus.CONFIRMED)
    period, to_date = _gifts(donations, start, end)
    in_period, spent, spent_to_date = _paid(Payout.objects.filter(project=project, status=PayoutStatus.PAID), start, end)
    lines = (PayoutLine.objects.filter(payout_id__in=[p.pk for p in in_period]).values("item")
             .annotate(fen=fen_sum("amount"), n=Count("id")).order_by("item")) if in_period else []
    # The restricted money at the end of the period, from the ledger (credits to the project's account less debits).
    balance_fen = -int(Posting.objects.filter(_between("entry__posted_at", None, end), account_id=project.restricted_account_id)
                       .aggregate(fen=fen_sum("amount"))["fen"] or 0)
    content: dict[str, Any] = {
        "schema": SCHEMA, "subject": "project", "kind": kind, "title": project.title, "project_id": project.pk,
        "fund": project.fund.name, "fund_code": project.fund.code, "custodian": project.fund.custodian.name,
        "custodian_credit_code": project.fund.custodian.credit_code, "purpose": str(project.get_purpose_display()),
        "purpose_code": project.purpose,
        "project_period": {"start": project.starts_on.isoformat(), "end": project.ends_on.isoformat()},
        "report_period": {"start": start.isoformat(), "end": end.isoformat()},
        "budget": str(project.budget.amount),
        "income": {"restricted": period["total"], "matched": period["matched"], "gift_count": period["count"],
                   "restricted_to_date": to_date["total"]},
        "spending": {"total": _yuan(spent), "to_date": _yuan(spent_to_date),
                     "by_line": [{"item": r["item"], "amount": _yuan(int(r["fen"] or 0)), "lines": r["n"]} for r in lines],
                     "payouts": [{"paid_on": timezone.localdate(p.paid_at).isoformat() if p.paid_at else None, "title": p.title,
                                  "payee": p.payee, "amount": str(p.amount.amount)} for p in in_period]},
        "beneficiaries": None,  # not recorded by payouts yet; filled when the cases app knows them
        "balance": _yuan(balance_fen),
        "made_at": timezone.localtime().isoformat(),
    }
    if kind == Kind.FINAL:
        fund = project.fund
        moves = [m for m in _leftovers([project.restricted_account_id, fund.account_id, fund.goods_account_id], None, None)
                 if m.project is not None and m.project.pk == project.pk]
        content["leftover"] = {"amount": str(sum((m.amount for m in moves), Money(0)).amount),
                               "rule": str(project.get_leftover_rule_display()),
                               "moves": [{"on": timezone.localdate(m.posted_at).isoformat(), "amount": str(m.amount.amount),
                                          "to": m.direction} for m in moves]}
    return content


def _make(rows: list[dict[str, Any]]) -> int:
    """Save the reports made by one run: in one statement; if one of them was made meanwhile by another run (the
    unique constraint), one by one, skipping those. Returns how many were saved."""
    if not rows:
        return 0
    try:
        with transaction.atomic():
            DisclosureReport.objects.bulk_create([DisclosureReport(**row) for row in rows])
        return len(rows)
    except IntegrityError:
        pass
    made = 0
    for row in rows:
        try:
            with transaction.atomic():
                DisclosureReport.objects.create(**row)
        except IntegrityError:  # made meanwhile by another run
            continue
        made += 1
    return made


def _due(subject_type: str, subject_id: int, start: dt.date, end: dt.date, today: dt.date,
         existing: set[tuple[str, int, str, dt.date, dt.date]]) -> list[tuple[str, dt.date, dt.date]]:
    due = [(Kind.QUARTERLY, s, e) for s, e in completed_quarters(start, end, today)]
    if end < today:
        due.append((Kind.FINAL, start, end))
    return [(k, s, e) for k, s, e in due if (subject_type, subject_id, k, s, e) not in existing]


def reports_generate(*, today: dt.date) -> int:
    """Make every report that is due by `today` and not made yet; returns how many were made. The text
    in a report (purpose, leftover rule) is frozen in the site's language (Chinese), as it is filed."""
    with translation.override(settings.LANGUAGE_CODE):
        return _generate(today)


def _generate(today: dt.date) -> int:
    months = int(domain_setting("CHARITY_LONG_ACTIVITY_MONTHS"))
    existing = set(DisclosureReport.objects.filter(subject_type__in=["campaign", "project"]).values_list(
        "subject_type", "subject_id", "kind", "period_start", "period_end"))
    rows: list[dict[str, Any]] = []

    def due(subject_type: str, subject_id: int, kind: str, start: dt.date, end: dt.date, content: dict[str, Any]) -> None:
        rows.append({"subject_type": subject_type, "subject_id": subject_id, "kind": kind, "period_start": start,
                     "period_end": end, "content": content})

    horizon = _aware(today)
    for campaign in (Campaign.objects.exclude(status=CampaignStatus.DRAFT).filter(starts_at__lt=horizon)
                     .select_related("organizer").order_by("id")):
        starts, ends = timezone.localtime(campaign.starts_at), timezone.localtime(campaign.ends_at)
        start_day = starts.date()
        # Longer than N months: the end instant is after the start plus N calendar months.
        limit = timezone.make_aware(dt.datetime.combine(add_months(start_day, months), starts.time()), starts.tzinfo)
        if ends <= limit:
            continue
        end_day = ends.date() if ends.time() != dt.time.min else ends.date() - dt.timedelta(days=1)
        for kind, s, e in _due("campaign", campaign.pk, start_day, end_day, today, existing):
            due("campaign", campaign.pk, kind, s, e, campaign_content(campaign, kind, s, e))
    for project in Project.objects.filter(starts_on__lt=today).select_related("fund", "fund__custodian").order_by("id"):
        if not runs_longer_than(project.starts_on, project.ends_on + dt.timedelta(days=1), months):
            continue
        for kind, s, e in _due("project", project.pk, project.starts_on, project.ends_on, today, existing):
            due("project", project.pk, kind, s, e, project_content(project, kind, s, e))
    return _make(rows)
