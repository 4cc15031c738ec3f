"""Staff reads: lists for station workers and finance officers, scoped by role.

Who sees which fund: station workers and agency managers their stations' funds (and funds in their
streets), street officers their street's, federation finance officers the funds in their federation's
custody, city and district administrators their area's. Gifts, payouts and receipts are seen through
their fund. An object outside the scope is answered as missing, and the refused look is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound
from shanlian.core.money import Money, fen_sum
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import DonationPoint

from ..models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CommunityFund,
    Donation,
    GoodsMovement,
    Payout,
    PayoutAttachment,
    PayoutStatus,
    Project,
    ProjectStatus,
    Receipt,
    ReceiptSequence,
    ReceiptStatus,
)
from ..permissions import may_open_staff_pages

__all__ = [
    "FundMoney",
    "GoodsLine",
    "NumberRun",
    "ProjectRow",
    "donation_by_token",
    "donation_get",
    "donation_point_choices",
    "donations_list",
    "fund_campaign_choices",
    "fund_get",
    "fund_goods_inventory",
    "fund_money",
    "fund_project_choices",
    "fund_projects",
    "fund_recent_gifts",
    "fund_recent_payouts",
    "fund_scope_q",
    "funds_list",
    "payout_attachment_get",
    "payout_get",
    "payouts_list",
    "receipt_get",
    "receipt_number_runs",
    "receipt_years",
    "receipts_list",
    "staff_may_open",
]

STATION_SIDE = (Role.STATION_WORKER, Role.AGENCY_MANAGER)


staff_may_open = may_open_staff_pages  # (the one rule, in charity.permissions)


def fund_scope_q(scope: Scope, prefix: str = "") -> Q:
    """Funds the actor may see; `prefix` ("fund__") applies it to rows that belong to a fund."""
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    if scope.has(*STATION_SIDE) and scope.station_ids:
        q |= Q(**{f"{prefix}station_id__in": sorted(scope.station_ids)})
    if scope.has(*STATION_SIDE, Role.STREET_OFFICER):
        q |= scope.path_q(f"{prefix}division__path", scope.people_paths)
    if scope.has(Role.FEDERATION_FINANCE) and scope.organization_ids:
        q |= Q(**{f"{prefix}custodian_id__in": sorted(scope.organization_ids)})
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN):
        q |= scope.path_q(f"{prefix}division__path", scope.admin_paths)
    return q


def _with_restricted(qs: QuerySet[CommunityFund]) -> QuerySet[CommunityFund]:
    """Each fund's restricted money (the sum over its projects' accounts) in one subquery per column."""
    per_fund = Project.objects.filter(fund=OuterRef("pk")).values("fund").order_by()
    return qs.annotate(
        restricted_fen=Coalesce(Subquery(per_fund.annotate(f=fen_sum("restricted_account__balance")).values("f")),
                                Value(0), output_field=IntegerField()),
        restricted_held_fen=Coalesce(Subquery(per_fund.annotate(f=fen_sum("restricted_account__held")).values("f")),
                                     Value(0), output_field=IntegerField()),
    )


def funds_list(*, scope: Scope, query: str = "", status: str = "") -> QuerySet[CommunityFund]:
    if not staff_may_open(scope):
        return CommunityFund.objects.none()
    qs = CommunityFund.objects.filter(fund_scope_q(scope)).select_related(
        "division", "division__parent", "custodian", "station", "account", "goods_account")
    term = query.strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term) | Q(division__name__icontains=term))
    if status:
        qs = qs.filter(status=status)
    return _with_restricted(qs).order_by("code")


def fund_get(*, scope: Scope, code: str) -> CommunityFund:
    fund = funds_list(scope=scope).filter(code=code).first()
    if fund is None:
        access_denied(user_id=scope.user_id, object_type="charity.communityfund", object_id=code)
        raise NotFound()
    return fund


@dataclass(frozen=True)
class FundMoney:
    """A fund's money as the pages show it: general and restricted money, what approved payouts hold, and apart
    from the money, its goods in stock at value (never added to the money)."""

    general: Money
    general_held: Money
    restricted: Money
    restricted_held: Money
    goods: Money

    @property
    def money(self) -> Money:
        return self.general + self.restricted

    @property
    def held(self) -> Money:
        return self.general_held + self.restricted_held

    @property
    def available(self) -> Money:
        return self.money - self.held


def fund_money(fund: CommunityFund) -> FundMoney:
    """From a fund read by `funds_list`/`fund_get` (annotated, accounts joined): no query."""
    return FundMoney(
        general=Money(fund.account.balance), general_held=Money(fund.account.held),
        restricted=Money.from_fen(getattr(fund, "restricted_fen", 0) or 0),
        restricted_held=Money.from_fen(getattr(fund, "restricted_held_fen", 0) or 0),
        goods=Money(fund.goods_account.balance),
    )


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    spent: Money
    restricted: Money
    held: Money

    @property
    def budget_left(self) -> Money:
        return self.project.budget - self.spent

    @property
    def spent_percent(self) -> int:
        budget = self.project.budget.amount
        return min(100, int(self.spent.amount * 100 / budget)) if budget else 0


def fund_projects(*, fund: CommunityFund) -> list[ProjectRow]:
    """A fund's projects with budget, what paid payouts spent, and the restricted money left: one query."""
    rows = (Project.objects.filter(fund=fund).select_related("restricted_account")
            .annotate(spent_fen=Coalesce(Sum(Cast(Round(F("payouts__amount") * 100), BigIntegerField()),
                                              filter=Q(payouts__status=PayoutStatus.PAID)), 0))
            .order_by("status", "starts_on", "id"))
    return [ProjectRow(project=p, spent=Money.from_fen(p.spent_fen), restricted=Money(p.restricted_account.balance),
                       held=Money(p.restricted_account.held)) for p in rows]


