"""A gift's ledger line is dated the day the money came (its business date) and says so in the site's language,
whoever recorded it in whichever language; the statement, its CSV and the API show both dates."""

import datetime as dt

from django.utils import timezone, translation

from shanlian.charity import services as cs
from shanlian.charity.selectors.statement import fund_statement


def _friday_gift(city, books, donor="陈志强"):
    friday = timezone.localtime() - dt.timedelta(days=4)
    return cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="300", channel="cash",
                              donor_name=donor, point=books.point, received_at=friday), friday.date()


def test_a_late_recorded_gift_is_dated_the_day_it_came(books, city):
    gift, friday = _friday_gift(city, books)
    assert gift.entry.booked_on == friday
    line = fund_statement(fund=books.fund, limit=1).lines[0]
    assert line.entry_id == gift.entry_id and line.booked_on == friday
    assert timezone.localdate(line.posted_at) == timezone.localdate()
    # The statement's period is the books' (when recorded): today's statement holds it.
    today = timezone.localdate()
    assert gift.entry_id in [ln.entry_id for ln in fund_statement(fund=books.fund, start=today, end=today).lines]
    assert fund_statement(fund=books.fund, start=friday, end=friday).lines == []


def test_memos_are_in_the_site_language_whatever_the_request_language(books, city):
    with translation.override("en"):
        gift, _ = _friday_gift(city, books, donor="李秀兰")
        payout = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=books.project,
                                   title="长者饭堂三月助餐补贴", payee="北京街社工服务站", lines=[("助餐补贴", "200")])
        payout = cs.payout_approve(actor=city.users["finance"], payout=payout, note="同意")
        cs.payout_pay(actor=books.finance2, payout=payout, payment_reference="ICBC2026030601")
    assert gift.entry.memo == "李秀兰 捐赠"
    memos = [line.memo for line in fund_statement(fund=books.fund, limit=5).lines]
    assert "拨付：长者饭堂三月助餐补贴" in memos
    assert not any(m.isascii() for m in memos)


def test_the_page_csv_and_api_show_the_business_date_and_the_recording_time(login, books, city):
    gift, friday = _friday_gift(city, books)
    client = login("station_worker")
    page = client.get("/charity/funds/yx-bjj/").content.decode()
    assert f'data-testid="line-date">{friday.isoformat()}' in page
    csv = b"".join(client.get("/charity/funds/yx-bjj/statement.csv").streaming_content).decode("utf-8-sig").splitlines()
    first = csv[1].split(",")
    assert first[0] == friday.isoformat() and first[1].startswith(timezone.localdate().isoformat())
    line = client.get("/api/charity/funds/yx-bjj/statement?limit=1").json()["lines"][0]
    assert line["booked_on"] == friday.isoformat() and line["posted_at"].startswith(timezone.localdate().isoformat())
