"""`shanlian charity import`: every row is checked first, a bad row writes nothing, a second import
writes nothing new, CSV (UTF-8, BOM, GB18030) and XLSX with English or Chinese headers, matches within
the pools, and on PostgreSQL the COPY path writes exactly what the generic path writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.intake import writer
from shanlian.charity.intake.importer import ImportRejected, import_check
from shanlian.charity.intake.importer_write import gifts_import
from shanlian.charity.models import Campaign, CampaignTally, Donation, MatchGift, MatchPool
from shanlian.core.errors import ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.ledger import posting, sealing
from shanlian.ledger.models import Account, Entry, Posting
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries

EN = ["external id", "time", "donor", "amount", "campaign or fund", "match"]
ZH = ["外部编号", "捐赠时间", "捐赠人", "金额", "项目", "配捐"]


# One clock reading for the module: rows built twice for the same file must be the same rows.
ANCHOR = timezone.now()


def when(hours_ago: float = 2) -> str:
    moment = timezone.localtime(ANCHOR - dt.timedelta(hours=hours_ago))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = EN, encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def good_rows(prefix: str = "GD") -> list[list[str]]:
    return [
        [f"{prefix}-1", when(3), "林晓红", "100.00", "yx-bjj", ""],
        [f"{prefix}-2", when(3), "", "50", "yx-rmj", "0"],
        [f"{prefix}-3", when(2), "陈大文", "88.80", "gd-2026", "88.80"],
        [f"{prefix}-4", when(2), "王芳", "20.5", "gd-2026/yx-bjj", "20.50"],
        [f"{prefix}-5", when(1), "周小明", "1,000.00", "gd-2026", "0"],
    ]


def counts() -> tuple[int, ...]:
    return (Entry.objects.count(), Posting.objects.count(), Donation.objects.count(), MatchGift.objects.count(),
            AuditLog.objects.count())


def balance(account: Account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def tally_fen(campaign: Campaign) -> int:
    return sum(CampaignTally.objects.filter(campaign=campaign).values_list("fen", flat=True))


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("charity", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rejected(path: Path, source: str = "import") -> dict[int, set[str]]:
    with pytest.raises(ImportRejected) as info:
        gifts_import(path=path, source=source)
    found: dict[int, set[str]] = {}
    for error in info.value.errors:
        found.setdefault(error.row, set()).add(error.code)
    return found


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path runs on PostgreSQL")


def test_csv_import_posts_gifts_matches_and_balances(books, tmp_path):
    fund_before, other_before = balance(books.fund.account), balance(books.other_fund.account)
    pool_before, tally_before = balance(books.pool.account), tally_fen(books.campaign)
    out, _err = run("import", str(write_csv(tmp_path / "gd.csv", good_rows())), "--source", "tencent")
    assert "Imported 5 of 5 rows" in out
    gifts = {d.external_id: d for d in Donation.objects.filter(source="tencent")}
    assert len(gifts) == 5 and {d.channel for d in gifts.values()} == {"import"}
    assert gifts["GD-2"].donor_name == cs.ANONYMOUS and not gifts["GD-2"].show_name
    assert gifts["GD-3"].campaign == books.campaign and gifts["GD-3"].match.amount.amount == Decimal("88.80")
    assert gifts["GD-1"].campaign is None and not MatchGift.objects.filter(donation=gifts["GD-5"]).exists()
    assert gifts["GD-3"].entry.source == "charity.tencent" and gifts["GD-3"].entry.external_id == "GD-3"
    assert balance(books.fund.account) - fund_before == Decimal("100.00") + 2 * Decimal("88.80") + 2 * Decimal("20.50") + 1000
    assert balance(books.other_fund.account) - other_before == Decimal("50.00")
    assert pool_before - balance(books.pool.account) == Decimal("109.30")
    books.pool.refresh_from_db()
    assert books.pool.matched_total.amount == Decimal("109.30")
    assert tally_fen(books.campaign) - tally_before == (8880 * 2 + 2050 * 2 + 100000)
    assert AuditLog.objects.filter(action="charity.import", object_id="tencent").count() == 1
    assert not unbalanced_entries() and not balances_mismatched()


def test_same_file_again_writes_nothing_new(books, tmp_path):
    path = write_csv(tmp_path / "gd.csv", good_rows())
    run("import", str(path))
    before = counts()
    out, _err = run("import", str(path))
    assert "5 were already there" in out and "Imported 0 of 5 rows" in out
    assert counts() == before
    # A longer export later: only the new rows are written.
    more = write_csv(tmp_path / "gd2.csv", [*good_rows(), ["GD-6", when(1), "新朋友", "6.00", "yx-bjj", ""]])
    result = gifts_import(path=more)
    assert (result.written, result.plan.already) == (1, 5)
    assert Donation.objects.filter(source="import").count() == 6


def test_changed_row_is_an_idempotency_mismatch_and_stops_everything(books, tmp_path):
    run("import", str(write_csv(tmp_path / "gd.csv", good_rows())))
    before = counts()
    rows = good_rows()
    rows[0][3] = "101.00"
    rows.append(["GD-9", when(1), "新朋友", "6.00", "yx-bjj", ""])
    assert rejected(write_csv(tmp_path / "gd2.csv", rows)) == {2: {"idempotency_mismatch"}}
    assert counts() == before


def test_bad_rows_are_all_reported_and_nothing_is_written(books, tmp_path, city):
    rows = good_rows()
    rows += [
        ["B-7", when(), "a", "1.234", "yx-bjj", ""],  # row 7
        ["B-8", when(), "a", "0", "yx-bjj", ""],
        ["B-9", when(), "a", "abc", "yx-bjj", ""],
        ["", when(), "a", "5", "yx-bjj", ""],
        ["GD-1", when(), "a", "5", "yx-bjj", ""],  # row 11: duplicate of row 2
        ["B-12", "昨天下午", "a", "5", "yx-bjj", ""],
        ["B-13", when(), "a", "5", "no-such-thing", ""],
        ["B-14", when(48), "a", "5", "gd-2026", ""],  # before the campaign started
        ["B-15", when(-3), "a", "5", "yx-bjj", ""],  # in the future
        ["B-16", when(), "a", "5", "yx-bjj", "5"],  # a match without a campaign
        ["B-17", when(), "a", "5", "gd-2026", "-1"],
        ["B-18", when(), "a", "-5", "gd-2026", "1.001"],
        ["B-19", when(), "a", "5", "gd-2026/yx-rmj", ""],  # that fund is not in the campaign
        ["B-20", "0001-01-01 00:00:00", "a", "5", "yx-bjj", ""],  # year 1: before the books begin
        ["B-21", when(), "张\x00三", "5", "yx-bjj", ""],  # a NUL in the donor's name
        ["B-22", when(), "长" * 129, "5", "yx-bjj", ""],  # a name past its column: refused, never cut
        ["B-23", when(), "a", "12345678901234567", "yx-bjj", ""],  # past the limit of one gift
        ["B-24", when(), "a", "1e3", "yx-bjj", ""],
        ["B-25", when(), "a", "5", "yx\x00bjj", ""],  # a NUL in the fund code
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    before = counts()
    assert rejected(path) == {
        7: {"money_precision"}, 8: {"amount_not_positive"}, 9: {"invalid_number"}, 10: {"external_id_missing"},
        11: {"external_id_duplicate"}, 12: {"invalid_time"}, 13: {"unknown_target"}, 14: {"campaign_out_of_period"},
        15: {"received_in_future"}, 16: {"match_without_pool"}, 17: {"match_negative"},
        18: {"amount_not_positive", "match_precision"}, 19: {"campaign_target_mismatch"}, 20: {"time_too_early"},
        21: {"donor_nul_character"}, 22: {"donor_too_long"}, 23: {"amount_too_large"}, 24: {"invalid_number"},
        25: {"unknown_target"},
    }
    with pytest.raises(CommandError):
        run("import", str(path))
    assert counts() == before
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("charity", "import", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "row 7: the amount “1.234” has more than two decimals (money_precision)" in report
    assert "row 11: the external id “GD-1” appears again (first in row 2) (external_id_duplicate)" in report
    assert "19 of 24 rows are refused; nothing was imported." in str(info.value)
    assert "row 20: the time 0001-01-01 is before 2000-01-01" in report and "Traceback" not in report
    assert counts() == before


def test_closed_fund_and_closed_campaign_are_refused(books, tmp_path, city):
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    cs.fund_close(actor=city.users["finance"], fund=books.other_fund)
    path = write_csv(tmp_path / "gd.csv", good_rows())
    assert rejected(path) == {3: {"fund_closed"}, 4: {"campaign_not_open"}, 5: {"campaign_not_open"}, 6: {"campaign_not_open"}}
    assert not Donation.objects.filter(channel="import").exists()


def _campaign(city, books, *, slug: str, deposit: str, total_cap: str, per_day_cap: str, funds=None):
    admin = city.users["finance"]
    now = timezone.now()
    campaign = cs.campaign_create(
        actor=admin, slug=slug, title=slug, organizer=city.orgs["慈善会"], goal="10000", starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1), targets=[(f, None) for f in (funds or [books.fund])],
    )
    campaign = cs.campaign_open(actor=admin, campaign=campaign)
    pool = cs.match_pool_create(actor=admin, campaign=campaign, sponsor_name="赞助方", ratio="1", per_donor_cap="100",
                                per_day_cap=per_day_cap, total_cap=total_cap, deposit=deposit)
    return campaign, pool


def test_matches_beyond_the_pool_balance_are_refused(books, city, tmp_path):
    _campaign(city, books, slug="small-pool", deposit="120", total_cap="1000", per_day_cap="1000")
    rows = [["M-1", when(), "甲", "100", "small-pool", "100"], ["M-2", when(), "乙", "100", "small-pool", "100"],
            ["M-3", when(), "丙", "100", "small-pool", "20"]]
    before = counts()
    plan = import_check(path=write_csv(tmp_path / "m.csv", rows))
    assert [(e.row, e.code, e.params["left"]) for e in plan.errors] == [(3, "match_exceeds_pool", "¥20.00")]
    assert counts() == before


def test_matches_beyond_the_total_cap_and_the_daily_cap_are_refused(books, city, tmp_path):
    _campaign(city, books, slug="capped", deposit="1000", total_cap="150", per_day_cap="1000")
    _campaign(city, books, slug="daily", deposit="1000", total_cap="1000", per_day_cap="150")
    rows = [["C-1", when(1), "甲", "100", "capped", "100"], ["C-2", when(1), "乙", "100", "capped", "100"],
            ["D-1", when(1), "甲", "100", "daily", "100"], ["D-2", when(1), "乙", "100", "daily", "100"],
            ["D-3", when(1), "丙", "50", "daily", "50"]]
    assert rejected(write_csv(tmp_path / "c.csv", rows)) == {3: {"match_exceeds_pool"}, 5: {"match_exceeds_day_cap"}}


def test_matches_count_those_already_recorded_that_day(books, city, tmp_path):
    campaign, pool = _campaign(city, books, slug="daily", deposit="1000", total_cap="1000", per_day_cap="150")
    cs.donation_record(actor=city.users["finance"], fund=books.fund, amount="100", channel="online", campaign=campaign,
                       donor_key="user:1", _skip_access=True)
    assert MatchGift.objects.get(pool=pool).amount.amount == Decimal("100.00")
    # Today's matches are at 100 of the 150 cap: a 60 match does not fit, a 50 one does.
    today = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    assert rejected(write_csv(tmp_path / "a.csv", [["X-1", today, "甲", "60", "daily", "60"]])) == {2: {"match_exceeds_day_cap"}}
    assert gifts_import(path=write_csv(tmp_path / "b.csv", [["X-1", today, "甲", "50", "daily", "50"]])).written == 1


def test_campaign_code_needs_exactly_one_general_target(books, city, tmp_path):
    _campaign(city, books, slug="two-funds", deposit="100", total_cap="100", per_day_cap="100", funds=[books.fund, books.other_fund])
    rows = [["T-1", when(), "甲", "10", "two-funds", ""], ["T-2", when(), "乙", "10", "two-funds/yx-rmj", "10"]]
    assert rejected(write_csv(tmp_path / "t.csv", rows)) == {2: {"campaign_target_ambiguous"}}
    gifts_import(path=write_csv(tmp_path / "t2.csv", rows[1:]))
    gift = Donation.objects.get(external_id="T-2")
    assert gift.fund == books.other_fund and gift.campaign.slug == "two-funds" and gift.match.amount.amount == Decimal("10.00")


def test_gb18030_csv_with_chinese_headers(books, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", good_rows("ZH"), header=ZH, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    result = gifts_import(path=path, source="alipay")
    assert result.written == 5 and result.plan.encoding == "gb18030"
    assert Donation.objects.get(source="alipay", external_id="ZH-1").donor_name == "林晓红"


def test_utf8_bom_csv_with_other_chinese_headers(books, tmp_path):
    header = ["流水号", "时间", "捐赠人", "金额", "基金"]  # no match column
    rows = [[r[0], r[1], r[2], r[3], r[4]] for r in good_rows("BOM") if not r[5] or r[5] == "0"]
    path = write_csv(tmp_path / "bom.csv", rows, header=header, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = gifts_import(path=path)
    assert result.written == 3 and result.plan.encoding == "utf-8-sig"


def test_xlsx_with_typed_cells(books, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["流水号", "捐赠时间", "捐赠人", "金额", "活动", "配捐"])
    naive = timezone.localtime(timezone.now() - dt.timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    sheet.append([1001, naive, "林晓红", 88.8, "gd-2026", 10])
    sheet.append(["X-2", when(), "陈大文", 100, "yx-bjj", None])
    path = tmp_path / "gd.xlsx"
    book.save(path)
    result = gifts_import(path=path, source="xlsx")
    assert result.written == 2 and result.plan.kind == "xlsx"
    first = Donation.objects.get(source="xlsx", external_id="1001")
    assert first.amount.amount == Decimal("88.80") and first.match.amount.amount == Decimal("10.00")
    assert timezone.localtime(first.received_at).replace(tzinfo=None) == naive
    sheet.append(["X-3", naive, "王芳", 1.234, "yx-bjj", None])
    book.save(path)
    assert rejected(path, source="xlsx") == {4: {"money_precision"}}


def test_missing_column_and_bad_source(books, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["1", when(), "a", "yx-bjj"]], header=["流水号", "时间", "捐赠人", "基金"])
    with pytest.raises(ValidationFailed) as info:
        gifts_import(path=path)
    assert info.value.code == "import_missing_column"
    with pytest.raises(CommandError) as err:
        run("import", str(path))
    assert "import_missing_column" in str(err.value)
    with pytest.raises(ValidationFailed) as info:
        gifts_import(path=write_csv(tmp_path / "ok.csv", good_rows()), source="has space")
    assert info.value.code == "import_bad_source"


def test_dry_run_writes_nothing(books, tmp_path):
    before = counts()
    out, _err = run("import", str(write_csv(tmp_path / "gd.csv", good_rows())), "--dry-run")
    assert "5 would be imported" in out and "dry run" in out
    assert counts() == before


def test_lapse_payouts_subcommand(books):
    out, _err = run("lapse-payouts")
    assert "0 approved payouts lapsed" in out


# -- PostgreSQL: the COPY path ---------------------------------------------------------------------


def _snapshot() -> dict[str, Decimal]:
    return dict(Account.objects.values_list("code", "balance"))


def _rows_of(source: str) -> dict[str, tuple]:
    out = {}
    for d in Donation.objects.filter(source=source).select_related("entry", "match"):
        match = getattr(d, "match", None)
        postings = Counter((p.account_id, p.amount) for p in d.entry.postings.all())
        out[d.external_id] = (
            d.fund_id, d.project_id, d.campaign_id, d.channel, d.amount, d.donor_name, d.show_name,
            d.donor_key.replace(f"import:{source}:", ""), d.received_at, d.status, d.point_id, d.recorded_by_id, d.donor_user_id,
            d.entry.memo, d.entry.content_hash, d.entry.reverses_id, frozenset(postings.items()),
            (match.pool_id, match.amount, match.day, match.donor_key.replace(f"import:{source}:", ""), match.refunded) if match else None,
        )
    return out


def test_copy_path_writes_what_the_arrays_path_writes(pg, books, city, tmp_path, monkeypatch):
    campaign, pool = _campaign(city, books, slug="both", deposit="100000", total_cap="100000", per_day_cap="100000",
                               funds=[books.fund, books.other_fund])
    rng = random.Random(11)
    rows = []
    for i in range(300):
        target = rng.choice(["yx-bjj", "yx-rmj", "gd-2026", "both/yx-bjj", "both/yx-rmj"])
        amount = Decimal(rng.randint(1, 50000)) / 100
        match = "" if not target.startswith("both") or rng.random() < 0.3 else str((amount / 2).quantize(Decimal("0.01")))
        rows.append([f"R{i:04d}", when(rng.uniform(0.1, 20)), rng.choice(["林晓红", "", "陈大文", "王芳"]), str(amount), target, match])
    path = write_csv(tmp_path / "both.csv", rows)
    start, tally0, matched0 = _snapshot(), tally_fen(campaign), MatchPool.objects.get(pk=pool.pk).matched_total
    monkeypatch.setattr(posting, "ARRAYS_MAX", 10_000)  # the entries in one statement over arrays
    generic = gifts_import(path=path, source="generic")
    middle, tally1, matched1 = _snapshot(), tally_fen(campaign), MatchPool.objects.get(pk=pool.pk).matched_total
    monkeypatch.setattr(posting, "ARRAYS_MAX", 5)  # the entries, postings and gifts through COPY
    monkeypatch.setattr(writer, "COPY_FROM", 5)
    fast = gifts_import(path=path, source="fast")
    end, tally2, matched2 = _snapshot(), tally_fen(campaign), MatchPool.objects.get(pk=pool.pk).matched_total
    assert generic.written == fast.written == 300
    assert _rows_of("generic") == _rows_of("fast")
    assert {c: middle[c] - start.get(c, 0) for c in middle} == {c: end[c] - middle[c] for c in middle}
    assert tally1 - tally0 == tally2 - tally1 and matched1 - matched0 == matched2 - matched1
    assert not unbalanced_entries() and not balances_mismatched()
    assert fast.first_entry_id is not None and fast.last_entry_id is not None
    assert AuditLog.objects.filter(action="charity.import", object_id="fast").count() == 1
    again = gifts_import(path=path, source="fast")
    assert (again.written, again.plan.already) == (0, 300)


def test_copy_import_then_seal_and_verify(pg, books, tmp_path):
    path = write_csv(tmp_path / "gd.csv", good_rows())
    out, _err = run("import", str(path), "--source", "pg")
    assert "Imported 5 of 5 rows" in out
    out = io.StringIO()
    call_command("ledger", "seal", stdout=out)
    call_command("ledger", "verify", stdout=out)
    assert "OK:" in out.getvalue()
    gift = Donation.objects.get(source="pg", external_id="GD-3")
    assert sealing.check_proof(sealing.inclusion_proof(gift.entry_id))


def test_copy_path_refuses_a_pool_emptied_after_the_check(pg, books, city, tmp_path):
    campaign, pool = _campaign(city, books, slug="racy", deposit="150", total_cap="1000", per_day_cap="1000")
    path = write_csv(tmp_path / "r.csv", [["R-1", when(), "甲", "100", "racy", "100"]])
    plan = import_check(path=path)
    assert plan.ok
    # Someone else's gift takes most of the pool between the check and the write.
    cs.donation_record(actor=city.users["finance"], fund=books.fund, amount="100", channel="online", campaign=campaign,
                       donor_key="user:9", _skip_access=True)
    before = counts()
    from shanlian.charity.intake.importer import _Silent
    from shanlian.charity.intake.importer_write import write_plan
    from shanlian.core.errors import Conflict

    with pytest.raises(Conflict) as info:
        write_plan(plan, actor=None, progress=_Silent())
    assert info.value.code == "match_exceeds_pool"
    assert counts() == before


def test_checking_costs_the_same_queries_for_few_and_many_rows(books, tmp_path):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    gifts_import(path=write_csv(tmp_path / "first.csv", good_rows("OLD")))  # so the existing-row lookup runs too

    def queries(n: int) -> int:
        rows = [[f"Q{n}-{i}", when(2), "甲", "10", "gd-2026" if i % 2 else "yx-bjj", "1" if i % 2 else ""] for i in range(n)]
        with CaptureQueriesContext(conn) as ctx:
            plan = import_check(path=write_csv(tmp_path / f"q{n}.csv", rows))
        assert plan.ok and len(plan.gifts) == n
        return len(ctx.captured_queries)

    assert queries(4) == queries(400)


def test_reports_and_expire_payments_subcommands(db):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("charity", "reports", "--today", "2026-10-01", stdout=out)
    call_command("charity", "expire-payments", stdout=out)
    assert "0" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("charity", "reports", "--today", "2026-13-01")


def _index_sql(table: str) -> dict[str, str]:
    """Each index on `table` with its definition, as the database keeps it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        return dict(cursor.fetchall())