def fund_recent_gifts(*, fund: CommunityFund, limit: int = 10) -> list[Donation]:
    return list(Donation.objects.filter(fund=fund).select_related("project", "point", "campaign")
                .order_by("-received_at", "-id")[:limit])


def fund_recent_payouts(*, fund: CommunityFund, limit: int = 10) -> list[Payout]:
    return list(Payout.objects.filter(fund=fund).select_related("project", "requested_by")
                .order_by("-requested_at", "-id")[:limit])


@dataclass(frozen=True)
class GoodsLine:
    point_id: int
    point_name: str
    item: str
    unit: str
    quantity: Decimal
    value: Money

    @property
    def key(self) -> str:
        """How a goods-out form names this line."""
        return f"{self.point_id}:{self.item}"


def fund_goods_inventory(*, fund: CommunityFund, include_empty: bool = False) -> list[GoodsLine]:
    """What each donation point holds for the fund, item by item (received minus given out)."""
    rows = (GoodsMovement.objects.filter(fund=fund).values("point_id", "point__name", "item")
            .annotate(q=fen_sum("quantity"), v=fen_sum("value"), unit=Max("unit")).order_by("point__name", "item"))
    out = []
    for r in rows:
        if not r["q"] and not include_empty:
            continue
        out.append(GoodsLine(point_id=r["point_id"], point_name=r["point__name"], item=r["item"], unit=r["unit"],
                             quantity=(Decimal(r["q"] or 0) / 100).quantize(Decimal("0.01")), value=Money.from_fen(r["v"] or 0)))
    return out


def _street_paths(path: str) -> list[str]:
    """"/1/4/17/" → ["/1/", "/1/4/", "/1/4/17/"]: the divisions a path lies in, itself included."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def donation_point_choices(*, fund: CommunityFund) -> QuerySet[DonationPoint]:
    """Open donation points of the station in the fund's street (the only points the service accepts)."""
    return (DonationPoint.objects.filter(active=True, station__street__path__in=_street_paths(fund.division.path))
            .select_related("station").order_by("station_id", "name"))


def fund_project_choices(*, fund: CommunityFund) -> QuerySet[Project]:
    return Project.objects.filter(fund=fund, status=ProjectStatus.ACTIVE).order_by("starts_on", "id")


def fund_campaign_choices(*, fund: CommunityFund) -> QuerySet[Campaign]:
    raising = CampaignTarget.objects.filter(campaign=OuterRef("pk"), fund=fund)
    return Campaign.objects.filter(Exists(raising), status=CampaignStatus.OPEN).order_by("-starts_at")


def payouts_list(*, scope: Scope, status: str = "", fund_code: str = "") -> QuerySet[Payout]:
    if not staff_may_open(scope):
        return Payout.objects.none()
    qs = Payout.objects.filter(fund_scope_q(scope, "fund__")).select_related(
        "fund", "project", "station", "requested_by", "decided_by")
    if status:
        qs = qs.filter(status=status)
    if fund_code:
        qs = qs.filter(fund__code=fund_code)
    return qs.order_by("-requested_at", "-id")


def payout_get(*, scope: Scope, payout_id: int) -> Payout:
    payout = (payouts_list(scope=scope).filter(pk=payout_id)
              .select_related("fund__custodian", "fund__division", "paid_by")
              .prefetch_related("lines", "attachments", "draws__account", "draws__hold").first())
    if payout is None:
        access_denied(user_id=scope.user_id, object_type="charity.payout", object_id=payout_id)
        raise NotFound()
    return payout


def payout_attachment_get(*, scope: Scope, payout_id: int, attachment_id: int) -> PayoutAttachment:
    """An attachment is served only to whoever may see its payout."""
    attachment = (PayoutAttachment.objects.filter(pk=attachment_id, payout_id=payout_id)
                  .filter(fund_scope_q(scope, "payout__fund__")).first() if staff_may_open(scope) else None)
    if attachment is None:
        access_denied(user_id=scope.user_id, object_type="charity.payoutattachment", object_id=attachment_id)
        raise NotFound()
    return attachment


def _issued_receipts() -> QuerySet[Receipt]:
    return Receipt.objects.filter(donation=OuterRef("pk"), status=ReceiptStatus.ISSUED)


