"""Reads for the donor's pages: campaigns and their progress, matching pools, a donor's gifts, and
"where did my money go" with the ledger proof. Public: no personal data beyond masked names."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from shanlian.core.crypto import mask_name
from shanlian.core.errors import NotFound
from shanlian.core.money import Money, fen_sum
from shanlian.ledger.models import Account

from ..models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    Channel,
    Donation,
    DonationStatus,
    MatchPool,
    PaymentIntent,
    Payout,
    PayoutStatus,
    Project,
    Receipt,
    ReceiptStatus,
)
from ..services.donations import ANONYMOUS

PUBLIC_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CLOSED)


def public_name(name: str, show_name: bool) -> str:
    """How a donor is named to anyone but themselves: 张** unless they chose to show their name."""
    if not name or name == ANONYMOUS or show_name:
        return name or ANONYMOUS
    return mask_name(name)


@dataclass(frozen=True)
class Progress:
    raised: Money
    gifts: int
    goal: Money

    @property
    def percent(self) -> int:
        """Share of the goal raised, in whole percent rounded down (may pass 100)."""
        if not self.goal.is_positive():
            return 0
        return int((self.raised.amount * 100 / self.goal.amount).to_integral_value(rounding=ROUND_FLOOR))

    @property
    def bar(self) -> int:
        """Width of the progress bar: a sliver shows as soon as anything is raised."""
        return max(1 if self.raised.is_positive() else 0, min(100, self.percent))


def _with_progress(qs: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return qs.annotate(raised_fen=Coalesce(Sum("tallies__fen"), 0), gift_count=Coalesce(Sum("tallies__gifts"), 0))


def progress_of(campaign: Campaign) -> Progress:
    """From the campaign's tally slots; uses the annotation when the campaign came from a list."""
    fen = getattr(campaign, "raised_fen", None)
    gifts = getattr(campaign, "gift_count", None)
    if fen is None or gifts is None:
        agg = campaign.tallies.aggregate(fen=Coalesce(Sum("fen"), 0), gifts=Coalesce(Sum("gifts"), 0))
        fen, gifts = agg["fen"], agg["gifts"]
    return Progress(raised=Money.from_fen(fen), gifts=int(gifts), goal=campaign.goal)


