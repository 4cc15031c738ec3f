"""`entries_post`, the ledger's one writer: a set of entries posts exactly what posting them one by one posts."""

import hashlib
import json
import random
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from shanlian.core.errors import Conflict, NotFound, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.ledger import posting
from shanlian.ledger.models import Account, Entry, Posting
from shanlian.ledger.posting import NewEntry, content_hash, entries_post
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.ledger.services import entry_post

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement trigger and COPY exist only on PostgreSQL")


class Undo(Exception):
    pass


def counts() -> tuple[int, int]:
    return Entry.objects.count(), Posting.objects.count()


def gifts(books, n: int, *, seed: int = 1) -> list[NewEntry]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        amount = Decimal(rng.randint(1, 99999)) / 100
        legs = [(books["bank"].pk, amount), (books["fund"].pk, -amount)]
        if i % 3 == 0:
            legs += [(books["issue"].pk, Decimal("1.5")), (books["vol"].pk, Decimal("-1.5"))]
        out.append(NewEntry(legs=legs, memo=f"王芳 捐赠 {i}", source="test.set", external_id=f"k{i}"))
    return out


def stored(ids: list[int]) -> list[tuple]:
    rows = []
    for entry in Entry.objects.filter(pk__in=ids).order_by("pk"):
        legs = sorted((p.account_id, p.unit, p.amount) for p in entry.postings.all())
        rows.append((entry.source, entry.external_id, entry.memo, entry.content_hash, entry.booked_on, legs))
    return rows


def test_the_content_hash_is_the_json_definition(books):
    """The one content hash: sha256 of {"memo", "legs": sorted [account id, "amount"]} as json.dumps writes it."""
    rng = random.Random(3)
    for _ in range(200):
        legs = [(rng.randint(1, 10**6), Decimal(rng.randint(-10**9, 10**9)) / 100) for _ in range(rng.randint(2, 5))]
        memo = rng.choice(["捐赠 gift 林晓红 → yx-bjj", 'quote " and \\ slash', "", "tab\there", "😀 emoji"])
        expected = hashlib.sha256(json.dumps(
            {"memo": memo, "legs": sorted((pk, str(amount)) for pk, amount in legs)}).encode()).hexdigest()
        assert content_hash(memo, legs) == expected


def test_a_set_posts_what_one_by_one_posts(books):
    entries = gifts(books, 30)
    try:
        with transaction.atomic():
            one_by_one = [entry_post(legs=[(Account.objects.get(pk=pk), amount) for pk, amount in e.legs], memo=e.memo,
                                     source=e.source, external_id=e.external_id).pk for e in entries]
            singles, single_balances = stored(one_by_one), dict(Account.objects.values_list("pk", "balance"))
            raise Undo
    except Undo:
        pass
    audits = AuditLog.objects.count()
    posted = entries_post(entries)
    ids = [p.id for p in posted]
    assert ids == sorted(ids) and not any(p.replayed for p in posted)
    assert stored(ids) == singles
    assert dict(Account.objects.values_list("pk", "balance")) == single_balances
    assert AuditLog.objects.count() == audits + 1  # one row for the set
    row = AuditLog.objects.latest("pk")
    assert row.action == "ledger.entries.post" and row.after["entries"] == 30
    assert not unbalanced_entries() and not balances_mismatched()


def test_a_set_replays_its_keys_and_refuses_them_with_other_content(books):
    first = entries_post(gifts(books, 5))
    before = counts()
    again = entries_post(gifts(books, 6))  # the five again, and one new
    assert [p.id for p in again[:5]] == [p.id for p in first] and all(p.replayed for p in again[:5])
    assert not again[5].replayed and counts() == (before[0] + 1, before[1] + len(gifts(books, 6)[5].legs))
    changed = gifts(books, 3, seed=2)  # the same keys, other amounts
    with pytest.raises(Conflict) as info:
        entries_post(changed)
    assert info.value.code == "idempotency_mismatch"
    # A caller that looked the keys up itself: the unique key answers, and (no savepoint taken) the caller's own
    # transaction is the one to roll back.
    with pytest.raises(Conflict) as info, transaction.atomic():
        entries_post(gifts(books, 1), replays=False)
    assert info.value.code == "entry_conflict"
    assert counts() == (before[0] + 1, before[1] + len(gifts(books, 6)[5].legs))


