"""Posting entries, one or many thousands at once: the one writer of `ledger_entry`, `ledger_posting` and the
stored balances. `services.entry_post` is `entries_post` with one entry.

For a set of entries, in this order:

1. every entry is checked (two legs or more, no zero leg, each amount in its unit's steps, balanced per unit,
   its business date within the books' window) and its content hash computed, before anything is written;
2. with `replays`, entries whose (source, external id) is already stored are answered by the stored entry when
   the content is the same, and refused (409 `idempotency_mismatch`) when it is not. A caller that has just
   looked the keys up itself (the gift writer) passes `replays=False`: a key written meanwhile by someone else
   then fails the unique key, answered as 409 `entry_conflict` (the caller checks again and retries);
3. the entries and their postings are inserted, set-based (how is the one seam between the databases here:
   the ORM's bulk inserts on SQLite, one statement over arrays on PostgreSQL, COPY for large sets). The
   database checks every entry balances at the end of the statement that inserts its postings
   (migration 0008); then `then(ids)` runs, for the caller's own rows that point at these entries;
4. only then are the touched accounts locked, in id order (FOR NO KEY UPDATE, as one entry always did), so a
   set holds the shared balance rows for as short a time as possible; a guarded account may not go below
   zero, no balance past `BALANCE_LIMIT`; each touched balance is moved once, by the set's sum, written as an
   exact value (SQLite keeps decimals as binary floats);
5. one audit row: the entry's own (with its legs) for one entry, a summary for a set.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.bulk import bound, reserve_ids
from shanlian.core.errors import Conflict, NotFound, ValidationFailed, lazy_format
from shanlian.core.inputs import date_window, earliest_date
from shanlian.core.learnt import Learnt
from shanlian.core.money import Hours, Money

from .models import NORMAL_SIGN, Account, AccountType, Entry, Posting, Unit

# The largest balance kept exactly on both databases: PostgreSQL's NUMERIC(18, 2) holds more, but SQLite keeps
# decimals as binary floats, exact to 15 significant digits (a trillion yuan, to the fen, with room). No entry may
# take a balance past it: it is refused with a clear error before anything is written, so a full account refuses
# only what would overflow it.
BALANCE_LIMIT = Decimal("9999999999999.99")
ARRAYS_MAX = 2000  # up to this many entries, PostgreSQL inserts them in one statement over arrays; more: COPY
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to post: legs are (account id, signed amount), + debit and - credit."""

    legs: Sequence[tuple[int, Any]]
    memo: str = ""
    source: str = "internal"
    external_id: str = ""
    booked_on: dt.date | None = None  # the day the money or hours moved; today when not given
    reverses_id: int | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    """What became of one entry of a set: its id, and whether it was stored before under its key."""

    id: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class _AccountRow:
    id: int
    code: str
    unit: str
    type: str
    guarded: bool


@dataclass(slots=True)
class _Checked:
    legs: list[tuple[int, Decimal]]
    memo: str
    source: str
    external_id: str
    booked_on: dt.date
    reverses_id: int | None
    content_hash: str


def balance_fits(code: str, balance: Decimal) -> None:
    if abs(balance) > BALANCE_LIMIT:
        raise Conflict("balance_limit", lazy_format(
            _("Account %(code)s cannot hold more; this entry is refused (nothing was written)."), {"code": code}))


@functools.lru_cache(maxsize=4096)
def _memo_head(memo: str) -> str:
    return '{"memo": ' + json.dumps(memo) + ', "legs": ['


def content_hash(memo: str, legs: Iterable[tuple[int, Decimal]]) -> str:
    """What makes two entries "the same" for idempotency: sha256 of the JSON {"memo": memo, "legs": [[account id,
    "amount"], ...]} with the legs sorted, exactly as `json.dumps` writes it (stored hashes stay valid)."""
    body = sorted((pk, str(amount)) for pk, amount in legs)
    text = _memo_head(memo) + ", ".join(f'[{pk}, "{amount}"]' for pk, amount in body) + "]}"
    return hashlib.sha256(text.encode()).hexdigest()


def leg_amount(unit: str, value: Any) -> Decimal:
    """An amount in its unit: yuan to the fen, hours to the half hour; never zero."""
    if unit == Unit.CNY:
        # The common case, a Decimal already in fen (a gift's amount), without Money's parsing.
        amount = value if type(value) is Decimal and value.as_tuple().exponent == -2 else Money(value).amount
    else:
        amount = Hours(value).value.quantize(CENT)
    if amount == 0:
        raise ValidationFailed("zero_amount", _("A posting amount cannot be zero."))
    return amount


# Accounts never change unit, type or guard (account_open refuses another definition) and are never deleted: what
# a process has read of them stays true (`core.learnt`). Their balances are read under lock, never from here.
_ACCOUNTS: Learnt[int, _AccountRow] = Learnt()


