"""Compliance of a charity federation with the spending rules for public-fundraising charities.

Charitable spending in a year (payouts paid from the funds in its custody, plus goods given out) is at
least CHARITY_MIN_SPENDING_RATIO (70%) of last year's income, or of the average income of the three
years before (either meets the rule); management cost (the fees it charged the funds in the year) is at
most CHARITY_MGMT_COST_CAP (10%) of the year's spending, CHARITY_MGMT_COST_CAP_ASSOCIATION (13%) for a
federation registered as an association. Income is gifts received (not refunded) and their matches;
the federation's own start money is not income. Years are calendar years in Asia/Shanghai. When a
federation is younger than three years, the average is over the years it held funds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.conf import domain_setting
from shanlian.core.errors import NotFound, lazy_format
from shanlian.core.money import Money, fen_sum
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import Organization, OrgKind

from ..models import Channel, CommunityFund, Donation, DonationStatus, FeeCharge, GoodsMovement, MatchGift, Payout, PayoutStatus

__all__ = ["ComplianceReport", "compliance", "compliance_federation_get", "compliance_federations", "compliance_many"]

PCT = Decimal("0.1")


@dataclass(frozen=True)
class Warning_:
    level: str  # danger | warning
    code: str
    message: str


@dataclass(frozen=True)
class ComplianceReport:
    federation: Organization
    year: int
    year_over: bool  # the year has ended (today is after Dec 31 of it)
    funds: int
    payouts: Money
    goods: Money
    spending: Money  # payouts + goods
    income_this_year: Money
    income_by_year: list[tuple[int, Money]]  # the years before `year` that count, oldest first
    income_last_year: Money
    income_average: Money
    min_ratio: Decimal
    required_last_year: Money
    required_average: Money
    spending_ratio_last_year: Decimal | None  # spending / last year's income (None when there was none)
    spending_ratio_average: Decimal | None
    meets_last_year: bool
    meets_average: bool
    met_by: str  # "last_year" | "average" | "" (not met)
    shortfall: Money  # what is still to spend to meet the easier of the two rules
    fees: Money
    mgmt_cap: Decimal
    mgmt_cap_amount: Money
    mgmt_ratio: Decimal | None  # fees / spending (None with no spending)
    mgmt_ok: bool
    warnings: list[Warning_] = field(default_factory=list)

    @property
    def nothing_required(self) -> bool:
        """No income in the years that count (a new federation, or none yet): no spending is required."""
        return not self.required_last_year.is_positive() and not self.required_average.is_positive()

    @property
    def meets(self) -> bool:
        return bool(self.met_by)

    @property
    def ok(self) -> bool:
        return self.meets and self.mgmt_ok


def _pct(ratio: Decimal | None) -> str:
    return "—" if ratio is None else f"{(ratio * 100).quantize(PCT, rounding=ROUND_HALF_UP)}%"


def _ratio(part: Money, whole: Money) -> Decimal | None:
    return None if not whole.is_positive() else (part.amount / whole.amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _at_least(income: Money, ratio: Decimal) -> Money:
    """What the rule asks to spend, rounded up to the fen (70% of ¥42,666.67 is ¥29,866.67, not .66)."""
    return Money((income.amount * ratio).quantize(Decimal("0.01"), rounding=ROUND_CEILING))


def _in_years(field_name: str, first: int, last: int) -> Q:
    tz = timezone.get_default_timezone()
    return Q(**{f"{field_name}__gte": dt.datetime(first, 1, 1, tzinfo=tz),
                f"{field_name}__lt": dt.datetime(last + 1, 1, 1, tzinfo=tz)})


def _by_org_year(rows: QuerySet[Any, Any], org_key: str, time_field: str, money_field: str) -> dict[tuple[int, int], int]:
    tz = timezone.get_default_timezone()
    out: dict[tuple[int, int], int] = {}
    for r in (rows.annotate(y=ExtractYear(time_field, tzinfo=tz)).values(org_key, "y")
              .annotate(fen=fen_sum(money_field)).order_by()):
        out[(r[org_key], r["y"])] = out.get((r[org_key], r["y"]), 0) + int(r["fen"] or 0)
    return out


def compliance_many(*, federations: list[Organization], year: int, today: dt.date | None = None) -> list[ComplianceReport]:
    """The compliance of each federation in `year`, in a fixed number of queries however many there are."""
    today = today or timezone.localdate()
    if not federations:
        return []
    ids = [f.pk for f in federations]
    first = year - 3
    donations = Donation.objects.filter(_in_years("received_at", first, year), fund__custodian_id__in=ids,
                                        status=DonationStatus.CONFIRMED).exclude(channel=Channel.SEED)
    income = _by_org_year(donations, "fund__custodian_id", "received_at", "amount")
    matches = MatchGift.objects.filter(_in_years("donation__received_at", first, year), donation__fund__custodian_id__in=ids,
                                       refunded=False, donation__status=DonationStatus.CONFIRMED)
    for key, fen in _by_org_year(matches, "donation__fund__custodian_id", "donation__received_at", "amount").items():
        income[key] = income.get(key, 0) + fen
    payouts = _by_org_year(Payout.objects.filter(_in_years("paid_at", year, year), fund__custodian_id__in=ids,
                                                 status=PayoutStatus.PAID), "fund__custodian_id", "paid_at", "amount")
    goods = _by_org_year(GoodsMovement.objects.filter(_in_years("created_at", year, year), fund__custodian_id__in=ids,
                                                      quantity__lt=0), "fund__custodian_id", "created_at", "value")
    fees = _by_org_year(FeeCharge.objects.filter(_in_years("created_at", year, year), fund__custodian_id__in=ids),
                        "fund__custodian_id", "created_at", "amount")
    funds: dict[int, Any] = {
        r["custodian_id"]: r for r in CommunityFund.objects.filter(custodian_id__in=ids).values("custodian_id")
        .annotate(n=Count("id"), opened=Min("opened_on")).order_by()
    }
    return [_report(f, year, today, income, payouts, goods, fees, funds.get(f.pk)) for f in federations]


def _report(fed: Organization, year: int, today: dt.date, income: dict[tuple[int, int], int], payouts: dict[tuple[int, int], int],
            goods: dict[tuple[int, int], int], fees_by: dict[tuple[int, int], int], funds: dict[str, Any] | None) -> ComplianceReport:
    min_ratio = Decimal(domain_setting("CHARITY_MIN_SPENDING_RATIO"))
    cap = Decimal(domain_setting("CHARITY_MGMT_COST_CAP_ASSOCIATION" if fed.kind == OrgKind.ASSOCIATION else "CHARITY_MGMT_COST_CAP"))
    opened_year = funds["opened"].year if funds else year
    prior = [y for y in (year - 3, year - 2, year - 1) if y >= opened_year]
    by_year = [(y, Money.from_fen(income.get((fed.pk, y), 0))) for y in prior]
    last = Money.from_fen(income.get((fed.pk, year - 1), 0))
    average = (Money((sum((m.amount for _y, m in by_year), Decimal(0)) / len(by_year)).quantize(Decimal("0.01")))
               if by_year else Money(0))
    paid, given = Money.from_fen(payouts.get((fed.pk, year), 0)), -Money.from_fen(goods.get((fed.pk, year), 0))
    spending = paid + given
    required_last, required_avg = _at_least(last, min_ratio), _at_least(average, min_ratio)
    meets_last, meets_avg = spending >= required_last, spending >= required_avg
    met_by = "last_year" if meets_last else ("average" if meets_avg else "")
    shortfall = Money(0) if met_by else min(required_last - spending, required_avg - spending)
    fee = Money.from_fen(fees_by.get((fed.pk, year), 0))
    cap_amount = spending * cap
    mgmt_ratio = _ratio(fee, spending)
    mgmt_ok = fee <= cap_amount
    year_over = today > dt.date(year, 12, 31)
    warnings: list[Warning_] = []
    if not met_by:
        if year_over:
            msg = _("Charitable spending in %(year)s was %(spent)s, %(short)s short of %(min)s of last year's income "
                    "(or of the three-year average).") % {"year": year, "spent": spending, "short": shortfall, "min": _pct(min_ratio)}
            warnings.append(Warning_("danger", "spending_short", str(msg)))
        else:
            msg = _("You need to spend %(short)s more by December 31 to reach %(min)s of last year's income "
                    "(or of the three-year average).") % {"short": shortfall, "min": _pct(min_ratio)}
            warnings.append(Warning_("warning", "spending_short", str(msg)))
    if not mgmt_ok:
        msg = _("Management cost is %(fees)s, %(ratio)s of the year's charitable spending, above the cap of %(cap)s "
                "(%(cap_amount)s).") % {"fees": fee, "ratio": _pct(mgmt_ratio) if mgmt_ratio is not None else "∞",
                                        "cap": _pct(cap), "cap_amount": cap_amount}
        warnings.append(Warning_("danger", "mgmt_cost_over_cap", str(msg)))
    elif mgmt_ratio is not None and mgmt_ratio > cap * Decimal("0.8"):
        msg = lazy_format(_("Management cost is %(ratio)s of the year's charitable spending, close to the cap of %(cap)s."), {
            "ratio": _pct(mgmt_ratio), "cap": _pct(cap)})
        warnings.append(Warning_("warning", "mgmt_cost_near_cap", str(msg)))
    return ComplianceReport(
        federation=fed, year=year, year_over=year_over, funds=int(funds["n"]) if funds else 0, payouts=paid, goods=given,
        spending=spending, income_this_year=Money.from_fen(income.get((fed.pk, year), 0)), income_by_year=by_year,
        income_last_year=last, income_average=average, min_ratio=min_ratio, required_last_year=required_last,
        required_average=required_avg, spending_ratio_last_year=_ratio(spending, last),
        spending_ratio_average=_ratio(spending, average), meets_last_year=meets_last, meets_average=meets_avg, met_by=met_by,
        shortfall=shortfall, fees=fee, mgmt_cap=cap, mgmt_cap_amount=cap_amount, mgmt_ratio=mgmt_ratio, mgmt_ok=mgmt_ok,
        warnings=warnings,
    )


def compliance(*, federation: Organization, year: int, today: dt.date | None = None) -> ComplianceReport:
    return compliance_many(federations=[federation], year=year, today=today)[0]


def compliance_federations(*, scope: Scope) -> QuerySet[Organization]:
    """Federations whose compliance the actor may see: finance officers their own federations, city and
    district administrators those registered in their area, superusers all; nobody else any."""
    feds = Organization.objects.filter(is_charity_federation=True).select_related("division").order_by("name", "id")
    if scope.is_superuser:
        return feds
    q = Q(pk__in=[])
    if scope.has(Role.FEDERATION_FINANCE):
        q |= Q(pk__in=scope.organization_ids)
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN) and scope.admin_paths:
        q |= scope.path_q("division__path", scope.admin_paths)
    return feds.filter(q)


def compliance_federation_get(*, scope: Scope, federation_id: int) -> Organization:
    org = compliance_federations(scope=scope).filter(pk=federation_id).first()
    if org is None:
        access_denied(user_id=scope.user_id, object_type="charity.compliance", object_id=federation_id)
        raise NotFound()
    return org
