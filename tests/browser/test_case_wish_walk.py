"""From a home visit to the bureau's report, in chromium: 林晓彤 (北京街 station) opens a case for 陈秀英, an elder living
alone, assesses her with the Barthel index, writes a plan and submits it; the agency's manager approves it; she records
a home visit and registers a wish for her; 谢永强 claims it on his phone from the public wall, which never shows her
name; the station records the goods handed over and confirms with a photo and her acknowledgement; and this month's
report for the station counts the visit and the fulfilled wish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanlian.cases.models import Instrument
from shanlian.cases.standard import standard_instruments
from tests.browser.conftest import ARTIFACTS, ONCE, PHONE, no_horizontal_scroll, shoot
from tests.factories import PASSWORD
from tests.wishes.conftest import PNG, build_site

pytestmark = [pytest.mark.browser, ONCE]


@pytest.fixture
def site_live(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    site = build_site()
    standard_instruments(Instrument)
    return site


def sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/accounts/login/" not in page.url


def submit(page, form: str = "main form[method=post]") -> None:
    with page.expect_navigation():
        page.locator(form).last.locator("button[type=submit]").last.click()


def report_cells(page) -> dict[tuple[str, str], str]:
    """The station row of the monthly report, by (section title, column label)."""
    return {(s, c): v for s, c, v in page.evaluate("""() => {
        const t = document.querySelector('[data-testid=report]');
        const sections = [];
        for (const th of t.tHead.rows[0].cells) {
            if (th.classList.contains('rp-sticky')) continue;
            for (let i = 0; i < th.colSpan; i++) sections.push(th.innerText.trim());
        }
        const labels = [...t.tHead.rows[1].cells].map(th => th.innerText.trim());
        const row = document.querySelector('[data-testid=report-row]');
        const cells = [...row.querySelectorAll('td')].map(td => td.innerText.trim());
        return labels.map((l, i) => [sections[i], l, cells[i]]);
    }""")}


def test_a_home_visit_becomes_a_fulfilled_wish_in_the_monthly_report(browser, live_server, site_live):
    s, url = site_live, live_server.url
    today = timezone.localdate()
    worker_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = worker_ctx.new_page()
    page.set_default_timeout(15000)
    sign_in(page, url, "station_worker")

    # the case: opened from her record, assessed, planned
    page.goto(f"{url}/cases/{s.elder.pk}/")
    page.locator("[data-testid=open-case]").click()
    page.select_option("[name=source]", "outreach")
    page.fill("[name=problem]", "独居，膝关节疼痛，上下楼困难，近月很少出门")
    submit(page)
    assert "/cases/cases/" in page.url
    case_url = page.url.split("?")[0]
    assert page.locator("[data-testid=case-status]").inner_text().strip() == "接案"

    page.goto(f"{case_url}assess/?instrument=barthel")
    page.select_option("[name=kind]", "baseline")
    for radio_group in page.locator("input[type=radio][name^=item_]").evaluate_all(
            "els => [...new Set(els.map(e => e.name))]"):
        page.locator(f"label[for=id_{radio_group}_1]").click()  # the option's label is the tap target
    submit(page)
    assert "Barthel" in page.locator("[data-testid=assessments]").inner_text()

    page.locator("[data-testid=write-plan]").click()
    page.fill("[name=goal_1_text]", "每周至少出门活动两次，恢复与邻里往来")
    page.select_option("[name=goal_1_care_kind]", "psychological")
    page.fill("[name=goal_2_text]", "申请居家适老化改造，加装楼梯扶手")
    page.select_option("[name=goal_2_care_kind]", "action")
    page.check("[name=submit_now]")
    submit(page)
    shoot(page, "case-plan-submitted")

    # the agency's manager approves the plan from the queue
    manager_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    boss = manager_ctx.new_page()
    boss.set_default_timeout(15000)
    sign_in(boss, url, "agency_manager")
    boss.goto(f"{url}/cases/approvals/")
    boss.locator(f"a[href='{case_url.removeprefix(url)}']").first.click()
    with boss.expect_navigation():
        boss.locator("[data-testid=approve-plan]").click()
    assert boss.locator("[data-testid=case-status]").inner_text().strip() == "服务中"
    manager_ctx.close()

    # a home visit, recorded on a phone
    page.set_viewport_size(PHONE)
    page.goto(case_url)
    page.locator("[data-testid=record-visit]").click()
    shoot(page, "case-visit-form")
    page.check(f"[name=co_workers][value='{s.users['agency_manager'].pk}']")  # the supervisor came along
    page.select_option("[name=kind]", "home_visit")
    page.select_option("[name=care_kind]", "psychological")
    page.fill("[name=minutes]", "50")
    page.fill("[name=notes]", "陪老人下楼散步十分钟，约好周四参加长者茶话会")
    submit(page)
    assert "入户探访" in page.locator("[data-testid=timeline]").inner_text()
    assert no_horizontal_scroll(page)
    page.locator("[data-testid=edit-case]").click()
    shoot(page, "case-edit")
    page.go_back()

    # a wish for her
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/wishes/new/")
    page.select_option("[name=beneficiary]", str(s.elder.pk))
    page.fill("[name=title]", "一台落地电风扇")
    page.fill("[name=description]", "老人家中没有风扇，夏天屋里闷热，希望有一台落地电风扇。")
    page.select_option("[name=wish_for]", "elder_alone")
    page.select_option("[name=kind]", "goods")
    page.fill("[name=value]", "180")
    page.fill("[name=needed_by]", (today + dt.timedelta(days=30)).isoformat())
    submit(page)
    wish_url = page.url.split("?")[0]
    wish_id = wish_url.rstrip("/").rsplit("/", 1)[1]

    # the donor claims it on his phone, from the wall
    donor_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True)
    phone = donor_ctx.new_page()
    phone.set_default_timeout(15000)
    sign_in(phone, url, "donor")
    phone.goto(f"{url}/public/wishes/{wish_id}/")
    body = phone.content()
    assert "一台落地电风扇" in body and "陈秀英" not in body and "盐运西街十二号" not in body
    phone.goto(f"{url}/wishes/{wish_id}/claim/")
    phone.locator("input[name=kind][value=self]").check()
    submit(phone, "main form[method=post]")
    phone.screenshot(path=str(ARTIFACTS / "wish-claimed-phone.png"), full_page=True)
    assert no_horizontal_scroll(phone)
    donor_ctx.close()

    # the station hands it over and confirms with a photo and her acknowledgement
    page.goto(wish_url)
    assert page.locator("[data-testid=wish-status]").inner_text().strip() == "已认领"
    form = "[data-testid=fulfil-form]"
    page.select_option(f"{form} [name=kind]", "goods")
    page.fill(f"{form} [name=value]", "180")
    page.fill(f"{form} [name=goods_item]", "落地电风扇")
    page.fill(f"{form} [name=goods_quantity]", "1")
    page.fill(f"{form} [name=goods_unit]", "台")
    submit(page, form)
    photo = ARTIFACTS / "handover-test.png"
    photo.write_bytes(PNG)
    form = "[data-testid=confirm-form]"
    page.set_input_files(f"{form} [name=photo]", str(photo))
    page.select_option(f"{form} [name=acknowledged_by]", "beneficiary")
    page.select_option(f"{form} [name=acknowledged_how]", "signature")
    page.fill(f"{form} [name=acknowledged_on]", today.isoformat())
    submit(page, form)
    assert page.locator("[data-testid=confirmation]").count() == 1
    shoot(page, "wish-confirmed")

    # this month's report for the station counts the visit and the wish
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/reports/monthly/?month={today:%Y-%m}")
    cells = report_cells(page)
    shoot(page, "monthly-report-station")
    case_work = {c: v for (sec, c), v in cells.items() if sec.startswith("个案")}
    wishes = {c: v for (sec, c), v in cells.items() if sec.startswith("微心愿")}
    assert case_work and wishes, cells
    assert list(case_work.values())[:2] == ["1", "1"], case_work  # one case served, one session
    assert list(wishes.values())[0] == "1" and "180.00" in list(wishes.values())[1], wishes
    worker_ctx.close()
