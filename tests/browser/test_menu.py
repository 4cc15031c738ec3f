"""The city administrator's long menu folds into groups: on a desktop the bar fits one row and a group opens to its
entries; on a phone the menu opens from the toggler and a group opens inside it."""

import pytest

from tests.browser.conftest import ARTIFACTS, DESKTOP, ONCE, PHONE, no_horizontal_scroll, open_phone_menu
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, ONCE]


@pytest.fixture
def city_live(transactional_db, city):
    return city


def test_the_grouped_menu_on_a_desktop_and_a_phone(page, live_server, city_live):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "city_admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    bar = page.locator("#sl-nav > ul.navbar-nav")
    assert bar.bounding_box()["height"] < 60  # one row at 1280 px
    services = page.locator("[data-testid=nav-group-services]")
    services.locator(".dropdown-toggle").click()
    assert services.locator(".dropdown-menu").is_visible()
    page.screenshot(path=str(ARTIFACTS / "menu-desktop.png"))
    with page.expect_navigation():
        services.locator("a[href='/cases/caseload/']").click()
    assert "active" in (services.locator(".dropdown-toggle").get_attribute("class") or "")

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    open_phone_menu(page)
    charity = page.locator("[data-testid=nav-group-charity]")
    charity.locator(".dropdown-toggle").click()
    charity.locator("a[href='/charity/funds/']").wait_for(state="visible")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "menu-phone.png"), full_page=True)
    with page.expect_navigation():
        charity.locator("a[href='/charity/funds/']").click()
    assert page.url.endswith("/charity/funds/")
    page.set_viewport_size(DESKTOP)