def _row(account: Account) -> _AccountRow:
    return _AccountRow(account.pk, account.code, account.unit, account.type, account.guarded)


def definitions(ids: Iterable[int]) -> dict[int, _AccountRow]:
    """The accounts' definitions (code, unit, type, guard), by id: read once per process on PostgreSQL."""
    return _accounts(ids)[0]


def _accounts(ids: Iterable[int], given: Iterable[Account] = ()) -> tuple[dict[int, _AccountRow], dict[int, tuple[Decimal, Decimal]]]:
    """The accounts' definitions; on SQLite also their balances and holds, read in the same query (SQLite has no row
    locks: the database's one writer lock serialises the writers, and the balances are read once)."""
    wanted = set(ids)
    known = {a.pk: _row(a) for a in given}
    balances: dict[int, tuple[Decimal, Decimal]] = {}
    postgres = connection.vendor == "postgresql"
    if postgres:
        known.update(_ACCOUNTS.get_many(wanted - known.keys()))
    missing = wanted - known.keys() if postgres else wanted
    if missing:
        found: dict[int, _AccountRow] = {}
        for pk, code, unit, type_, guarded, balance, held in Account.objects.filter(pk__in=missing).values_list(
                "pk", "code", "unit", "type", "guarded", "balance", "held"):
            found[pk] = _AccountRow(pk, code, unit, type_, guarded)
            balances[pk] = (balance, held)
        if len(found) != len(missing):
            raise NotFound("unknown_account", _("An account in this entry does not exist."))
        known.update(found)
        if postgres:
            _ACCOUNTS.learn(found)
    return known, balances


def _check(entry: NewEntry, accounts: dict[int, _AccountRow], first: dt.date, last: dt.date, today: dt.date) -> _Checked:
    if len(entry.legs) < 2:
        raise ValidationFailed("entry_too_short", _("An entry needs at least two postings."))
    legs = [(pk, leg_amount(accounts[pk].unit, value)) for pk, value in entry.legs]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for pk, amount in legs:
        totals[accounts[pk].unit] += amount
    unbalanced = {unit: total for unit, total in totals.items() if total != 0}
    if unbalanced:
        raise ValidationFailed("entry_unbalanced", lazy_format(
            _("The entry does not balance: %(detail)s."), {"detail": ", ".join(f"{u} {t}" for u, t in unbalanced.items())}))
    day = today if entry.booked_on is None else entry.booked_on
    if not first <= day <= last:
        date_window(day, field="booked_on", latest=last)  # (its error; the bounds are compared here for speed)
    return _Checked(legs, entry.memo[:300], entry.source, entry.external_id, day, entry.reverses_id,
                    content_hash(entry.memo, legs))


def entries_post(
    entries: Sequence[NewEntry],
    *,
    actor: Any = None,
    replays: bool = True,
    then: Callable[[list[int]], None] | None = None,
    accounts: Iterable[Account] = (),
    audit: bool = True,
) -> list[Posted]:
    """Post a set of balanced entries in the caller's transaction (or one of their own); see the module's notes.
    Returns each entry's id, in order. `then(ids)` is called with the new entries' ids (replays left out) after
    they are inserted and before the accounts are locked. `accounts`: Account objects the caller holds (their
    code, unit, type and guard are not read again). `audit=False`: the caller writes the audit rows that cover the
    set (the gift writer: one per request the gifts came by). With `replays=False` no savepoint is taken: a failure
    is the caller's transaction's to roll back, as it is when a key was taken meanwhile."""
    if not entries:
        return []
    known, balances = _accounts((pk for entry in entries for pk, _amount in entry.legs), accounts)
    today = timezone.localdate()
    first, last = earliest_date(), today + dt.timedelta(days=1)
    checked = [_check(entry, known, first, last, today) for entry in entries]
    try:
        with transaction.atomic(savepoint=replays):
            return _post(checked, known, actor=actor, replays=replays, then=then, audit=audit, balances=balances)
    except IntegrityError as exc:
        if not _key_taken(exc):
            raise
        # Another request with the same key committed between our look-up and our insert.
        if not replays or len(checked) != 1 or not checked[0].external_id or checked[0].reverses_id is not None:
            raise Conflict("entry_conflict", _("This entry conflicts with another one.")) from None
        one = checked[0]
        existing = Entry.objects.filter(source=one.source, external_id=one.external_id).values_list("pk", "content_hash").first()
        if existing is None:
            raise Conflict("entry_conflict", _("This entry conflicts with another one.")) from None
        return [_same_or_conflict(existing[0], existing[1], one.content_hash)]


