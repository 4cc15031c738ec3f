"""Recording gifts (with their matching gift in the same ledger entry), refunds by reversal, and the
goods inventory of donation points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, amount_in, decimal_in, limit, model_text, moment_window, text_in
from shanlian.core.money import Money, fen_sum
from shanlian.ledger.services import entry_post, entry_reverse
from shanlian.orgs.models import DonationPoint

from .. import memos
from ..accounts import federation_goods
from ..intake.rows import GiftRow, RowSpec
from ..intake.rules import AHEAD, PoolRoom, same_gift, stored_gifts, target_problems
from ..intake.targets import Target, target_of
from ..intake.writer import gifts_write
from ..models import (
    Campaign,
    CampaignTarget,
    Channel,
    CommunityFund,
    Donation,
    DonationStatus,
    GoodsMovement,
    MatchGift,
    MatchPool,
    Project,
    ReceiptStatus,
)
from ..tallies import tally_add
from ._access import require_custodian_finance, require_fund_raiser

ANONYMOUS = "匿名爱心人士"
STATION_CHANNELS = {Channel.CASH, Channel.TRANSFER, Channel.GOODS}


@dataclass(frozen=True)
class Goods:
    item: str
    quantity: Decimal | str  # as typed or sent; goods_in makes it a Decimal
    unit: str


def gift_limit(channel: str) -> str:
    """The limit one gift's amount is held to, by channel (a key of SHANLIAN['LIMITS']): one online gift (online, or a
    platform's file) or one recorded gift. Every path checks amounts with `core.inputs.amount_in` and this limit."""
    return "ONLINE_GIFT" if channel in (Channel.ONLINE, Channel.IMPORT) else "RECORDED_GIFT"


def gift_amount_in(amount: Any, *, channel: str) -> Money:
    """A gift's amount above zero, within two decimals and its channel's limit (`gift_limit`)."""
    return amount_in(amount, maximum=gift_limit(channel))


def goods_in(goods: Goods) -> Goods:
    """Goods as given: item and unit within their columns, a quantity above zero, at most two decimals and the limit."""
    if goods.quantity in ("", None) or not (goods.item or "").strip() or not (goods.unit or "").strip():
        raise field_error("goods", "goods_required", _("Describe the goods: item, quantity above zero and unit."))
    quantity = decimal_in(goods.quantity, field="goods_quantity", places=2, minimum="0.01", maximum=limit("QUANTITY"))
    return Goods(item=model_text(Donation, "goods_item", goods.item, field="goods_item"), quantity=quantity,
                 unit=model_text(Donation, "goods_unit", goods.unit, field="goods_unit"))


# How `donation_record` words a target's refusal (the rule itself is `intake.rules.target_problems`).
_REFUSED: dict[str, tuple[str, Any]] = {
    "fund_closed": ("fund", _("This fund is closed and takes no gifts.")),
    "project_ended": ("project", _("This project has ended and takes no gifts.")),
    "campaign_not_open": ("campaign", _("This campaign is not open for gifts.")),
    "campaign_out_of_period": ("campaign", _("The gift is outside the campaign's period.")),
}


def target_resolve(fund: CommunityFund, project: Project | None, campaign: Campaign | None) -> None:
    """Where the money goes holds together: the project is the fund's, and the campaign raises for the fund (and the
    project). Checked first, before a key sent again is compared with its stored gift, as a batch and a file resolve
    their targets first."""
    if project is not None and project.fund_id != fund.pk:
        raise field_error("project", "project_not_in_fund", _("This project does not belong to the fund."))
    if campaign is not None and not CampaignTarget.objects.filter(campaign=campaign, fund=fund, project=project).exists():
        raise field_error("campaign", "campaign_target_mismatch", _("This campaign does not raise for this fund or project."))


def target_check(fund: CommunityFund, project: Project | None, campaign: Campaign | None, received_at: datetime,
                 *, late_ok: bool, goods: bool = False) -> Target:
    """The fund, project and campaign a gift received at `received_at` names, checked by the intake's one rule
    (`rules.target_problems`: the target's status, the one rule for late gifts, then the time), in the same order as
    every path (after `target_resolve`); its first refusal raised as a field error."""
    # Statuses are read fresh: a page or a worker may hold an object from before a close.
    for obj in (fund, project, campaign):
        if obj is not None:
            obj.refresh_from_db(fields=["status"])
    target = target_of(fund, project, campaign, goods=goods)
    problems = target_problems(target, received_at, latest=timezone.now() + AHEAD, late_ok=late_ok)
    if problems and problems[0][0] == "received_in_future":
        moment_window(received_at, field="received_at", ahead=AHEAD, future_code="received_in_future")  # refuses it
        problems = target_problems(target, received_at, late_ok=late_ok)  # (the clock moved on meanwhile: not ahead now)
    if problems:
        code = problems[0][0]
        raise field_error(_REFUSED[code][0], code, _REFUSED[code][1])
    return target


