"""The demo as a visitor meets it: on the seeded demo city, a visitor on a phone finds the open appeal from the
front door, gives ¥100 with FakePay, the federation's finance office issues the receipt, the visitor checks the
receipt by its code from the front door's box, and when the ledger's seal job next runs (every ten minutes) the
gift's proof checks against the root the platform publishes."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from shanlian.charity.models import Donation
from shanlian.core.scheduler import Scheduler
from shanlian.demo.seed import demo_password
from shanlian.ledger import sealing
from shanlian.schedule import SCHEDULE
from tests.browser.conftest import PHONE, no_horizontal_scroll, shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(connection.vendor != "sqlite",
                       reason="the demo runs on the embedded SQLite database"),
]


@pytest.fixture
def demo_live(transactional_db):
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("seed_demo", stdout=StringIO())
        yield


def test_a_visitor_gives_from_the_front_door_and_checks_receipt_and_proof(page, browser, live_server, demo_live):
    seals = Scheduler([job for job in SCHEDULE if job.name == "ledger-seal"])
    start = timezone.now()
    seals.tick(start)  # the job's first run, when the server starts

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    appeal = page.locator("[data-testid=open-appeals] [data-testid=campaign-card]").first
    assert "冬日暖心" in appeal.inner_text()
    appeal.click()
    page.wait_for_url(re.compile(r".*/give/gz-winter-\d{4}/$"))
    page.locator("label[for=id_preset_2]").click()  # ¥100
    page.fill("#id_donor_name", "陈晓雯")
    page.locator("[data-testid=give-submit]").click()
    page.wait_for_url(re.compile(r".*/give/fakepay/pi_[0-9a-f]{32}/$"))
    assert page.locator("[data-testid=checkout-amount]").inner_text() == "¥100.00"
    page.locator("[data-testid=fakepay-pay]").click()
    page.wait_for_url(re.compile(r".*/give/thanks/pi_[0-9a-f]{32}/$"))
    ref = page.url.rstrip("/").rsplit("/", 1)[-1]
    gift = Donation.objects.get(external_id=ref)
    assert gift.amount.amount == 100 and gift.donor_name == "陈晓雯"

    # The federation's finance office issues the receipt from the gift's page.
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    office.goto(f"{live_server.url}/accounts/login/?next=/charity/gifts/{gift.pk}/")
    office.fill("#id_username", "finance")
    office.fill("#id_password", demo_password())
    office.click("button[type=submit]")
    office.wait_for_url(f"**/charity/gifts/{gift.pk}/")
    office.locator("[data-testid=issue-receipt]").click()
    office.locator("[data-testid=gift-receipts]").wait_for()
    office.context.close()

    # The visitor's own gift page names the receipt's code; the front door's box checks it.
    page.goto(f"{live_server.url}/give/gift/{ref}/")
    code = page.locator("[data-testid=receipt-code]").inner_text().strip()
    assert page.locator("[data-testid=not-sealed]").is_visible()
    page.goto(f"{live_server.url}/")
    box = page.locator("[data-testid=verify-box]")
    box.locator("select").select_option("receipt")
    box.locator("input[name=code]").fill(code)
    box.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/public/receipts/.+/$"))
    text = page.locator("main").inner_text()
    assert "¥100.00" in text and "陈**" in text and "作废" not in text
    assert no_horizontal_scroll(page)
    shoot(page, "demo-receipt-check")

    # Five minutes on, the seal job has not run again; ten minutes on it has, and the proof checks.
    assert seals.tick(start + dt.timedelta(minutes=5)) == []
    assert seals.tick(start + dt.timedelta(minutes=10)) == ["ledger-seal"]
    page.goto(f"{live_server.url}/give/gift/{ref}/")
    assert page.locator("[data-testid=seal-hash]").is_visible()
    proof = page.request.get(f"{live_server.url}/give/gift/{ref}/proof.json").json()
    assert proof["entry_id"] == gift.entry_id and sealing.check_proof(proof)
    published = page.request.get(f"{live_server.url}/public/seals/{proof['seal']['seq']}.json").json()
    assert published["seal_hash"] == proof["seal_hash"] and published["merkle_root"] == proof["merkle_root"]
    shoot(page, "demo-gift-proof")
