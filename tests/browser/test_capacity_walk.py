"""In chromium: a respondent answers a diagnosis on a phone through their link, and the agency's manager reads the
report, whose radar chart is drawn beside the peer median and the previous diagnosis, at desktop and phone width
without sideways scrolling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.evaluation.models import Answer
from tests.browser.conftest import ONCE, PHONE, no_horizontal_scroll, shoot
from tests.evaluation.test_capacity_fixtures import answer, capacity, peer_org, reported
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, ONCE]


@pytest.fixture
def city_live(transactional_db, city):
    return city


def test_a_respondent_answers_on_a_phone_and_the_report_shows_the_radar_beside_the_peer_median(page, live_server, city_live):
    city = city_live
    cap = capacity(city)
    reported(cap, cap.org, {"finance": 2, "hr": 2}, on=timezone.localdate() - dt.timedelta(days=370))
    for name in ("暖阳", "和悦", "善邻"):
        reported(cap, peer_org(city, name), 3)
    d = cap.start()
    board, director, *staff = d.respondents.order_by("role", "id")
    answer(board, 4)
    answer(director, {"finance": 3})

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("evaluation_public:capacity_answer", args=[staff[0].token]))
    assert page.locator("[data-testid=item]").count() == 24
    assert no_horizontal_scroll(page)
    shoot(page, "capacity-answer")
    for item in page.locator("[data-testid=item]").all():
        item.locator("label.list-group-item").nth(1).click()  # level 2 each
    page.locator("[data-testid=answer-submit]").click()
    page.wait_for_selector("[data-testid=answered]")
    assert Answer.objects.filter(respondent=staff[0], level=2).count() == 24

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "agency_manager")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("evaluation:capacity_diagnosis", args=[d.pk]))
    chart = page.locator("#sl-chart-radar")
    chart.locator("canvas").first.wait_for()
    assert chart.get_attribute("data-series") == "this peers previous"
    assert page.locator("[data-testid=dimension-row][data-code=finance]").get_attribute("data-peer") == "3.00"
    shoot(page, "capacity-diagnosis")
    assert no_horizontal_scroll(page)
    assert page.locator("#sl-chart-radar canvas").first.bounding_box()["width"] > 200
