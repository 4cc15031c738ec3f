"""Writing a checked import (`importer.ImportPlan`), and `gifts_import`: check, then write; both writers write the same rows.

The generic writer (any database) records each row through `donation_record`; a matched row goes
through `_record_matched`, which posts the gift and its match in one entry exactly as `donation_record`
does, but with the match the file gives. `WRITE_BATCH` rows per transaction: should a batch fail (only
a change made by someone else after the checks can cause it), the batches before it stay, and a rerun
of the same file carries on where it stopped.

The COPY writer (PostgreSQL) loads the rows into a temporary table and writes everything in one
transaction with set-based INSERT ... SELECT statements (see `write_copy`).

Audit: the generic writer leaves the per-gift rows `donation_record` and `entry_post` write; the COPY
writer one row for the whole import. Both write one `charity.import` row.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, lazy_format
from shanlian.core.money import Money, fen_sum
from shanlian.ledger.models import NORMAL_SIGN, Account, AccountType
from shanlian.ledger.services import balance_fits, entry_post

from .importer import Gift, ImportPlan, ImportRejected, ImportResult, Progress, _Silent, import_check
from .importer_read import file_error
from .models import Campaign, CampaignStatus, CampaignTally, Channel, CommunityFund, Donation, FundStatus, MatchGift, MatchPool
from .services import donation_record
from .services.accounts import federation_cash

WRITE_BATCH = 500  # rows per transaction on the generic path

POOL_CHANGED = _("The matching pool changed after the file was checked and no longer has room.")


@dataclass(frozen=True)
class RowSpec:
    """What differs between the rows an import writes and those of an API batch (`services.batch`): the
    donation's source (the entry's is "charity.<source>"), its channel, who recorded it, the donor key."""

    source: str
    channel: str
    donor_key: Callable[[Gift], str]
    recorded_by_id: int | None = None


def import_spec(plan: ImportPlan) -> RowSpec:
    return RowSpec(source=plan.source, channel=Channel.IMPORT, donor_key=plan.donor_key)



def _audit(plan: ImportPlan, actor: Any, writer: str, first: int | None, last: int | None) -> None:
    audit_log(actor=actor, action="charity.import", object_type="charity.import", object_id=plan.source, after={
        "file": Path(plan.path).name, "rows": plan.rows, "imported": len(plan.gifts), "already": plan.already,
        "amount": str(plan.amount.amount), "matched": str(plan.matched.amount), "writer": writer,
        "first_entry_id": first, "last_entry_id": last,
    })


def write_generic(plan: ImportPlan, *, actor: Any, progress: Progress) -> tuple[int | None, int | None]:
    funds = {f.pk: f for f in CommunityFund.objects.select_related("custodian", "account", "division")
             .filter(pk__in={g.target.fund_id for g in plan.gifts})}
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in={g.target.campaign_id for g in plan.gifts if g.target.campaign_id})}
    progress.phase(str(_("Writing gifts")), len(plan.gifts))
    first: int | None = None
    last: int | None = None
    for start in range(0, len(plan.gifts), WRITE_BATCH):
        batch = plan.gifts[start:start + WRITE_BATCH]
        with transaction.atomic():
            for gift in batch:
                fund = funds[gift.target.fund_id]
                campaign = campaigns.get(gift.target.campaign_id) if gift.target.campaign_id else None
                if gift.match:
                    donation = _record_matched(plan, gift, fund=fund, campaign=campaign, actor=actor)
                else:
                    donation = donation_record(
                        actor=actor, fund=fund, amount=gift.amount, channel=Channel.IMPORT, donor_name=gift.donor,
                        campaign=campaign, received_at=gift.received_at, source=plan.source, external_id=gift.external_id,
                        _skip_access=True,
                    )
                first = donation.entry_id if first is None else first
                last = donation.entry_id
            if start + WRITE_BATCH >= len(plan.gifts):
                _audit(plan, actor, "generic", first, last)
        progress.advance(len(batch))
    plan.lap("write")
    return first, last


def _record_matched(plan: ImportPlan, gift: Gift, *, fund: CommunityFund, campaign: Campaign | None, actor: Any) -> Donation:
    """A gift with the match the file names, posted in one entry exactly as `donation_record` posts a
    matched gift (same legs, memo, source and rows), after checking the pool again under its lock."""
    assert campaign is not None and gift.pool_id is not None
    return record_planned(gift, spec=import_spec(plan), fund=fund, campaign=campaign, actor=actor)


def record_planned(gift: Gift, *, spec: RowSpec, fund: CommunityFund, campaign: Campaign | None, actor: Any) -> Donation:
    """One checked gift with the match decided for it (none when `gift.match` is 0), posted in one entry
    exactly as `donation_record` posts it (same legs, memo, source and rows), after checking the fund,
    campaign and pool again (the pool under its lock). Call inside a transaction."""
    pool: MatchPool | None = None
    if gift.match:
        assert campaign is not None and gift.pool_id is not None
        pool = MatchPool.objects.select_for_update().select_related("account").get(pk=gift.pool_id)
    fund.refresh_from_db(fields=["status"])
    if campaign is not None:
        campaign.refresh_from_db(fields=["status"])
    if (fund.status != FundStatus.OPEN or (campaign is not None and campaign.status != CampaignStatus.OPEN)
            or (pool is not None and not pool.active)):
        raise Conflict("import_target_changed", _("A fund, campaign or matching pool changed after the file was checked."))
    day = timezone.localdate(gift.received_at)
    credit = fund.account
    legs: list[tuple[Account, Any]] = [(federation_cash(fund.custodian), gift.amount), (credit, -gift.amount)]
    if pool is not None:
        by_day = Money.from_fen(MatchGift.objects.filter(pool=pool, refunded=False, day=day).aggregate(fen=fen_sum("amount"))["fen"] or 0)
        if pool.matched_total.amount + gift.match > pool.total_cap.amount or by_day.amount + gift.match > pool.per_day_cap.amount:
            raise Conflict("match_exceeds_pool", POOL_CHANGED)
        legs += [(pool.account, gift.match), (credit, -gift.match)]
    entry = entry_post(legs=legs, memo=gift.memo(), source=f"charity.{spec.source}", external_id=gift.external_id, actor=actor,
                       booked_on=timezone.localdate(gift.received_at))
    key = spec.donor_key(gift)
    donation = Donation.objects.create(
        fund=fund, campaign=campaign, channel=spec.channel, amount=gift.amount, donor_name=gift.donor, show_name=False,
        donor_key=key, received_at=gift.received_at, source=spec.source, external_id=gift.external_id, entry=entry,
        recorded_by_id=spec.recorded_by_id,
    )
    if pool is not None:
        MatchGift.objects.create(pool=pool, donation=donation, amount=gift.match, day=day, donor_key=key)
        MatchPool.objects.filter(pk=pool.pk).update(matched_total=pool.matched_total.amount + gift.match)
    if campaign is not None:
        tally_add(campaign.pk, Money(gift.amount + gift.match).fen, 1)
    audit_log(actor=actor, action="charity.donation.record", obj=donation,
              after={"amount": str(Money(gift.amount)), "fund": fund.pk, "channel": spec.channel,
                     "match": str(Money(gift.match)) if pool is not None else None})
    return donation


def tally_add(campaign_id: int, fen: int, gifts: int) -> None:
    """Add to slot 0 of a campaign's progress counters (the slots are summed; which one does not matter)."""
    updated = CampaignTally.objects.filter(campaign_id=campaign_id, slot=0).update(fen=F("fen") + fen, gifts=F("gifts") + gifts)
    if not updated:
        CampaignTally.objects.bulk_create([CampaignTally(campaign_id=campaign_id, slot=0)], ignore_conflicts=True)
        CampaignTally.objects.filter(campaign_id=campaign_id, slot=0).update(fen=F("fen") + fen, gifts=F("gifts") + gifts)


