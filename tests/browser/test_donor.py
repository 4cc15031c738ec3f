"""A donor on a phone opens a Giving-Day campaign, gives ¥50 with FakePay (no login), sees the thanks
page with the sponsor's match, finds the campaign's progress went up, and opens the gift's page with
where the money went and the ledger proof. Screenshots at 390 px and 1280 px."""

import re

import pytest

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, PaymentStatus
from shanlian.ledger import sealing
from tests.browser.conftest import ONCE, PHONE, no_horizontal_scroll
from tests.browser.conftest import shoot as browser_shoot
from tests.charity.conftest import books  # noqa: F401  (the charity books fixture, shared)

pytestmark = [pytest.mark.browser, ONCE]

@pytest.fixture
def books_live(transactional_db, books):  # noqa: F811
    return books


def shoot(page, name: str) -> None:
    browser_shoot(page, f"give-{name}")


def test_donor_gives_fifty_yuan_on_a_phone(page, live_server, books_live, city):
    gd = books_live
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/give/")
    assert no_horizontal_scroll(page)
    shoot(page, "campaigns")
    page.locator("[data-testid=campaign-card]").first.click()
    page.wait_for_url(f"**/give/{gd.campaign.slug}/")
    raised_before = page.locator("[data-testid=raised]").inner_text()
    gifts_before = int(page.locator("[data-testid=gift-count]").get_attribute("data-count"))
    assert raised_before == "¥0.00" and gifts_before == 0
    assert page.locator("[data-testid=match-pool]").is_visible()
    assert no_horizontal_scroll(page)
    shoot(page, "campaign")

    page.locator("label[for=id_preset_1]").click()  # the ¥50 preset
    assert page.locator("[data-testid=preset-50]").is_checked()
    page.fill("#id_donor_name", "林晓红")
    page.fill("#id_message", "祝长者们身体健康")
    page.locator("[data-testid=give-submit]").click()
    page.wait_for_url(re.compile(r".*/give/fakepay/pi_[0-9a-f]{32}/$"))
    assert page.locator("[data-testid=fakepay-demo-banner]").is_visible()
    assert page.locator("[data-testid=checkout-amount]").inner_text() == "¥50.00"
    assert no_horizontal_scroll(page)
    shoot(page, "checkout")

    page.locator("[data-testid=fakepay-pay]").click()
    page.wait_for_url(re.compile(r".*/give/thanks/pi_[0-9a-f]{32}/$"))
    ref = page.url.rstrip("/").rsplit("/", 1)[-1]
    thanks = page.locator("[data-testid=thanks]").inner_text()
    assert "林晓红" in thanks and "¥50.00" in thanks
    match = page.locator("[data-testid=thanks-match]").inner_text()
    assert "广州善源科技有限公司" in match and "¥50.00" in match and "¥100.00" in match
    assert page.locator("[data-testid=receipt-note]").is_visible()
    assert no_horizontal_scroll(page)
    shoot(page, "thanks")

    gift = Donation.objects.get(external_id=ref)
    assert gift.intent.status == PaymentStatus.SUCCEEDED and gift.match.amount.amount == 50

    page.goto(f"{live_server.url}/give/{gd.campaign.slug}/")
    assert page.locator("[data-testid=raised]").inner_text() == "¥100.00"
    assert int(page.locator("[data-testid=gift-count]").get_attribute("data-count")) == gifts_before + 1
    assert "林**" in page.locator("[data-testid=recent-gifts]").inner_text()

    # Where did the money go: the fund pays the project, the ledger is sealed, the proof is there.
    page.goto(f"{live_server.url}/give/gift/{ref}/")
    assert page.locator("[data-testid=not-sealed]").is_visible()
    payout = cs.payout_request(actor=city.users["station_worker"], fund=gd.fund, project=gd.project, title="三月长者助餐",
                               payee="北京街长者饭堂", lines=[("餐费", "800.00"), ("食材", "400.00")])
    cs.payout_approve(actor=gd.finance2, payout=payout)
    cs.payout_pay(actor=gd.finance2, payout=payout, payment_reference="BANK-2026-0301")
    sealing.seal_create()
    page.reload()
    assert "三月长者助餐" in page.locator("[data-testid=payouts]").inner_text()
    assert page.locator("[data-testid=seal-hash]").is_visible()
    assert page.locator("[data-testid=donor-name]").inner_text() == "林晓红"
    assert no_horizontal_scroll(page)
    shoot(page, "gift")
