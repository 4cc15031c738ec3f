"""The charity services over the ledger: gifts, matching, restricted money, payouts with four eyes,
refunds by reversal, management fees, receipts. Every refusal leaves the ledger untouched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, GoodsMovement, MatchGift, PayoutStatus, Receipt, ReceiptStatus
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.money import Money
from shanlian.ledger.models import Entry
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries


def bal(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def gift(books, city, amount="100.00", **kw):
    kw.setdefault("channel", "cash")
    kw.setdefault("donor_name", "林晓红")
    kw.setdefault("point", books.point)
    return cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount=amount, **kw)


def test_fund_starts_with_federation_money(books):
    assert bal(books.fund.account) == Decimal("10000.00")
    seed = Donation.objects.get(fund=books.fund, channel="seed")
    assert seed.donor_name == "广州市越秀区慈善会" and seed.show_name


def test_only_a_federation_holds_funds(city):
    with pytest.raises(ValidationFailed) as err:
        cs.fund_create(actor=city.users["city_admin"], code="x", name="x", division=city.streets["北京街"],
                       custodian=city.orgs["启明"], opened_on=dt.date(2025, 1, 1))
    assert err.value.code == "custodian_not_federation"


def test_station_worker_cannot_open_a_fund(city):
    with pytest.raises(PermissionDenied):
        cs.fund_create(actor=city.users["station_worker"], code="x", name="x", division=city.streets["北京街"],
                       custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1))


def test_cash_gift_at_a_point_moves_cash_and_fund(books, city):
    d = gift(books, city, "88.80")
    assert d.amount == Money("88.80") and d.recorded_by == city.users["station_worker"]
    assert bal(books.fund.account) == Decimal("10088.80")
    assert not unbalanced_entries() and not balances_mismatched()


@pytest.mark.parametrize(("amount", "code"), [("0", "amount_not_positive"), ("-5", "amount_not_positive"),
                                               ("1.234", "money_precision"), ("abc", "invalid_number"), ("", "invalid_number")])
def test_bad_amounts_post_nothing(books, city, amount, code):
    entries = Entry.objects.count()
    with pytest.raises(ValidationFailed) as err:
        gift(books, city, amount)
    assert err.value.code == code
    assert Entry.objects.count() == entries


def test_another_station_cannot_record_for_this_fund(books, city):
    with pytest.raises(PermissionDenied):
        cs.donation_record(actor=city.users["other_worker"], fund=books.fund, amount="10", channel="cash", donor_name="x")


def test_staff_cannot_record_online_gifts(books, city):
    with pytest.raises(ValidationFailed) as err:
        gift(books, city, channel="online")
    assert err.value.code == "channel_not_allowed"


def test_closed_campaign_and_wrong_target_are_refused(books, city):
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    with pytest.raises(ValidationFailed) as err:
        gift(books, city, campaign=books.campaign)
    assert err.value.code == "campaign_not_open"
    with pytest.raises(ValidationFailed) as err:
        cs.donation_record(actor=city.users["finance"], fund=books.other_fund, amount="5", channel="transfer",
                           donor_name="x", campaign=books.campaign, late_ok=True)
    assert err.value.code == "campaign_target_mismatch"


def test_same_external_id_same_gift_once_different_gift_409(books, city):
    a = gift(books, city, "50", external_id="slip-001")
    b = gift(books, city, "50", external_id="slip-001")
    assert a.pk == b.pk and bal(books.fund.account) == Decimal("10050.00")
    with pytest.raises(Conflict) as err:
        gift(books, city, "51", external_id="slip-001")
    assert err.value.code == "idempotency_mismatch"


def test_match_posts_with_the_gift_within_caps(books, city):
    fa = city.users["finance"]
    d = cs.donation_record(actor=fa, fund=books.fund, amount="60", channel="transfer", donor_name="周敏",
                           campaign=books.campaign, donor_key="p1", _skip_access=True)
    assert d.match.amount == Money("60.00")
    assert bal(books.fund.account) == Decimal("10120.00")
    assert bal(books.pool.account) == Decimal("1440.00")
    # the same donor reaches the per-donor cap of 100: only 40 more is matched
    d2 = cs.donation_record(actor=fa, fund=books.fund, amount="60", channel="transfer", donor_name="周敏",
                            campaign=books.campaign, donor_key="p1", _skip_access=True)
    assert d2.match.amount == Money("40.00")
    d3 = cs.donation_record(actor=fa, fund=books.fund, amount="10", channel="transfer", donor_name="周敏",
                            campaign=books.campaign, donor_key="p1", _skip_access=True)
    assert not MatchGift.objects.filter(donation=d3).exists()
    # entry of a matched gift holds both legs
    assert d.entry.postings.count() == 4
    assert not balances_mismatched()


def test_match_stops_at_day_and_total_caps(books, city):
    fa = city.users["finance"]
    for i in range(12):  # 12 donors x 100 = 1,200 wanted; the day cap is 1,000
        cs.donation_record(actor=fa, fund=books.fund, amount="100", channel="transfer", donor_name=f"捐赠人{i}",
                           campaign=books.campaign, donor_key=f"d{i}", _skip_access=True)
    books.pool.refresh_from_db()
    assert books.pool.matched_total == Money("1000.00")
    assert bal(books.pool.account) == Decimal("500.00")


def test_gift_and_match_post_together_or_not_at_all(books, city, monkeypatch):
    from shanlian.charity.intake import writer as mod

    def boom(*a, **k):
        raise RuntimeError("crash after posting")

    monkeypatch.setattr(mod, "tally_add", boom)
    entries, fund_before, pool_before = Entry.objects.count(), bal(books.fund.account), bal(books.pool.account)
    with pytest.raises(RuntimeError):
        cs.donation_record(actor=city.users["finance"], fund=books.fund, amount="50", channel="transfer", donor_name="x",
                           campaign=books.campaign, donor_key="k", _skip_access=True)
    assert Entry.objects.count() == entries
    assert (bal(books.fund.account), bal(books.pool.account)) == (fund_before, pool_before)
    assert not MatchGift.objects.exists()


def test_restricted_gift_sits_with_its_project(books, city):
    gift(books, city, "300", project=books.project)
    assert bal(books.project.restricted_account) == Decimal("300.00")
    assert bal(books.fund.account) == Decimal("10000.00")


def test_goods_in_and_out_keep_an_inventory(books, city):
    sw = city.users["station_worker"]
    cs.donation_record(actor=sw, fund=books.fund, amount="600", channel="goods", donor_name="华润万家北京路店", point=books.point,
                       goods=cs.Goods(item="大米", quantity=Decimal("20"), unit="袋"))
    out = cs.goods_give_out(actor=sw, point=books.point, fund=books.fund, item="大米", quantity="5", recipient="陈**")
    assert out.value == Money("-150.00")
    assert cs.goods_stock(point=books.point, fund=books.fund, item="大米")[0] == Decimal("15")
    with pytest.raises(ValidationFailed) as err:
        cs.goods_give_out(actor=sw, point=books.point, fund=books.fund, item="大米", quantity="16", recipient="x")
    assert err.value.code == "insufficient_stock"
    assert bal(books.fund.goods_account) == Decimal("450.00")
    assert GoodsMovement.objects.count() == 2


def request(books, city, amount="2000", who="station_worker", project=None):
    return cs.payout_request(actor=city.users[who], fund=books.fund, project=project or books.project, title="三月助餐",
                             payee="北京街长者饭堂", lines=[("餐费补贴", amount)])


def test_payout_four_eyes_reserve_then_pay(books, city):
    gift(books, city, "500", project=books.project)
    p = request(books, city, "2000")
    p = cs.payout_approve(actor=city.users["finance"], payout=p)
    assert p.status == PayoutStatus.APPROVED
    draws = sorted((d.restricted, d.amount) for d in p.draws.all())
    assert draws == [(False, Money("1500.00")), (True, Money("500.00"))]
    books.fund.account.refresh_from_db()
    assert books.fund.account.held == Decimal("1500.00")
    p = cs.payout_pay(actor=city.users["finance"], payout=p, payment_reference="BOC20261122001")
    assert p.status == PayoutStatus.PAID
    assert bal(books.fund.account) == Decimal("8500.00") and bal(books.project.restricted_account) == 0
    # The same reference again is quiet; another reference is refused, not dropped (issue 11, item 6).
    assert cs.payout_pay(actor=city.users["finance"], payout=p, payment_reference="BOC20261122001").payment_reference == "BOC20261122001"
    with pytest.raises(Conflict) as exc:
        cs.payout_pay(actor=city.users["finance"], payout=p, payment_reference="again")
    assert exc.value.code == "payout_paid_other_reference" and "BOC20261122001" in exc.value.message_in("en")
    assert not balances_mismatched()


def test_requester_cannot_approve(books, city):
    p = request(books, city, who="finance")
    with pytest.raises(PermissionDenied) as err:
        cs.payout_approve(actor=city.users["finance"], payout=p)
    assert err.value.code == "four_eyes"
    assert cs.payout_approve(actor=books.finance2, payout=p).decided_by == books.finance2


def test_station_cannot_approve_and_overspending_is_refused(books, city):
    p = request(books, city)
    with pytest.raises(PermissionDenied):
        cs.payout_approve(actor=city.users["station_worker"], payout=p)
    with pytest.raises(ValidationFailed) as err:
        request(books, city, "10000.01")
    assert err.value.code == "insufficient_balance"


def test_restricted_money_is_not_spent_on_another_project(books, city):
    gift(books, city, "800", project=books.project)
    other = cs.project_create(actor=city.users["finance"], fund=books.fund, title="四点半课堂", purpose="children", budget="5000",
                              starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    p = cs.payout_approve(actor=city.users["finance"], payout=request(books, city, "10000", project=other))
    assert all(not d.restricted for d in p.draws.all())
    with pytest.raises(ValidationFailed):
        request(books, city, "0.01", project=other)  # the general money is all reserved; the 800 stays restricted
    assert bal(books.project.restricted_account) == Decimal("800.00")


def test_restricted_fund_pays_only_its_purpose(city):
    fa = city.users["finance"]
    fund = cs.fund_create(actor=fa, code="yx-bjj-elder", name="北京街助老专项基金", division=city.streets["北京街"],
                          custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), restricted=True, purpose="elderly")
    with pytest.raises(ValidationFailed) as err:
        cs.project_create(actor=fa, fund=fund, title="青少年足球", purpose="children", budget="1000",
                          starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 6, 30))
    assert err.value.code == "purpose_mismatch"


def test_refund_reverses_gift_and_match(books, city):
    d = cs.donation_record(actor=city.users["finance"], fund=books.fund, amount="80", channel="transfer", donor_name="x",
                           campaign=books.campaign, donor_key="k", _skip_access=True)
    r = cs.donation_refund(actor=city.users["finance"], donation=d, reason="捐赠人误操作")
    assert r.status == "refunded" and r.refund_entry.reverses == d.entry
    assert bal(books.fund.account) == Decimal("10000.00") and bal(books.pool.account) == Decimal("1500.00")
    books.pool.refresh_from_db()
    assert books.pool.matched_total == Money(0)
    assert cs.donation_refund(actor=city.users["finance"], donation=d, reason="again").refund_entry == r.refund_entry


def test_two_gifts_cannot_share_a_refund_entry(books, city):
    """The refund's key is partial (gifts not refunded are not in it) and still unique."""
    from django.db import IntegrityError

    first, second = gift(books, city, "30"), gift(books, city, "40")
    refunded = cs.donation_refund(actor=city.users["finance"], donation=first, reason="退回")
    with pytest.raises(IntegrityError, match="charity_donation_refunded_once|UNIQUE constraint"), transaction.atomic():
        Donation.objects.filter(pk=second.pk).update(status="refunded", refund_entry=refunded.refund_entry)
    assert Donation.objects.get(pk=second.pk).refund_entry_id is None


