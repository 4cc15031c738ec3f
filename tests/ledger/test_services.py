import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.ledger.models import Account, Entry, Posting
from shanlian.ledger.selectors import account_balance, balances_mismatched
from shanlian.ledger.services import account_open, entry_post, entry_reverse

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist only on PostgreSQL")


def test_balanced_entry_moves_balances_on_their_normal_side(books):
    # A gift: debit the bank (asset), credit the fund held in custody (liability).
    entry = entry_post(legs=[(books["bank"], "100.00"), (books["fund"], "-100.00")], memo="现金捐赠")
    assert entry.postings.count() == 2
    assert Posting.objects.filter(entry=entry, account=books["fund"]).get().amount == Decimal("-100.00")
    assert account_balance(account=books["bank"]) == Decimal("100.00")
    assert account_balance(account=books["fund"]) == Decimal("100.00")
    assert not balances_mismatched()


def test_guarded_account_never_goes_below_zero(books):
    entry_post(legs=[(books["bank"], "50.00"), (books["fund"], "-50.00")])
    with pytest.raises(ValidationFailed) as exc:  # a payout of 50.01 from a fund holding 50.00
        entry_post(legs=[(books["fund"], "50.01"), (books["bank"], "-50.01")])
    assert exc.value.code == "insufficient_balance"
    assert account_balance(account=books["fund"]) == Decimal("50.00")
    entry_post(legs=[(books["fund"], "50.00"), (books["bank"], "-50.00")])
    assert account_balance(account=books["fund"]) == Decimal("0.00")
    # An unguarded account may go negative (an overdrawn bank would be a finding, not a refusal here).
    entry_post(legs=[(books["income"], "1.00"), (books["bank"], "-1.00")])
    assert account_balance(account=books["bank"]) == Decimal("-1.00")


@pytest.mark.parametrize(
    "legs,code",
    [
        ([("bank", "10.00"), ("income", "-9.99")], "entry_unbalanced"),
        ([("bank", "10.001"), ("income", "-10.001")], "money_precision"),
        ([("bank", "0"), ("income", "0")], "zero_amount"),
        ([("bank", "10")], "entry_too_short"),
        ([("issue", "1.25"), ("vol", "-1.25")], "hours_step"),
        ([("bank", "5"), ("vol", "-5")], "entry_unbalanced"),
    ],
)
def test_bad_entries_post_nothing(books, legs, code):
    before = (Entry.objects.count(), Posting.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        entry_post(legs=[(books[name], amount) for name, amount in legs])
    assert exc.value.code == code
    assert (Entry.objects.count(), Posting.objects.count()) == before
    assert not balances_mismatched()


def test_each_unit_balances_on_its_own(books):
    entry_post(legs=[(books["issue"], "2.5"), (books["vol"], "-2.5"), (books["bank"], "1.00"), (books["income"], "-1.00")])
    assert account_balance(account=books["vol"]) == Decimal("2.50")
    assert not balances_mismatched()


def test_idempotency(books):
    legs = [(books["bank"], "88.00"), (books["income"], "-88.00")]
    first = entry_post(legs=legs, source="fakepay", external_id="tx-1", memo="gift")
    again = entry_post(legs=legs, source="fakepay", external_id="tx-1", memo="gift")
    assert again.pk == first.pk and account_balance(account=books["bank"]) == Decimal("88.00")
    with pytest.raises(Conflict) as exc:
        entry_post(legs=[(books["bank"], "99.00"), (books["income"], "-99.00")], source="fakepay", external_id="tx-1", memo="gift")
    assert exc.value.code == "idempotency_mismatch" and exc.value.status == 409
    # the same external id from another source is another entry
    assert entry_post(legs=legs, source="bank-import", external_id="tx-1", memo="gift").pk != first.pk


def test_reversal(books):
    entry = entry_post(legs=[(books["bank"], "30.00"), (books["fund"], "-30.00")])
    assert account_balance(account=books["fund"]) == Decimal("30.00")
    rev = entry_reverse(entry=entry)
    assert rev.reverses_id == entry.pk
    assert account_balance(account=books["fund"]) == Decimal("0.00")
    assert entry_reverse(entry=entry).pk == rev.pk  # twice: the same reversal
    with pytest.raises(ValidationFailed):
        entry_reverse(entry=rev)
    assert not balances_mismatched()


def test_the_database_keeps_one_reversal_per_entry(books):
    """The key is partial (only entries that reverse something are in it), and still unique: a second reversal
    written past `entry_reverse` is refused by the database."""
    entry = entry_post(legs=[(books["bank"], "30.00"), (books["fund"], "-30.00")])
    entry_reverse(entry=entry)
    with pytest.raises(IntegrityError, match="ledger_entry_reversed_once|UNIQUE constraint"), transaction.atomic():
        Entry.objects.create(source="manual", content_hash="x", booked_on=dt.date(2026, 3, 2), memo="again", reverses=entry)
    Entry.objects.create(source="manual", content_hash="y", booked_on=dt.date(2026, 3, 2), memo="reverses nothing")
    Entry.objects.create(source="manual", content_hash="z", booked_on=dt.date(2026, 3, 2), memo="nor this")  # many NULLs, no conflict
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'ledger_entry' AND indexdef LIKE '%%reverses_id%%'")
            assert [row[0].split(" WHERE ")[-1] for row in cur.fetchall()] == ["(reverses_id IS NOT NULL)"]


def test_database_refuses_negative_guarded_balance_and_zero_postings(books):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=books["fund"].pk).update(balance=Decimal("-0.01"))
    entry = entry_post(legs=[(books["bank"], "1.00"), (books["income"], "-1.00")])
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(entry=entry, account=books["bank"], unit="CNY", amount=0)


