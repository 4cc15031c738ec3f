"""Fulfilling a wish and confirming it. What the claimant gives is recorded where the charity keeps such things, by the
charity's own writers: goods are received at the station's donation point (`charity.services.donation_record`, channel
goods) and given out to the wish at once (`goods_give_out`), so the point's inventory and the fund's goods account hold
them; money is a gift to the community fund of the wish's community or street (`donation_record`, cash or transfer,
restricted to one of the fund's projects when the station names one, the wish as its message), so it lands on the
ledger. Buying the item with that money is the fund's payout flow (charity.payouts), not done here. Several
fulfilments may add up to the wish's value, never above (`over_value`; also a CHECK on the wish). The station then
confirms with a photo and the beneficiary's acknowledgement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity import services as charity
from shanlian.charity.models import Channel, CommunityFund, FundStatus, Project, ProjectStatus
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, amount_in, date_window, model_text
from shanlian.core.money import Money
from shanlian.core.transitions import transition
from shanlian.core.uploads import sha256_of, stored_name, upload_in
from shanlian.orgs.models import DonationPoint

from .models import (
    LIVE_CLAIM,
    AckBy,
    AckHow,
    ClaimStatus,
    FulfilmentKind,
    Wish,
    WishClaim,
    WishConfirmation,
    WishFulfilment,
    WishKind,
    WishStatus,
)
from .services import _locked, team_scope

PHOTO_TYPES = (".jpg", ".jpeg", ".png")
PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
MONEY_CHANNELS = (Channel.CASH, Channel.TRANSFER)


def fund_for(wish: Wish) -> CommunityFund | None:
    """The open community fund the wish's gifts go to: the community's own, else the street's (the station's first)."""
    funds = list(CommunityFund.objects.filter(division_id__in=[wish.area_id, wish.street_id], status=FundStatus.OPEN)
                 .select_related("division", "custodian").order_by("id"))
    funds.sort(key=lambda f: (f.division_id != wish.area_id, f.station_id != wish.station_id, f.pk))
    return funds[0] if funds else None


def point_for(wish: Wish, channel: str) -> DonationPoint | None:
    """The station's active donation point that takes this kind of gift."""
    flags: dict[str, str] = {Channel.GOODS: "accepts_goods", Channel.CASH: "accepts_cash", Channel.TRANSFER: "accepts_transfer"}
    flag = flags[channel]
    return (DonationPoint.objects.filter(station_id=wish.station_id, active=True, **{flag: True})
            .select_related("station__street").order_by("id").first())


def projects_for(wish: Wish) -> list[Project]:
    """Projects of the wish's fund that a money gift may be restricted to."""
    fund = fund_for(wish)
    if fund is None:
        return []
    return list(Project.objects.filter(fund=fund, status=ProjectStatus.ACTIVE, by_agreement=False).order_by("id"))


def _memo(wish: Wish) -> str:
    return f"微心愿 {wish.number}：{wish.title}"[:200]


@transaction.atomic
def wish_fulfil(*, actor: Any, wish: Wish, kind: str, value: Any, delivered_on: dt.date | None = None,
                goods_item: str = "", goods_quantity: Any = None, goods_unit: str = "", channel: str = Channel.CASH,
                project: Project | None = None, note: str = "", now: dt.datetime | None = None) -> WishFulfilment:
    """Record what the claimant of the live claim gave (all or part): valued above zero, the wish's fulfilled value
    never above its value (`over_value`); goods and money through the charity's writers; a service for a service wish
    only (`kind_mismatch`). A wish nobody holds a claim on is not fulfilled (`no_claimant`)."""
    team_scope(actor, wish.station_id, wish.street.path, wish.pk)
    at = now or timezone.now()
    checks = Checks()
    money = checks(amount_in, value, field="value")
    note = checks(model_text, WishFulfilment, "note", note) or ""
    day = delivered_on or timezone.localdate(at)
    if checks(date_window, day, field="delivered_on") is not None and day > timezone.localdate(at):
        checks.failed.append(field_error("delivered_on", "date_in_future", _("This day has not come yet.")))
    if kind not in FulfilmentKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose goods, money or service.")))
    elif (kind == FulfilmentKind.SERVICE) != (wish.kind == WishKind.SERVICE):
        checks.failed.append(field_error("kind", "kind_mismatch", _("A service wish is fulfilled by a service; goods and money "
                                                                    "wishes by goods or money.")))
    goods = None
    if kind == FulfilmentKind.GOODS:
        goods = checks(charity.goods_in, charity.Goods(item=goods_item, quantity=goods_quantity, unit=goods_unit))
    if kind == FulfilmentKind.MONEY and channel not in MONEY_CHANNELS:
        checks.failed.append(field_error("channel", "invalid_channel", _("Money is given in cash or by bank transfer.")))
    checks.done()
    locked = _locked(wish)
    claim = WishClaim.objects.select_for_update().filter(wish=locked, status__in=LIVE_CLAIM).first()
    if locked.status not in (WishStatus.CLAIMED, WishStatus.FULFILLED) or claim is None:
        raise Conflict("no_claimant", lazy_format(_("Only a claimed wish is fulfilled; this one is %(state)s."),
                                                  {"state": locked.get_status_display()}))
    room = locked.value.amount - locked.fulfilled_value.amount
    if money.amount > room:
        raise ValidationFailed("over_value", lazy_format(
            _("This would deliver more than the wish is worth: ¥%(room)s is left of ¥%(value)s."),
            {"room": f"{room:,.2f}", "value": f"{locked.value.amount:,.2f}"}),
            fields={"value": [("over_value", _("Above the wish's value."))]})
    donation = goods_out = None
    if kind != FulfilmentKind.SERVICE:
        fund = fund_for(locked)
        if fund is None:
            raise Conflict("no_fund", _("The wish's street has no open community fund to record the gift in."))
        donor_name = claim.company_name or claim.party_branch or claim.user.get_full_name() or ""
        if kind == FulfilmentKind.GOODS:
            point = point_for(locked, Channel.GOODS)
            if point is None:
                raise Conflict("no_donation_point", _("The station has no donation point taking goods."))
            assert goods is not None  # (checked above)
            donation = charity.donation_record(actor=actor, fund=fund, amount=money.amount, channel=Channel.GOODS, goods=goods,
                                               point=point, donor_name=donor_name, donor_user=claim.user, message=_memo(locked),
                                               received_at=at)
            goods_out = charity.goods_give_out(actor=actor, point=point, fund=fund, item=goods.item, quantity=goods.quantity,
                                               recipient=f"微心愿 {locked.number}", note=_memo(locked)[:200])
        else:
            if project is not None and project.fund_id != fund.pk:
                raise field_error("project", "project_not_in_fund", _("This project does not belong to the fund."))
            donation = charity.donation_record(actor=actor, fund=fund, amount=money.amount, channel=channel, project=project,
                                               point=point_for(locked, channel), donor_name=donor_name, donor_user=claim.user,
                                               message=_memo(locked), received_at=at)
    made = WishFulfilment.objects.create(
        wish=locked, claim=claim, kind=kind, value=money, goods_item=goods.item if goods else "",
        goods_quantity=goods.quantity if goods else None, goods_unit=goods.unit if goods else "", donation=donation,
        goods_out=goods_out, delivered_on=day, note=note, recorded_by=actor, recorded_at=at)
    locked.fulfilled_value = Money(locked.fulfilled_value.amount + money.amount)
    locked.save(update_fields=["fulfilled_value", "updated_at"])
    if locked.status == WishStatus.CLAIMED:
        transition(locked, to=WishStatus.FULFILLED, allowed_from=[WishStatus.CLAIMED], actor=actor, action="wishes.deliver")
    if claim.status == ClaimStatus.ACTIVE:
        claim.status = ClaimStatus.DELIVERED
        claim.save(update_fields=["status"])
    audit_log(actor=actor, action="wishes.fulfil", obj=made, after={
        "wish": locked.pk, "kind": kind, "value": str(money), "donation": getattr(donation, "pk", None)})
    return made