def test_receipted_gift_cannot_be_refunded_until_voided(books, city):
    d = gift(books, city, "100")
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=d)
    with pytest.raises(Conflict) as err:
        cs.donation_refund(actor=city.users["finance"], donation=d, reason="x")
    assert err.value.code == "donation_receipted"
    cs.receipt_void(actor=city.users["finance"], receipt=receipt, reason="开错抬头")
    cs.donation_refund(actor=city.users["finance"], donation=d, reason="退回")


def test_receipt_numbers_have_no_gaps_and_voided_stay_voided(books, city):
    fa = city.users["finance"]
    gifts = [gift(books, city, f"{10 + i}") for i in range(3)]
    r1, r2, r3 = (cs.receipt_issue(actor=fa, donation=g) for g in gifts)
    assert [r1.number, r2.number, r3.number] == [1, 2, 3]
    assert cs.receipt_issue(actor=fa, donation=gifts[0]).pk == r1.pk
    cs.receipt_void(actor=fa, receipt=r2, reason="金额有误")
    again = cs.receipt_issue(actor=fa, donation=gifts[1])
    assert again.number == 4
    assert Receipt.objects.get(pk=r2.pk).status == ReceiptStatus.VOIDED
    with pytest.raises(ValidationFailed):
        cs.receipt_void(actor=fa, receipt=r1, reason=" ")
    with pytest.raises(PermissionDenied):
        cs.receipt_issue(actor=city.users["station_worker"], donation=gifts[2])


