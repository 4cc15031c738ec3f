"""Public reads: what a fund, a campaign and a project received and spent, donors with masked names,
and (re-exported) fund statements, compliance and the public look-ups. No personal data beyond masked
names. Amounts are summed as whole fen (exact on SQLite too). A fund's income by month and source comes
from `FundIncomeMonth` (kept by database triggers) for whole months, so a busy fund's page reads a few dozen
rows, not every gift it ever received."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import cached_property
from typing import Any

from django.core.paginator import Page
from django.db import connection
from django.db.models import BigIntegerField, Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Round, TruncDate, TruncMonth
from django.utils import timezone

from shanlian.core.conf import domain_setting
from shanlian.core.money import Money, fen_sum
from shanlian.core.pagination import CappedPaginator
from shanlian.ledger.models import Account, Entry, Posting

from ..models import (
    Campaign,
    CampaignTally,
    CampaignTarget,
    Channel,
    CommunityFund,
    Donation,
    DonationStatus,
    FeeCharge,
    FundIncomeMonth,
    GoodsMovement,
    MatchGift,
    MatchPool,
    Payout,
    PayoutStatus,
    Project,
)
from .compliance_rules import (
    ComplianceReport,
    compliance,
    compliance_federation_get,
    compliance_federations,
    compliance_many,
)
from .public import (
    PublicLine,
    public_campaign_get,
    public_campaigns,
    public_fund_get,
    public_funds,
    public_lines,
    public_name,
    public_project_get,
    public_receipt_get,
    public_report_get,
    public_reports,
    receipt_verify_url,
    report_subject,
)
from .statement import (
    _FEN,
    LINE_KINDS,
    MAX_LIMIT,
    Statement,
    StatementLine,
    _day_start,
    _placeholders,
    entry_kind,
    fund_project_accounts,
    fund_statement,
)

__all__ = [
    "CampaignDisclosure", "FundDisclosure", "LeftoverMove", "PeriodTotal", "ProjectDisclosure", "ProjectSpending",
    "PublicDonor", "SourceTotal", "TargetProgress", "campaign_disclosure", "fund_disclosure", "project_disclosure",
    "public_donor", "public_donors", "public_donors_queryset",
    # re-exported from .statement
    "LINE_KINDS", "MAX_LIMIT", "Statement", "StatementLine", "entry_kind", "fund_project_accounts", "fund_statement",
    # re-exported from .compliance_rules
    "ComplianceReport", "compliance", "compliance_federation_get", "compliance_federations", "compliance_many",
    # re-exported from .public
    "PublicLine", "public_campaign_get", "public_campaigns", "public_fund_get", "public_funds", "public_lines", "public_name",
    "public_project_get", "public_receipt_get", "public_report_get", "public_reports", "receipt_verify_url",
    "report_subject",
]

# --- Disclosure summaries ---------------------------------------------------------------------------

SOURCE_ORDER = ["cash", "transfer", "online", "goods", "seed", "match", "import"]


def _local_range(start: dt.date | None, end: dt.date | None, field: str) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": _day_start(start)})
    if end is not None:
        q &= Q(**{f"{field}__lt": _day_start(end + dt.timedelta(days=1))})
    return q


def _money(fen: Any) -> Money:
    return Money.from_fen(int(fen or 0))


@dataclass(frozen=True)
class SourceTotal:
    channel: str
    label: Any
    amount: Money
    gifts: int


@dataclass(frozen=True)
class PeriodTotal:
    period: dt.date  # the first day of the month (or the day)
    amount: Money
    gifts: int


@dataclass(frozen=True)
class ProjectSpending:
    project: Project
    amount: Money
    payouts: int


@dataclass(frozen=True)
class LeftoverMove:
    posted_at: dt.datetime
    project: Project | None  # the project that ended
    amount: Money  # how much moved (positive)
    direction: str  # out (to another fund's project) | in (from another fund's project) | internal (to general money)
    memo: str


@dataclass(frozen=True)
class FundDisclosure:
    fund: CommunityFund
    start: dt.date | None
    end: dt.date | None
    income: Money
    gifts: int  # gifts received in the period (not refunded)
    income_by_month: list[PeriodTotal]
    income_by_source: list[SourceTotal]
    spending: Money
    spending_by_project: list[ProjectSpending]
    goods_given: Money
    fees: Money
    leftovers: list[LeftoverMove]
    holdings: Money  # money and goods at value, as the statement's lines add up
    goods: Money  # goods in stock, at value
    held: Money
    restricted: list[tuple[Project, Money]]

    @property
    def money(self) -> Money:
        return self.holdings - self.goods


def _match_fen() -> Any:
    """A gift's (not refunded) match in fen, for annotating donations: looked up by the gift's id, and only
    for gifts in a campaign (matching pools belong to campaigns), so cash gifts at a point cost nothing."""
    match = (MatchGift.objects.filter(donation=OuterRef("pk"), refunded=False)
             .values(f=Cast(Round(F("amount") * 100), BigIntegerField()))[:1])
    return Case(When(campaign__isnull=False, then=Subquery(match, output_field=BigIntegerField())), default=Value(None),
                output_field=BigIntegerField())


IncomeRow = tuple[dt.date, str, int, int, int, int]  # period, channel, fen, gifts, match fen, matches


def _income_rows(donations: QuerySet[Donation], *, by: str = "month") -> list[IncomeRow]:
    """Confirmed (not refunded) gifts and their matches summed by month (or day) and channel.

    One pass over the gifts (for a fund, an index-only scan of its (fund, received_at) index); each
    gift's match is looked up by the gift's id, so the many matches of other funds are never read."""
    trunc: Any = (TruncMonth if by == "month" else TruncDate)
    tz = timezone.get_default_timezone()
    rows = (donations.annotate(p=trunc("received_at", tzinfo=tz), m=_match_fen())
            .values("p", "channel").annotate(fen=fen_sum("amount"), n=Count("id"), mfen=Sum("m"), mn=Count("m"))
            .order_by())
    return [(row["p"].date() if isinstance(row["p"], dt.datetime) else row["p"], row["channel"], int(row["fen"] or 0),
             int(row["n"]), int(row["mfen"] or 0), int(row["mn"])) for row in rows]


def _income_totals(rows: list[IncomeRow]) -> tuple[Money, list[PeriodTotal], list[SourceTotal]]:
    """Total, by period and by source (a gift's match is income of the source "match")."""
    periods: dict[dt.date, list[int]] = {}
    sources: dict[str, list[int]] = {}
    for day, channel, fen, n, mfen, mn in rows:
        period = periods.setdefault(day, [0, 0])
        period[0] += fen + mfen
        period[1] += n
        source = sources.setdefault(channel, [0, 0])
        source[0] += fen
        source[1] += n
        if mfen:
            match = sources.setdefault(Channel.MATCH, [0, 0])
            match[0] += mfen
            match[1] += mn
    labels = dict(Channel.choices)
    order = {c: i for i, c in enumerate(SOURCE_ORDER)}
    by_source = [SourceTotal(channel=c, label=labels.get(c, c), amount=_money(v[0]), gifts=v[1])
                 for c, v in sorted(sources.items(), key=lambda kv: order.get(kv[0], 99))]
    by_period = [PeriodTotal(period=p, amount=_money(v[0]), gifts=v[1]) for p, v in sorted(periods.items())]
    total = sum((s.amount for s in by_source), Money(0))
    return total, by_period, by_source


def _income(donations: QuerySet[Donation], *, by: str = "month") -> tuple[Money, list[PeriodTotal], list[SourceTotal]]:
    """Income of confirmed (not refunded) gifts and their matches: total, by month (or day), by source."""
    return _income_totals(_income_rows(donations, by=by))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _fund_income(fund: CommunityFund, start: dt.date | None, end: dt.date | None) -> tuple[Money, list[PeriodTotal], list[SourceTotal]]:
    """A fund's income for a period: whole months from `FundIncomeMonth` (a few rows a month, kept by the
    database), the days of a month the period only partly covers from the gifts themselves. The same
    numbers as `_income` over the fund's gifts, at any size: all dates and the default last 12 months are
    whole months, one small query."""
    lo = None if start is None else (start if start.day == 1 else _next_month(start))  # first whole month
    hi = None if end is None else (_next_month(end) if _next_month(end) - dt.timedelta(days=1) == end else end.replace(day=1))
    if lo is not None and hi is not None and lo >= hi:  # no whole month: the gifts themselves
        return _income(Donation.objects.filter(_local_range(start, end, "received_at"), fund=fund,
                                               status=DonationStatus.CONFIRMED))
    months = FundIncomeMonth.objects.filter(fund=fund, gifts__gt=0)
    if lo is not None:
        months = months.filter(month__gte=lo)
    if hi is not None:
        months = months.filter(month__lt=hi)
    rows: list[IncomeRow] = [(m, c, fen, n, mfen, mn) for m, c, fen, n, mfen, mn in months.values_list(
        "month", "channel", "fen", "gifts", "match_fen", "matches")]
    edges = []  # the days of the partly covered months at either end
    if start is not None and lo is not None and lo != start:
        edges.append(_local_range(start, lo - dt.timedelta(days=1), "received_at"))
    if end is not None and hi is not None and hi <= end:
        edges.append(_local_range(hi, end, "received_at"))
    if edges:
        either = edges[0] | edges[1] if len(edges) == 2 else edges[0]
        rows += _income_rows(Donation.objects.filter(either, fund=fund, status=DonationStatus.CONFIRMED))
    return _income_totals(rows)


def with_empty_months(months: list[PeriodTotal], start: dt.date | None, end: dt.date | None) -> list[PeriodTotal]:
    """Every month of the period, a month without income as zero (a chart that skips it would read as a steady
    income): from the period's start (or the first month with income) to its end (or this month)."""
    if not months and start is None:
        return months
    first = (start or months[0].period).replace(day=1)
    last = min(end or timezone.localdate(), timezone.localdate()).replace(day=1)
    if months:
        last = max(last, months[-1].period.replace(day=1))
    have = {m.period: m for m in months}
    out: list[PeriodTotal] = []
    month = first
    while month <= last and len(out) < 600:
        out.append(have.get(month, PeriodTotal(period=month, amount=Money(0), gifts=0)))
        month = _next_month(month)
    return out


def fund_disclosure(*, fund: CommunityFund, start: dt.date | None = None, end: dt.date | None = None,
                    projects: list[Project] | None = None) -> FundDisclosure:
    """What the public sees of a fund over a period (all time when open-ended)."""
    income, by_month, by_source = _fund_income(fund, start, end)
    by_month = with_empty_months(by_month, start, end)
    projects = fund_project_accounts(fund) if projects is None else projects
    by_project = {p.pk: p for p in projects}
    account_ids = [fund.account_id, fund.goods_account_id, *(p.restricted_account_id for p in projects)]
    sums = _fund_sums(fund, account_ids, start, end)
    spending_rows = sorted(
        (ProjectSpending(project=by_project[pid], amount=_money(fen), payouts=n) for pid, (fen, n) in sums.paid.items()
         if pid in by_project), key=lambda s: (-s.amount.amount, s.project.pk))
    spending = sum((s.amount for s in spending_rows), Money(0))
    leftovers = _leftovers(account_ids, start, end) if sums.leftover_entries else []
    return FundDisclosure(
        fund=fund, start=start, end=end, income=income, gifts=sum(p.gifts for p in by_month), income_by_month=by_month,
        income_by_source=by_source,
        spending=spending, spending_by_project=spending_rows, goods_given=-_money(sums.goods), fees=_money(sums.fees),
        leftovers=leftovers, holdings=_money(sums.balance), goods=_money(sums.goods_stock), held=_money(sums.held),
        restricted=[(p, Money(p.restricted_account.balance)) for p in projects],
    )


@dataclass
class _Sums:
    paid: dict[int, tuple[int, int]]  # project id -> (fen, payouts)
    goods: int = 0
    fees: int = 0
    balance: int = 0
    held: int = 0
    goods_stock: int = 0  # the goods account's balance: goods in stock, at value
    leftover_entries: int = 0


def _fund_sums(fund: CommunityFund, account_ids: list[int], start: dt.date | None, end: dt.date | None) -> _Sums:
    """A fund's small aggregates for a period in one round trip (paid payouts by project, goods given out,
    fees, balances, whether any leftover moved): one statement, so the page costs one query, not six."""
    ops = connection.ops
    lo = ops.adapt_datetimefield_value(_day_start(start)) if start else None
    hi = ops.adapt_datetimefield_value(_day_start(end + dt.timedelta(days=1))) if end else None

    def period(col: str) -> tuple[str, list[Any]]:
        where, params = ["1 = 1"], []
        if lo is not None:
            where.append(f"{col} >= %s")
            params.append(lo)
        if hi is not None:
            where.append(f"{col} < %s")
            params.append(hi)
        return " AND ".join(where), params

    ids = _placeholders(len(account_ids))
    paid_sql, paid_p = period("paid_at")
    goods_sql, goods_p = period("created_at")
    fees_sql, fees_p = period("created_at")
    left_sql, left_p = period("e.posted_at")
    sql = f"""
        SELECT 'P', project_id, SUM({_FEN.format(col="amount")}), COUNT(*) FROM {Payout._meta.db_table}
         WHERE fund_id = %s AND status = %s AND {paid_sql} GROUP BY project_id
        UNION ALL
        SELECT 'G', NULL, SUM({_FEN.format(col="value")}), COUNT(*) FROM {GoodsMovement._meta.db_table}
         WHERE fund_id = %s AND quantity < 0 AND {goods_sql}
        UNION ALL
        SELECT 'F', NULL, SUM({_FEN.format(col="amount")}), COUNT(*) FROM {FeeCharge._meta.db_table}
         WHERE fund_id = %s AND {fees_sql}
        UNION ALL
        SELECT 'B', NULL, SUM({_FEN.format(col="balance")}), SUM({_FEN.format(col="held")}) FROM {Account._meta.db_table}
         WHERE id IN ({ids})
        UNION ALL
        SELECT 'K', NULL, SUM({_FEN.format(col="balance")}), 0 FROM {Account._meta.db_table} WHERE id = %s
        UNION ALL
        SELECT 'L', NULL, COUNT(*), 0 FROM {Posting._meta.db_table} p JOIN {Entry._meta.db_table} e ON e.id = p.entry_id
         WHERE p.account_id IN ({ids}) AND e.source = 'charity.leftover' AND e.external_id <> '' AND {left_sql}
    """  # noqa: S608 (table names from the models; every value is a parameter)
    params = [fund.pk, PayoutStatus.PAID, *paid_p, fund.pk, *goods_p, fund.pk, *fees_p, *account_ids, fund.goods_account_id,
              *account_ids, *left_p]
    out = _Sums(paid={})
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for kind, project_id, a, b in cur.fetchall():
            if kind == "P":
                out.paid[int(project_id)] = (int(a or 0), int(b or 0))
            elif kind == "G":
                out.goods = int(a or 0)
            elif kind == "F":
                out.fees = int(a or 0)
            elif kind == "B":
                out.balance, out.held = int(a or 0), int(b or 0)
            elif kind == "K":
                out.goods_stock = int(a or 0)
            else:
                out.leftover_entries = int(a or 0)
    return out


def _leftovers(account_ids: list[int], start: dt.date | None, end: dt.date | None) -> list[LeftoverMove]:
    """Leftover restricted money moved when a project ended: out of this fund, into it, or from a
    project to the fund's own general money (internal)."""
    mine = set(account_ids)
    # Leftover entries are few (one per ended project) and found by the (source, external_id) index first.
    leftover = (Entry.objects.filter(_local_range(start, end, "posted_at"), source="charity.leftover")
                .exclude(external_id="").values("id"))
    touching = Posting.objects.filter(account_id__in=account_ids, entry_id__in=leftover).values("entry_id")
    rows = list(Posting.objects.filter(entry_id__in=touching)
                .values("entry_id", "entry__posted_at", "entry__memo", "entry__external_id", "account_id", "amount")
                .order_by("entry_id", "id"))
    origins = {int(r["entry__external_id"]) for r in rows if r["entry__external_id"].isdigit()}
    projects = Project.objects.in_bulk(origins)
    moves: dict[int, dict[str, Any]] = {}
    for r in rows:
        m = moves.setdefault(r["entry_id"], {"at": r["entry__posted_at"], "memo": r["entry__memo"], "ext": r["entry__external_id"],
                                             "from": None, "to": None, "amount": Money(0)})
        if r["amount"] > 0:  # the debit: money leaves the ended project's restricted account
            m["from"], m["amount"] = r["account_id"], Money(r["amount"])
        else:
            m["to"] = r["account_id"]
    out = []
    for m in moves.values():
        direction = "internal" if m["from"] in mine and m["to"] in mine else ("out" if m["from"] in mine else "in")
        project = projects.get(int(m["ext"])) if m["ext"].isdigit() else None
        out.append(LeftoverMove(posted_at=m["at"], project=project, amount=m["amount"], direction=direction, memo=m["memo"]))
    return sorted(out, key=lambda m: m.posted_at)


@dataclass(frozen=True)
class TargetProgress:
    fund: CommunityFund
    project: Project | None
    raised: Money  # gifts and their matches
    gifts: int


@dataclass(frozen=True)
class CampaignDisclosure:
    campaign: Campaign
    goal: Money
    raised: Money  # from the progress tallies: gifts + matches, refunds taken off
    gifts: int
    percent: int  # of the goal, capped at 100 for the bar
    matched: Money
    donated: Money
    by_day: list[PeriodTotal]
    by_source: list[SourceTotal]
    targets: list[TargetProgress]
    pools: list[MatchPool]


def campaign_disclosure(*, campaign: Campaign) -> CampaignDisclosure:
    tally = CampaignTally.objects.filter(campaign=campaign).aggregate(fen=Sum("fen"), n=Sum("gifts"))
    raised, gifts = _money(tally["fen"]), int(tally["n"] or 0)
    donations = Donation.objects.filter(campaign=campaign, status=DonationStatus.CONFIRMED)
    income, by_day, by_source = _income(donations, by="day")
    matched = next((s.amount for s in by_source if s.channel == Channel.MATCH), Money(0))
    per_target: dict[tuple[int, int | None], list[int]] = {}
    for row in (donations.annotate(m=_match_fen()).values("fund", "project")
                .annotate(fen=fen_sum("amount"), n=Count("id"), mfen=Sum("m")).order_by()):
        per_target[(row["fund"], row["project"])] = [int(row["fen"] or 0) + int(row["mfen"] or 0), row["n"]]
    targets = [
        TargetProgress(fund=t.fund, project=t.project, raised=_money(per_target.get((t.fund_id, t.project_id), [0, 0])[0]),
                       gifts=per_target.get((t.fund_id, t.project_id), [0, 0])[1])
        for t in CampaignTarget.objects.filter(campaign=campaign).select_related("fund", "project").order_by("id")
    ]
    percent = 0 if not campaign.goal.is_positive() else min(100, int(raised.amount * 100 / campaign.goal.amount))
    return CampaignDisclosure(
        campaign=campaign, goal=campaign.goal, raised=raised, gifts=gifts, percent=max(percent, 0), matched=matched,
        donated=income - matched, by_day=by_day, by_source=by_source, targets=targets,
        pools=list(MatchPool.objects.filter(campaign=campaign).order_by("id")),
    )


@dataclass(frozen=True)
class ProjectDisclosure:
    project: Project
    budget: Money
    income: Money  # restricted gifts to the project and their matches
    income_by_source: list[SourceTotal]
    payouts: list[Payout]  # paid, with `lines` prefetched
    spent: Money
    balance: Money  # restricted money left in the project's account
    leftovers: list[LeftoverMove]  # moved out when the project ended
    percent_spent: Decimal  # of the budget, one decimal


def project_disclosure(*, project: Project) -> ProjectDisclosure:
    donations = Donation.objects.filter(project=project, status=DonationStatus.CONFIRMED)
    income, _by_month, by_source = _income(donations)
    payouts = list(Payout.objects.filter(project=project, status=PayoutStatus.PAID).order_by("paid_at", "id")
                   .prefetch_related("lines"))
    spent = sum((p.amount for p in payouts), Money(0))
    fund = project.fund
    leftovers = [m for m in _leftovers([project.restricted_account_id, fund.account_id, fund.goods_account_id], None, None)
                 if m.project is not None and m.project.pk == project.pk]
    balance = Money(Account.objects.values_list("balance", flat=True).get(pk=project.restricted_account_id))
    percent = (min(Decimal(100), (spent.amount * 100 / project.budget.amount).quantize(Decimal("0.1"), rounding=ROUND_DOWN))
               if project.budget.is_positive() else Decimal(0))
    return ProjectDisclosure(project=project, budget=project.budget, income=income, income_by_source=by_source,
                             payouts=payouts, spent=spent, balance=balance, leftovers=leftovers, percent_spent=percent)


# --- Donors in public --------------------------------------------------------------------------------

DONORS_PER_PAGE = 20


@dataclass(frozen=True)
class PublicDonor:
    name: str  # masked unless the donor chose to be named
    amount: Money
    matched: Money
    channel: str
    channel_label: Any
    received_at: dt.datetime


def public_donors_queryset(subject: CommunityFund | Campaign | Project) -> QuerySet[Donation]:
    if isinstance(subject, CommunityFund):
        q = Q(fund=subject)
    elif isinstance(subject, Campaign):
        q = Q(campaign=subject)
    elif isinstance(subject, Project):
        q = Q(project=subject)
    else:
        raise TypeError(f"no public donors for {type(subject).__name__}")
    return (Donation.objects.filter(q, status=DonationStatus.CONFIRMED).select_related("match")
            .only("donor_name", "show_name", "amount", "channel", "received_at", "match__amount", "match__refunded")
            .order_by("-received_at", "-id"))


def public_donor(d: Donation) -> PublicDonor:
    match = getattr(d, "match", None)  # a reverse one-to-one: missing raises an AttributeError subclass
    return PublicDonor(
        name=public_name(d.donor_name, d.show_name), amount=d.amount,
        matched=match.amount if match is not None and not match.refunded else Money(0),
        channel=d.channel, channel_label=dict(Channel.choices).get(d.channel, d.channel), received_at=d.received_at,
    )


class _DonorPaginator(CappedPaginator):
    """Counts without the ORDER BY (and the match join): a fund's count is then an index-only scan; or
    takes the count the caller already has (a disclosure counts the period's gifts anyway)."""

    known: int | None = None

    @cached_property
    def count(self) -> int:
        cap = int(domain_setting("COUNT_CAP"))
        if self.known is not None:
            n = self.known
        else:
            qs: Any = self.object_list
            n = qs.select_related(None).order_by()[: cap + 1].count()
        self.capped = n > cap
        return min(n, cap)


def public_donors(*, subject: CommunityFund | Campaign | Project, page: Any = 1, per_page: int = DONORS_PER_PAGE,
                  start: dt.date | None = None, end: dt.date | None = None, count: int | None = None) -> Page:
    """A page of gifts (received in the period, if one is given) with donors' names masked (张**) unless they
    chose to be named; refunded gifts are left out. Two queries whatever the size (a capped count and the
    page), one when the caller passes the `count` it knows (`FundDisclosure.gifts` for the same period)."""
    paginator = _DonorPaginator(public_donors_queryset(subject).filter(_local_range(start, end, "received_at")), per_page)
    paginator.known = count
    got = paginator.get_page(page)
    got.object_list = [public_donor(d) for d in got.object_list]
    return got
