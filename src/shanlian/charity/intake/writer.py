"""The gift writer: records a set of checked gifts (one from a page, or a million from a file) in the caller's
transaction. Every path that records a gift hands it here: the API (single, batch, the gateway's group commit),
the file import, the payment webhook, the staff pages, a fund's seed money and the demo.

For each gift: its ledger entry (the custodian's cash, or goods, up; the fund's money, a project's restricted
money or the fund's goods up; with a match, the sponsor's pool down and the fund up again, in the same entry),
the gift's row pointing at that entry, its match's row, the goods' arrival at the donation point; then, once for
the whole set, each matching pool's total, each campaign's progress (`tallies.tally_add`), and one audit row per
request the gifts came by (its user, IP address, user agent and channel), which each gift's row names
(`Donation.audit_id`): a gift's provenance, whichever path wrote it.

The ledger's `entries_post` posts the entries (set-based; it is the only writer of the ledger's tables); this
module writes the charity's rows in its `then` step, between the entries and the lock of the shared balances,
so the hot rows are locked for as short a time as possible, and in one order everywhere: pools (by id), then
accounts (by id). Where SQLite and PostgreSQL differ (one statement over arrays there, the ORM's bulk inserts
here) is `_insert_gifts` and `_insert_matches`, and nothing else."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_rows
from shanlian.core.bulk import bound, reserve_ids
from shanlian.core.context import RequestMeta, current
from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.core.i18n import site_day
from shanlian.core.learnt import Learnt
from shanlian.core.money import Money
from shanlian.ledger.posting import NewEntry, entries_post

from .. import memos
from ..accounts import asset_code, federation_cash, federation_goods
from ..models import Donation, GoodsMovement, MatchGift, MatchPool
from ..tallies import tally_add
from .rows import GiftRow, RowSpec
from .rules import PoolRoom

ZERO = Decimal("0.00")
POOL_CHANGED = _("The matching pool changed after the file was checked and no longer has room.")
KEYS_IN_AUDIT = 20  # a request's audit row lists its gifts' keys up to this many


_ASSETS: Learnt[tuple[int, bool], int] = Learnt()  # (custodian id, goods?) -> the account's id (`core.learnt`)


def _debit_accounts(wanted: set[tuple[int, bool]]) -> dict[tuple[int, bool], int]:
    """The custodians' cash (or goods) accounts' ids, by their codes (`charity.accounts`); opened if missing."""
    from shanlian.ledger.models import Account
    from shanlian.orgs.models import Organization

    cache = connection.vendor == "postgresql"
    known = _ASSETS.get_many(wanted) if cache else {}
    missing = wanted - known.keys()
    if missing:
        codes = {asset_code(pk, goods=goods): (pk, goods) for pk, goods in missing}
        found = {codes[code]: pk for code, pk in Account.objects.filter(code__in=codes).values_list("code", "pk")}
        for pk, goods in missing - found.keys():
            found[(pk, goods)] = (federation_goods if goods else federation_cash)(Organization.objects.get(pk=pk)).pk
        known.update(found)
        if cache:
            _ASSETS.learn(found)
    return known


@dataclass(slots=True)
class _Plan:
    entries: list[NewEntry]
    pool_accounts: dict[int, int]
    pool_total: dict[int, Decimal]
    tally: dict[int, list[int]]


def _plan(gifts: Sequence[GiftRow], spec: RowSpec) -> _Plan:
    debit = _debit_accounts({(g.custodian_id, g.goods is not None) for g in gifts})
    pool_ids = {g.pool_id for g in gifts if g.pool_id and g.match}
    pool_accounts = dict(MatchPool.objects.filter(pk__in=pool_ids).values_list("pk", "account_id")) if pool_ids else {}
    pool_total: dict[int, Decimal] = defaultdict(Decimal)
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    source = f"charity.{spec.source}"
    entries = []
    for g in gifts:
        credit = g.credit_account_id
        legs = [(debit[(g.custodian_id, g.goods is not None)], g.amount), (credit, -g.amount)]
        if g.match:
            assert g.pool_id is not None
            legs += [(pool_accounts[g.pool_id], g.match), (credit, -g.match)]
            pool_total[g.pool_id] += g.match
        if g.campaign_id is not None:
            counter = tally[g.campaign_id]
            counter[0] += int((g.amount + g.match) * 100)
            counter[1] += 1
        entries.append(NewEntry(legs=legs, memo=memos.gift(g.donor), source=source, external_id=g.external_id,
                                booked_on=site_day(g.received_at)))
    return _Plan(entries, pool_accounts, pool_total, tally)


def gifts_write(gifts: Sequence[GiftRow], *, spec: RowSpec, actor: Any = None,
                lap: Callable[[str], None] = lambda _step: None) -> list[tuple[int, int]]:
    """Write checked gifts in the caller's transaction; returns each gift's (donation id, entry id), in order. A key
    stored meanwhile by someone else refuses the set (409 `entry_conflict`: check again, then write again).
    `lap(step)` is called as each step ends (the bulk import's benchmark times them)."""
    if not gifts:
        return []
    plan = _plan(gifts, spec)
    audits = _audit(gifts, spec, actor)
    lap("plan the legs")
    written: list[tuple[int, int]] = []
    matched_before: dict[int, Decimal] = {}

    def rows(entry_ids: list[int]) -> None:
        lap("ledger: check, hash, insert the entries and postings (each statement checked to balance)")
        donation_ids = _insert_gifts(gifts, entry_ids, audits, spec)
        matched = [(g, d) for g, d in zip(gifts, donation_ids, strict=True) if g.match]
        if matched:
            _insert_matches(matched)
        arrivals = [GoodsMovement(point_id=g.point_id, fund_id=g.fund_id, item=g.goods[0], unit=g.goods[2], quantity=g.goods[1],
                                  value=Money(g.amount), donation_id=d, entry_id=e, recorded_by_id=spec.recorded_by_id)
                    for g, d, e in zip(gifts, donation_ids, entry_ids, strict=True) if g.goods is not None and g.point_id]
        if arrivals:  # goods come in at a donation point (donation_record requires one)
            GoodsMovement.objects.bulk_create(arrivals)
        matched_before.update(_pools_lock(plan.pool_total, gifts))  # pools before accounts, as every writer locks them
        written.extend(zip(donation_ids, entry_ids, strict=True))
        lap("gifts and matches, pools locked")

    try:
        entries_post(plan.entries, actor=actor, replays=False, then=rows, audit=False)  # (its rows: `_audit`)
    except ValidationFailed as exc:
        if exc.code == "insufficient_balance" and getattr(exc, "account_id", None) in plan.pool_accounts.values():
            raise Conflict("match_exceeds_pool", POOL_CHANGED) from exc
        raise
    lap("ledger: deferred keys checked, balances locked and moved")
    for pk, total in sorted(plan.pool_total.items()):
        MatchPool.objects.filter(pk=pk).update(matched_total=matched_before[pk] + total)
    for campaign_id, (fen, count) in sorted(plan.tally.items()):
        tally_add(campaign_id, fen, count)
    lap("pools' totals, tallies")
    return written


def _audit(gifts: Sequence[GiftRow], spec: RowSpec, actor: Any) -> list[int]:
    """One audit row per request the gifts came by; returns each gift's row id."""
    here = current.get()
    requests: dict[RequestMeta, list[int]] = defaultdict(list)
    for n, g in enumerate(gifts):
        requests[g.request or here].append(n)
    rows = []
    for request, members in requests.items():
        amount = sum((gifts[n].amount for n in members), ZERO)
        match = sum((gifts[n].match for n in members), ZERO)
        funds = {gifts[n].fund_id for n in members}
        rows.append((request, {
            "gifts": len(members), "amount": str(Money(amount)), "match": str(Money(match)) if match else None,
            "channel": spec.channel, "fund": next(iter(funds)) if len(funds) == 1 else None,
            "keys": [gifts[n].external_id for n in members[:KEYS_IN_AUDIT]]}))
    ids = audit_rows(actor=actor, action="charity.donation.record", object_type="charity.intake", object_id=spec.source,
                     rows=rows)
    of = [0] * len(gifts)
    for pk, members in zip(ids, requests.values(), strict=True):
        for n in members:
            of[n] = pk
    return of


def _pools_lock(pool_total: dict[int, Decimal], gifts: Sequence[GiftRow]) -> dict[int, Decimal]:
    """Under the pools' locks (in id order): the matches still fit each pool (`rules.PoolRoom`: its total cap, what
    it holds, each day's cap), counting what was matched since the gifts were checked (by a file import, without the
    locks). Returns each pool's matched total, as locked."""
    if not pool_total:
        return {}
    ids = sorted(pool_total)
    list(MatchPool.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    room = PoolRoom(ids, {site_day(g.received_at) for g in gifts if g.match})  # the set's matches counted
    if not room.holds(pool_total):
        raise Conflict("match_exceeds_pool", POOL_CHANGED)
    return {pk: pool.matched_total.amount for pk, pool in room.pools.items()}


# -- the rows: the one place where the databases differ -------------------------------------------------------------


COPY_FROM = 2000  # PostgreSQL: from this many gifts on, their rows are COPYed (fewer, one statement over arrays)
_GIFT_COLUMNS = ("id", "fund_id", "project_id", "campaign_id", "channel", "amount", "donor_name", "show_name", "donor_user_id",
                 "donor_key", "point_id", "goods_item", "goods_quantity", "goods_unit", "message", "received_at",
                 "recorded_by_id", "source", "external_id", "status", "entry_id", "created_at", "audit_id")


def _insert_gifts(gifts: Sequence[GiftRow], entry_ids: list[int], audits: list[int], spec: RowSpec) -> list[int]:
    if connection.vendor == "postgresql" and len(gifts) >= COPY_FROM:
        return _copy_gifts(gifts, entry_ids, audits, spec)
    if connection.vendor != "postgresql":
        rows = Donation.objects.bulk_create([
            Donation(fund_id=g.fund_id, project_id=g.project_id, campaign_id=g.campaign_id, channel=spec.channel,
                     amount=g.amount, donor_name=g.donor, show_name=g.show_name, donor_user_id=g.donor_user_id,
                     donor_key=g.donor_key, point_id=g.point_id, goods_item=g.goods[0] if g.goods else "",
                     goods_quantity=g.goods[1] if g.goods else None, goods_unit=g.goods[2] if g.goods else "",
                     message=g.message, received_at=g.received_at, recorded_by_id=spec.recorded_by_id, source=spec.source,
                     external_id=g.external_id, entry_id=e, audit_id=a)
            for g, e, a in zip(gifts, entry_ids, audits, strict=True)])
        return [row.pk for row in rows]
    with bound() as cursor:
        cursor.execute("""
            INSERT INTO charity_donation (
                fund_id, project_id, campaign_id, channel, amount, donor_name, show_name, donor_user_id, donor_key,
                point_id, goods_item, goods_quantity, goods_unit, message, received_at, recorded_by_id, source,
                external_id, status, entry_id, refund_entry_id, created_at, audit_id)
            SELECT g.fund_id, g.project_id, g.campaign_id, %s, g.amount, g.donor_name, g.show_name, g.donor_user_id,
                   g.donor_key, g.point_id, g.goods_item, g.goods_quantity, g.goods_unit, g.message, g.received_at, %s, %s,
                   g.external_id, 'confirmed', g.entry_id, NULL, %s, g.audit_id
              FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[], %b::numeric[], %b::varchar[], %b::boolean[],
                          %b::bigint[], %b::varchar[], %b::bigint[], %b::varchar[], %b::numeric[], %b::varchar[],
                          %b::varchar[], %b::timestamptz[], %b::varchar[], %b::bigint[], %b::bigint[]) WITH ORDINALITY
                   AS g (fund_id, project_id, campaign_id, amount, donor_name, show_name, donor_user_id, donor_key,
                         point_id, goods_item, goods_quantity, goods_unit, message, received_at, external_id, entry_id,
                         audit_id, n)
             ORDER BY g.n
            RETURNING id, entry_id""", [
            str(spec.channel), spec.recorded_by_id, spec.source, timezone.now(), [g.fund_id for g in gifts], [g.project_id for g in gifts],
            [g.campaign_id for g in gifts], [g.amount for g in gifts], [g.donor for g in gifts],
            [g.show_name for g in gifts], [g.donor_user_id for g in gifts], [g.donor_key for g in gifts],
            [g.point_id for g in gifts], [g.goods[0] if g.goods else "" for g in gifts],
            [g.goods[1] if g.goods else None for g in gifts], [g.goods[2] if g.goods else "" for g in gifts],
            [g.message for g in gifts], [g.received_at for g in gifts], [g.external_id for g in gifts], entry_ids, audits,
        ], prepare=True)
        by_entry = {entry_id: pk for pk, entry_id in cursor.fetchall()}
    return [by_entry[e] for e in entry_ids]


def _copy_gifts(gifts: Sequence[GiftRow], entry_ids: list[int], audits: list[int], spec: RowSpec) -> list[int]:
    now, channel = timezone.now(), str(spec.channel)
    with connection.cursor() as cursor:
        ids = reserve_ids(cursor, "charity_donation", len(gifts))
        with cursor.cursor.copy(f"COPY charity_donation ({', '.join(_GIFT_COLUMNS)}) FROM STDIN") as copy:
            for pk, g, e, a in zip(ids, gifts, entry_ids, audits, strict=True):
                goods = g.goods or ("", None, "")
                copy.write_row((pk, g.fund_id, g.project_id, g.campaign_id, channel, g.amount, g.donor, g.show_name,
                                g.donor_user_id, g.donor_key, g.point_id, goods[0], goods[1], goods[2], g.message,
                                g.received_at, spec.recorded_by_id, spec.source, g.external_id, "confirmed", e, now, a))
    return ids


def _insert_matches(matched: list[tuple[GiftRow, int]]) -> None:
    days: list[date] = [site_day(g.received_at) for g, _d in matched]
    if connection.vendor != "postgresql":
        MatchGift.objects.bulk_create([
            MatchGift(pool_id=g.pool_id or 0, donation_id=d, amount=g.match, day=day, donor_key=g.donor_key)
            for (g, d), day in zip(matched, days, strict=True)])
        return
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO charity_matchgift (pool_id, donation_id, amount, day, donor_key, refunded)
            SELECT m.pool_id, m.donation_id, m.amount, m.day, m.donor_key, false
              FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::date[], %s::varchar[]) WITH ORDINALITY
                   AS m (pool_id, donation_id, amount, day, donor_key, n)
             ORDER BY m.n""", [[g.pool_id for g, _d in matched], [d for _g, d in matched], [g.match for g, _d in matched],
                                days, [g.donor_key for g, _d in matched]])