# -- the fast path (PostgreSQL) --------------------------------------------------------------------


def content_hash(memo: str, legs: Sequence[tuple[int, Decimal]]) -> str:
    """`ledger.services._content_hash`, written out for speed (the same JSON text, so the same digest):
    sha256 of {"memo": memo, "legs": sorted [account id, "amount"]} as `json.dumps` writes it."""
    body = sorted((pk, str(amount)) for pk, amount in legs)
    text = '{"memo": ' + json.dumps(memo) + ', "legs": [' + ", ".join(f'[{pk}, "{amount}"]' for pk, amount in body) + "]}"
    return hashlib.sha256(text.encode()).hexdigest()


STAGE_COLUMNS = (
    "row_no", "external_id", "received_at", "donor_name", "donor_key", "amount", "match", "fund_id", "campaign_id",
    "pool_id", "debit_id", "credit_id", "pool_account_id", "memo", "content_hash", "day",
)


def donation_insert(staged: str) -> str:
    """The INSERT of the gifts from `staged` (the temporary table here, a CTE in `services.batch._write_small`):
    parameters channel, recorded by, source."""
    return f"""
        INSERT INTO charity_donation (
            id, fund_id, project_id, campaign_id, channel, amount, donor_name, show_name, donor_user_id, donor_key,
            point_id, goods_item, goods_quantity, goods_unit, message, received_at, recorded_by_id, source,
            external_id, status, entry_id, refund_entry_id, created_at)
        SELECT donation_id, fund_id, NULL, campaign_id, %s, amount, donor_name, false, NULL, donor_key,
               NULL, '', NULL, '', '', received_at, %s, %s, external_id, 'confirmed', entry_id, NULL, now()
          FROM {staged} ORDER BY row_no"""  # noqa: S608 (a relation name of ours)