def test_fee_comes_from_unrestricted_income_only(books, city):
    past = timezone.now() - dt.timedelta(days=40)
    gift(books, city, "1000", received_at=past)
    gift(books, city, "3000", received_at=past, project=books.project)
    day = timezone.localdate(past)
    fee = cs.fee_charge(actor=city.users["finance"], fund=books.fund, period_start=day, period_end=day)
    assert (fee.base, fee.amount) == (Money("1000.00"), Money("50.00"))
    assert bal(books.fund.account) == Decimal("10950.00")
    assert cs.fee_charge(actor=city.users["finance"], fund=books.fund, period_start=day, period_end=day).pk == fee.pk


def test_leftover_follows_the_rule(books, city):
    fa = city.users["finance"]
    gift(books, city, "700", project=books.project)
    similar = cs.project_create(actor=fa, fund=books.fund, title="长者助浴", purpose="elderly", budget="8000",
                                starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 6, 30))
    with pytest.raises(ValidationFailed) as err:
        cs.project_end(actor=fa, project=books.project)
    assert err.value.code == "leftover_target_required"
    cs.project_end(actor=fa, project=books.project, move_leftover_to=similar)
    assert bal(similar.restricted_account) == Decimal("700.00")
    with pytest.raises(ValidationFailed) as err:
        gift(books, city, "1", project=books.project)
    assert err.value.code == "project_ended"