def gift_row(*, fund: CommunityFund, amount: Money, channel: str, donor_name: str, show_name: bool, project: Project | None,
             campaign: Campaign | None, point: DonationPoint | None, donor_user: Any, donor_key: str, goods: Goods | None,
             message: str, received_at: datetime, external_id: str) -> GiftRow:
    """A gift as asked (its texts already checked), as the writer takes it and `rules.same_gift` compares it: an
    empty name is anonymous, and an anonymous name is never shown."""
    donor_name = donor_name or ANONYMOUS
    target = target_of(fund, project, campaign, goods=channel == Channel.GOODS)
    return GiftRow(
        external_id=external_id, received_at=received_at, donor=donor_name, amount=amount.amount, fund_id=fund.pk,
        custodian_id=fund.custodian_id, credit_account_id=target.credit_account_id, campaign_id=target.campaign_id,
        donor_key=donor_key, project_id=target.project_id, point_id=point.pk if point is not None else None,
        show_name=show_name and donor_name != ANONYMOUS, message=message,
        donor_user_id=donor_user.pk if getattr(donor_user, "pk", None) else None,
        goods=(goods.item, Decimal(goods.quantity), goods.unit) if goods is not None else None,
    )


@transaction.atomic
def donation_record(
    *,
    actor: Any,
    fund: CommunityFund,
    amount: Any,
    channel: str,
    donor_name: str = "",
    show_name: bool = False,
    project: Project | None = None,
    campaign: Campaign | None = None,
    point: DonationPoint | None = None,
    donor_user: Any = None,
    donor_key: str = "",
    goods: Goods | None = None,
    message: str = "",
    received_at: datetime | None = None,
    source: str = "station",
    external_id: str = "",
    late_ok: bool = False,
    _skip_access: bool = False,
    _key_checked: bool = False,
) -> Donation:
    """Record one gift and post it: the federation's cash (or goods) up, the fund's (or the project's
    restricted) balance up. In a campaign with a matching pool, the match posts in the same entry.

    `_key_checked`: the caller has just looked `external_id` up and found nothing (the API does), so it is
    not read again here; a gift committed meanwhile under the key still fails the unique key (IntegrityError
    or the ledger's Conflict), which the caller answers as a replay."""
    if channel not in Channel.values:
        raise field_error("channel", "invalid_channel", _("Unknown channel."))
    if not _skip_access:
        if channel not in STATION_CHANNELS:
            raise field_error("channel", "channel_not_allowed", _("Staff record cash, bank transfers and goods only."))
        require_fund_raiser(actor, fund)
    checks = Checks()  # what was typed, checked together so a form shows every problem at once
    money = checks(gift_amount_in, amount, channel=channel)
    donor_name = checks(model_text, Donation, "donor_name", donor_name)
    message = checks(model_text, Donation, "message", message)
    donor_key = checks(model_text, Donation, "donor_key", donor_key)
    if goods is not None and channel == Channel.GOODS:
        goods = checks(goods_in, goods)
    checks.done()
    now = timezone.now()
    time_sent = received_at is not None
    received_at = moment_window(received_at or now, field="received_at", future=False)  # the future: `target_check`
    if goods is not None and channel != Channel.GOODS:
        # Refused before anything is written: a cash gift "with goods" is two gifts, and the answer must say what was booked.
        raise field_error("goods", "goods_with_money_channel", _("Goods are recorded as a gift of goods, not with cash or a transfer."))
    target_resolve(fund, project, campaign)
    row = gift_row(fund=fund, amount=money, channel=channel, donor_name=donor_name, show_name=show_name, project=project,
                   campaign=campaign, point=point, donor_user=donor_user, donor_key=donor_key, goods=goods, message=message,
                   received_at=received_at, external_id=external_id)
    if external_id and not _key_checked:
        stored = stored_gifts(source, [external_id]).get(external_id)
        if stored is not None:
            if not same_gift(stored, row, channel, time_sent=time_sent, match_sent=False):
                raise Conflict("idempotency_mismatch", _("This request id was already used for a different gift."))
            return Donation.objects.select_related("entry").get(pk=stored.pk)
    if channel == Channel.GOODS:
        if goods is None or not goods.item or Decimal(goods.quantity) <= 0 or not goods.unit:
            raise field_error("goods", "goods_required", _("Describe the goods: item, quantity above zero and unit."))
        if project is not None:
            raise field_error("project", "goods_not_restricted", _("Goods go to the fund's inventory, not to a project."))
        if point is None:
            raise field_error("point", "goods_need_point", _("Goods are received at a donation point."))
    if point is not None:
        if not point.active:
            raise field_error("point", "point_inactive", _("This donation point is closed."))
        accepts: dict[str, bool] = {
            Channel.CASH: point.accepts_cash, Channel.TRANSFER: point.accepts_transfer, Channel.GOODS: point.accepts_goods}
        if channel in accepts and not accepts[channel]:
            raise field_error("channel", "point_refuses_channel", _("This donation point does not accept this kind of gift."))
        if not fund.division.path.startswith(point.station.street.path):
            raise field_error("point", "point_not_for_fund", _("This donation point is not in the fund's street."))
    target_check(fund, project, campaign, received_at, late_ok=late_ok, goods=channel == Channel.GOODS)
    if campaign is not None and donor_key and channel not in (Channel.GOODS, Channel.SEED):
        # The campaign's pools are locked (in id order, as every writer locks them) before their room is read.
        pools = tuple(MatchPool.objects.select_for_update().filter(campaign=campaign, active=True).order_by("pk")
                      .values_list("pk", flat=True))
        day = timezone.localdate(received_at)
        match = PoolRoom(pools, [day], [donor_key]).match_for(money.amount, donor_key=donor_key, day=day, pools=pools) if pools else None
        if match is not None:
            row.pool_id, row.match = match
    spec = RowSpec(source=source, channel=channel, recorded_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None)
    [(donation_id, entry_id)] = gifts_write([row], spec=spec, actor=actor)
    return Donation.objects.select_related("entry").get(pk=donation_id)


