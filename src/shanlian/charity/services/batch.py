"""Batch intake of online gifts: a payment platform forwards up to `BATCH_MAX` Giving-Day gifts in one
request (`POST /api/charity/donations/batch`), through a machine token of the custodian federation's
finance officer, as it would forward them one by one to `POST /api/charity/donations`.

- Every gift is idempotent per caller exactly as in the single endpoint: it is stored under source
  `api:<user id>` with its `idempotency_key` as external id, so a key used in a single request and then
  in a batch (or the other way round) is the same gift. The same key with the same content answers
  `replayed` with the first gift's ids; with different content `refused` (idempotency_mismatch).
- Every gift is checked first (the importer's row checks: amount, match, time, fund or campaign, the
  campaign's period and status, the matching pools' room), and the caller must be a finance officer of
  each gift's fund's custodian.
- **A bad gift refuses only itself.** A platform forwarding a Giving Day's stream should not have one
  typo hold up a thousand good gifts: the answer lists every gift as `created`, `replayed` or
  `refused` with a code and a message, and the platform resends the refused ones once fixed. The gifts
  that pass are written in ONE transaction: all of them or (on any failure) none, never half a batch.
- Matching, as in the single endpoint: without `match`, a campaign gift with a `donor_key` is matched by
  the campaign's first active pool with room, at the pool's ratio within its caps per donor, per day, in
  total and within what it holds, gift after gift in the batch's order, exactly what one request per gift
  in that order would get. With `match` (the platform already applied the sponsor's rules), that amount
  is drawn whole from the first pool with room for it as `shanlian charity import` does ("0" means none).
  The pools are locked (in id order, as `donation_record` locks them) before the room is read.
- Writing: on PostgreSQL the importer's set-based writer (`importer_write.write_set`: COPY into a
  temporary table, a few INSERT ... SELECT, each account's balance moved once), or for up to `SMALL` gifts
  (a group commit's, services/groupcommit.py) `_write_small`, the same rows in fewer round trips (one
  statement of data-modifying CTEs over arrays instead of the temporary table); elsewhere one gift at a
  time (`importer_write.record_planned`). All write the same rows as `donation_record` does for the
  single endpoint: channel online, recorded by the caller, the same entry (memo, legs, source, content
  hash). Audit: one `charity.donation.batch` row per request (plus the per-gift rows on the generic path).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, lazy_format
from shanlian.core.inputs import text_problem
from shanlian.core.money import Money, fen_sum
from shanlian.core.scoping import Role

from ..importer import (
    CENT,
    MAX_EXTERNAL_ID,
    SHANGHAI,
    ZERO,
    Gift,
    RowError,
    Target,
    Targets,
    _check_money,
    _fmt_time,
    _parse_time,
    _PoolRoom,
    _Silent,
    donor_text,
    time_error,
)
from ..models import Campaign, Channel, CommunityFund, Donation, MatchGift, MatchPool
from ._access import scope_of
from .donations import ANONYMOUS

BATCH_MAX = 1000
SMALL = 200  # up to this many gifts, PostgreSQL writes them with `_write_small` (fewer round trips than `write_set`)
KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
ATTEMPTS = 3  # a batch racing another request with the same keys is checked and written again

CREATED, REPLAYED, REFUSED = "created", "replayed", "refused"

MESSAGES: dict[str, Promise] = {
    "invalid_idempotency_key": _("the idempotency key must be 1 to 128 letters, digits or _ . : -"),
    "invalid_donor_key": _("the donor key must be at most %(max)s characters, without control characters"),
    "online_needs_custodian_finance": _(
        "Only a finance officer of the fund's custodian federation may record online gifts."),
    "idempotency_mismatch": _("this idempotency key was already used for a different gift"),
}


@dataclass(frozen=True)
class BatchGiftIn:
    """One gift as the platform sends it (the API's schema, without Django Ninja)."""

    idempotency_key: str
    amount: str
    fund: str = ""
    campaign: str = ""
    donor_name: str = ""
    donor_key: str = ""
    received_at: str | None = None
    match: str | None = None


@dataclass(slots=True)
class _Planned(Gift):
    """A checked gift of a batch: the importer's `Gift` plus what an API gift carries besides."""

    donor_key: str = ""
    match_given: bool = False


@dataclass
class BatchGiftResult:
    index: int
    idempotency_key: str
    status: str
    donation_id: int | None = None
    entry_id: int | None = None
    fund: str = ""
    campaign: str | None = None
    amount: Decimal | None = None
    match: Decimal | None = None
    received_at: datetime | None = None
    code: str = ""
    message: str = ""


@dataclass
class BatchResult:
    gifts: list[BatchGiftResult] = field(default_factory=list)
    writer: str = ""

    def count(self, status: str) -> int:
        return sum(1 for g in self.gifts if g.status == status)


def _message(code: str, params: dict[str, Any]) -> str:
    if code in MESSAGES:
        return str(MESSAGES[code]) % params if params else str(MESSAGES[code])
    return RowError(0, code, params).reason()


class _Room(_PoolRoom):
    """The importer's pool room, plus what each donor already got from each pool (the per-donor cap)."""

    def __init__(self, pool_ids: Iterable[int], days: Iterable[date], donor_keys: Iterable[str]) -> None:
        ids = sorted(set(pool_ids))
        super().__init__(ids, days)
        self.donor_used: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        rows = (MatchGift.objects.filter(pool_id__in=ids, refunded=False, donor_key__in=set(donor_keys))
                .values("pool_id", "donor_key").annotate(fen=fen_sum("amount")).order_by())
        for row in rows:
            self.donor_used[(row["pool_id"], row["donor_key"])] = Money.from_fen(row["fen"] or 0).amount

    def take_given(self, gift: _Planned, day: date) -> RowError | None:
        problem = self.take(gift, day)
        if problem is None and gift.pool_id is not None:
            self.donor_used[(gift.pool_id, gift.donor_key)] += gift.match
        return problem

    def compute(self, gift: _Planned, day: date) -> None:
        """`donations._match_amount` over the pools in id order, the first positive one wins."""
        for pk in gift.target.pools:
            pool = self.pools.get(pk)
            if pool is None or not pool.active:
                continue
            wanted = (gift.amount * pool.ratio).quantize(CENT, rounding=ROUND_DOWN)
            room = min(wanted, pool.per_donor_cap.amount - self.donor_used[(pk, gift.donor_key)],
                       pool.per_day_cap.amount - self.day_used[(pk, day)], self.left[pk])
            extra = max(room, ZERO).quantize(CENT)
            if extra > 0:
                gift.match, gift.pool_id = extra, pk
                self.left[pk] -= extra
                self.day_used[(pk, day)] += extra
                self.donor_used[(pk, gift.donor_key)] += extra
                return


class _Checker:
    """Checks the gifts of one batch against the database: targets, the caller's custody, stored keys."""

    def __init__(self, *, scope: Any, source: str, now: datetime, gifts: Sequence[BatchGiftIn]) -> None:
        self.scope = scope
        self.source = source
        self.now = now
        self.latest = (now + timedelta(minutes=5)).astimezone(SHANGHAI)
        # Only the funds and campaigns the gifts name ("campaign/fund" names both).
        campaigns = {g.campaign.strip().partition("/")[0].strip() for g in gifts if g.campaign.strip()}
        funds = {g.fund.strip() for g in gifts if g.fund.strip()}
        funds |= {g.campaign.partition("/")[2].strip() for g in gifts if "/" in g.campaign}
        self.targets = Targets(fund_codes=funds, campaign_slugs=campaigns)

    def _target(self, gift: BatchGiftIn) -> Target | tuple[str, dict[str, Any]]:
        fund, campaign = gift.fund.strip(), gift.campaign.strip()
        if campaign:
            if "/" in campaign:
                if fund and campaign.partition("/")[2].strip() != fund:
                    return ("campaign_target_mismatch", {"campaign": campaign, "fund": fund})
                return self.targets.resolve(campaign)
            if campaign not in self.targets.campaigns:
                return ("unknown_target", {"value": campaign})
            return self.targets.resolve(f"{campaign}/{fund}" if fund else campaign)
        if not fund:
            return ("target_missing", {})
        found = self.targets.funds.get(fund)
        if found is None:
            return ("unknown_target", {"value": fund})
        return self.targets._fund_target(fund, found, None)

    def parse(self, index: int, gift: BatchGiftIn, seen: dict[str, int]) -> _Planned | list[RowError]:
        errors: list[RowError] = []
        key = gift.idempotency_key
        if not KEY.match(key or "") or len(key) > MAX_EXTERNAL_ID:
            errors.append(RowError(index, "invalid_idempotency_key"))
        elif key in seen:
            errors.append(RowError(index, "external_id_duplicate", {"value": key, "first": seen[key]}))
        else:
            seen[key] = index
        amount = _check_money(gift.amount or "", row=index, prefix="", errors=errors)
        if amount is not None and amount <= 0:
            errors.append(RowError(index, "amount_not_positive", {"value": gift.amount}))
            amount = None
        match = ZERO
        given = gift.match is not None and gift.match.strip() != ""
        if given:
            checked = _check_money(gift.match or "", row=index, prefix="match_", errors=errors)
            if checked is not None and checked < 0:
                errors.append(RowError(index, "match_negative", {"value": gift.match}))
            match = checked if checked is not None and checked > 0 else ZERO
        moment = self.now
        if gift.received_at is not None and gift.received_at.strip():
            try:
                moment = _parse_time(gift.received_at)
            except (ValueError, IndexError, OverflowError) as exc:
                errors.append(time_error(index, gift.received_at, exc))
        target = self._target(gift)
        if isinstance(target, tuple):
            errors.append(RowError(index, target[0], target[1]))
            return errors
        if not (self.scope.is_superuser or target.custodian_id in self.scope.organization_ids):
            errors.append(RowError(index, "online_needs_custodian_finance"))
        donor = donor_text(index, gift.donor_name or "", errors) or ANONYMOUS
        donor_key = (gift.donor_key or "").strip()
        if text_problem(donor_key, max_length=MAX_EXTERNAL_ID) is not None:
            errors.append(RowError(index, "invalid_donor_key", {"max": MAX_EXTERNAL_ID}))
        if errors or amount is None:
            return errors
        return _Planned(index, key, moment, donor, amount, match, target, donor_key=donor_key, match_given=given)

    def status(self, gift: _Planned) -> list[RowError]:
        """The checks a gift already recorded under its key skips (as the single endpoint's replay does)."""
        t, moment, row = gift.target, gift.received_at, gift.row
        errors: list[RowError] = []
        if not t.fund_open:
            errors.append(RowError(row, "fund_closed", {"value": t.fund_code}))
        if t.campaign_id is not None and not t.campaign_open:
            errors.append(RowError(row, "campaign_not_open", {"value": t.campaign_slug}))
        if moment > self.latest:
            errors.append(RowError(row, "received_in_future", {"value": _fmt_time(moment)}))
        elif t.starts_at is not None and t.ends_at is not None and not (t.starts_at <= moment <= t.ends_at):
            errors.append(RowError(row, "campaign_out_of_period", {
                "value": _fmt_time(moment), "start": _fmt_time(t.starts_at), "end": _fmt_time(t.ends_at)}))
        if gift.match and not t.pools:
            errors.append(RowError(row, "match_without_pool", {"match": str(Money(gift.match))}))
        return errors


_STORED = ("external_id", "pk", "entry_id", "fund_id", "project_id", "campaign_id", "point_id", "channel", "amount",
           "donor_name", "show_name", "donor_key", "message", "received_at", "goods_item", "match__amount")


def _stored(source: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The gifts already stored under these keys, as `_STORED` values by key. On PostgreSQL in plain SQL: a
    committer asks this for every group, and building the ORM's query costs more than running it."""
    if connection.vendor != "postgresql":
        return {row["external_id"]: row for row in Donation.objects.filter(source=source, external_id__in=keys).values(*_STORED)}
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT d.external_id, d.id, d.entry_id, d.fund_id, d.project_id, d.campaign_id, d.point_id, d.channel, d.amount,
                   d.donor_name, d.show_name, d.donor_key, d.message, d.received_at, d.goods_item, m.amount
              FROM charity_donation d LEFT JOIN charity_matchgift m ON m.donation_id = d.id
             WHERE d.source = %s AND d.external_id = ANY(%s) AND d.external_id <> ''""", [source, keys])
        return {row[0]: dict(zip(_STORED, row, strict=True)) for row in cursor.fetchall()}


def _same(stored: dict[str, Any], gift: _Planned, sent_time: bool) -> bool:
    t = gift.target
    match = Money(stored["match__amount"]).amount if stored["match__amount"] is not None else ZERO
    return (
        (stored["fund_id"], stored["project_id"], stored["campaign_id"], stored["point_id"], stored["channel"],
         Money(stored["amount"]).amount, stored["donor_name"], stored["show_name"], stored["donor_key"], stored["message"],
         stored["goods_item"])
        == (t.fund_id, None, t.campaign_id, None, Channel.ONLINE, gift.amount, gift.donor, False, gift.donor_key, "", "")
        and (not sent_time or stored["received_at"] == gift.received_at)
        and (not gift.match_given or match == gift.match)
    )


def _refused(index: int, key: str, errors: list[RowError]) -> BatchGiftResult:
    first = errors[0]
    return BatchGiftResult(index=index, idempotency_key=key, status=REFUSED, code=first.code,
                           message="; ".join(_message(e.code, e.params) for e in errors))


def donation_batch_record(*, actor: Any, gifts: Sequence[BatchGiftIn]) -> BatchResult:
    """Check every gift, then write all the good new ones in one transaction; see the module's notes."""
    scope = scope_of(actor)
    if not (scope.is_superuser or scope.has(Role.FEDERATION_FINANCE)):
        raise PermissionDenied("online_needs_custodian_finance", MESSAGES["online_needs_custodian_finance"])
    if not gifts:
        raise ValidationFailed("batch_empty", _("Send at least one gift."))
    if len(gifts) > BATCH_MAX:
        raise ValidationFailed("batch_too_large", lazy_format(_("Send at most %(max)s gifts in one batch."), {"max": BATCH_MAX}))
    for attempt in range(ATTEMPTS):
        try:
            return _attempt(actor, scope, gifts)
        except (IntegrityError, Conflict) as exc:
            # Another request wrote some of these keys (or took a pool's room) meanwhile: check again.
            if attempt == ATTEMPTS - 1 or (isinstance(exc, Conflict) and exc.code not in (
                    "import_conflict", "entry_conflict", "idempotency_mismatch", "match_exceeds_pool")):
                raise
    raise AssertionError("unreachable")


def _attempt(actor: Any, scope: Any, gifts: Sequence[BatchGiftIn]) -> BatchResult:
    source = f"api:{actor.pk}"
    checker = _Checker(scope=scope, source=source, now=timezone.now(), gifts=gifts)
    results: dict[int, BatchGiftResult] = {}
    planned: list[_Planned] = []
    seen: dict[str, int] = {}
    for index, sent in enumerate(gifts):
        parsed = checker.parse(index, sent, seen)
        if isinstance(parsed, list):
            results[index] = _refused(index, sent.idempotency_key, parsed)
        else:
            planned.append(parsed)
    stored = _stored(source, [g.external_id for g in planned]) if planned else {}
    fresh: list[_Planned] = []
    for gift in planned:
        row = stored.get(gift.external_id)
        if row is None:
            problems = checker.status(gift)
            if problems:
                results[gift.row] = _refused(gift.row, gift.external_id, problems)
            else:
                fresh.append(gift)
        elif _same(row, gift, bool((gifts[gift.row].received_at or "").strip())):
            results[gift.row] = _answer(gift, REPLAYED, row["pk"], row["entry_id"], row["received_at"],
                                        Money(row["match__amount"]).amount if row["match__amount"] is not None else ZERO)
        else:
            results[gift.row] = _refused(gift.row, gift.external_id, [RowError(gift.row, "idempotency_mismatch")])
    writer = ""
    with transaction.atomic():
        written = _allocate(fresh, results)
        if written:
            writer, known = _write(written, actor=actor, source=source)
            ids = known if known is not None else {k: (pk, e) for k, pk, e in Donation.objects.filter(
                source=source, external_id__in=[g.external_id for g in written]).values_list("external_id", "pk", "entry_id")}
            for gift in written:
                pk, entry_id = ids[gift.external_id]
                results[gift.row] = _answer(gift, CREATED, pk, entry_id, gift.received_at, gift.match)
        out = BatchResult(gifts=[results[i] for i in range(len(gifts))], writer=writer)
        entries = [r.entry_id for r in out.gifts if r.status == CREATED and r.entry_id is not None]
        audit_log(actor=actor, action="charity.donation.batch", object_type="charity.batch", object_id=source, after={
            "gifts": len(gifts), "created": len(entries), "replayed": out.count(REPLAYED), "refused": out.count(REFUSED),
            "amount": str(Money(sum((g.amount for g in written), ZERO))), "matched": str(Money(sum((g.match for g in written), ZERO))),
            "writer": writer, "first_entry_id": min(entries, default=None), "last_entry_id": max(entries, default=None),
        })
    return out


def _allocate(fresh: list[_Planned], results: dict[int, BatchGiftResult]) -> list[_Planned]:
    """Under the pools' locks: the given matches fit, the others are computed; returns the gifts to write."""
    pooled = [g for g in fresh if g.target.pools and (g.match or (not g.match_given and g.donor_key))]
    if not pooled:
        return fresh
    pool_ids = sorted({pk for g in pooled for pk in g.target.pools})
    list(MatchPool.objects.select_for_update().filter(pk__in=pool_ids).order_by("pk").values_list("pk", flat=True))
    days = {timezone.localdate(g.received_at) for g in pooled}
    room = _Room(pool_ids, days, {g.donor_key for g in pooled})
    refused: set[int] = set()
    for gift in pooled:
        day = timezone.localdate(gift.received_at)
        if gift.match_given:
            problem = room.take_given(gift, day)
            if problem is not None:
                results[gift.row] = _refused(gift.row, gift.external_id, [problem])
                refused.add(gift.row)
        else:
            room.compute(gift, day)
    return [g for g in fresh if g.row not in refused]


def _write(gifts: list[_Planned], *, actor: Any, source: str) -> tuple[str, dict[str, tuple[int, int]] | None]:
    """Write the gifts; returns the writer's name and, when it knows them, each key's (donation id, entry id)."""
    from ..importer_write import RowSpec, record_planned, write_set

    spec = RowSpec(source=source, channel=Channel.ONLINE, donor_key=lambda g: g.donor_key,  # type: ignore[attr-defined]
                   recorded_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None)
    if connection.vendor == "postgresql" and len(gifts) <= SMALL:
        return "small", _write_small(gifts, spec=spec)
    if connection.vendor == "postgresql":
        write_set(gifts, spec=spec, progress=_Silent())
        return "set", None
    funds = {f.pk: f for f in CommunityFund.objects.select_related("custodian", "account").filter(pk__in={g.target.fund_id for g in gifts})}
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in={g.target.campaign_id for g in gifts if g.target.campaign_id})}
    for gift in gifts:
        campaign = campaigns[gift.target.campaign_id] if gift.target.campaign_id else None
        record_planned(gift, spec=spec, fund=funds[gift.target.fund_id], campaign=campaign, actor=actor)
    return "generic", None