@pytest.mark.django_db(transaction=True)
def test_nothing_half_written_when_the_ledger_refuses(books, city):
    """A payout approval that cannot reserve everything reserves nothing."""
    p = request(books, city, "9000")
    q = request(books, city, "9000")
    cs.payout_approve(actor=city.users["finance"], payout=p)
    with pytest.raises(ValidationFailed), transaction.atomic():
        cs.payout_approve(actor=city.users["finance"], payout=q)
    q.refresh_from_db()
    assert q.status == PayoutStatus.REQUESTED and not q.draws.exists()


def test_fee_on_restricted_gifts_only_when_the_agreement_allows(city):
    fa = city.users["finance"]
    fund = cs.fund_create(actor=fa, code="yx-rmj-2", name="人民街助学基金", division=city.streets["人民街"],
                          custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), fee_rate="0.1", fee_on_restricted=True)
    project = cs.project_create(actor=fa, fund=fund, title="助学", purpose="education", budget="9000",
                                starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 1, 1))
    past = timezone.now() - dt.timedelta(days=40)
    cs.donation_record(actor=fa, fund=fund, amount="500", channel="transfer", donor_name="x", received_at=past)
    cs.donation_record(actor=fa, fund=fund, amount="1500", channel="transfer", donor_name="y", received_at=past, project=project)
    day = timezone.localdate(past)
    fee = cs.fee_charge(actor=fa, fund=fund, period_start=day, period_end=day)
    assert (fee.base, fee.amount) == (Money("2000.00"), Money("200.00"))
    with pytest.raises(ValidationFailed) as err:
        cs.fee_charge(actor=fa, fund=fund, period_start=day, period_end=timezone.localdate())
    assert err.value.code == "period_not_over"