def _sequence(cursor: Any, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    name = cursor.fetchone()[0]
    if not name:
        raise RuntimeError(f"{table}.id has no sequence")
    return str(name)



def plan_gift(gift: Any, cash: dict[int, int], pool_accounts: dict[int, int], posted: dict[int, Decimal],
              pool_total: dict[int, Decimal], tally: dict[int, list[int]]
              ) -> tuple[int, int, str, list[tuple[int, Decimal]], int | None, date | None]:
    """One checked gift's ledger legs (with its match from the sponsor's pool), added to the running totals the
    set-based writers move at the end: (debit, credit, memo, legs, pool account or None, day of the match)."""
    t = gift.target
    debit, credit = cash[t.custodian_id], t.credit_account_id
    memo = gift.memo()
    legs = [(debit, gift.amount), (credit, -gift.amount)]
    pool_account: int | None = None
    day: date | None = None
    if gift.match and gift.pool_id is not None:
        pool_account = pool_accounts[gift.pool_id]
        legs += [(pool_account, gift.match), (credit, -gift.match)]
        posted[pool_account] += gift.match
        pool_total[gift.pool_id] += gift.match
        day = timezone.localdate(gift.received_at)
    posted[debit] += gift.amount
    posted[credit] -= gift.amount + gift.match
    if t.campaign_id is not None:
        counter = tally[t.campaign_id]
        counter[0] += int((gift.amount + gift.match) * 100)
        counter[1] += 1
    return debit, credit, memo, legs, pool_account, day

def write_copy(plan: ImportPlan, *, actor: Any, progress: Progress) -> tuple[int | None, int | None]:
    """One transaction: `write_set` and the import's audit row."""
    with transaction.atomic():
        first, last = write_set(plan.gifts, spec=import_spec(plan), progress=progress, lap=plan.lap)
        _audit(plan, actor, "copy", first, last)
        progress.advance(1)
        plan.lap("locks, balances, tallies")
    plan.lap("commit")
    return first, last


def write_set(gifts: Sequence[Gift], *, spec: RowSpec, progress: Progress,
              lap: Callable[[str], None] = lambda _name: None) -> tuple[int | None, int | None]:
    """Inside the caller's transaction (PostgreSQL): COPY the rows into a temporary table, then set-based
    inserts of the entries, their postings, the donations and the matches; the deferred checks (every
    entry balances, every foreign key) run before any shared row is locked, so gifts coming in meanwhile
    are not held up; then the pools, accounts and tallies are locked in the order `donation_record`
    locks them and moved once each by the summed amounts. Returns the first and last entry id."""
    steps = 7
    cash = {org_id: federation_cash(org).pk for org_id, org in _custodians(gifts).items()}
    pool_accounts = dict(MatchPool.objects.filter(pk__in={g.pool_id for g in gifts if g.pool_id}).values_list("pk", "account_id"))
    posted: dict[int, Decimal] = defaultdict(Decimal)  # each account's posting sum (+ debit, - credit)
    pool_total: dict[int, Decimal] = defaultdict(Decimal)
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    with connection.cursor() as cursor:
        raw = cursor.cursor
        entry_seq, donation_seq = _sequence(cursor, "ledger_entry"), _sequence(cursor, "charity_donation")
        # The INSERT ... SELECT ... ORDER BY row_no below sort the staged rows: in memory, not on disk.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        # (Inside an outer transaction, as in tests, an earlier import's table is still there.)
        cursor.execute("DROP TABLE IF EXISTS pg_temp.charity_import_stage")
        cursor.execute(f"""
            CREATE TEMPORARY TABLE charity_import_stage (
                row_no integer NOT NULL, external_id varchar(128) NOT NULL, received_at timestamptz NOT NULL,
                donor_name varchar(128) NOT NULL, donor_key varchar(128) NOT NULL, amount numeric(18,2) NOT NULL,
                match numeric(18,2) NOT NULL, fund_id bigint NOT NULL, campaign_id bigint, pool_id bigint,
                debit_id bigint NOT NULL, credit_id bigint NOT NULL, pool_account_id bigint, memo varchar(300) NOT NULL,
                content_hash varchar(64) NOT NULL, day date,
                entry_id bigint NOT NULL DEFAULT nextval('{entry_seq}'),
                donation_id bigint NOT NULL DEFAULT nextval('{donation_seq}')
            ) ON COMMIT DROP""")  # noqa: S608 (sequence names come from the catalog)
        progress.phase(str(_("Loading rows (COPY)")), len(gifts))
        memo_json: dict[str, str] = {}
        with raw.copy(f"COPY charity_import_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
            for n, gift in enumerate(gifts, start=1):
                t = gift.target
                debit, credit, memo, legs, pool_account, day = plan_gift(gift, cash, pool_accounts, posted, pool_total, tally)
                copy.write_row((
                    gift.row, gift.external_id, gift.received_at, gift.donor, spec.donor_key(gift), gift.amount, gift.match,
                    t.fund_id, t.campaign_id, gift.pool_id, debit, credit, pool_account, memo,
                    hash_cached(memo, legs, memo_json), day,
                ))
                if n % 10000 == 0:
                    progress.advance(10000)
        progress.advance(len(gifts) % 10000)
        lap("stage (COPY)")
        progress.phase(str(_("Writing gifts")), steps)
        source = f"charity.{spec.source}"
        try:
            cursor.execute("""
                INSERT INTO ledger_entry (id, source, external_id, content_hash, memo, posted_at, reverses_id, booked_on)
                SELECT entry_id, %s, external_id, content_hash, memo, now(), NULL, (received_at AT TIME ZONE %s)::date
                  FROM charity_import_stage ORDER BY row_no""", [source, settings.TIME_ZONE])
            lap("ledger entries")
            progress.advance(1)
            cursor.execute("""
                INSERT INTO ledger_posting (entry_id, account_id, unit, amount)
                SELECT s.entry_id, leg.account_id, 'CNY', leg.amount
                  FROM charity_import_stage s
                 CROSS JOIN LATERAL (VALUES (1, s.debit_id, s.amount), (2, s.credit_id, -s.amount),
                                            (3, s.pool_account_id, s.match), (4, s.credit_id, -s.match))
                       AS leg (n, account_id, amount)
                 WHERE leg.amount <> 0
                 ORDER BY s.row_no, leg.n""")
            lap("postings")
            progress.advance(1)
            cursor.execute(donation_insert("charity_import_stage"), [str(spec.channel), spec.recorded_by_id, spec.source])
            lap("donations")
            progress.advance(1)
            cursor.execute("""
                INSERT INTO charity_matchgift (pool_id, donation_id, amount, day, donor_key, refunded)
                SELECT pool_id, donation_id, match, day, donor_key, false
                  FROM charity_import_stage WHERE match > 0 ORDER BY row_no""")
            lap("match gifts")
            progress.advance(1)
            # Every entry balances, every foreign key holds: checked now rather than at COMMIT, before
            # the shared rows below are locked. (Timed apart: the ledger's balance trigger runs once per
            # posting, the foreign-key checks once per key and row.)
            cursor.execute("SET CONSTRAINTS ledger_entry_balanced IMMEDIATE")
            lap("deferred checks: entries balance")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            lap("deferred checks: foreign keys")
            progress.advance(1)
        except IntegrityError as exc:
            if "idempotency" in str(exc):
                raise Conflict("import_conflict", _("Another import wrote some of these rows at the same time; run it again.")) from exc
            raise
        settle(cursor, gifts=gifts, posted=posted, pool_total=pool_total, pool_accounts=pool_accounts, tally=tally)
        progress.advance(1)
        cursor.execute("SELECT min(entry_id), max(entry_id) FROM charity_import_stage")
        first, last = cursor.fetchone()
        cursor.execute("DROP TABLE pg_temp.charity_import_stage")
    return first, last


def hash_cached(memo: str, legs: list[tuple[int, Decimal]], memo_json: dict[str, str]) -> str:
    text = memo_json.get(memo)
    if text is None:
        text = memo_json[memo] = '{"memo": ' + json.dumps(memo) + ', "legs": ['
    body = sorted((pk, str(amount)) for pk, amount in legs)
    return hashlib.sha256((text + ", ".join(f'[{pk}, "{amount}"]' for pk, amount in body) + "]}").encode()).hexdigest()


def _custodians(gifts: Sequence[Gift]) -> dict[int, Any]:
    from shanlian.orgs.models import Organization

    ids = {g.target.custodian_id for g in gifts}
    return {o.pk: o for o in Organization.objects.filter(pk__in=ids)}


def update_values(cursor: Any, table: str, column: str, cast: str, changes: dict[int, Decimal]) -> None:
    """One UPDATE adding each row's change: `column = column + change` (exact numeric on PostgreSQL)."""
    if not changes:
        return
    ids = sorted(changes)
    cursor.execute(
        f"UPDATE {table} t SET {column} = t.{column} + c.change "  # noqa: S608 (names are constants)
        f"FROM unnest(%s::bigint[], %s::{cast}[]) AS c (id, change) WHERE t.id = c.id",
        [ids, [changes[i] for i in ids]],
    )


def settle(cursor: Any, *, gifts: Sequence[Gift], posted: dict[int, Decimal], pool_total: dict[int, Decimal],
           pool_accounts: dict[int, int], tally: dict[int, list[int]]) -> None:
    """The end of both set-based writers (`write_set`, `services.batch._write_small`), after the rows and their deferred
    checks: the pools checked again under their locks, then the accounts locked in id order (as `donation_record`
    locks them; plain SQL, as a group committer runs this for every group) and each moved once by its summed
    postings, a guarded one never below zero; then the pools' matched totals and the campaigns' tallies."""
    recheck_pools(pool_total, gifts)
    cursor.execute("SELECT id, code, type, guarded, balance, held FROM ledger_account WHERE id = ANY(%s) "
                   "ORDER BY id FOR NO KEY UPDATE", [sorted(posted)])
    locked = {row[0]: row for row in cursor.fetchall()}
    change = {pk: NORMAL_SIGN[AccountType(locked[pk][2])] * total for pk, total in posted.items() if total}
    for pk, moved in change.items():
        _pk, code, _type, guarded, balance, held = locked[pk]
        balance_fits(code, balance + moved)
        if guarded and balance - held + moved < 0:
            if pk in pool_accounts.values():
                raise Conflict("match_exceeds_pool", POOL_CHANGED)
            raise Conflict("insufficient_balance", lazy_format(
                _("Account %(code)s has %(balance)s; this import would take it below zero."),
                {"code": code, "balance": Money(balance - held)}))
    update_values(cursor, "ledger_account", "balance", "numeric", change)
    update_values(cursor, "charity_matchpool", "matched_total", "numeric", pool_total)
    for campaign_id, (fen, count) in sorted(tally.items()):
        tally_add(campaign_id, fen, count)


def recheck_pools(pool_total: dict[int, Decimal], gifts: Sequence[Gift]) -> None:
    """Under the pools' locks (taken in id order, as `donation_record` does): the matches still fit the
    total cap and every day's cap, counting what was matched since the file was checked."""
    if not pool_total:
        return
    pools = {p.pk: p for p in MatchPool.objects.select_for_update(no_key=True).filter(pk__in=sorted(pool_total)).order_by("pk")}
    for pk, total in pool_total.items():
        pool = pools[pk]
        if not pool.active or pool.matched_total.amount + total > pool.total_cap.amount:
            raise Conflict("match_exceeds_pool", POOL_CHANGED)
    days = {timezone.localdate(g.received_at) for g in gifts if g.match}
    rows = (MatchGift.objects.filter(pool_id__in=list(pool_total), refunded=False, day__in=days)
            .values("pool_id", "day").annotate(fen=fen_sum("amount")).order_by())
    for row in rows:
        if Money.from_fen(row["fen"] or 0) > pools[row["pool_id"]].per_day_cap:
            raise Conflict("match_exceeds_pool", POOL_CHANGED)


# -- the whole import: check, then write ---------------------------------------------------------------------------------------


def gifts_import(
    *,
    path: str | Path,
    source: str = "import",
    dry_run: bool = False,
    writer: str = "auto",
    actor: Any = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row, then write all new rows (or, with any bad row, raise ImportRejected and write nothing)."""
    started = time.perf_counter()
    if writer == "auto":
        writer = "copy" if connection.vendor == "postgresql" else "generic"
    if writer not in ("generic", "copy") or (writer == "copy" and connection.vendor != "postgresql"):
        raise file_error("import_bad_writer")
    plan = import_check(path=path, source=source, progress=progress)
    if not plan.ok:
        raise ImportRejected(plan.errors, plan.rows)
    if dry_run or not plan.gifts:
        return ImportResult(plan=plan, written=0, writer=writer, seconds=time.perf_counter() - started)
    if writer == "copy":
        first, last = write_copy(plan, actor=actor, progress=progress or _Silent())
    else:
        first, last = write_generic(plan, actor=actor, progress=progress or _Silent())
    return ImportResult(plan=plan, written=len(plan.gifts), writer=writer, seconds=time.perf_counter() - started,
                        first_entry_id=first, last_entry_id=last)
