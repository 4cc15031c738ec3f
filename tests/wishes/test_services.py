"""A test per rule of the micro-wishes' services: registering (consent, cap, dates, what the wall may say), editing before a
claim, cancelling, one live claim (in Python and in the database), expiry (the job and the lazy read), withdrawing,
messages, fulfilment through the charity's records (goods and money, partial, never above the value) and confirmation
with a photo and an acknowledgement. Every refusal has its code and leaves nothing half-saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from shanlian.charity.models import Donation, GoodsMovement
from shanlian.core.errors import DomainError
from shanlian.core.money import Money
from shanlian.ledger.selectors import balances_mismatched
from shanlian.wishes import selectors as sel
from shanlian.wishes import services as ws
from shanlian.wishes import services_fulfil as wf
from shanlian.wishes.models import Wish, WishClaim, WishConfirmation, WishFulfilment
from shanlian.wishes.monthly import wish_counts
from shanlian.wishes.selectors_stats import station_year_counts

from .conftest import photo

pytestmark = pytest.mark.django_db


def LAPSED() -> dict:  # noqa: N802
    return {"claimed_at": timezone.now() - dt.timedelta(days=8), "expires_at": timezone.now() - dt.timedelta(minutes=1)}


def refused(code: str, fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code or code in {c for errs in caught.value.fields.values() for c, _m in errs}, caught.value
    return caught.value


def deliver(site, wish, value="180", claimant="donor", **claim):
    ws.wish_claim(actor=site.users[claimant], wish=wish, **claim)
    return wf.wish_fulfil(actor=site.users["station_worker"], wish=wish, kind="goods", value=value, goods_item="电风扇",
                          goods_quantity="1", goods_unit="台")


# --- registering ----------------------------------------------------------------------------------------------------

def test_the_case_team_registers_a_wish_in_the_beneficiarys_community(site):
    wish = site.wish()
    assert wish.status == "open" and wish.value == Money("180.00") and wish.area == site.city.communities["盐运西"]
    assert wish.street == site.city.streets["北京街"] and wish.station == site.city.stations["北京街"]
    manager = site.wish(worker="agency_manager", title="老花镜一副", value="80")
    assert manager.registered_by == site.users["agency_manager"]


@pytest.mark.parametrize("value, code", [("0", "amount_not_positive"), ("-5", "amount_not_positive"), ("500.01", "over_cap"),
                                         ("12.345", "money_precision"), ("abc", "invalid_number")])
def test_a_value_above_zero_and_within_the_cap(site, value, code):
    before = Wish.objects.count()
    err = refused(code, site.wish, value=value)
    assert "value" in err.fields and Wish.objects.count() == before


def test_the_cap_is_a_setting(site, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "WISHES_VALUE_CAP": "1000"}
    assert site.wish(value="800").value == Money("800.00")


@pytest.mark.parametrize("days, code", [(0, "needed_by_past"), (-3, "needed_by_past"), (400, "needed_by_too_far")])
def test_needed_by_in_the_future_and_bounded(site, days, code):
    refused(code, site.wish, days=days)
    assert not Wish.objects.filter(title="一台电风扇", needed_by__lte=timezone.localdate()).exists()


def test_the_wall_text_may_not_name_the_person_or_their_address(site):
    refused("name_in_public_text", site.wish, description="陈秀英阿婆想要一台电风扇")
    refused("address_in_public_text", site.wish, description="送到越秀区盐运西街十二号")
    assert not Wish.objects.exists()


def test_a_wish_needs_the_persons_consent(site):
    refused("consent_missing", site.wish, beneficiary=site.unconsented)
    assert not Wish.objects.exists()


def test_a_withdrawn_consent_takes_the_wish_off_the_wall(site):
    from shanlian.cases import services as cases

    shown, kept = site.wish(), site.wish(beneficiary=site.far, worker="other_worker", title="助听器电池")
    assert shown.consent.purpose == "wish" and {w.pk for w in sel.wall()} == {shown.pk, kept.pk}
    assert sel.wall_counts().open == 2
    cases.consent_withdraw(actor=site.users["station_worker"], consent=shown.consent)
    assert [w.pk for w in sel.wall()] == [kept.pk] and sel.wall_counts().open == 1
    assert site.client("anonymous").get(f"/public/wishes/{shown.pk}/").status_code == 404
    refused("off_wall", ws.wish_claim, actor=site.users["donor"], wish=shown)
    assert not WishClaim.objects.exists() and Wish.objects.get(pk=shown.pk).status == "open"
    page = site.client("station_worker").get(f"/wishes/{shown.pk}/").content.decode()
    assert 'data-testid="off-wall"' in page  # the station still sees it, marked
    assert site.client("station_worker").get(f"/api/wishes/station/{shown.pk}").json()["on_wall"] is False
    assert 'data-testid="off-wall"' not in site.client("other_worker").get(f"/wishes/{kept.pk}/").content.decode()


def test_a_wish_comes_off_the_wall_when_its_consent_expires(site):
    w = site.wish()
    w.consent.expires_on = timezone.localdate()
    w.consent.save(update_fields=["expires_on"])
    assert not sel.wall().filter(pk=w.pk).exists() and sel.wall_counts().open == 0


def test_only_the_case_team_registers(site):
    refused("not_found", site.wish, worker="other_worker")  # another station: as if the beneficiary did not exist
    refused("not_case_team", site.wish, worker="street_officer")  # sees the record masked, writes nothing
    refused("not_found", site.wish, worker="donor")
    assert not Wish.objects.exists()


def test_bad_choices_and_long_texts_are_refused_together(site):
    err = refused("invalid_choice", ws.wish_register, actor=site.users["station_worker"], beneficiary=site.elder, title="x" * 41,
                  wish_for="nobody", kind="car", value="1", needed_by=timezone.localdate() + dt.timedelta(days=3))
    assert {"title", "wish_for", "kind"} <= set(err.fields)


# --- editing and cancelling -----------------------------------------------------------------------------------------

def test_an_open_wish_is_edited_with_a_version_check(site):
    wish = site.wish()
    done = ws.wish_update(actor=site.users["station_worker"], wish=wish, version=1, value="150", title="一台落地电风扇")
    assert done.version == 2 and done.value == Money("150.00")
    refused("stale_version", ws.wish_update, actor=site.users["station_worker"], wish=wish, version=1, value="120")
    assert Wish.objects.get(pk=wish.pk).value == Money("150.00")


def test_a_claimed_wish_is_not_edited(site):
    wish = site.wish()
    ws.wish_claim(actor=site.users["donor"], wish=wish)
    refused("not_editable", ws.wish_update, actor=site.users["station_worker"], wish=wish, version=1, value="120")


def test_cancel_needs_a_reason_and_ends_the_claim(site):
    wish = site.wish()
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    refused("reason_required", ws.wish_cancel, actor=site.users["station_worker"], wish=wish, reason=" ")
    done = ws.wish_cancel(actor=site.users["station_worker"], wish=wish, reason="老人已由子女购买")
    assert done.status == "cancelled" and WishClaim.objects.get(pk=claim.pk).status == "cancelled"
    refused("wish_not_open", ws.wish_claim, actor=site.users["volunteer"], wish=wish)


# --- claims ---------------------------------------------------------------------------------------------------------

def test_one_live_claim_per_wish(site):
    wish = site.wish()
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    assert claim.status == "active" and claim.expires_at - claim.claimed_at == dt.timedelta(days=7)
    assert Wish.objects.get(pk=wish.pk).status == "claimed" and claim.claimant_label == "捐**"
    refused("already_claimed", ws.wish_claim, actor=site.users["volunteer"], wish=wish)
    assert WishClaim.objects.filter(wish=wish).count() == 1


def test_the_database_holds_one_live_claim(site):
    wish = site.wish()
    first = ws.wish_claim(actor=site.users["donor"], wish=wish)
    with pytest.raises(IntegrityError), transaction.atomic():
        WishClaim.objects.create(wish=wish, user=site.users["volunteer"], claimant_key="x", claimant_label="x",
                                 claimed_at=first.claimed_at, expires_at=first.expires_at)


def test_the_database_holds_values_and_states(site):
    wish = site.wish()
    for bad in ({"value": Decimal("0")}, {"fulfilled_value": Decimal("181")}, {"status": "lost"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Wish.objects.filter(pk=wish.pk).update(**bad)


def test_the_stations_own_staff_do_not_claim_its_wishes(site):
    wish = site.wish()
    refused("own_station", ws.wish_claim, actor=site.users["station_worker"], wish=wish)
    refused("own_station", ws.wish_claim, actor=site.users["agency_manager"], wish=wish)
    # another station's worker, an officer: residents like anyone else
    assert ws.wish_claim(actor=site.users["other_worker"], wish=wish).status == "active"


def test_a_claim_as_a_party_member_counts_the_members(site):
    wish = site.wish()
    refused("too_small", ws.wish_claim, actor=site.users["volunteer"], wish=wish, kind="party", party_members="0")
    refused("too_large", ws.wish_claim, actor=site.users["volunteer"], wish=wish, kind="party", party_members="999")
    claim = ws.wish_claim(actor=site.users["volunteer"], wish=wish, kind="party", party_branch="越秀区某公司党支部", party_members="6")
    assert claim.party_members == 6 and claim.claimant_label == "越秀区某公司党支部"


def test_a_claim_for_a_company_checks_its_credit_code(site):
    wish = site.wish()
    refused("required", ws.wish_claim, actor=site.users["donor"], wish=wish, kind="company")
    refused("invalid_credit_code", ws.wish_claim, actor=site.users["donor"], wish=wish, kind="company", company_name="广州善源科技有限公司",
            credit_code="91440101MA59XXXX00")
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish, kind="company", company_name="广州善源科技有限公司",
                          credit_code="91350100M000100Y43")
    assert claim.credit_code == "91350100M000100Y43" and claim.claimant_key == "org:91350100M000100Y43"


def test_a_person_holds_a_bounded_number_of_live_claims(site, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "WISHES_LIVE_CLAIMS_MAX": 1}
    ws.wish_claim(actor=site.users["donor"], wish=site.wish())
    refused("too_many_claims", ws.wish_claim, actor=site.users["donor"], wish=site.wish(title="老花镜"))


def test_a_claim_expires_and_the_wish_reopens_by_the_job(site):
    wish = site.wish()
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    assert ws.claims_expire(timezone.now() + dt.timedelta(days=6)) == 0
    assert ws.claims_expire(timezone.now() + dt.timedelta(days=8)) == 1
    assert WishClaim.objects.get(pk=claim.pk).status == "expired" and Wish.objects.get(pk=wish.pk).status == "open"
    assert ws.claims_expire(timezone.now() + dt.timedelta(days=8)) == 0  # twice: nothing more
    assert ws.wish_claim(actor=site.users["volunteer"], wish=wish).status == "active"


def test_a_claim_past_its_time_ends_when_the_wish_is_read_or_claimed(site):
    wish = site.wish()
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    WishClaim.objects.filter(pk=claim.pk).update(**LAPSED())
    assert sel.wall().filter(pk=wish.pk).exists()  # the wall reads it open before anything is written
    assert Wish.objects.get(pk=wish.pk).status == "claimed"
    assert sel.wish_public_get(wish.pk).status == "open"  # the read ended it
    assert WishClaim.objects.get(pk=claim.pk).status == "expired"
    other = site.wish(title="老花镜")
    late = ws.wish_claim(actor=site.users["donor"], wish=other)
    WishClaim.objects.filter(pk=late.pk).update(**LAPSED())
    assert ws.wish_claim(actor=site.users["volunteer"], wish=other).status == "active"  # the claim itself ends it


def test_an_open_wish_past_its_day_expires(site):
    wish = site.wish(days=2)
    assert ws.claims_expire(timezone.now() + dt.timedelta(days=4)) == 1
    assert Wish.objects.get(pk=wish.pk).status == "expired"
    refused("wish_not_open", ws.wish_claim, actor=site.users["donor"], wish=wish)


def test_the_claimant_withdraws_and_nobody_else(site):
    wish = site.wish()
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    refused("not_found", ws.claim_withdraw, actor=site.users["volunteer"], claim=claim)
    assert ws.claim_withdraw(actor=site.users["donor"], claim=claim).status == "withdrawn"
    assert Wish.objects.get(pk=wish.pk).status == "open"


# --- messages -------------------------------------------------------------------------------------------------------

def test_the_station_messages_the_claimant_only(site):
    wish = site.wish()
    refused("no_claimant", ws.message_send, actor=site.users["station_worker"], wish=wish, text="周六上午十点社工站交接")
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    refused("not_case_team", ws.message_send, actor=site.users["street_officer"], wish=wish, text="x")
    refused("required", ws.message_send, actor=site.users["station_worker"], wish=wish, text="  ")
    sent = ws.message_send(actor=site.users["station_worker"], wish=wish, text="请于周六上午十点带到北京路1号社工站")
    assert sent.claim == claim and sent.from_station
    reply = ws.message_reply(actor=site.users["donor"], claim=claim, text="好的，准时到")
    assert not reply.from_station
    refused("not_found", ws.message_reply, actor=site.users["volunteer"], claim=claim, text="x")


# --- fulfilment -----------------------------------------------------------------------------------------------------

def test_goods_go_through_the_donation_points_records(site):
    wish = site.wish()
    refused("no_claimant", wf.wish_fulfil, actor=site.users["station_worker"], wish=wish, kind="goods", value="180",
            goods_item="电风扇", goods_quantity="1", goods_unit="台")
    made = deliver(site, wish)
    assert made.donation.channel == "goods" and made.donation.fund == site.fund and made.donation.point == site.point
    assert made.goods_out.quantity == Decimal("-1") and made.goods_out.point == site.point and "W" in made.goods_out.recipient
    assert Wish.objects.get(pk=wish.pk).status == "fulfilled" and made.claim.status == "delivered"
    assert not balances_mismatched()
    refused("claim_not_active", ws.claim_withdraw, actor=site.users["donor"], claim=made.claim)


def test_money_goes_to_the_fund_restricted_to_a_project(site):
    wish = site.wish(kind="money", title="助听器电池一年份", value="240")
    ws.wish_claim(actor=site.users["donor"], wish=wish)
    made = wf.wish_fulfil(actor=site.users["station_worker"], wish=wish, kind="money", value="240", channel="transfer",
                          project=site.project)
    gift = Donation.objects.get(pk=made.donation_id)
    assert gift.fund == site.fund and gift.project == site.project and gift.amount == Money("240.00")
    assert wish.number in gift.message and not balances_mismatched()


def test_partial_fulfilment_never_above_the_value(site):
    wish = site.wish(kind="money", title="学习书桌", value="350")
    ws.wish_claim(actor=site.users["donor"], wish=wish)
    w = site.users["station_worker"]
    wf.wish_fulfil(actor=w, wish=wish, kind="money", value="200", channel="cash")
    gifts = Donation.objects.count()
    refused("over_value", wf.wish_fulfil, actor=w, wish=wish, kind="money", value="150.01", channel="cash")
    assert Donation.objects.count() == gifts  # nothing half-saved: no gift without its fulfilment
    wf.wish_fulfil(actor=w, wish=wish, kind="goods", value="150", goods_item="台灯", goods_quantity="1", goods_unit="个")
    assert Wish.objects.get(pk=wish.pk).fulfilled_value == Money("350.00")
    refused("over_value", wf.wish_fulfil, actor=w, wish=wish, kind="money", value="0.01", channel="cash")


def test_a_service_wish_is_fulfilled_by_a_service(site):
    wish = site.wish(kind="service", title="上门理发一次", value="50")
    ws.wish_claim(actor=site.users["volunteer"], wish=wish)
    refused("kind_mismatch", wf.wish_fulfil, actor=site.users["station_worker"], wish=wish, kind="money", value="50")
    made = wf.wish_fulfil(actor=site.users["station_worker"], wish=wish, kind="service", value="50")
    assert made.donation is None


def test_goods_without_a_donation_point_are_refused_whole(site):
    wish = site.wish()
    ws.wish_claim(actor=site.users["donor"], wish=wish)
    site.point.accepts_goods = False
    site.point.save()
    try:
        refused("no_donation_point", wf.wish_fulfil, actor=site.users["station_worker"], wish=wish, kind="goods", value="180",
                goods_item="电风扇", goods_quantity="1", goods_unit="台")
    finally:
        site.point.accepts_goods = True
        site.point.save()
    assert not WishFulfilment.objects.exists() and not GoodsMovement.objects.exists()


# --- confirmation ---------------------------------------------------------------------------------------------------

def confirm(site, wish, **kw):
    args = {"photo": photo(), "acknowledged_by": "beneficiary", "acknowledged_how": "signature",
            "acknowledged_on": timezone.localdate(), **kw}
    return wf.wish_confirm(actor=site.users["station_worker"], wish=wish, **args)


def test_confirmation_needs_a_photo_and_an_acknowledgement(site):
    wish = site.wish()
    refused("not_delivered", confirm, site, wish)
    deliver(site, wish)
    refused("photo_required", confirm, site, wish, photo=None)
    refused("attachment_type", confirm, site, wish, photo=photo("x.txt"))
    refused("photo_type", confirm, site, wish, photo=SimpleUploadedFile("x.png", b"GIF89a" + b"0" * 20))
    refused("acknowledgement_required", confirm, site, wish, acknowledged_by="")
    refused("acknowledgement_required", confirm, site, wish, acknowledged_how="nodded")
    assert not WishConfirmation.objects.exists() and Wish.objects.get(pk=wish.pk).status == "fulfilled"
    done = confirm(site, wish, acknowledged_by="guardian", acknowledged_how="thumbprint")
    assert done.status == "confirmed" and done.ended_at is not None
    assert WishClaim.objects.get(wish=wish).status == "confirmed" and done.confirmation.photo_sha256


def test_the_leaderboard_counts_fulfilled_wishes_not_claims(site):
    confirmed = site.wish()
    deliver(site, confirmed)
    confirm(site, confirmed)
    ws.wish_claim(actor=site.users["volunteer"], wish=site.wish(title="老花镜"))  # claimed only
    board = sel.leaderboard()
    assert [(b.label, b.wishes, b.value) for b in board] == [("捐**", 1, Money("180.00"))]


def test_counts_per_station_and_year_and_for_the_monthly_report(site):
    party = site.wish(title="冬季棉被", value="150")
    deliver(site, party, value="150", claimant="volunteer", kind="party", party_branch="某公司党支部", party_members="6")
    confirm(site, party)
    other = site.wish(title="轮椅坐垫", value="120")
    deliver(site, other, value="100")
    confirm(site, other)
    site.wish(title="老花镜", value="80")
    year = timezone.localdate().year
    [row] = station_year_counts(site.users["station_worker"], year=year)
    assert (row.registered, row.fulfilled, row.value_fulfilled, row.claimants, row.party_person_times) == (
        3, 2, Money("250.00"), 2, 6)
    assert row.median_days is not None and row.median_days >= 0
    assert station_year_counts(site.users["other_worker"], year=year) == []
    refused("not_station_reader", station_year_counts, site.users["donor"], year=year)
    today = timezone.localdate()
    counts = wish_counts([site.city.stations["北京街"].pk, site.city.stations["石牌街"].pk], today.replace(day=1),
                         today + dt.timedelta(days=1))
    assert counts == {site.city.stations["北京街"].pk: {"wishes": 2, "value": Decimal("250.00"), "claimants": 2,
                                                        "party_person_times": 6}}


def test_an_officer_sees_the_wish_masked_and_changes_nothing(site):
    wish = site.wish(private_note="老人右耳听力差，送达时请大声说话")
    officer = sel.wish_file(site.users["street_officer"], sel.wish_get(site.users["street_officer"], wish.pk))
    assert officer.beneficiary_name == "陈**" and officer.private_note == "" and not officer.team
    team = sel.wish_file(site.users["station_worker"], sel.wish_get(site.users["station_worker"], wish.pk))
    assert team.beneficiary_name == "陈秀英" and "听力" in team.private_note
    for who in ("other_worker", "volunteer", "donor"):
        refused("not_found", sel.wish_get, site.users[who], wish.pk)
    refused("not_case_team", ws.wish_cancel, actor=site.users["district_admin"], wish=wish, reason="x")