_CASH: dict[int, int] = {}  # custodian id -> its cash account's id (accounts are never deleted nor renumbered)
_SEQUENCES: dict[str, str] = {}


def _write_small(gifts: Sequence[_Planned], *, spec: Any) -> dict[str, tuple[int, int]]:
    """`importer_write.write_set` for a few gifts (a group commit's, a small batch's), in fewer round trips: the
    entries, their postings and the gifts in ONE statement (data-modifying CTEs over arrays, instead of a
    temporary table, a COPY and an INSERT per table), then exactly what `write_set` does: the deferred checks,
    the pools re-checked, the accounts locked in id order and moved once each, the pools and tallies. The same
    rows, memos and content hashes as `write_set` (and `donation_record`)."""
    from ..importer_write import donation_insert, hash_cached, plan_gift, settle

    cash = {pk: _CASH[pk] for pk in {g.target.custodian_id for g in gifts} if pk in _CASH}
    custodians = {g.target.custodian_id for g in gifts} - cash.keys()
    if custodians:
        from shanlian.orgs.models import Organization

        from .accounts import federation_cash

        opened = {org.pk: federation_cash(org).pk for org in Organization.objects.filter(pk__in=custodians)}
        cash.update(opened)
        transaction.on_commit(lambda: _CASH.update(opened))  # remembered once it surely exists
    pool_ids = {g.pool_id for g in gifts if g.pool_id and g.match}
    pool_accounts = dict(MatchPool.objects.filter(pk__in=pool_ids).values_list("pk", "account_id")) if pool_ids else {}
    posted: dict[int, Decimal] = defaultdict(Decimal)
    pool_total: dict[int, Decimal] = defaultdict(Decimal)
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    columns: list[list[Any]] = [[] for _ in range(16)]
    memo_json: dict[str, str] = {}
    for gift in gifts:
        t = gift.target
        debit, credit, memo, legs, pool_account, day = plan_gift(gift, cash, pool_accounts, posted, pool_total, tally)
        row = (gift.row, gift.external_id, gift.received_at, gift.donor, spec.donor_key(gift), gift.amount, gift.match,
               t.fund_id, t.campaign_id, gift.pool_id if pool_account else None, debit, credit, pool_account, memo[:300],
               hash_cached(memo, legs, memo_json), day)
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        if not _SEQUENCES:
            for table in ("ledger_entry", "charity_donation"):
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                _SEQUENCES[table] = cursor.fetchone()[0]
        try:
            # Parameters bound by the server, in binary, and the statement prepared once per connection (a committer
            # keeps its connection): Django's cursor would quote every array element into the SQL text in Python.
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as bound:  # (Django's exceptions)
                bound.execute(f"""
                    WITH s AS MATERIALIZED (
                        SELECT d.*, nextval(%s::regclass) AS entry_id, nextval(%s::regclass) AS donation_id
                          FROM unnest(%s::int[], %s::varchar[], %s::timestamptz[], %s::varchar[], %s::varchar[], %s::numeric[],
                                      %s::numeric[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
                                      %s::bigint[], %s::varchar[], %s::varchar[], %s::date[])
                               AS d ({', '.join(_SMALL_COLUMNS)})
                         ORDER BY d.row_no
                    ), entries AS (
                        INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on)
                        SELECT entry_id, %s, external_id, content_hash, memo, now(), NULL, (received_at AT TIME ZONE %s)::date
                          FROM s ORDER BY row_no
                    ), postings AS (
                        INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
                        SELECT s.entry_id, leg.account_id, 'CNY', leg.amount
                          FROM s CROSS JOIN LATERAL (VALUES (1, s.debit_id, s.amount), (2, s.credit_id, -s.amount),
                                                            (3, s.pool_account_id, s.match), (4, s.credit_id, -s.match))
                               AS leg (n, account_id, amount)
                         WHERE leg.amount <> 0
                         ORDER BY s.row_no, leg.n
                    ), donations AS ({donation_insert("s")}
                    )
                    SELECT row_no, donation_id, entry_id, match > 0 FROM s ORDER BY row_no""",  # noqa: S608 (column names are constants)
                    [_SEQUENCES["ledger_entry"], _SEQUENCES["charity_donation"], *columns, f"charity.{spec.source}",
                     settings.TIME_ZONE, str(spec.channel), spec.recorded_by_id, spec.source], prepare=True)
                written = bound.fetchall()
            matched = [(r, d) for r, d, _e, has_match in written if has_match]
            if matched:  # after the gifts, as `write_set` does (the income roll-up counts a match with its gift)
                by_row = {g.row: g for g in gifts}
                cursor.execute("""
                    INSERT INTO charity_matchgift (pool_id, donation_id, amount, day, donor_key, refunded)
                    SELECT * , false FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::date[], %s::varchar[])""",
                               [[by_row[r].pool_id for r, _d in matched], [d for _r, d in matched],
                                [by_row[r].match for r, _d in matched],
                                [timezone.localdate(by_row[r].received_at) for r, _d in matched],
                                [spec.donor_key(by_row[r]) for r, _d in matched]])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
        except IntegrityError as exc:
            if "idempotency" in str(exc):
                raise Conflict("import_conflict", _("Another import wrote some of these rows at the same time; run it again.")) from exc
            raise
        settle(cursor, gifts=gifts, posted=posted, pool_total=pool_total, pool_accounts=pool_accounts, tally=tally)
    keys = {g.row: g.external_id for g in gifts}
    return {keys[r]: (d, e) for r, d, e, _m in written}


_SMALL_COLUMNS = ("row_no", "external_id", "received_at", "donor_name", "donor_key", "amount", "match", "fund_id", "campaign_id",
                  "pool_id", "debit_id", "credit_id", "pool_account_id", "memo", "content_hash", "day")


def _answer(gift: _Planned, status: str, pk: int, entry_id: int, received_at: datetime, match: Decimal) -> BatchGiftResult:
    return BatchGiftResult(index=gift.row, idempotency_key=gift.external_id, status=status, donation_id=pk, entry_id=entry_id,
                           fund=gift.target.fund_code, campaign=gift.target.campaign_slug or None, amount=gift.amount,
                           match=match, received_at=received_at)
