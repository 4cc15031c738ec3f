"""`FundIncomeMonth`, the income roll-up the database keeps: after gifts (cash, restricted, goods, online with
matches), refunds, payouts, gifts in past months and a bulk import, its rows are exactly the raw sums of the
gifts, on SQLite (row triggers) and PostgreSQL (statement triggers); and `fund_disclosure` built on it says
what the raw aggregate says for any period, whole months or not."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.intake.importer_write import gifts_import
from shanlian.charity.models import Donation, DonationStatus, FundIncomeMonth, MatchGift
from shanlian.charity.selectors import disclosure as ds
from shanlian.charity.selectors import fund_disclosure

from .disclosure_data import activity, at, gift, moment, online, pay_out

Rows = set[tuple[int, dt.date, str, int, int, int, int]]


def rollup() -> Rows:
    """The roll-up's rows that hold gifts (rows whose gifts were all refunded stay, with zeros)."""
    rows = FundIncomeMonth.objects.all().values_list("fund_id", "month", "channel", "fen", "gifts", "match_fen", "matches")
    return {r for r in rows if any(r[3:])}


def raw() -> Rows:
    """The same sums straight from the gifts, the way the disclosure summed them before the roll-up."""
    out: Rows = set()
    for fund_id in Donation.objects.values_list("fund_id", flat=True).distinct():
        rows = ds._income_rows(Donation.objects.filter(fund_id=fund_id, status=DonationStatus.CONFIRMED))
        out |= {(fund_id, *row) for row in rows}
    return out


def same_income(a: ds.FundDisclosure | tuple, b: tuple) -> None:
    """The page's income equals the raw aggregate's (the page also shows the months without income, as zero)."""
    if isinstance(a, ds.FundDisclosure):
        got = (a.income, [m for m in a.income_by_month if m.gifts or m.amount], a.income_by_source)
        assert all(m.gifts == 0 and not m.amount for m in a.income_by_month if m not in got[1])
    else:
        got = a
    assert got == b


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["external id", "time", "donor", "amount", "campaign or fund", "match"])
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def test_rollup_equals_the_raw_sums_after_gifts_refunds_payouts_and_an_import(books, city, tmp_path):
    assert rollup() == raw()  # the start money (seed) of both funds
    a = activity(books, city)  # cash, named company, restricted, online matched, one refunded, goods in and out, a payout
    assert rollup() == raw()
    # Past months, and a refund of an old matched gift: the month it was received loses the gift and its match.
    with at(moment(2025, 3, 31, 23)):
        march = gift(books, city, "66.60", received_at=moment(2025, 3, 31, 23))  # 31 March 23:00 in Shanghai: March
    with at(moment(2025, 4, 1, 0)):
        gift(books, city, "12.34", received_at=moment(2025, 4, 1, 0), channel="transfer", point=None)
    pay_out(books, city, "20.00")
    cs.donation_refund(actor=city.users["finance"], donation=a.matched, reason="重复支付")
    cs.donation_refund(actor=city.users["finance"], donation=march, reason="误捐")
    second = online(books, "45.00", "钱七", "u9")
    assert MatchGift.objects.filter(donation=second, refunded=False).exists()
    assert rollup() == raw()
    months = {r[1] for r in rollup() if r[0] == books.fund.pk}
    assert dt.date(2025, 4, 1) in months and dt.date(2025, 3, 1) not in months  # the refunded March gift is gone
    # A bulk import (PostgreSQL: COPY and INSERT ... SELECT; SQLite: the generic writer), matched gifts included.
    now = timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    rows = [[f"RU-{i}", now, "林晓红", f"{i + 1}.25", target, match]
            for i, (target, match) in enumerate([("yx-bjj", ""), ("yx-rmj", ""), ("gd-2026", "3.25"), ("gd-2026/yx-bjj", "0")] * 5)]
    result = gifts_import(path=write_csv(tmp_path / "gd.csv", rows), source="rollup")
    assert result.written == 20
    assert rollup() == raw()
    # The fund's page reads the roll-up and says what the raw aggregate says.
    d = fund_disclosure(fund=books.fund)
    same_income(d, ds._income(Donation.objects.filter(fund=books.fund, status=DonationStatus.CONFIRMED)))
    assert d.gifts == Donation.objects.filter(fund=books.fund, status=DonationStatus.CONFIRMED).count()


def test_rebuild_gives_the_rows_the_triggers_kept(books, city):
    activity(books, city)
    with at(moment(2025, 6, 2)):
        gift(books, city, "5.00", received_at=moment(2025, 6, 2))
    kept = rollup()
    migration = importlib.import_module("shanlian.charity.migrations.0004_income_rollup")
    with connection.cursor() as cur:
        for sql in migration.rebuild_sql(connection.vendor):
            cur.execute(sql)
    assert rollup() == kept == raw()


@pytest.mark.parametrize("start, end", [
    (None, None),  # all dates: whole months only
    (dt.date(2025, 3, 1), None),  # from a month's first day (the page's default)
    (dt.date(2025, 3, 15), None),  # from the middle of March: its last days from the gifts
    (None, dt.date(2025, 4, 30)),  # to a month's last day
    (None, dt.date(2025, 4, 10)),  # to the middle of April
    (dt.date(2025, 3, 20), dt.date(2025, 5, 5)),  # both ends partial, April whole
    (dt.date(2025, 3, 2), dt.date(2025, 3, 30)),  # inside one month
    (dt.date(2025, 4, 1), dt.date(2025, 4, 30)),  # exactly one month
    (dt.date(2025, 5, 6), dt.date(2025, 5, 6)),  # one day
])
def test_any_period_says_what_the_raw_aggregate_says(books, city, start, end):
    days = [moment(2025, 2, 27), moment(2025, 3, 14, 23), moment(2025, 3, 15, 0), moment(2025, 3, 31, 23), moment(2025, 4, 1, 0),
            moment(2025, 4, 10, 23), moment(2025, 4, 11, 1), moment(2025, 4, 30, 23), moment(2025, 5, 5, 12), moment(2025, 5, 6, 8)]
    for i, when in enumerate(days):
        with at(when):
            gift(books, city, f"{i + 1}.01", received_at=when)
    online(books, "30.00", "王小明", "u1")  # today, matched
    raw_income = ds._income(Donation.objects.filter(ds._local_range(start, end, "received_at"), fund=books.fund,
                                                    status=DonationStatus.CONFIRMED))
    assert raw_income[0].is_positive()
    same_income(fund_disclosure(fund=books.fund, start=start, end=end), raw_income)


def test_whole_months_cost_one_small_query(books, city):
    """All dates and the default period read the roll-up only: no query over the fund's gifts."""
    activity(books, city)
    with CaptureQueriesContext(connection) as ctx:
        ds._fund_income(books.fund, None, None)
        ds._fund_income(books.fund, dt.date(2025, 1, 1), None)
    assert len(ctx.captured_queries) == 2
    assert all("charity_fundincomemonth" in q["sql"] and "charity_donation" not in q["sql"] for q in ctx.captured_queries)


def test_the_six_triggers_are_in_place(db):
    """A later migration that makes SQLite copy `charity_donation` or `charity_matchgift` (an AlterField) drops
    their triggers with the old table: it must put them back (see migration 0004)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'charity_income_%%' AND NOT tgisinternal")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'charity_income_%'")
        names = {row[0] for row in cur.fetchall()}
    assert names == {f"charity_income_{t}_{op}" for t in ("donation", "matchgift") for op in ("insert", "update", "delete")}
