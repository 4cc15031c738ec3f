"""The charity staff pages: station workers record gifts, give out goods and ask for payouts; the custodian's
finance officers decide, pay, issue and void receipts and refund. Each page is tried by the roles it is for
and by those it is not (anonymous → login, wrong role → 403, another station's worker → 404), every POST
with good and bad input (a refused POST writes nothing), and list pages keep their query count."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, GoodsMovement, Payout, PayoutStatus, Receipt, ReceiptStatus
from shanlian.charity.selectors.statement import fund_statement
from shanlian.core.models import AuditLog
from shanlian.core.money import Money
from shanlian.ledger.models import Entry
from shanlian.orgs.models import DonationPoint


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def bal(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def gift(books, city, amount="100.00", **kw):
    kw.setdefault("channel", "cash")
    kw.setdefault("donor_name", "林晓红")
    kw.setdefault("point", books.point)
    return cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount=amount, **kw)


def payout(books, city, amount="500.00", by="station_worker", **kw):
    actor = city.users[by] if isinstance(by, str) else by
    return cs.payout_request(actor=actor, fund=books.fund, project=books.project, title=kw.pop("title", "长者午餐食材"),
                             payee=kw.pop("payee", "广州市某粮油店"), lines=[("大米 20 袋", amount)], **kw)


def token() -> str:
    return uuid.uuid4().hex


def gift_data(books, **kw) -> dict:
    data = {"token": token(), "channel": "cash", "point": books.point.pk, "amount": "100.00", "donor_name": "林晓红",
            "message": "祝长者安康"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def payout_data(books, lines=(("大米 20 袋", "500.00"),), **kw) -> dict:
    data = {"token": token(), "project": books.project.pk, "title": "长者午餐食材", "payee": "广州市某粮油店",
            "lines-TOTAL_FORMS": str(len(lines) + 1), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50"}
    for n, (item, amount) in enumerate(lines):
        data[f"lines-{n}-item"], data[f"lines-{n}-amount"] = item, amount
    data.update(kw)
    return data


def codes(response) -> set[str]:
    """The error codes a page shows (every error carries its code)."""
    import re

    return set(re.findall(r'data-error-code="([a-z_]+)"', response.text))


def queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def url(name: str, *args) -> str:
    return reverse(f"charity:{name}", args=args)


# --- who may open what ------------------------------------------------------------------------------


def _urls(books, city):
    d = gift(books, city)
    p = payout(books, city)
    r = cs.receipt_issue(actor=city.users["finance"], donation=d)
    return {
        "fund_list": url("fund_list"), "fund_detail": url("fund_detail", books.fund.code),
        "csv": url("fund_statement_csv", books.fund.code), "gift_create": url("gift_create", books.fund.code),
        "goods_out": url("goods_out", books.fund.code), "payout_create": url("payout_create", books.fund.code),
        "payout_list": url("payout_list"), "payout_detail": url("payout_detail", p.pk), "gift_list": url("gift_list"),
        "gift_detail": url("gift_detail", d.pk), "receipt_list": url("receipt_list"), "receipt_pdf": url("receipt_pdf", r.pk),
    }


def test_anonymous_is_sent_to_login(client, books, city):
    for name, target in _urls(books, city).items():
        response = client.get(target)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("who", ["volunteer", "donor", "expert", "nobody"])
def test_roles_without_charity_work_get_403(login, books, city, who):
    client = login(who)
    for name, target in _urls(books, city).items():
        response = client.get(target)
        assert response.status_code == 403, name
        assert "charity_staff_only" in response.text


def test_another_stations_worker_gets_404_and_it_is_logged(login, books, city):
    urls = _urls(books, city)
    client = login("other_worker")
    for name in ("fund_detail", "csv", "gift_create", "goods_out", "payout_create", "payout_detail", "gift_detail",
                 "receipt_pdf"):
        before = AuditLog.objects.filter(action="access.denied").count()
        response = client.get(urls[name])
        assert response.status_code == 404, name
        assert "北京街社区慈善基金" not in response.text
        assert AuditLog.objects.filter(action="access.denied").count() == before + 1, name
    # Lists are open to them, and empty.
    for name in ("fund_list", "payout_list", "gift_list"):
        response = client.get(urls[name])
        assert response.status_code == 200
        assert 'data-testid="empty"' in response.text, name
    # Receipt books are the finance officers'.
    assert client.get(urls["receipt_list"]).status_code == 403


@pytest.mark.parametrize(("who", "visible"), [
    ("station_worker", {"yx-bjj"}), ("street_officer", {"yx-bjj"}), ("agency_manager", {"yx-bjj", "yx-rmj"}),
    ("finance", {"yx-bjj", "yx-rmj"}), ("district_admin", {"yx-bjj", "yx-rmj"}), ("city_admin", {"yx-bjj", "yx-rmj"}),
    ("other_worker", set()),
])
def test_fund_list_is_scoped(login, books, who, visible):
    response = login(who).get(url("fund_list"))
    assert response.status_code == 200
    import re

    assert set(re.findall(r'data-fund="([a-z-]+)"', response.text)) == visible


def test_fund_list_shows_balance_restricted_and_held(login, books, city):
    gift(books, city, "300.00", project=books.project)
    p = payout(books, city, "200.00")
    cs.payout_approve(actor=city.users["finance"], payout=p)
    response = login("station_worker").get(url("fund_list"))
    body = response.text
    assert "¥10,300.00" in body  # 10,000 start money + 300 restricted
    assert "¥300.00" in body  # restricted
    assert "¥200.00" in body  # held for the approved payout


def test_fund_page_shows_money_statement_projects_gifts_payouts_goods(login, books, city):
    gift(books, city, "88.80", donor_name="林晓红")
    gift(books, city, "50.00", channel="goods", goods=cs.Goods(item="大米", quantity=Decimal("10"), unit="袋"))
    payout(books, city, "120.00", title="重阳节慰问")
    response = login("station_worker").get(url("fund_detail", books.fund.code))
    assert response.status_code == 200
    body = response.text
    assert 'data-testid="count-money">¥10,088.80<' in body  # money only: the rice is counted apart, at value
    assert 'data-testid="count-goods">¥50.00<' in body
    statement = fund_statement(fund=books.fund)
    assert statement.money == Money("10088.80") and statement.goods == Money("50.00")
    assert statement.holdings == statement.closing == Money("10138.80")
    listed = login("station_worker").get(url("fund_list")).text
    assert 'data-testid="fund-money">¥10,088.80<' in listed  # the list and the statement agree on what money is
    assert body.count('data-testid="statement-line"') == 3  # seed, cash gift, goods gift
    assert "+¥88.80" in body
    assert "长者饭堂助餐" in body and "重阳节慰问" in body and "林晓红" in body
    assert "大米" in body and "10 袋" in body
    assert 'data-testid="record-gift"' in body and 'data-testid="give-out-goods"' in body


def test_a_city_admin_sees_the_fund_but_cannot_record(login, books):
    client = login("city_admin")
    response = client.get(url("fund_detail", books.fund.code))
    assert response.status_code == 200 and 'data-testid="record-gift"' not in response.text
    for name in ("gift_create", "goods_out", "payout_create"):
        response = client.get(url(name, books.fund.code))
        assert response.status_code == 403
        assert "not_fund_staff" in response.text
    before = Donation.objects.count()
    assert client.post(url("gift_create", books.fund.code), gift_data(books)).status_code == 403
    assert Donation.objects.count() == before


def test_statement_pages_with_a_more_link_and_htmx_rows(login, books, city, monkeypatch):
    for n in range(5):
        gift(books, city, f"{n + 1}.00")
    import shanlian.charity.views_staff as views

    real = views.fund_statement
    monkeypatch.setattr(views, "fund_statement", lambda **kw: real(**{**kw, "limit": min(kw["limit"], 2)}))
    client = login("station_worker")
    first = client.get(url("fund_detail", books.fund.code))
    assert first.text.count('data-testid="statement-line"') == 2
    assert 'data-testid="statement-more"' in first.text
    import re

    cursor = re.search(r"\?cursor=(\d+)", first.text).group(1)
    more = client.get(url("fund_detail", books.fund.code) + f"?part=statement&cursor={cursor}", HTTP_HX_REQUEST="true")
    assert more.status_code == 200 and "<html" not in more.text
    assert more.text.count('data-testid="statement-line"') == 2
    plain = client.get(url("fund_detail", books.fund.code) + f"?cursor={cursor}")
    assert plain.text.count('data-testid="statement-line"') == 2 and "<html" in plain.text


def test_statement_csv(login, books, city):
    gift(books, city, "1234.50", donor_name="林晓红")
    response = login("finance").get(url("fund_statement_csv", books.fund.code))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = text.strip().splitlines()
    assert len(rows) == 3  # header, the gift, the start money
    assert "1234.50" in rows[1] and "11234.50" in rows[1]


# --- recording a gift -------------------------------------------------------------------------------


def test_record_a_cash_gift(login, books, city):
    client = login("station_worker")
    page = client.get(url("gift_create", books.fund.code))
    assert page.status_code == 200 and 'name="token"' in page.text and books.point.name in page.text
    response = client.post(url("gift_create", books.fund.code), gift_data(books, amount="88.80"))
    assert response.status_code == 302 and response["Location"] == url("fund_detail", books.fund.code)
    d = Donation.objects.get(fund=books.fund, channel="cash")
    assert d.amount.amount == Decimal("88.80") and d.point == books.point and d.recorded_by == city.users["station_worker"]
    assert bal(books.fund.account) == Decimal("10088.80")
    follow = client.get(response["Location"])
    assert "¥88.80" in follow.text


def test_double_submit_records_once(login, books):
    client = login("station_worker")
    data = gift_data(books, amount="66.00")
    first = client.post(url("gift_create", books.fund.code), data)
    second = client.post(url("gift_create", books.fund.code), data)
    assert first.status_code == second.status_code == 302
    assert Donation.objects.filter(fund=books.fund, channel="cash").count() == 1
    assert bal(books.fund.account) == Decimal("10066.00")


@pytest.mark.parametrize(("changes", "code"), [
    ({"amount": "0"}, "amount_not_positive"),
    ({"amount": "-5"}, "amount_not_positive"),
    ({"amount": "1.234"}, "money_precision"),
    ({"amount": "abc"}, "invalid_number"),
    ({"channel": "goods", "goods_item": "大米", "goods_unit": "袋", "amount": "50"}, "goods_required"),
    ({"channel": "goods", "goods_item": "大米", "goods_quantity": "0", "goods_unit": "袋", "amount": "50"}, "too_small"),
    ({"channel": "goods", "goods_item": "大米", "goods_quantity": "abc", "goods_unit": "袋", "amount": "50"}, "invalid_number"),
    ({"channel": "goods", "goods_item": "大米", "goods_quantity": "1e3", "goods_unit": "袋", "amount": "50"}, "invalid_number"),
    ({"channel": "goods", "goods_item": "大米", "goods_quantity": "1000000000000", "goods_unit": "袋", "amount": "50"}, "too_large"),
    ({"channel": "goods", "goods_item": "大" * 65, "goods_quantity": "1", "goods_unit": "袋", "amount": "50"}, "max_length"),
    ({"amount": "12345678901234567"}, "amount_too_large"),
    ({"amount": "1,0,0"}, "invalid_number"),
    ({"amount": "+.5"}, "invalid_number"),
    ({"donor_name": "张\u202e三"}, "control_character"),
    ({"channel": "online"}, "invalid_choice"),
    ({"token": ""}, "required"),
])
def test_bad_gifts_show_an_error_and_write_nothing(login, books, changes, code):
    entries, gifts = Entry.objects.count(), Donation.objects.count()
    response = login("station_worker").post(url("gift_create", books.fund.code), gift_data(books, **changes))
    assert response.status_code == 400
    assert code in codes(response)
    assert 'data-testid="form-errors"' in response.text or "invalid-feedback" in response.text
    assert Entry.objects.count() == entries and Donation.objects.count() == gifts


def test_goods_gift_and_giving_goods_out(login, books, city):
    client = login("station_worker")
    response = client.post(url("gift_create", books.fund.code), gift_data(
        books, channel="goods", amount="100.00", goods_item="食用油", goods_quantity="4", goods_unit="桶"))
    assert response.status_code == 302
    d = Donation.objects.get(channel="goods")
    assert d.goods_quantity == Decimal("4.00") and bal(books.fund.goods_account) == Decimal("100.00")

    page = client.get(url("goods_out", books.fund.code))
    assert page.status_code == 200 and "食用油" in page.text
    stock = f"{books.point.pk}:食用油"
    data = {"token": token(), "stock": stock, "quantity": "1", "recipient": "盐运西社区 陈阿婆", "note": ""}
    assert client.post(url("goods_out", books.fund.code), data).status_code == 302
    assert client.post(url("goods_out", books.fund.code), data).status_code == 302  # sent twice: once
    assert GoodsMovement.objects.filter(quantity__lt=0).count() == 1
    assert bal(books.fund.goods_account) == Decimal("75.00")

    too_many = {"token": token(), "stock": stock, "quantity": "9", "recipient": "x"}
    response = client.post(url("goods_out", books.fund.code), too_many)
    assert response.status_code == 400 and "insufficient_stock" in codes(response)
    no_recipient = {"token": token(), "stock": stock, "quantity": "1", "recipient": ""}
    assert "recipient_required" in codes(client.post(url("goods_out", books.fund.code), no_recipient))
    assert GoodsMovement.objects.filter(quantity__lt=0).count() == 1


def test_restricted_gift_and_campaign(login, books, city):
    client = login("station_worker")
    response = client.post(url("gift_create", books.fund.code),
                           gift_data(books, amount="500.00", project=books.project.pk, campaign=books.campaign.pk))
    assert response.status_code == 302
    d = Donation.objects.get(channel="cash")
    assert d.project == books.project and d.campaign == books.campaign
    assert bal(books.project.restricted_account) == Decimal("500.00")


def test_point_choices_are_the_funds_station_points(login, books, city):
    other = DonationPoint.objects.create(station=city.stations["石牌街"], name="石牌街捐赠站")
    client = login("station_worker")
    page = client.get(url("gift_create", books.fund.code))
    assert books.point.name in page.text and other.name not in page.text
    response = client.post(url("gift_create", books.fund.code), gift_data(books, point=other.pk))
    assert response.status_code == 400 and "invalid_choice" in codes(response)
    assert not Donation.objects.filter(channel="cash").exists()


# --- payouts ----------------------------------------------------------------------------------------


def test_request_a_payout_with_lines_and_attachments(login, books, city):
    client = login("station_worker")
    page = client.get(url("payout_create", books.fund.code))
    assert page.status_code == 200 and 'id="payout-line-template"' in page.text
    data = payout_data(books, lines=[("大米 20 袋", "400.00"), ("食用油 10 桶", "150.50")])
    data["attachments"] = [SimpleUploadedFile("报价单.pdf", b"%PDF-1.4 quote", content_type="application/pdf"),
                           SimpleUploadedFile("plan.png", b"\x89PNG plan", content_type="image/png")]
    response = client.post(url("payout_create", books.fund.code), data)
    assert response.status_code == 302
    p = Payout.objects.get()
    assert response["Location"] == url("payout_detail", p.pk)
    assert p.amount.amount == Decimal("550.50") and p.lines.count() == 2 and p.attachments.count() == 2
    assert p.requested_by == city.users["station_worker"] and p.status == PayoutStatus.REQUESTED
    detail = client.get(response["Location"])
    assert "报价单.pdf" in detail.text and 'data-testid="approve"' not in detail.text
    assert 'data-testid="why-no-actions"' in detail.text


def test_payout_double_submit_records_once(login, books):
    client = login("station_worker")
    data = payout_data(books)
    assert client.post(url("payout_create", books.fund.code), data).status_code == 302
    assert client.post(url("payout_create", books.fund.code), data).status_code == 302
    assert Payout.objects.count() == 1


@pytest.mark.parametrize(("lines", "code"), [
    ([("大米", "20000.00")], "insufficient_balance"),
    ([], "lines_required"),
    ([("大米", "0")], "amount_not_positive"),
    ([("大米", "1.234")], "money_precision"),
    ([("", "100")], "line_item_required"),
])
def test_bad_payout_requests_show_an_error_and_write_nothing(login, books, lines, code):
    response = login("station_worker").post(url("payout_create", books.fund.code), payout_data(books, lines=lines))
    assert response.status_code == 400
    assert code in codes(response)
    assert not Payout.objects.exists()


def test_payout_attachment_type_is_checked(login, books):
    data = payout_data(books)
    data["attachments"] = [SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")]
    response = login("station_worker").post(url("payout_create", books.fund.code), data)
    assert response.status_code == 400 and "attachment_type" in codes(response)
    assert not Payout.objects.exists()


def test_finance_approves_and_records_payment(login, books, city):
    p = payout(books, city, "500.00")
    client = login("finance")
    page = client.get(url("payout_detail", p.pk))
    assert 'data-testid="approve"' in page.text and 'data-testid="reject"' in page.text
    assert client.post(url("payout_approve", p.pk), {"approve-note": "符合预算"}).status_code == 302
    p.refresh_from_db()
    assert p.status == PayoutStatus.APPROVED and p.decided_by == city.users["finance"]
    page = client.get(url("payout_detail", p.pk))
    assert 'data-testid="pay"' in page.text and 'data-testid="approve"' not in page.text

    entries = Entry.objects.count()
    response = client.post(url("payout_pay", p.pk), {"pay-payment_reference": "  "})
    assert response.status_code == 400 and "reference_required" in codes(response)
    assert Entry.objects.count() == entries

    assert client.post(url("payout_pay", p.pk), {"pay-payment_reference": "ICBC-20260101-0001"}).status_code == 302
    p.refresh_from_db()
    assert p.status == PayoutStatus.PAID and p.payment_reference == "ICBC-20260101-0001"
    assert bal(books.fund.account) == Decimal("9500.00")
    page = client.get(url("payout_detail", p.pk))
    assert "ICBC-20260101-0001" in page.text and 'data-testid="why-no-actions"' in page.text


def test_the_requester_cannot_approve(login, books, city):
    p = payout(books, city, "500.00", by="finance")
    client = login("finance")
    page = client.get(url("payout_detail", p.pk))
    assert 'data-testid="approve"' not in page.text
    assert "four eyes" in page.text or "四眼" in page.text or 'data-testid="why-no-actions"' in page.text
    response = client.post(url("payout_approve", p.pk))
    assert response.status_code == 403 and "four_eyes" in codes(response)
    p.refresh_from_db()
    assert p.status == PayoutStatus.REQUESTED
    # The second finance officer may.
    client.force_login(books.finance2)
    assert client.post(url("payout_approve", p.pk)).status_code == 302


def test_a_station_worker_cannot_decide(login, books, city):
    p = payout(books, city, "500.00", by="station_worker")
    client = login("agency_manager")
    response = client.post(url("payout_approve", p.pk))
    assert response.status_code == 403 and "not_custodian_finance" in codes(response)
    p.refresh_from_db()
    assert p.status == PayoutStatus.REQUESTED


def test_reject_needs_a_reason(login, books, city):
    p = payout(books, city)
    client = login("finance")
    response = client.post(url("payout_reject", p.pk), {"reject-reason": ""})
    assert response.status_code == 400 and "reason_required" in codes(response)
    p.refresh_from_db()
    assert p.status == PayoutStatus.REQUESTED
    assert client.post(url("payout_reject", p.pk), {"reject-reason": "预算不符"}).status_code == 302
    p.refresh_from_db()
    assert p.status == PayoutStatus.REJECTED and p.decision_note == "预算不符"


def test_approving_above_the_balance_is_refused(login, books, city):
    p1 = payout(books, city, "8000.00")
    p2 = payout(books, city, "8000.00", title="第二笔")
    client = login("finance")
    assert client.post(url("payout_approve", p1.pk)).status_code == 302
    response = client.post(url("payout_approve", p2.pk))
    assert response.status_code == 400 and "insufficient_balance" in codes(response)
    p2.refresh_from_db()
    assert p2.status == PayoutStatus.REQUESTED


def test_attachments_are_served_only_in_scope(login, books, city):
    upload = SimpleUploadedFile("报价单.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    p = payout(books, city, attachments=[upload])
    a = p.attachments.get()
    target = url("payout_attachment", p.pk, a.pk)
    for who in ("station_worker", "finance"):
        response = login(who).get(target)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 quote"
        assert "attachment" in response["Content-Disposition"]
    assert login("other_worker").get(target).status_code == 404
    assert login("volunteer").get(target).status_code == 403
    other = payout(books, city, "10.00", title="另一笔")
    assert login("finance").get(url("payout_attachment", other.pk, a.pk)).status_code == 404  # not this payout's


def test_payout_list_filters_and_is_scoped(login, books, city):
    p1 = payout(books, city, "100.00")
    p2 = payout(books, city, "200.00", title="第二笔")
    cs.payout_reject(actor=city.users["finance"], payout=p2, note="不符")
    client = login("finance")
    body = client.get(url("payout_list")).text
    assert body.count('data-testid="payout-row"') == 2
    body = client.get(url("payout_list") + "?status=requested").text
    assert body.count('data-testid="payout-row"') == 1 and f'data-payout-id="{p1.pk}"' in body
    assert login("other_worker").get(url("payout_list")).text.count('data-testid="payout-row"') == 0


# --- gifts, receipts, refunds -------------------------------------------------------------------------


def test_gift_list_filters(login, books, city):
    gift(books, city, "10.00")
    d = gift(books, city, "20.00", channel="transfer", point=None)
    gift(books, city, "30.00", channel="goods", goods=cs.Goods(item="大米", quantity=Decimal("1"), unit="袋"))
    cs.receipt_issue(actor=city.users["finance"], donation=d)
    client = login("finance")
    rows = lambda q="": client.get(url("gift_list") + q).text.count('data-testid="gift-row"')  # noqa: E731
    assert rows() == 4  # with the start money
    assert rows("?channel=transfer") == 1
    assert rows("?receipt=issued") == 1
    assert rows("?receipt=none") == 3
    assert rows(f"?fund={books.other_fund.code}") == 0
    assert rows("?start=2000-01-01&end=2000-01-02") == 0
    assert rows("?channel=nope") == 4  # a bad filter is shown and ignored
    assert login("station_worker").get(url("gift_list")).text.count('data-testid="gift-row"') == 4


def test_issue_void_and_refund(login, books, city):
    d = gift(books, city, "200.00")
    client = login("finance")
    page = client.get(url("gift_detail", d.pk))
    assert 'data-testid="issue-receipt"' in page.text and 'data-testid="refund"' in page.text
    assert client.post(url("gift_receipt_issue", d.pk)).status_code == 302
    r = Receipt.objects.get(donation=d)
    page = client.get(url("gift_detail", d.pk))
    assert r.display_number in page.text and 'data-testid="void-receipt"' in page.text
    assert 'data-testid="refund"' not in page.text

    # A receipted gift cannot be refunded (the service says so, the page shows it).
    response = client.post(url("gift_refund", d.pk), {"refund-reason": "捐赠人要求"})
    assert response.status_code == 409 and "donation_receipted" in codes(response)
    response = client.post(url("receipt_void", r.pk), {"void-reason": ""})
    assert response.status_code == 400 and "reason_required" in codes(response)
    assert client.post(url("receipt_void", r.pk), {"void-reason": "抬头有误"}).status_code == 302
    r.refresh_from_db()
    assert r.status == ReceiptStatus.VOIDED

    response = client.post(url("gift_refund", d.pk), {"refund-reason": ""})
    assert response.status_code == 400 and "reason_required" in codes(response)
    assert client.post(url("gift_refund", d.pk), {"refund-reason": "捐赠人要求"}).status_code == 302
    d.refresh_from_db()
    assert d.status == "refunded" and bal(books.fund.account) == Decimal("10000.00")


def test_station_worker_sees_a_gift_but_no_finance_buttons(login, books, city):
    d = gift(books, city)
    client = login("station_worker")
    page = client.get(url("gift_detail", d.pk))
    assert page.status_code == 200 and 'data-testid="issue-receipt"' not in page.text
    assert 'data-testid="why-no-actions"' in page.text
    response = client.post(url("gift_receipt_issue", d.pk))
    assert response.status_code == 403 and "not_custodian_finance" in codes(response)
    assert not Receipt.objects.exists()


def test_receipt_pdf(login, books, city):
    d = gift(books, city, "1234.50", donor_name="林晓红")
    r = cs.receipt_issue(actor=city.users["finance"], donation=d)
    response = login("station_worker").get(url("receipt_pdf", r.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_receipt_list_shows_numbers_without_gaps(login, books, city):
    finance = city.users["finance"]
    receipts = [cs.receipt_issue(actor=finance, donation=gift(books, city, f"{n}.00")) for n in range(1, 5)]
    cs.receipt_void(actor=finance, receipt=receipts[1], reason="抬头有误")
    cs.receipt_void(actor=finance, receipt=receipts[2], reason="金额有误")
    response = login("finance").get(url("receipt_list"))
    assert response.status_code == 200
    body = response.text
    assert body.count('data-testid="receipt-row"') == 4
    assert 'data-testid="gapless"' in body and "1–4" in body
    year = receipts[0].year
    assert login("finance").get(url("receipt_list") + "?status=voided").text.count('data-testid="receipt-row"') == 2
    assert login("finance").get(url("receipt_list") + f"?year={year}").text.count('data-testid="receipt-row"') == 4
    for who in ("station_worker", "city_admin"):
        assert login(who).get(url("receipt_list")).status_code == 403


# --- no N+1 -------------------------------------------------------------------------------------------


def test_list_pages_keep_their_query_count(login, books, city):
    client = login("finance")
    lists = [url("fund_list"), url("payout_list"), url("gift_list"), url("receipt_list")]
    gift(books, city)
    payout(books, city, "10.00")
    cs.receipt_issue(actor=city.users["finance"], donation=Donation.objects.filter(channel="cash").first())
    few = [queries(client, u) for u in lists]
    admin = city.users["finance"]
    import datetime as dt

    for n in range(4):
        fund = cs.fund_create(actor=admin, code=f"yx-x{n}", name=f"测试基金{n}", division=city.communities["都府"],
                              custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), seed="100")
        cs.project_create(actor=admin, fund=fund, title=f"项目{n}", purpose="elderly", budget="1000",
                          starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 1, 1))
        d = gift(books, city, f"{n + 1}.00", project=books.project, campaign=books.campaign, donor_key=f"k{n}")
        cs.receipt_issue(actor=admin, donation=d)
        payout(books, city, f"{n + 1}.00", title=f"支出{n}")
    many = [queries(client, u) for u in lists]
    assert few == many


def test_fund_page_query_count_does_not_grow(login, books, city):
    client = login("station_worker")
    gift(books, city)
    few = queries(client, url("fund_detail", books.fund.code))
    for n in range(5):
        gift(books, city, f"{n + 1}.00", channel="goods", goods=cs.Goods(item=f"物资{n}", quantity=Decimal("2"), unit="件"))
        payout(books, city, f"{n + 1}.00", title=f"支出{n}")
    assert queries(client, url("fund_detail", books.fund.code)) == few
