"""Public look-ups for the disclosure pages (no login): funds, campaigns (not drafts), projects, receipts
by verification code, published reports; and what each statement line means in public words (donor
names masked)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Round
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shanlian.core.addresses import public_url
from shanlian.core.errors import NotFound
from shanlian.core.money import Money
from shanlian.places.selectors import places_named

from ..models import (
    Campaign,
    CampaignStatus,
    CommunityFund,
    DisclosureReport,
    Donation,
    DonationStatus,
    FeeCharge,
    GoodsMovement,
    Payout,
    PayoutDraw,
    PayoutStatus,
    Project,
    Receipt,
)
from ..services.donations import ANONYMOUS
from .statement import LINE_KINDS, StatementLine

__all__ = [
    "PublicLine", "public_campaign_get", "public_campaigns", "public_fund_get", "public_funds", "public_lines",
    "public_project_get", "public_receipt_get", "public_report_get", "public_reports", "receipt_verify_url",
    "report_subject",
]

CODE_RE = re.compile(r"^[0-9A-Z]{12}$")


def _fen(field: str) -> Any:
    return Cast(Round(F(field) * 100), BigIntegerField())


def public_funds(*, query: str = "") -> QuerySet[CommunityFund]:
    """Every fund, with `money_fen`: its general and restricted money (goods are counted apart, at value, on the
    fund's page), exact on SQLite too."""
    restricted = (Project.objects.filter(fund=OuterRef("pk")).values("fund")
                  .annotate(s=Sum(_fen("restricted_account__balance"))).values("s"))
    funds = (CommunityFund.objects.select_related("division", "custodian", "account", "goods_account")
             .annotate(money_fen=_fen("account__balance")
                       + Coalesce(Subquery(restricted, output_field=BigIntegerField()), Value(0)))
             .order_by("code"))
    query = (query or "").strip()
    if query:
        q = (Q(name__icontains=query) | Q(code__icontains=query) | Q(custodian__name__icontains=query)
             | Q(projects__title__icontains=query))
        for place in places_named(query=query, limit=20):  # a district or street finds the funds in it
            q |= Q(division__path__startswith=place.path)
        funds = funds.filter(q).distinct()
    return funds


def public_fund_get(*, code: str) -> CommunityFund:
    fund = CommunityFund.objects.select_related("division", "custodian", "station").filter(code=code).first()
    if fund is None:
        raise NotFound("fund_not_found", _("There is no fund with this code."))
    return fund


def public_campaigns(*, query: str = "") -> QuerySet[Campaign]:
    """Campaigns the public may see: open or closed, never drafts."""
    rows = (Campaign.objects.exclude(status=CampaignStatus.DRAFT).select_related("organizer")
            .annotate(raised_fen=Coalesce(Sum("tallies__fen"), Value(0))).order_by("-starts_at", "-id"))
    query = (query or "").strip()
    if query:
        rows = rows.filter(Q(title__icontains=query) | Q(slug__icontains=query) | Q(organizer__name__icontains=query))
    return rows


def public_campaign_get(*, slug: str) -> Campaign:
    campaign = Campaign.objects.exclude(status=CampaignStatus.DRAFT).select_related("organizer").filter(slug=slug).first()
    if campaign is None:
        raise NotFound("campaign_not_found", _("There is no public campaign with this code."))
    return campaign


def public_project_get(*, project_id: int) -> Project:
    project = Project.objects.select_related("fund", "fund__custodian", "fund__division").filter(pk=project_id).first()
    if project is None:
        raise NotFound("project_not_found", _("There is no project with this number."))
    return project


def public_receipt_get(*, code: str) -> Receipt:
    """A receipt by its random 12-character verification code; anything else is simply not found."""
    code = (code or "").strip().upper()
    receipt = None
    if CODE_RE.match(code):
        receipt = Receipt.objects.select_related("issuer", "donation").filter(verification_code=code).first()
    if receipt is None:
        raise NotFound("receipt_not_found", _("No receipt has this verification code. Check the code printed on the receipt."))
    return receipt


def receipt_verify_url(receipt: Receipt, *, request: HttpRequest | None) -> str:
    """The receipt's public verification page as its QR code and the API give it: an address a phone opens."""
    return public_url(reverse("public:receipt_verify", kwargs={"code": receipt.verification_code}), request=request)


def public_reports() -> QuerySet[DisclosureReport]:
    return DisclosureReport.objects.order_by("-period_end", "-id")


def public_report_get(*, report_id: int) -> DisclosureReport:
    report = DisclosureReport.objects.filter(pk=report_id).first()
    if report is None:
        raise NotFound("report_not_found", _("There is no report with this number."))
    return report


def report_subject(report: DisclosureReport) -> str:
    """The title the report was filed under (frozen in its content)."""
    content = report.content or {}
    return str(content.get("title") or content.get("project", {}).get("title") or f"{report.subject_type} {report.subject_id}")



def public_name(name: str, show_name: bool) -> str:
    """张三丰 → 张**, 张 → *; a donor who chose to be named (a company, often) shows in full."""
    name = (name or "").strip()
    if show_name or name == ANONYMOUS:
        return name
    if len(name) <= 1:
        return "*"
    return name[0] + "**"

@dataclass(frozen=True)
class PublicLine:
    line: StatementLine
    description: str

    @property
    def kind_label(self) -> Any:
        return LINE_KINDS.get(self.line.kind, self.line.kind)

    @property
    def signed(self) -> str:
        """+¥980.00 / −¥270.00 (Money prints a minus after the currency sign)."""
        amount = self.line.amount
        return f"+{amount}" if amount.is_positive() else (f"−{-amount}" if amount.amount < 0 else str(amount))


def public_lines(lines: list[StatementLine]) -> list[PublicLine]:
    """Say what each line is without the raw ledger memo (which may carry a donor's full name): a gift
    shows its donor masked and its channel, a payout its title and payee. At most five small queries."""
    ids = [line.entry_id for line in lines]
    by_kind: dict[str, set[int]] = {}
    for line in lines:
        by_kind.setdefault(line.kind, set()).add(line.entry_id)
    text: dict[int, str] = {}
    if "gift" in by_kind or "refund" in by_kind:
        for d in Donation.objects.filter(Q(entry_id__in=ids) | Q(refund_entry_id__in=ids)).only(
                "donor_name", "show_name", "channel", "entry_id", "refund_entry_id", "goods_item"):
            name = public_name(d.donor_name, d.show_name)
            what = d.goods_item or d.get_channel_display()
            text[d.entry_id] = f"{name} · {what}"
            if d.refund_entry_id:
                text[d.refund_entry_id] = str(_("Refund to %(name)s") % {"name": name})
    if "payout" in by_kind:
        for draw in PayoutDraw.objects.filter(hold__entry_id__in=by_kind["payout"]).select_related("payout", "hold"):
            if draw.hold.entry_id is not None:
                text[draw.hold.entry_id] = f"{draw.payout.title} → {draw.payout.payee}"
    if "fee" in by_kind:
        for fee in FeeCharge.objects.filter(entry_id__in=by_kind["fee"]):
            text[fee.entry_id] = str(_("Management fee %(start)s – %(end)s") % {"start": fee.period_start, "end": fee.period_end})
    if "goods_out" in by_kind:
        for g in GoodsMovement.objects.filter(entry_id__in=by_kind["goods_out"]):
            text[g.entry_id] = f"{g.item} × {(-g.quantity).normalize():f}{g.unit}"
    return [PublicLine(line=line, description=text.get(line.entry_id, str(LINE_KINDS.get(line.kind, line.kind))))
            for line in lines]


def stations_money(*, station_ids: list[int], year: int) -> tuple[Money, Money]:
    """What the funds of these stations raised in a year (gifts of money received, refunds left out) and paid out
    (payouts paid): public figures of their disclosure, summed exactly in fen."""
    raised = Donation.objects.filter(fund__station_id__in=station_ids, status=DonationStatus.CONFIRMED, goods_item="",
                                     received_at__year=year).aggregate(s=Sum(_fen("amount")))["s"] or 0
    paid = Payout.objects.filter(fund__station_id__in=station_ids, status=PayoutStatus.PAID,
                                 paid_at__year=year).aggregate(s=Sum(_fen("amount")))["s"] or 0
    return Money.from_fen(int(raised)), Money.from_fen(int(paid))