def photo_in(photo: Any) -> UploadedFile:
    if photo is None or photo == "":
        raise field_error("photo", "photo_required", _("Attach a photo of the hand-over."))
    upload = upload_in(photo, field="photo")
    head = upload.read(8)
    upload.seek(0)
    if not (upload.name or "").lower().endswith(PHOTO_TYPES) or not head.startswith(PHOTO_MAGIC):
        raise field_error("photo", "photo_type", _("The photo is a JPEG or PNG image."))
    return upload


@transaction.atomic
def wish_confirm(*, actor: Any, wish: Wish, photo: Any, acknowledged_by: str, acknowledged_how: str,
                 acknowledged_on: dt.date | None, note: str = "", now: dt.datetime | None = None) -> Wish:
    """The station confirms a delivered wish with a photo (`photo_required`, JPEG or PNG) and the acknowledgement of
    the beneficiary or their guardian or family (`acknowledgement_required`): who, how (signature, verbal, thumbprint),
    on a day from the registration to today. The claim is then fulfilled, and counts on the leaderboard."""
    team_scope(actor, wish.station_id, wish.street.path, wish.pk)
    at = now or timezone.now()
    checks = Checks()
    upload = checks(photo_in, photo)
    if acknowledged_by not in AckBy.values or acknowledged_how not in AckHow.values or acknowledged_on is None:
        checks.failed.append(field_error("acknowledged_by", "acknowledgement_required",
                                         _("Say who acknowledged receipt, how and on which day.")))
    elif not timezone.localdate(wish.registered_at) <= acknowledged_on <= timezone.localdate(at):
        checks.failed.append(field_error("acknowledged_on", "date_out_of_range",
                                         _("The acknowledgement is dated between the wish's registration and today.")))
    note = checks(model_text, WishConfirmation, "note", note) or ""
    checks.done()
    assert acknowledged_on is not None  # (checks.done() raised otherwise)
    locked = _locked(wish)
    if locked.status == WishStatus.CONFIRMED:
        return locked
    if locked.status != WishStatus.FULFILLED:
        raise Conflict("not_delivered", lazy_format(_("Only a delivered wish is confirmed; this one is %(state)s."),
                                                    {"state": locked.get_status_display()}))
    WishConfirmation.objects.create(wish=locked, photo=upload, photo_name=stored_name(upload.name, 128),
                                    photo_sha256=sha256_of(upload), acknowledged_by=acknowledged_by,
                                    acknowledged_how=acknowledged_how, acknowledged_on=acknowledged_on, note=note,
                                    confirmed_by=actor, confirmed_at=at)
    WishClaim.objects.filter(wish=locked, status__in=LIVE_CLAIM).update(status=ClaimStatus.CONFIRMED, ended_at=at)
    return transition(locked, to=WishStatus.CONFIRMED, allowed_from=[WishStatus.FULFILLED], actor=actor, action="wishes.confirm",
                      changes=lambda w: {"ended_at": at, "ended_by": actor},
                      audit={"acknowledged_by": acknowledged_by, "acknowledged_how": acknowledged_how})
