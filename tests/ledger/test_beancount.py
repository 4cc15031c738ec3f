"""The Beancount export, checked by Beancount itself: bean-check passes, and every balance it computes
from our file equals the stored balance (on the account's normal side, see NORMAL_SIGN)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from shanlian.ledger.beancount import account_name, export_ledger, local_date, quote
from shanlian.ledger.models import Account, Entry
from shanlian.ledger.selectors import balances_mismatched
from shanlian.ledger.services import account_open, entry_post, entry_reverse

beancount = pytest.importorskip("beancount")
from beancount import loader  # noqa: E402
from beancount.core import account as bc_account  # noqa: E402
from beancount.core import data  # noqa: E402

BEAN_CHECK = Path(sys.executable).parent / "bean-check"
MEMO = 'he said "谢谢" \\ ok\nsecond line'


def bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def books(db):
    books = {
        "bank": account_open(code="fed:bank", name="银行存款", unit="CNY", type="asset"),
        "fund": account_open(code="fund:北京街", name="北京街社区慈善基金", unit="CNY", type="liability", guarded=True),
        "fund2": account_open(code="fund:北京街 (二)", name="同名基金", unit="CNY", type="liability", guarded=True),
        "income": account_open(code="income:gifts", name="捐赠收入", unit="CNY", type="income"),
        "grants": account_open(code="expense:资助·活动/2026_q1", name="资助", unit="CNY", type="expense"),
        "equity": account_open(code="equity:opening", name="期初", unit="CNY", type="equity"),
        "idle": account_open(code="asset:idle", name="未用", unit="CNY", type="asset"),
        "issue": account_open(code="tb:issue", name="时间银行发行", unit="HOUR", type="equity"),
        "vol": account_open(code="tb:vol:1", name="志愿者1", unit="HOUR", type="liability", guarded=True),
        "vol2": account_open(code="tb:vol:2", name="志愿者2", unit="HOUR", type="liability", guarded=True),
    }
    entry_post(legs=[(books["bank"], "1000.00"), (books["equity"], "-1000.00")], memo="期初余额")
    entry_post(legs=[(books["bank"], "123.45"), (books["fund"], "-123.45")], memo=MEMO, source="fakepay", external_id='tx-"1"')
    gift = entry_post(legs=[(books["bank"], "88.88"), (books["fund2"], "-88.88")], memo="现金捐赠")
    entry_post(legs=[(books["bank"], "0.01"), (books["income"], "-0.01")], memo="一分钱")
    entry_post(legs=[(books["fund"], "23.40"), (books["grants"], "0.05"), (books["bank"], "-23.45")], memo="资助")
    entry_reverse(entry=gift)
    entry_post(legs=[(books["issue"], "5.5"), (books["vol"], "-5.5"), (books["bank"], "1.00"), (books["income"], "-1.00")])
    entry_post(legs=[(books["vol"], "2.0"), (books["vol2"], "-2.0")], memo="时间转赠")
    assert not balances_mismatched()
    return books


@pytest.fixture
def exported(books, tmp_path):
    path = tmp_path / "ledger.beancount"
    with path.open("w", encoding="utf-8") as stream:
        export_ledger(stream)
    return path


def test_bean_check_accepts_the_export(exported):
    result = bean_check(exported)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_balance_matches_ours(books, exported):
    entries, errors, options = loader.load_file(str(exported))
    assert not errors
    assert options["operating_currency"] == ["CNY"]
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    for txn in transactions:
        for posting in txn.postings:
            sums[(posting.account, posting.units.currency)] += posting.units.number
    assert len(transactions) == Entry.objects.count()
    opened = {e.account for e in entries if isinstance(e, data.Open)}
    assert len(opened) == Account.objects.count()
    for account in Account.objects.all():
        name = account_name(account)
        assert name in opened and bc_account.is_valid(name), name
        assert sums[(name, account.unit)] == account.normal_sign * account.balance, account.code
        other_units = {unit for (acc, unit) in sums if acc == name} - {account.unit}
        assert not other_units
    # Beancount does not flip liabilities: the fund's raw balance is negative.
    assert sums[(account_name(books["fund"]), "CNY")] == Decimal("-100.05")
    assert sums[(account_name(books["fund2"]), "CNY")] == Decimal("0.00")
    assert sums[(account_name(books["bank"]), "CNY")] == Decimal("1101.01")
    assert sums[(account_name(books["vol"]), "HOUR")] == Decimal("-3.50")
    balances = [e for e in entries if isinstance(e, data.Balance)]
    assert {b.account for b in balances} == opened
    assert all(b.date > t.date for b in balances for t in transactions)


def test_metadata_and_narration_round_trip(books, exported):
    entries, errors, _ = loader.load_file(str(exported))
    assert not errors
    by_id = {int(e.meta["shanlian-entry"]): e for e in entries if isinstance(e, data.Transaction)}
    for entry in Entry.objects.all():
        txn = by_id[entry.pk]
        assert txn.narration == entry.memo
        assert txn.meta["source"] == entry.source
        assert txn.meta.get("external-id", "") == entry.external_id
        assert txn.date == local_date(entry.posted_at)
        if entry.reverses_id:
            assert txn.meta["reverses"] == str(entry.reverses_id)
    assert any(t.narration == MEMO for t in by_id.values())


def test_account_names(books):
    fund = books["fund"]
    assert account_name(fund) == f"Liabilities:Fund:X北京街:A{fund.pk}"
    assert account_name(books["fund2"]) == f"Liabilities:Fund:X北京街--二-:A{books['fund2'].pk}"
    assert account_name(books["grants"]) == f"Expenses:Expense:X资助-活动-2026-q1:A{books['grants'].pk}"
    assert account_name(books["vol"]) == f"Liabilities:Tb:Vol:1:A{books['vol'].pk}"
    assert len({account_name(a) for a in Account.objects.all()}) == Account.objects.count()


def test_dates_are_in_shanghai():
    assert local_date(dt.datetime(2026, 1, 1, 16, 30, tzinfo=dt.UTC)) == dt.date(2026, 1, 2)
    assert local_date(dt.datetime(2026, 1, 1, 15, 59, tzinfo=dt.UTC)) == dt.date(2026, 1, 1)
    assert quote('a"b\\c') == '"a\\"b\\\\c"'


def test_bean_check_refuses_a_corrupted_amount(exported):
    text = exported.read_text(encoding="utf-8")
    assert "  123.45 CNY" in text
    exported.write_text(text.replace("  123.45 CNY", "  123.46 CNY", 1), encoding="utf-8")
    result = bean_check(exported)
    assert result.returncode != 0
    assert "balance" in (result.stdout + result.stderr).lower()


def test_bean_check_refuses_a_wrong_balance_assertion(books, exported):
    # Shift one posting and its counterpart: every transaction still balances, only the assertions catch it.
    text = exported.read_text(encoding="utf-8")
    fund, bank = account_name(books["fund"]), account_name(books["bank"])
    old = f"  {bank}  123.45 CNY\n  {fund}  -123.45 CNY\n"
    assert old in text
    exported.write_text(text.replace(old, f"  {bank}  123.44 CNY\n  {fund}  -123.44 CNY\n"), encoding="utf-8")
    result = bean_check(exported)
    assert result.returncode != 0
    assert "Balance failed" in result.stdout + result.stderr


def test_empty_ledger_exports_cleanly(db, tmp_path):
    path = tmp_path / "empty.beancount"
    with path.open("w", encoding="utf-8") as stream:
        export_ledger(stream)
    assert bean_check(path).returncode == 0


def test_entries_stream_in_chunks(books, tmp_path, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import shanlian.ledger.beancount as module

    monkeypatch.setattr(module, "CHUNK_SIZE", 3)
    with (tmp_path / "x.beancount").open("w", encoding="utf-8") as stream, CaptureQueriesContext(connection) as ctx:
        export_ledger(stream)
    prefetches = [q["sql"] for q in ctx.captured_queries if 'FROM "ledger_posting"' in q["sql"] and " IN (" in q["sql"]]
    chunks = -(-Entry.objects.count() // 3)
    assert len(prefetches) == chunks  # one postings query per chunk of entries, not per entry
    assert len(ctx.captured_queries) <= chunks * 2 + 4
