"""An API gift request as rows: the fund, project, campaign and point its body names, looked up; the gift it asks
for (`GiftRequest.row`), compared with a gift stored under its key by the intake's one rule (`rules.same_gift`);
and what the group path of `POST /api/charity/donations` and the intake gateway remember for a few seconds
(`Recent`, `group_gift`). Used by `charity.api` and by the gateway, so neither imports the other."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import Conflict, DomainError, field_error
from shanlian.core.idempotency import KEY_PATTERN
from shanlian.core.inputs import find_bad_text
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import DonationPoint
from shanlian.people.selectors import actor_scope

from .. import services
from ..api_schemas import DonationIn, donation_out, local_iso, yuan
from ..models import Campaign, Channel, CommunityFund, Donation, DonationStatus, Project
from ..selectors.staff import staff_may_open
from ..services._access import is_custodian_finance
from .batch import BatchGiftIn, BatchGiftResult
from .rows import GiftRow
from .rules import Stored, same_gift, stored_gifts

# -- what a request body names ---------------------------------------------------------------------------------------
# Funds, projects, campaigns and points are public facts, so an unknown one is bad input (400) rather than a
# 404; whether the caller may use it is the service's question (403).


def fund_named(code: str) -> CommunityFund:
    fund = CommunityFund.objects.select_related("division", "custodian", "account").filter(code=code).first()
    if fund is None:
        raise field_error("fund", "unknown_fund", _("There is no fund with this code."))
    return fund


def project_named(project_id: int | None) -> Project | None:
    if project_id is None:
        return None
    project = Project.objects.select_related("restricted_account").filter(pk=project_id).first()
    if project is None:
        raise field_error("project", "unknown_project", _("There is no such project."))
    return project


def campaign_named(slug: str | None) -> Campaign | None:
    if not slug:
        return None
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise field_error("campaign", "unknown_campaign", _("There is no campaign with this code."))
    return campaign


def point_named(point_id: int | None) -> DonationPoint | None:
    if point_id is None:
        return None
    point = DonationPoint.objects.select_related("station__street").filter(pk=point_id).first()
    if point is None:
        raise field_error("point", "unknown_point", _("There is no such donation point."))
    return point


def aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


# -- donations ----------------------------------------------------------------------------------------


class GiftRequest:
    """A donation request resolved to rows, and the test whether a stored gift is this request again."""

    def __init__(self, payload: DonationIn, *, known: tuple[CommunityFund, Campaign | None] | None = None) -> None:
        self.payload = payload
        if known is not None:  # the group path: the fund and campaign from `_recent` (no project, point or goods)
            self.fund, self.campaign = known
            self.project = self.point = None
        else:
            self.fund = fund_named(payload.fund)
            self.project = project_named(payload.project)
            self.campaign = campaign_named(payload.campaign)
            self.point = point_named(payload.point)
        self.amount = services.gift_amount_in(payload.amount, channel=payload.channel)
        self.goods: services.Goods | None = None
        if payload.goods is not None:
            self.goods = services.goods_in(services.Goods(item=payload.goods.item, quantity=payload.goods.quantity,
                                                          unit=payload.goods.unit))

    def row(self, key: str) -> GiftRow:
        """The gift this request asks for, as the writer takes it (before its match)."""
        p = self.payload
        return services.gift_row(
            fund=self.fund, amount=self.amount, channel=p.channel, donor_name=(p.donor_name or "").strip(),
            show_name=p.show_name, project=self.project, campaign=self.campaign, point=self.point, donor_user=None,
            donor_key=p.donor_key.strip(), goods=self.goods, message=p.message.strip(),
            received_at=aware(p.received_at) if p.received_at is not None else timezone.now(), external_id=key)

    def answer(self, source: str, key: str) -> dict[str, Any] | None:
        """The stored gift under the key as this request's answer (None: nothing is stored under it); a different
        gift stored under it is a 409."""
        stored: Stored | None = stored_gifts(source, [key]).get(key)
        if stored is None:
            return None
        if not same_gift(stored, self.row(key), self.payload.channel, time_sent=self.payload.received_at is not None,
                         match_sent=False):
            raise Conflict("idempotency_mismatch", _("This Idempotency-Key was already used for a different gift."))
        return donation_out(Donation.objects.get(pk=stored.pk), self.fund, self.campaign)

    def batch_gift(self, key: str) -> BatchGiftIn:
        p = self.payload
        return BatchGiftIn(
            idempotency_key=key, amount=str(self.amount.amount), fund=self.fund.code,
            campaign=self.campaign.slug if self.campaign is not None else "", donor_name=p.donor_name, donor_key=p.donor_key,
            received_at=aware(p.received_at).isoformat() if p.received_at is not None else None,
        )

    def created(self, r: BatchGiftResult) -> dict[str, Any]:
        """`donation_out` of the gift the group just wrote, from what the writer knows (no read)."""
        return {
            "id": r.donation_id, "fund": self.fund.code, "project": None,
            "campaign": self.campaign.slug if self.campaign is not None else None, "amount": yuan(r.amount),
            "match_amount": yuan(r.match), "channel": Channel.ONLINE.value,
            "donor_name": (self.payload.donor_name or "").strip() or services.ANONYMOUS,
            "received_at": local_iso(r.received_at), "entry_id": r.entry_id, "status": DonationStatus.CONFIRMED.value,
            "external_id": r.idempotency_key,
        }


def _groupable(p: DonationIn) -> bool:
    """An online gift the batch path stores exactly as `donation_record` would: no project, point, goods,
    message or public name (the batch path writes none of these)."""
    name = (p.donor_name or "").strip() or services.ANONYMOUS
    return (p.channel == Channel.ONLINE and p.project is None and p.point is None and p.goods is None and p.message == ""
            and not (p.show_name and name != services.ANONYMOUS))


class Recent:
    """Values remembered by this process for a few seconds. The group path remembers a caller's scope (only when it
    lets the caller record online gifts), a fund and a campaign; the intake gateway a token's user. Only ever a
    shortcut: the committer reads the funds and campaigns for every group and refuses what no longer holds, and a
    refused gift goes down the direct path, which looks everything up again. A caller's roles are those of at most
    `seconds` ago."""

    def __init__(self, seconds: float = 5.0, size: int = 1000) -> None:
        self.seconds, self.size = seconds, size
        self.data: dict[tuple[str, Any], tuple[float, Any]] = {}

    def get(self, key: tuple[str, Any], load: Any, *, may_load: bool = True) -> Any:
        """The remembered value, or `load()` remembered (unless None); with `may_load` False a value not
        remembered raises `NotRemembered` instead (the intake gateway's event loop never waits for the database)."""
        hit = self.data.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if not may_load:
            raise NotRemembered(key)
        value = load()
        if value is not None:
            self.put(key, value)
        return value

    def put(self, key: tuple[str, Any], value: Any) -> None:
        if len(self.data) >= self.size:
            self.data.clear()
        self.data[key] = (time.monotonic() + self.seconds, value)


class NotRemembered(LookupError):
    """`Recent.get(..., may_load=False)` needed the database."""


_recent = Recent()


def group_gift(user: Any, payload: DonationIn, key: str | None, *, may_load: bool = True) -> GiftRequest | None:
    """The request as a gift for the group path, from what this process remembers; None: take the direct path
    (which answers every error as it always has). With `may_load` False, raises `NotRemembered` where it
    would have to read the database."""
    if not _groupable(payload) or not key or not KEY_PATTERN.match(key):
        return None
    if find_bad_text([payload.fund, payload.campaign, payload.donor_name, payload.donor_key]) is not None:
        return None  # Django's parser refuses it with its code (a NUL would fail the look-ups below on PostgreSQL)
    recent = _recent.get

    def scope() -> Scope | None:
        fresh = actor_scope(user)
        return fresh if staff_may_open(fresh) and (fresh.is_superuser or fresh.has(Role.FEDERATION_FINANCE)) else None

    found = recent(("scope", user.pk), scope, may_load=may_load)
    fund = recent(("fund", payload.fund), lambda: CommunityFund.objects.only("pk", "code", "custodian_id")
                  .filter(code=payload.fund).first(), may_load=may_load)
    campaign = recent(("campaign", payload.campaign), lambda: Campaign.objects.only("pk", "slug")
                      .filter(slug=payload.campaign).first(), may_load=may_load) if payload.campaign else None
    if found is None or fund is None or (payload.campaign and campaign is None) or not is_custodian_finance(found, fund):
        return None
    try:
        return GiftRequest(payload, known=(fund, campaign))
    except DomainError:
        return None