def donations_list(
    *,
    scope: Scope,
    fund_code: str = "",
    channel: str = "",
    start: date | None = None,
    end: date | None = None,
    receipt: str = "",
    status: str = "",
) -> QuerySet[Donation]:
    """Gifts of the funds in scope, newest first; `receipt` is "issued" or "none"."""
    if not staff_may_open(scope):
        return Donation.objects.none()
    issued = _issued_receipts()
    qs = (Donation.objects.filter(fund_scope_q(scope, "fund__")).select_related("fund", "project", "point", "campaign")
          .annotate(receipt_id=Subquery(issued.values("pk")[:1]), receipt_year=Subquery(issued.values("year")[:1]),
                    receipt_number=Subquery(issued.values("number")[:1])))
    if fund_code:
        qs = qs.filter(fund__code=fund_code)
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if start is not None:
        qs = qs.filter(received_at__gte=_local_midnight(start))
    if end is not None:
        qs = qs.filter(received_at__lt=_local_midnight(end + timedelta(days=1)))
    if receipt == "issued":
        qs = qs.filter(Exists(issued))
    elif receipt == "none":
        qs = qs.filter(~Exists(issued))
    return qs.order_by("-received_at", "-id")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def donation_get(*, scope: Scope, donation_id: int) -> Donation:
    donation = (donations_list(scope=scope).filter(pk=donation_id)
                .select_related("fund__custodian", "fund__division", "recorded_by", "match", "refund_entry").first())
    if donation is None:
        access_denied(user_id=scope.user_id, object_type="charity.donation", object_id=donation_id)
        raise NotFound()
    return donation


def donation_by_token(*, token: str, source: str = "station") -> Donation | None:
    """A gift already recorded under a form's idempotency token (a double-submit)."""
    return Donation.objects.filter(source=source, external_id=token).first() if token else None


def _receipt_issuer_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    if scope.has(Role.FEDERATION_FINANCE) and scope.organization_ids:
        return Q(issuer_id__in=sorted(scope.organization_ids))
    return Q(pk__in=[])


def receipts_list(*, scope: Scope, year: int | None = None, status: str = "") -> QuerySet[Receipt]:
    """Receipts of the federations the actor keeps the books of (finance officers)."""
    qs = Receipt.objects.filter(_receipt_issuer_q(scope)).select_related("issuer", "donation", "donation__fund")
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "-number", "-id")


def receipt_get(*, scope: Scope, receipt_id: int) -> Receipt:
    """A receipt: for the issuer's finance officers, and for whoever may see its gift."""
    visible = _receipt_issuer_q(scope)
    if staff_may_open(scope):
        visible |= fund_scope_q(scope, "donation__fund__")
    receipt = (Receipt.objects.filter(visible).filter(pk=receipt_id)
               .select_related("issuer", "donation", "donation__fund", "donation__project").first())
    if receipt is None:
        access_denied(user_id=scope.user_id, object_type="charity.receipt", object_id=receipt_id)
        raise NotFound()
    return receipt


@dataclass(frozen=True)
class NumberRun:
    """One issuer's receipt numbers in one year: how many were taken, and that none is missing."""

    issuer_id: int
    issuer_name: str
    year: int
    first: int
    last: int
    count: int
    voided: int
    sequence_last: int

    @property
    def missing(self) -> int:
        """Numbers in 1..last (or the sequence's last) without a receipt row: always 0 unless something is wrong."""
        return max(self.last, self.sequence_last) - self.count

    @property
    def gapless(self) -> bool:
        return self.first == 1 and self.missing == 0


def receipt_number_runs(*, scope: Scope) -> list[NumberRun]:
    """Per issuer and year: first and last number, how many receipts, how many voided (two queries)."""
    rows = (Receipt.objects.filter(_receipt_issuer_q(scope)).values("issuer_id", "issuer__name", "year")
            .annotate(first=Min("number"), last=Max("number"), count=Count("id"),
                      voided=Count("id", filter=Q(status=ReceiptStatus.VOIDED)))
            .order_by("-year", "issuer__name"))
    runs = list(rows)
    keys = {(r["issuer_id"], r["year"]) for r in runs}
    sequences: dict[tuple[int, int], int] = {}
    if keys:
        seq_q = Q(pk__in=[])
        for issuer_id, year in keys:
            seq_q |= Q(issuer_id=issuer_id, year=year)
        sequences = {(s.issuer_id, s.year): s.last_number for s in ReceiptSequence.objects.filter(seq_q)}
    return [
        NumberRun(issuer_id=r["issuer_id"], issuer_name=r["issuer__name"], year=r["year"], first=r["first"], last=r["last"],
                  count=r["count"], voided=r["voided"], sequence_last=sequences.get((r["issuer_id"], r["year"]), 0))
        for r in runs
    ]


def receipt_years(*, scope: Scope) -> list[int]:
    return list(Receipt.objects.filter(_receipt_issuer_q(scope)).values_list("year", flat=True).distinct().order_by("-year"))

