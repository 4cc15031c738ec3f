"""Screenshots of the disclosure and compliance pages at 1280 and 390 px (run explicitly; not collected)."""

import datetime as dt

import pytest

from shanlian.charity import services as cs
from shanlian.charity.reports import reports_generate
from tests.browser.conftest import ARTIFACTS, browser, page  # noqa: F401 (fixtures)

from .disclosure_data import activity, at, moment

pytestmark = pytest.mark.browser


@pytest.fixture
def books_live(transactional_db, books):
    return books


def test_screens(page, live_server, books_live, city):  # noqa: F811 (the page fixture)
    books = books_live
    finance = city.users["finance"]
    old = cs.fund_create(actor=finance, code="yx-rmj-old", name="人民街长者关爱基金", division=city.streets["人民街"],
                         custodian=city.orgs["慈善会"], station=city.stations["人民街"], opened_on=dt.date(2023, 1, 1),
                         fee_rate="0.08")
    study = cs.project_create(actor=finance, fund=old, title="困境儿童助学", purpose="education", budget="80000",
                              starts_on=dt.date(2023, 1, 1), ends_on=dt.date(2027, 12, 31))
    for year, amount in ((2023, "30000.00"), (2024, "42000.00"), (2025, "56000.00")):
        when = moment(year, 6, 1)
        with at(when):
            cs.donation_record(actor=city.users["agency_manager"], fund=old, amount=amount, channel="transfer",
                               donor_name="广州某科技有限公司", show_name=True, received_at=when)
    # In time order, as a real ledger is written.
    events = [(moment(2026, m, 12), "gift", amount) for m, amount in
              ((3, "820.00"), (5, "1260.50"), (7, "430.00"), (8, "2210.00"), (10, "980.00"))]
    events += [(moment(2026, m, 20), "payout", amount) for m, amount in ((2, "9000.00"), (6, "12000.00"), (9, "6500.00"))]
    events += [(moment(2026, 3, 2), "fee", "")]
    for when, kind, amount in sorted(events):
        with at(when):
            if kind == "gift":
                cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount=amount, channel="transfer",
                                   donor_name="欧阳晓燕", point=books.point, received_at=when)
            elif kind == "payout":
                p = cs.payout_request(actor=city.users["agency_manager"], fund=old, project=study, title=f"{when.month}月助学金",
                                      payee="人民街小学", lines=[("助学金", amount)])
                cs.payout_pay(actor=finance, payout=cs.payout_approve(actor=finance, payout=p), payment_reference=f"BOC{when.month}")
            else:
                cs.fee_charge(actor=finance, fund=old, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
    a = activity(books, city)
    reports_generate(today=dt.date(2026, 10, 2))
    voided = cs.receipt_issue(actor=city.users["finance"], donation=a.gifts[1])
    cs.receipt_void(actor=city.users["finance"], receipt=voided, reason="开错抬头")
    base = live_server.url
    report = __import__("shanlian.charity.models", fromlist=["DisclosureReport"]).DisclosureReport.objects.first()
    pages = {
        "public-index": "/public/",
        "public-fund": f"/public/funds/{books.fund.code}/",
        "public-campaign": f"/public/campaigns/{books.campaign.slug}/",
        "public-project": f"/public/projects/{books.project.pk}/",
        "public-receipt": f"/public/receipts/{a.receipt.verification_code}/",
        "public-receipt-voided": f"/public/receipts/{voided.verification_code}/",
        "public-receipt-unknown": "/public/receipts/ABCDEFGHJKMN/",
        "public-reports": "/public/reports/",
        "public-report": f"/public/reports/{report.pk}/",
    }
    for width, suffix in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        for name, url in pages.items():
            page.goto(base + url)
            page.wait_for_timeout(400)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{suffix}.png"), full_page=True)
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "finance")
    page.fill("#id_password", "Shanlian-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    for width, suffix in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.goto(f"{base}/charity/compliance/")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"compliance-dashboard-{suffix}.png"), full_page=True)
        page.goto(f"{base}/charity/compliance/{city.orgs['慈善会'].pk}/")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"compliance-federation-{suffix}.png"), full_page=True)
