"""A resident on a phone becomes a volunteer and spends her first credits: she registers, passes the
certification quiz, signs up for a shift, checks in and (two hours later, by the server's clock) out
through the QR URL, the organizer approves her hours on the hours queue, she sees the credits and her
progress to the next star, and (with the first star set low for the test) redeems an item.

The server's clock travels with time-machine (the live server runs in this process), so check-in and
check-out are real requests at the shift's start and end, with real rotating tokens."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shanlian.timebank import services as ts
from shanlian.timebank.models import CatalogItem, HoursRecord, QuizAttempt, QuizQuestion, Redemption, Volunteer
from tests.browser.conftest import ARTIFACTS, DESKTOP, ONCE, PHONE, no_horizontal_scroll
from tests.browser.conftest import shoot as browser_shoot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, ONCE]

@pytest.fixture
def city_live(transactional_db, city):
    return city


def shoot(page, name: str) -> None:
    browser_shoot(page, f"timebank-{name}")


def sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/?next=/timebank/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_volunteer_from_registration_to_spent_credits(page, browser, live_server, city_live, settings):
    city = city_live
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (1, 300, 600, 1000, 1500)}
    station = city.stations["北京街"]
    for i in range(12):
        QuizQuestion.objects.create(station=station, text=f"志愿服务守则第{i + 1}题：服务对象的隐私应当保密吗？",
                                    choices=["应当保密", "可以公开"], answer=i % 2)
    start = (timezone.now() + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    activity = ts.activity_publish(
        actor=city.users["station_worker"], station=station, title="长者饭堂送餐", category="elderly",
        division=city.communities["盐运西"], place="盐运西社区长者饭堂", shifts=[(start, start + dt.timedelta(hours=2), 4)],
        description="为行动不便的长者送午餐上门，顺带陪伴聊天。",
    )
    shift = activity.shifts.get()
    item = CatalogItem.objects.create(station=station, merchant="北京街阿芳理发店", name="长者理发券", price="1", stock=2)

    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "volunteer")
    page.wait_for_url(f"{live_server.url}/timebank/")
    page.locator("[data-testid=register-link]").click()
    page.wait_for_url("**/timebank/register/")
    page.locator("label", has_text="扶老助老").click()
    page.locator("label", has_text="周六上午").click()
    assert no_horizontal_scroll(page)
    shoot(page, "register")
    page.locator("[data-testid=register-submit]").click()
    page.wait_for_url(f"{live_server.url}/timebank/")
    volunteer = Volunteer.objects.get(person=city.users["volunteer"].person)
    assert page.locator("[data-testid=number]").inner_text() == volunteer.number

    page.locator("[data-testid=quiz-todo] a").click()
    page.locator("[data-testid=quiz-start]").click()
    attempt = QuizAttempt.objects.get(volunteer=volunteer)
    answers = QuizQuestion.objects.in_bulk(attempt.question_ids)
    for n, qid in enumerate(attempt.question_ids, start=1):
        page.locator(f"[data-testid=q{n}-c{answers[qid].answer}]").check()
    shoot(page, "quiz")
    page.locator("[data-testid=quiz-submit]").click()
    page.locator("[data-testid=quiz-certificate]").wait_for()  # the answer page, before the database is read
    attempt.refresh_from_db()
    assert attempt.passed and page.locator("[data-testid=quiz-certificate]").inner_text() == attempt.certificate_code

    page.goto(f"{live_server.url}/timebank/activities/")
    assert page.locator("[data-testid=activity]", has_text="长者饭堂送餐").is_visible()
    assert no_horizontal_scroll(page)
    shoot(page, "activities")
    page.locator(f"[data-testid=signup-{shift.pk}]").click()
    page.wait_for_url(f"**/timebank/activities/{activity.pk}/")
    assert page.locator("[data-testid=signed-up]").is_visible()

    # The organizer shows the shift's QR on a tablet; at the start the volunteer's camera opens its URL.
    organizer = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    org_page = organizer.new_page()
    org_page.set_default_timeout(15000)
    sign_in(org_page, live_server.url, "station_worker")
    org_page.wait_for_url(f"{live_server.url}/timebank/")

    def code_on_screen() -> str:
        org_page.goto(f"{live_server.url}/timebank/manage/shifts/{shift.pk}/qr/")
        token = org_page.locator("[data-testid=qr-fragment]").get_attribute("data-token")
        assert token
        return token

    with time_machine.travel(shift.starts_at + dt.timedelta(minutes=3), tick=True):
        page.goto(f"{live_server.url}/timebank/scan/?t={code_on_screen()}")
        assert page.locator("[data-testid=scan-activity]").inner_text() == "长者饭堂送餐"
        shoot(page, "scan")
        page.locator("[data-testid=check-in]").click()
        page.locator("[data-testid=checked-in]").wait_for(state="visible")  # (is_visible() would not wait for the answer)
    with time_machine.travel(shift.ends_at - dt.timedelta(minutes=2), tick=True):
        page.goto(f"{live_server.url}/timebank/scan/?t={code_on_screen()}")
        page.locator("[data-testid=check-out]").click()
        assert "1.5" in page.locator("[data-testid=pending-hours]").inner_text()
        shoot(page, "checked-out")
    record = HoursRecord.objects.get(volunteer=volunteer)
    assert record.status == "pending" and record.hours.value == Decimal("1.5")

    # The organizer approves on the hours queue.
    org_page.goto(f"{live_server.url}/timebank/manage/hours/")
    org_page.locator(f"#record-{record.pk}").check()
    org_page.locator("[data-testid=approve]").click()
    assert org_page.locator(f"[data-testid=result][data-record-id='{record.pk}']").get_attribute("data-result-code") == "ok"
    org_page.screenshot(path=str(ARTIFACTS / "timebank-hours-queue-desktop.png"), full_page=True)
    organizer.close()
    record.refresh_from_db()
    assert record.status == "approved" and record.approved_by == city.users["station_worker"]

    page.goto(f"{live_server.url}/timebank/")
    assert page.locator("[data-testid=balance]").inner_text() == "1.5"
    assert page.locator("[data-testid=stars]").get_attribute("data-stars") == "1"
    assert re.search(r"298\.5", page.locator("[data-testid=next-star]").inner_text())
    assert no_horizontal_scroll(page)
    shoot(page, "home")

    page.goto(f"{live_server.url}/timebank/catalog/")
    page.locator(f"[data-testid=redeem-{item.pk}]").click()
    assert page.locator("[data-testid=balance-after]").inner_text() == "0.5"  # what is left, before anything is spent
    assert Redemption.objects.count() == 0
    page.locator("[data-testid=redeem-confirm-submit]").click()
    page.wait_for_url("**/timebank/redemptions/")
    assert page.locator("[data-testid=pickup-code]").inner_text() == Redemption.objects.get().pickup_code
    assert page.locator("[data-testid=redemption]", has_text="长者理发券").is_visible()
    shoot(page, "redemptions")
    item.refresh_from_db()
    volunteer.account.refresh_from_db()
    assert item.stock == 1 and volunteer.account.balance == Decimal("0.50") and Redemption.objects.count() == 1