@on_postgres
def test_postgres_refuses_unbalanced_entries_at_commit(books):
    entry = entry_post(legs=[(books["bank"], "1.00"), (books["income"], "-1.00")])
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        Posting.objects.create(entry=entry, account=books["bank"], unit="CNY", amount=Decimal("5.00"))
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do


@on_postgres
def test_postgres_refuses_changing_or_deleting_posted_rows(books):
    entry = entry_post(legs=[(books["bank"], "1.00"), (books["income"], "-1.00")])
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        Posting.objects.filter(entry=entry).update(amount=Decimal("2.00"))
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(memo="edited")
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        Posting.objects.filter(entry=entry).delete()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_spending_never_overdraws_a_guarded_account():
    import threading

    from django.db import connections

    bank = account_open(code="fed:bank", name="银行存款", unit="CNY", type="asset")
    fund = account_open(code="fund:x", name="基金", unit="CNY", type="liability", guarded=True)
    entry_post(legs=[(bank, "100.00"), (fund, "-100.00")])
    results: list[str] = []
    barrier = threading.Barrier(8)

    def spend(i: int) -> None:
        try:
            barrier.wait()
            entry_post(legs=[(fund, "30.00"), (bank, "-30.00")], source="test", external_id=f"spend-{i}")
            results.append("ok")
        except ValidationFailed as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["insufficient_balance"] * 5 + ["ok"] * 3
    assert account_balance(account=fund) == Decimal("10.00")
    assert not balances_mismatched()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_posting_is_not_held_up_by_key_share_locks():
    """Another transaction's foreign-key checks (KEY SHARE on the account, as a bulk import's postings take)
    do not make an ordinary entry wait: accounts are locked FOR NO KEY UPDATE."""
    import threading

    from django.db import connections

    bank = account_open(code="fed:bank", name="银行存款", unit="CNY", type="asset")
    fund = account_open(code="fund:x", name="基金", unit="CNY", type="liability", guarded=True)
    holding, release = threading.Event(), threading.Event()

    def hold_key_share() -> None:
        try:
            with transaction.atomic(), connections["default"].cursor() as cur:
                cur.execute("SELECT id FROM ledger_account WHERE id IN (%s, %s) FOR KEY SHARE", [bank.pk, fund.pk])
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    t = threading.Thread(target=hold_key_share)
    t.start()
    try:
        assert holding.wait(5)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '2s'")
            entry_post(legs=[(bank, "10.00"), (fund, "-10.00")])
    finally:
        release.set()
        t.join()
    assert account_balance(account=fund) == Decimal("10.00")


def test_a_balance_never_passes_its_column_and_a_full_account_refuses_only_itself(books):
    """A balance is held exactly up to 9,999,999,999,999.99 on both databases: an entry that would pass it is
    refused with a clear error before anything is written (a full account made every later gift a 500), and other
    accounts go on as before."""
    other = account_open(code="fund:人民街", name="人民街社区慈善基金", unit="CNY", type="liability", guarded=True)
    entry_post(legs=[(books["bank"], "9999999999000.00"), (books["fund"], "-9999999999000.00")])
    entries = Entry.objects.count()
    with pytest.raises(Conflict) as exc:
        entry_post(legs=[(books["bank"], "1000.00"), (other, "-1000.00")])
    assert exc.value.code == "balance_limit" and "fed:bank" in exc.value.message_in("en")
    assert exc.value.message_in("zh-hans") != exc.value.message_in("en")
    assert Entry.objects.count() == entries and account_balance(account=other) == 0
    spare = account_open(code="fed:bank2", name="另一银行账户", unit="CNY", type="asset")
    entry_post(legs=[(spare, "1000.00"), (other, "-1000.00")])  # the rest of the books go on
    entry_post(legs=[(books["bank"], "999.99"), (books["fund"], "-999.99")])  # up to the last fen fits
    assert account_balance(account=books["bank"]) == Decimal("9999999999999.99") and not balances_mismatched()
