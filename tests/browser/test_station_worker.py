"""A station worker signs in, sees only their street's people with masked IDs, is refused another
street's person, and finds an organization by its pinyin initials."""

import pytest

from tests.browser.conftest import ARTIFACTS, ONCE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, ONCE]


@pytest.fixture
def city_live(transactional_db, city):
    return city


def test_station_worker_journey(page, live_server, city_live):
    city = city_live
    page.goto(f"{live_server.url}/")  # the front door; a social worker signs in from it
    page.locator("[data-testid=nav-login]").click()
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "station_worker")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.screenshot(path=str(ARTIFACTS / "home-desktop.png"), full_page=True)

    page.goto(f"{live_server.url}/people/")
    rows = page.locator("[data-testid=person-row]")
    names = set(rows.all_inner_texts())
    text = " ".join(names)
    assert "陈秀英" in text and "李伟" in text
    assert "张建国" not in text and "王芳" not in text
    body = page.content()
    assert "440100********0026" in body and "139****5678" in body
    assert "440100195203150026" not in body and "13912345678" not in body
    page.screenshot(path=str(ARTIFACTS / "people-desktop.png"), full_page=True)

    other = city.people["张建国"]
    response = page.goto(f"{live_server.url}/people/{other.pk}/")
    assert response is not None and response.status == 404
    assert "张建国" not in page.content()

    page.goto(f"{live_server.url}/orgs/")
    page.fill("input[name=q]", "gzsyxqq")
    page.keyboard.press("Enter")
    page.wait_for_url("**/orgs/?*q=gzsyxqq*")
    results = page.locator("main").inner_text()
    assert "广州市越秀区启明社会工作服务中心" in results
    assert "广州市天河区同心社会工作服务中心" not in results

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/people/")
    assert page.locator("[data-testid=person-row]").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "people-phone.png"), full_page=True)