def test_gifts_keep_only_the_indexes_reads_need(db):
    """Charity migration 0005: no single-column index where a composite one starts with the column, and
    partial indexes on the mostly empty foreign keys; every foreign key still leads some index."""
    gifts, matches = _index_sql("charity_donation"), _index_sql("charity_matchgift")
    for column in ("fund_id", "campaign_id", "project_id", "donor_user_id", "point_id", "recorded_by_id"):
        assert not [n for n, sql in gifts.items() if f"({column})" in sql.replace('"', "") and "WHERE" not in sql.upper()], column
    leading = {n: sql.replace('"', "").split("(", 1)[1] for n, sql in gifts.items() if "(" in sql}
    for column in ("fund_id", "campaign_id", "project_id", "donor_user_id", "point_id", "recorded_by_id"):
        assert any(cols.startswith(column) for cols in leading.values()), column
    for name in ("charity_donation_project_time", "charity_donation_donor_time", "charity_donation_point",
                 "charity_donation_recorded_by"):
        assert "IS NOT NULL" in gifts[name].upper(), name
    assert not [n for n, sql in matches.items() if sql.replace('"', "").rstrip().endswith("(pool_id)")]
    assert any("(pool_id, day)" in sql.replace('"', "") for sql in matches.values())


def test_slimming_the_indexes_kept_the_gift_triggers(db):
    """0005 changes the foreign keys in Django's state only: on SQLite an AlterField would copy the
    table and lose the triggers migration 0004 put on it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'charity_donation'::regclass AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'charity_donation'")
        names = {row[0] for row in cursor.fetchall()}
    assert any(name.startswith("charity_income_donation") for name in names), names