@transaction.atomic
def donation_refund(*, actor: Any, donation: Donation, reason: str, _skip_access: bool = False) -> Donation:
    """Give a gift back by reversing its entry (the match goes back to the sponsor's pool with it).
    A receipted gift must have its receipt voided first; refunding twice is quiet."""
    if not _skip_access:
        require_custodian_finance(actor, donation.fund)
    reason = text_in(reason, field="reason", max_length=200)
    if not reason:
        raise field_error("reason", "reason_required", _("Say why the gift is refunded."))
    locked = Donation.objects.select_for_update().select_related("entry").get(pk=donation.pk)
    if locked.status == DonationStatus.REFUNDED:
        return locked
    if locked.channel in (Channel.GOODS, Channel.SEED):
        raise Conflict("not_refundable", _("Goods and federation start money are not refunded this way."))
    if locked.receipts.filter(status=ReceiptStatus.ISSUED).exists():
        raise Conflict("donation_receipted", _("This gift has a receipt; void the receipt before refunding."))
    reversal = entry_reverse(entry=locked.entry, memo=memos.refund(locked.pk, reason), actor=actor)
    match = MatchGift.objects.filter(donation=locked, refunded=False).select_related("pool").first()
    if match is not None:
        pool = MatchPool.objects.select_for_update().get(pk=match.pool_id)
        MatchPool.objects.filter(pk=pool.pk).update(matched_total=pool.matched_total - match.amount)
        MatchGift.objects.filter(pk=match.pk).update(refunded=True)
    if locked.campaign_id is not None:
        total = locked.amount + (match.amount if match else Money(0))
        tally_add(locked.campaign_id, -total.fen, -1)
    locked.status, locked.refund_entry = DonationStatus.REFUNDED, reversal
    locked.save(update_fields=["status", "refund_entry"])
    audit_log(actor=actor, action="charity.donation.refund", obj=locked, after={"reason": reason})
    return locked


def goods_stock(*, point: DonationPoint, fund: CommunityFund, item: str) -> tuple[Decimal, Money, str]:
    """(quantity, value, unit) of an item on hand at a point for a fund."""
    rows = GoodsMovement.objects.filter(point=point, fund=fund, item=item)
    agg = rows.aggregate(q=fen_sum("quantity"), v=fen_sum("value"))
    value = Money.from_fen(agg["v"] or 0)
    unit = rows.values_list("unit", flat=True).first() or ""
    return Decimal(agg["q"] or 0) / 100, value, unit


@transaction.atomic
def goods_give_out(
    *, actor: Any, point: DonationPoint, fund: CommunityFund, item: str, quantity: Any, recipient: str, note: str = ""
) -> GoodsMovement:
    """Give goods from a point's inventory to someone in need, valued at the average of what is on hand."""
    require_fund_raiser(actor, fund)
    qty = decimal_in(quantity, field="quantity", places=2, minimum="0.01", maximum=limit("QUANTITY"))
    recipient = model_text(GoodsMovement, "recipient", recipient)
    note = model_text(GoodsMovement, "note", note)
    if not recipient:
        raise field_error("recipient", "recipient_required", _("Say who received the goods."))
    DonationPoint.objects.select_for_update().get(pk=point.pk)  # one give-out at a time per point
    on_hand, value, unit = goods_stock(point=point, fund=fund, item=item)
    if qty > on_hand:
        raise ValidationFailed("insufficient_stock", lazy_format(_("Only %(qty)s %(unit)s of %(item)s are on hand."),
                               {"qty": on_hand, "unit": unit, "item": item}))
    worth = value if qty == on_hand else Money((value.amount * qty / on_hand).quantize(Decimal("0.01")))
    if not worth.is_positive():
        worth = Money("0.01")
    entry = entry_post(
        legs=[(fund.goods_account, worth.amount), (federation_goods(fund.custodian), -worth.amount)],
        memo=memos.goods_out(item, f"{qty}{unit}", recipient), source="charity.goods", actor=actor,
    )
    movement = GoodsMovement.objects.create(
        point=point, fund=fund, item=item, unit=unit, quantity=-qty, value=-worth, recipient=recipient,
        note=note, entry=entry, recorded_by=actor,
    )
    audit_log(actor=actor, action="charity.goods.out", obj=movement, after={"item": item, "quantity": str(qty)})
    return movement