def campaigns_public() -> QuerySet[Campaign]:
    """Open campaigns first (newest first), then closed ones; drafts are not public."""
    qs = Campaign.objects.filter(status__in=PUBLIC_STATUSES).select_related("organizer")
    order = Case(When(status=CampaignStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return _with_progress(qs).order_by(order, "-starts_at", "-id")


def accepts_gifts(campaign: Campaign, *, now: Any = None) -> bool:
    """Open, and between its start and its end (what the give form shows; the gift writer decides, with its codes)."""
    now = now or timezone.now()
    return campaign.status == CampaignStatus.OPEN and campaign.starts_at <= now <= campaign.ends_at


def campaign_public_get(*, slug: str) -> Campaign:
    campaign = _with_progress(Campaign.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).select_related("organizer")).first()
    if campaign is None:
        raise NotFound("campaign_not_found", None)
    return campaign


def campaign_targets(*, campaign: Campaign) -> list[CampaignTarget]:
    return list(CampaignTarget.objects.filter(campaign=campaign).select_related("fund__division", "project").order_by("id"))


@dataclass(frozen=True)
class PoolView:
    sponsor: str
    ratio: Decimal
    per_donor_cap: Money
    per_day_cap: Money
    total_cap: Money
    matched: Money
    remaining: Money


def campaign_pools(*, campaign: Campaign) -> list[PoolView]:
    """Active matching pools with what they can still add: the total cap left, within what the pool holds."""
    out = []
    for pool in MatchPool.objects.filter(campaign=campaign, active=True).select_related("account").order_by("pk"):
        left = min((pool.total_cap - pool.matched_total).amount, pool.account.balance - pool.account.held)
        out.append(PoolView(
            sponsor=pool.sponsor_name, ratio=pool.ratio, per_donor_cap=pool.per_donor_cap, per_day_cap=pool.per_day_cap,
            total_cap=pool.total_cap, matched=pool.matched_total, remaining=Money(max(left, Decimal("0"))),
        ))
    return out


@dataclass(frozen=True)
class GiftLine:
    name: str
    amount: Money
    match: Money | None
    received_at: Any
    message: str


def campaign_recent_gifts(*, campaign: Campaign, limit: int = 8) -> list[GiftLine]:
    rows = (Donation.objects.filter(campaign=campaign, status=DonationStatus.CONFIRMED)
            .exclude(channel__in=[Channel.SEED, Channel.MATCH]).select_related("match").order_by("-received_at", "-id")[:limit])
    out = []
    for d in rows:
        match = getattr(d, "match", None)
        out.append(GiftLine(name=public_name(d.donor_name, d.show_name), amount=d.amount,
                            match=match.amount if match is not None and not match.refunded else None, received_at=d.received_at,
                            message=d.message if d.show_name else ""))
    return out


# -- one payment / gift ------------------------------------------------------------------------------


def intent_get(*, ref: str) -> PaymentIntent:
    """A payment by its ref: the ref is unguessable, so holding it is the key to the gift's pages."""
    intent = (PaymentIntent.objects.filter(ref=ref)
              .select_related("campaign__organizer", "fund__division", "fund__custodian", "fund__account", "project__restricted_account",
                              "donation__match__pool", "donor_user")
              .first())
    if intent is None:
        raise NotFound("payment_not_found", None)
    return intent


def gift_receipt(*, donation: Donation) -> Receipt | None:
    return donation.receipts.filter(status=ReceiptStatus.ISSUED).select_related("issuer").first()


def donor_gifts(*, user: Any) -> QuerySet[Donation]:
    """A donor's own gifts (linked to their account), newest first, with match, payment and receipt."""
    issued = Prefetch("receipts", queryset=Receipt.objects.filter(status=ReceiptStatus.ISSUED), to_attr="issued_receipts")
    return (Donation.objects.filter(donor_user=user)
            .select_related("fund", "project", "campaign", "match", "intent")
            .prefetch_related(issued).order_by("-received_at", "-id"))


@dataclass(frozen=True)
class MoneyTrail:
    """Where a gift's money went: what the fund paid to projects since the gift, and what it holds now."""

    payouts: list[Payout]
    payouts_count: int
    payouts_total: Money
    general_balance: Money
    restricted_balance: Money
    project_balance: Money | None

    @property
    def fund_balance(self) -> Money:
        return self.general_balance + self.restricted_balance


def money_trail(*, donation: Donation, limit: int = 20) -> MoneyTrail:
    paid = Payout.objects.filter(fund_id=donation.fund_id, status=PayoutStatus.PAID, paid_at__gte=donation.received_at)
    agg = paid.aggregate(fen=fen_sum("amount"))
    count = paid.count()
    rows = list(paid.select_related("project").order_by("-paid_at", "-id")[:limit])
    restricted = Account.objects.filter(
        pk__in=Project.objects.filter(fund_id=donation.fund_id).values("restricted_account_id")
    ).aggregate(fen=fen_sum("balance"))["fen"] or 0
    general = Account.objects.values_list("balance", flat=True).get(pk=donation.fund.account_id)
    project_balance = None
    if donation.project is not None:
        project_balance = Money(Account.objects.values_list("balance", flat=True).get(pk=donation.project.restricted_account_id))
    return MoneyTrail(payouts=rows, payouts_count=count, payouts_total=Money.from_fen(agg["fen"] or 0),
                      general_balance=Money(general), restricted_balance=Money.from_fen(restricted),
                      project_balance=project_balance)


def gift_proof(*, donation: Donation, with_leaf_data: bool) -> dict[str, Any] | None:
    """The ledger inclusion proof of the gift's entry, or None while it is not sealed yet.

    The entry's canonical data names the donor (its memo), so only the donor gets it; anyone else
    gets the rest of the proof, which still shows the entry's hash is under the published seal."""
    from shanlian.ledger.sealing import inclusion_proof

    try:
        proof = inclusion_proof(donation.entry_id)
    except LookupError:
        return None
    if not with_leaf_data:
        proof["leaf_data"] = None
    return proof


def seal_interval_minutes() -> int:
    """How often the ledger is sealed (the schedule Celery beat and the in-process scheduler share), to tell a
    donor when their proof comes."""
    from shanlian.schedule import job_named

    every = job_named("ledger-seal").every
    return max(1, int(every.total_seconds() // 60)) if every is not None else 24 * 60