def _key_taken(exc: IntegrityError) -> bool:
    """Whether a unique key on (source, external id) refused the insert: the entry's, or the caller's own rows' (a
    gift's), which `then` wrote under the same key."""
    text = str(exc)
    return "idempotency" in text or ("UNIQUE" in text and "external_id" in text)


def _same_or_conflict(pk: int, stored_hash: str, digest: str) -> Posted:
    if stored_hash != digest:
        raise Conflict("idempotency_mismatch", _("This external id was already used for an entry with different content."))
    return Posted(pk, replayed=True)


def _post(checked: list[_Checked], accounts: dict[int, _AccountRow], *, actor: Any, replays: bool,
          then: Callable[[list[int]], None] | None, audit: bool, balances: dict[int, tuple[Decimal, Decimal]]
          ) -> list[Posted]:
    answers: dict[int, Posted] = {}
    if replays:
        answers = _stored(checked)
    fresh = [c for n, c in enumerate(checked) if n not in answers]
    ids = _insert(fresh, {pk: row.unit for pk, row in accounts.items()}) if fresh else []
    for n, pk in zip((n for n in range(len(checked)) if n not in answers), ids, strict=True):
        answers[n] = Posted(pk)
    if then is not None and ids:
        then(ids)
    if fresh:
        if len(fresh) > 1 and connection.vendor == "postgresql":
            # Every deferred key (the entries', and the rows `then` wrote) is checked now, before the shared
            # balance rows are locked, so that gifts coming in meanwhile are not held up by these checks.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
        _move_balances(fresh, accounts, balances)
        if audit:
            _audit(fresh, ids, accounts, actor)
    return [answers[n] for n in range(len(checked))]


def _stored(checked: list[_Checked]) -> dict[int, Posted]:
    keyed = {(c.source, c.external_id): n for n, c in enumerate(checked) if c.external_id}
    if not keyed:
        return {}
    found: dict[int, Posted] = {}
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, key in keyed:
        by_source[source].append(key)
    for source, keys in by_source.items():
        for pk, key, digest in Entry.objects.filter(source=source, external_id__in=keys).values_list("pk", "external_id", "content_hash"):
            n = keyed[(source, key)]
            found[n] = _same_or_conflict(pk, digest, checked[n].content_hash)
    return found


# -- inserting: the one place where the databases differ ------------------------------------------------------------


def _insert(entries: list[_Checked], unit_of: dict[int, str]) -> list[int]:
    if connection.vendor != "postgresql":
        return _insert_orm(entries, unit_of)
    if len(entries) <= ARRAYS_MAX:
        return _insert_arrays(entries, unit_of)
    return _insert_copy(entries, unit_of)


def _insert_orm(entries: list[_Checked], unit_of: dict[int, str]) -> list[int]:
    rows = Entry.objects.bulk_create([
        Entry(source=c.source, external_id=c.external_id, content_hash=c.content_hash, memo=c.memo, booked_on=c.booked_on,
              reverses_id=c.reverses_id) for c in entries])
    Posting.objects.bulk_create([
        Posting(entry_id=row.pk, account_id=pk, unit=unit_of[pk], amount=amount)
        for row, c in zip(rows, entries, strict=True) for pk, amount in c.legs])
    return [row.pk for row in rows]


_SEQUENCE: list[str] = []


def _entry_sequence(cursor: Any) -> str:
    if not _SEQUENCE:
        cursor.execute("SELECT pg_get_serial_sequence('ledger_entry', 'id')")
        _SEQUENCE.append(cursor.fetchone()[0])
    return _SEQUENCE[0]


def _posting_columns(entries: list[_Checked], unit_of: dict[int, str]) -> tuple[list[int], list[int], list[str], list[Decimal]]:
    numbers: list[int] = []
    account_ids: list[int] = []
    units: list[str] = []
    amounts: list[Decimal] = []
    for n, c in enumerate(entries):
        for pk, amount in c.legs:
            numbers.append(n)
            account_ids.append(pk)
            units.append(unit_of[pk])
            amounts.append(amount)
    return numbers, account_ids, units, amounts


