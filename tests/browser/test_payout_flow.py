"""Custody separation in a browser: a station worker records a cash gift at the donation point and asks
for a payout with one budget line and an attachment; a finance officer of the custodian federation
approves it and records the payment; the fund's balance drops by exactly the payout. Every page is
photographed at 1280 px and 390 px into test-artifacts/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shanlian.charity import services as cs
from shanlian.charity.models import Payout, PayoutStatus
from tests.browser.conftest import ARTIFACTS, ONCE
from tests.charity.conftest import books  # noqa: F401  (the charity books fixture)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, ONCE]


@pytest.fixture
def books_live(transactional_db, settings, tmp_path, books):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    return books


def shoot(page, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"charity-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def station_worker_user():
    return get_user_model().objects.get(username="station_worker")


def balance(page) -> str:
    return page.locator("[data-testid=count-money]").inner_text().strip()


def test_gift_then_payout_with_four_eyes(page, live_server, books_live, tmp_path):
    b = books_live
    base = live_server.url
    fund_url = f"{base}/charity/funds/{b.fund.code}/"

    # --- the station worker -------------------------------------------------------------------------
    sign_in(page, base, "station_worker")
    page.goto(f"{base}/charity/funds/")
    assert page.locator("[data-testid=fund-row]").count() == 1
    shoot(page, "fund-list")
    page.goto(fund_url)
    assert balance(page) == "¥10,000.00"

    page.click("[data-testid=record-gift]")
    page.wait_for_url("**/gifts/new/")
    goods = page.locator("[data-testid=goods-fields]")
    assert not goods.is_visible()
    page.check("input[name=channel][value=goods]")
    assert goods.is_visible()
    shoot(page, "gift-form-goods")
    page.check("input[name=channel][value=cash]")
    assert not goods.is_visible()
    page.select_option("#id_point", str(b.point.pk))
    page.fill("#id_amount", "500.00")
    page.fill("#id_donor_name", "林晓红")
    page.fill("#id_message", "祝长者安康")
    shoot(page, "gift-form")
    page.click("[data-testid=save-gift]")
    page.wait_for_url(fund_url)
    assert balance(page) == "¥10,500.00"
    assert "林晓红" in page.locator("[data-testid=recent-gifts]").inner_text()
    shoot(page, "fund-detail")

    # A bad amount is refused with its code, on the page.
    page.goto(f"{fund_url}gifts/new/")
    page.fill("#id_amount", "1.234")
    page.click("[data-testid=save-gift]")
    assert page.locator("[data-error-code=money_precision]").first.is_visible()
    shoot(page, "gift-form-error")

    # Goods given at the point can be given out again (the page lists what each point holds).
    cs.donation_record(actor=station_worker_user(), fund=b.fund, amount="80.00", channel="goods", point=b.point,
                       donor_name="爱心企业", goods=cs.Goods(item="大米", quantity=Decimal("8"), unit="袋"))
    page.goto(f"{fund_url}goods/out/")
    page.select_option("#id_stock", f"{b.point.pk}:大米")
    page.fill("#id_quantity", "2")
    page.fill("#id_recipient", "盐运西社区 陈阿婆")
    shoot(page, "goods-out-form")
    page.click("[data-testid=give-out]")
    page.wait_for_url(fund_url)
    assert "6 袋" in page.locator("[data-testid=goods]").inner_text()

    page.goto(fund_url)
    page.click("[data-testid=request-payout]")
    page.wait_for_url("**/payouts/new/")
    page.select_option("#id_project", str(b.project.pk))
    page.fill("#id_title", "重阳节长者午餐食材")
    page.fill("#id_payee", "广州市北京路粮油店")
    page.fill("#id_lines-0-item", "大米 20 袋、食用油 10 桶")
    page.fill("#id_lines-0-amount", "300.00")
    page.click("[data-testid=add-line]")  # an extra empty line is no line
    assert page.locator("[data-testid=payout-line]").count() == 2
    assert page.locator("#lines-total").inner_text() == "¥300.00"
    quote = tmp_path / "报价单.pdf"
    quote.write_bytes(b"%PDF-1.4\n% quote for rice and oil\n")
    page.set_input_files("#id_attachments", str(quote))
    shoot(page, "payout-form")
    page.click("[data-testid=submit-payout]")
    page.wait_for_url(re.compile(r".*/charity/payouts/\d+/$"))
    payout = Payout.objects.get()
    assert payout.amount.amount == 300 and payout.lines.count() == 1 and payout.attachments.count() == 1
    assert page.locator("[data-testid=approve]").count() == 0
    assert page.locator("[data-testid=why-no-actions]").is_visible()
    shoot(page, "payout-detail-requested")

    # --- the finance officer -------------------------------------------------------------------------
    sign_in(page, base, "finance")
    page.goto(f"{base}/charity/payouts/?status=requested")
    assert page.locator("[data-testid=payout-row]").count() == 1
    shoot(page, "payout-list")
    page.click(f"[data-payout-id='{payout.pk}'] a")
    page.wait_for_url(f"{base}/charity/payouts/{payout.pk}/")
    with page.expect_download() as download:
        page.click("[data-testid=attachment]")
    assert download.value.suggested_filename == "报价单.pdf"
    page.fill("#id_approve-note", "符合项目预算")
    page.click("[data-testid=approve]")
    page.wait_for_url(f"{base}/charity/payouts/{payout.pk}/")
    assert page.locator("[data-testid=payout-status]").get_attribute("data-status") == PayoutStatus.APPROVED
    shoot(page, "payout-detail-approved")
    page.fill("#id_pay-payment_reference", "ICBC-20261009-0001")
    page.click("[data-testid=pay]")
    page.wait_for_url(f"{base}/charity/payouts/{payout.pk}/")
    assert page.locator("[data-testid=payout-status]").get_attribute("data-status") == PayoutStatus.PAID
    assert "ICBC-20261009-0001" in page.locator("[data-testid=payout-history]").inner_text()
    shoot(page, "payout-detail-paid")

    page.goto(fund_url)
    assert balance(page) == "¥10,200.00"  # 10,000 + 500 given - 300 paid out
    assert "¥300.00" in page.locator("[data-testid=project-spent]").inner_text()
    shoot(page, "fund-detail-after-payout")

    # Receipts: the finance officer issues one for the gift, and the receipt book shows no gaps.
    page.goto(f"{base}/charity/gifts/?channel=cash")
    shoot(page, "gift-list")
    page.locator("[data-testid=gift-row] a").first.click()
    page.click("[data-testid=issue-receipt]")
    assert page.locator("[data-testid=gift-receipts]").is_visible()
    shoot(page, "gift-detail")
    page.goto(f"{base}/charity/receipts/")
    assert "none missing" in page.locator("[data-testid=number-runs]").inner_text() or \
        "无缺号" in page.locator("[data-testid=number-runs]").inner_text() or \
        page.locator("[data-testid=gapless]").count() == 1
    shoot(page, "receipt-list")