@pytest.mark.parametrize("bad,code", [
    (NewEntry(legs=[(0, "1.00"), (1, "-0.99")]), "entry_unbalanced"),
    (NewEntry(legs=[(0, "1.00")]), "entry_too_short"),
    (NewEntry(legs=[(0, "1.001"), (1, "-1.001")]), "money_precision"),
    (NewEntry(legs=[(3, "0.7"), (4, "-0.7")]), "hours_step"),
    (NewEntry(legs=[(0, "1.00"), (1, "-1.00")], booked_on=__import__("datetime").date(1999, 12, 31)), "date_out_of_range"),
])
def test_one_bad_entry_refuses_the_set_before_anything_is_written(books, bad, code):
    order = ["bank", "income", "fund", "issue", "vol"]
    legs = [(books[order[i]].pk, amount) for i, amount in bad.legs]
    entries = [*gifts(books, 4), NewEntry(legs=legs, booked_on=bad.booked_on)]
    before = counts()
    with pytest.raises(ValidationFailed) as info:
        entries_post(entries)
    assert info.value.code == code and counts() == before


def test_an_unknown_account_refuses_the_set(books):
    with pytest.raises(NotFound):
        entries_post([NewEntry(legs=[(books["bank"].pk, "1.00"), (10**9, "-1.00")])])


def test_a_guarded_account_refuses_the_set_and_says_which(books):
    entries_post([NewEntry(legs=[(books["bank"].pk, "10.00"), (books["fund"].pk, "-10.00")])])
    before = counts()
    spend = [NewEntry(legs=[(books["fund"].pk, "6.00"), (books["bank"].pk, "-6.00")]) for _ in range(2)]
    with pytest.raises(ValidationFailed) as info:
        entries_post(spend)
    assert info.value.code == "insufficient_balance" and info.value.account_id == books["fund"].pk
    assert counts() == before and Account.objects.get(pk=books["fund"].pk).balance == Decimal("10.00")


def test_then_sees_the_new_ids_before_the_balances_move_and_its_failure_undoes_all(books):
    seen = {}

    def then(ids):
        seen["ids"] = ids
        seen["bank"] = Account.objects.get(pk=books["bank"].pk).balance

    posted = entries_post(gifts(books, 3), then=then)
    assert seen["ids"] == [p.id for p in posted] and seen["bank"] == Decimal("0")
    before = counts(), Account.objects.get(pk=books["bank"].pk).balance

    def fails(ids):
        raise ValidationFailed("caller_refused", "no")

    with pytest.raises(ValidationFailed):
        entries_post([NewEntry(legs=[(books["bank"].pk, "1.00"), (books["income"].pk, "-1.00")])], then=fails)
    assert (counts(), Account.objects.get(pk=books["bank"].pk).balance) == before


def test_a_balance_limit_refuses_the_set(books):
    big = Decimal("9000000000000.00")
    entries_post([NewEntry(legs=[(books["bank"].pk, big), (books["income"].pk, -big)])])
    with pytest.raises(Conflict) as info:
        entries_post([NewEntry(legs=[(books["bank"].pk, big), (books["income"].pk, -big)])])
    assert info.value.code == "balance_limit"


@on_postgres
def test_copy_writes_what_arrays_write(books, monkeypatch):
    entries = gifts(books, 40)
    try:
        with transaction.atomic():
            arrays = stored([p.id for p in entries_post(entries)])
            raise Undo
    except Undo:
        pass
    monkeypatch.setattr(posting, "ARRAYS_MAX", 5)
    ids = [p.id for p in entries_post(entries)]
    assert stored(ids) == arrays
    assert not unbalanced_entries() and not balances_mismatched()


@on_postgres
def test_postgres_checks_each_statement_of_postings_balances(books):
    entry = entry_post(legs=[(books["bank"], "1.00"), (books["fund"], "-1.00")])
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO ledger_posting (entry_id, account_id, unit, amount) VALUES (%s, %s, 'CNY', 2.00)",
                    [entry.pk, books["bank"].pk])
    with pytest.raises(IntegrityError, match="has unit"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO ledger_posting (entry_id, account_id, unit, amount) VALUES (%s, %s, 'HOUR', 2.00), "
                    "(%s, %s, 'HOUR', -2.00)", [entry.pk, books["bank"].pk, entry.pk, books["fund"].pk])
    # Two postings that balance each other, in one statement, keep the entry balanced: accepted.
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("INSERT INTO ledger_posting (entry_id, account_id, unit, amount) VALUES (%s, %s, 'CNY', 3.00), "
                    "(%s, %s, 'CNY', -3.00)", [entry.pk, books["bank"].pk, entry.pk, books["income"].pk])
    assert not unbalanced_entries()