def _insert_arrays(entries: list[_Checked], unit_of: dict[int, str]) -> list[int]:
    """The entries and their postings in ONE statement (data-modifying CTEs over arrays), prepared once per
    connection with the parameters bound by the server (a group committer keeps its connection), the arrays sent in
    binary (`%b`: the text form escapes every string with a regular expression, twice the CPU)."""
    with connection.cursor() as cursor:
        sequence = _entry_sequence(cursor)
    numbers, account_ids, units, amounts = _posting_columns(entries, unit_of)
    # posted_at is the application's clock, as the ORM's auto_now_add (a demo's history runs on a simulated one).
    with bound() as cursor:
        cursor.execute("""
            WITH s AS MATERIALIZED (
                SELECT e.*, nextval(%s::regclass) AS id
                  FROM unnest(%b::int[], %b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::date[], %b::bigint[])
                       AS e (n, source, external_id, content_hash, memo, booked_on, reverses_id)
                 ORDER BY e.n
            ), entries AS (
                INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on)
                SELECT id, source, external_id, content_hash, memo, %s, reverses_id, booked_on FROM s ORDER BY n
            ), postings AS (
                INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
                SELECT s.id, p.account_id, p.unit, p.amount
                  FROM unnest(%b::int[], %b::bigint[], %b::varchar[], %b::numeric[]) WITH ORDINALITY
                       AS p (n, account_id, unit, amount, k)
                  JOIN s ON s.n = p.n
                 ORDER BY p.k
            )
            SELECT id FROM s ORDER BY n""", [
            sequence, list(range(len(entries))), [c.source for c in entries], [c.external_id for c in entries],
            [c.content_hash for c in entries], [c.memo for c in entries], [c.booked_on for c in entries],
            [c.reverses_id for c in entries], timezone.now(), numbers, account_ids, units, amounts], prepare=True)
        return [row[0] for row in cursor.fetchall()]


def _insert_copy(entries: list[_Checked], unit_of: dict[int, str]) -> list[int]:
    """A large set: ids reserved from the sequence, then the entries and their postings COPYed straight into their
    tables (no staging table, no INSERT ... SELECT); the balance check runs once over the postings' COPY."""
    now = timezone.now()
    with connection.cursor() as cursor:
        ids = reserve_ids(cursor, "ledger_entry", len(entries))
        raw = cursor.cursor
        with raw.copy("COPY ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on) "
                      "FROM STDIN") as copy:
            for pk, c in zip(ids, entries, strict=True):
                copy.write_row((pk, c.source, c.external_id, c.content_hash, c.memo, now, c.reverses_id, c.booked_on))
        with raw.copy("COPY ledger_posting (entry_id, account_id, unit, amount) FROM STDIN") as copy:
            for pk, c in zip(ids, entries, strict=True):
                for account_id, amount in c.legs:
                    copy.write_row((pk, account_id, unit_of[account_id], amount))
    return ids


# -- the balances ---------------------------------------------------------------------------------------------------


def _move_balances(entries: list[_Checked], accounts: dict[int, _AccountRow], read: dict[int, tuple[Decimal, Decimal]]) -> None:
    movement: dict[int, Decimal] = defaultdict(Decimal)
    for c in entries:
        for pk, amount in c.legs:
            movement[pk] += amount
    ids = sorted(movement)
    if connection.vendor == "postgresql":
        with bound() as cursor:
            cursor.execute("SELECT id, balance, held FROM ledger_account WHERE id = ANY(%b::bigint[]) ORDER BY id "
                           "FOR NO KEY UPDATE", [ids], prepare=True)
            locked = {pk: (balance, held) for pk, balance, held in cursor.fetchall()}
    else:
        locked = read  # SQLite: read with the definitions, under the database's writer lock
    new: dict[int, Decimal] = {}
    for pk in ids:
        account, delta = accounts[pk], movement[pk]
        if not delta:
            continue
        balance, held = locked[pk]
        moved = balance + NORMAL_SIGN[AccountType(account.type)] * delta
        if account.guarded and moved - held < 0:
            short = ValidationFailed("insufficient_balance", lazy_format(
                _("Account %(code)s has %(balance)s; this entry would take it below zero."),
                {"code": account.code, "balance": balance}))
            short.account_id = pk  # type: ignore[attr-defined]  # (which one, for a caller that words it its own way)
            raise short
        balance_fits(account.code, moved)
        new[pk] = moved
    if not new:
        return
    if connection.vendor == "postgresql":
        with bound() as cursor:
            cursor.execute("UPDATE ledger_account a SET balance = c.balance FROM unnest(%b::bigint[], %b::numeric[]) "
                           "AS c (id, balance) WHERE a.id = c.id", [list(new), list(new.values())], prepare=True)
    else:
        for pk, balance in new.items():
            Account.objects.filter(pk=pk).update(balance=balance)


def _audit(entries: list[_Checked], ids: list[int], accounts: dict[int, _AccountRow], actor: Any) -> None:
    if len(entries) == 1:
        one = entries[0]
        audit_log(actor=actor, action="ledger.entry.post", object_type="ledger.entry", object_id=ids[0], after={
            "source": one.source, "external_id": one.external_id,
            "legs": [[accounts[pk].code, str(amount)] for pk, amount in one.legs]})
        return
    audit_log(actor=actor, action="ledger.entries.post", object_type="ledger.entry", object_id=ids[0], after={
        "entries": len(ids), "first_entry_id": min(ids), "last_entry_id": max(ids),
        "sources": sorted({c.source for c in entries})})
