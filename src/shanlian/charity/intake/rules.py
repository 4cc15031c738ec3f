"""The intake's rules, each written once and used by every path that records a gift (`donation_record` for the
pages, the API and the webhook; the batch endpoint and the gateway's group commit; the file import):

- `same_gift`: is a gift stored under a key the gift now sent under it again (a replay), or another one
  (`idempotency_mismatch`)? `stored_gifts` reads what is stored, for one key or a thousand.
- `target_problems`: does the fund, project and campaign take a gift received at this moment (their status, the
  campaign's period, and the one rule for late gifts)?
- `PoolRoom`: how much a sponsor's matching pool still takes, per donor, per day, in total and within what it
  holds; the match a gift gets by the sponsor's rule (`match_for`), or a match given whole (`take`).

A path checks what was sent its own way (a form's fields, a file's cells, a batch's JSON) and phrases a refusal
its own way (a form error, a row of the import's report, a batch answer), but the decision is made here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import connection

from shanlian.core.bulk import bound
from shanlian.core.money import Money, fen_sum

from ..models import CampaignStatus, Donation, MatchGift, MatchPool
from .rows import GiftRow
from .targets import Target

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
AHEAD = timedelta(minutes=5)  # a gift may be stamped this far ahead of the server's clock (the sender's clock is not ours)

Problem = tuple[str, dict[str, Any]]  # an error code and what its message needs


# -- the same gift ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """A gift as stored under its key, as `same_gift` compares it and an answer reports it."""

    pk: int
    entry_id: int
    fund_id: int
    project_id: int | None
    campaign_id: int | None
    point_id: int | None
    channel: str
    amount: Decimal
    donor_name: str
    show_name: bool
    donor_key: str
    message: str
    received_at: datetime
    goods: tuple[str, Decimal, str] | None
    match: Decimal


_COLUMNS = ("external_id", "pk", "entry_id", "fund_id", "project_id", "campaign_id", "point_id", "channel", "amount",
            "donor_name", "show_name", "donor_key", "message", "received_at", "goods_item", "goods_quantity", "goods_unit",
            "match__amount")


def _stored(row: Sequence[Any]) -> Stored:
    (_key, pk, entry_id, fund_id, project_id, campaign_id, point_id, channel, amount, donor_name, show_name, donor_key,
     message, received_at, goods_item, goods_quantity, goods_unit, match) = row
    return Stored(pk, entry_id, fund_id, project_id, campaign_id, point_id, channel, Money(amount).amount, donor_name,
                  show_name, donor_key, message, received_at,
                  (goods_item, Decimal(goods_quantity), goods_unit) if goods_item else None,
                  Money(match).amount if match is not None else ZERO)


def stored_gifts(source: str, keys: Sequence[str]) -> dict[str, Stored]:
    """The gifts stored under these keys of `source`, by key. On PostgreSQL in plain SQL: a group committer asks
    this for every group, and building the ORM's query costs more than running it. (`external_id <> ''` lets the
    database use the partial unique index on (source, external id).)"""
    keys = [k for k in keys if k]
    if not keys:
        return {}
    if connection.vendor != "postgresql":
        rows = Donation.objects.filter(source=source, external_id__in=keys).exclude(external_id="").values_list(*_COLUMNS)
        return {row[0]: _stored(row) for row in rows}
    with bound() as cursor:
        cursor.execute("""
            SELECT d.external_id, d.id, d.entry_id, d.fund_id, d.project_id, d.campaign_id, d.point_id, d.channel, d.amount,
                   d.donor_name, d.show_name, d.donor_key, d.message, d.received_at, d.goods_item, d.goods_quantity,
                   d.goods_unit, m.amount
              FROM charity_donation d LEFT JOIN charity_matchgift m ON m.donation_id = d.id
             WHERE d.source = %s AND d.external_id = ANY(%b::varchar[]) AND d.external_id <> ''""", [source, keys],
            prepare=True)
        return {row[0]: _stored(row) for row in cursor.fetchall()}


def same_gift(stored: Stored, row: GiftRow, channel: str, *, time_sent: bool, match_sent: bool) -> bool:
    """Whether the gift sent again under a stored gift's key is that gift: the same fund, project, campaign, point,
    channel, amount, donor (name, whether it is shown, key), message and goods; the same time if the sender gave
    one (else the first one's stands) and the same match if the sender gave one (else the sponsor's rule decided it,
    when the first came)."""
    return (
        (stored.fund_id, stored.project_id, stored.campaign_id, stored.point_id, stored.channel, stored.amount,
         stored.donor_name, stored.show_name, stored.donor_key, stored.message, stored.goods)
        == (row.fund_id, row.project_id, row.campaign_id, row.point_id, channel, row.amount,
            row.donor, row.show_name, row.donor_key, row.message, row.goods)
        and (not time_sent or stored.received_at == row.received_at)
        and (not match_sent or stored.match == row.match)
    )


# -- where the money goes, and when ----------------------------------------------------------------------------------


def target_problems(t: Target, moment: datetime, *, latest: datetime | None = None, late_ok: bool = False,
                    match: Decimal = ZERO) -> list[Problem]:
    """Why the target does not take a gift received at `moment` (none: it does).

    - The fund must be open, and a project (a restricted gift's) active.
    - A campaign must be open, and the gift received inside its period. The one rule for late gifts: a campaign
      closed since still takes a gift the donor paid while it was open, when this system itself saw the payment
      begin (`late_ok`: a payment intent it opened, confirmed after the close); a gift only reported now (an API
      call, a batch, a file) is refused once the campaign is closed.
    - A gift is not in the future (`latest`: now plus `AHEAD`).
    - A match given with the gift needs an active matching pool in the campaign."""
    problems: list[Problem] = []
    if not t.fund_open:
        problems.append(("fund_closed", {"value": t.fund_code}))
    if t.project_id is not None and not t.project_active:
        problems.append(("project_ended", {"value": t.project_id}))
    if t.campaign_id is not None:
        late = t.campaign_status == CampaignStatus.CLOSED and late_ok
        if t.campaign_status != CampaignStatus.OPEN and not late:
            problems.append(("campaign_not_open", {"value": t.campaign_slug}))
    if latest is not None and moment > latest:
        problems.append(("received_in_future", {"value": moment}))
    elif t.starts_at is not None and t.ends_at is not None and not (t.starts_at <= moment <= t.ends_at):
        problems.append(("campaign_out_of_period", {"value": moment, "start": t.starts_at, "end": t.ends_at}))
    if match and not t.pools:
        problems.append(("match_without_pool", {"match": str(Money(match))}))
    return problems


# -- the matching pools' room ----------------------------------------------------------------------------------------


class PoolRoom:
    """What each matching pool still takes: the lesser of what it holds (balance not held by anything else) and its
    total cap, and per day and per donor within their caps. Read once for a set of gifts, then spent gift after gift
    in their order, as one request per gift in that order would spend it. The caller locks the pools (in id order)
    before reading when the room it spends must still be there when it writes (`writer` checks again under the lock)."""

    def __init__(self, pool_ids: Iterable[int], days: Iterable[date], donor_keys: Iterable[str] = ()) -> None:
        ids = sorted(set(pool_ids))
        self.pools = {p.pk: p for p in MatchPool.objects.select_related("account").filter(pk__in=ids)}
        self.left: dict[int, Decimal] = {}
        for pk, pool in self.pools.items():
            free = pool.account.balance - pool.account.held
            self.left[pk] = min(free, (pool.total_cap - pool.matched_total).amount)
        used = MatchGift.objects.filter(pool_id__in=ids, refunded=False)
        self.day_used: dict[tuple[int, date], Decimal] = defaultdict(lambda: ZERO)
        for row in used.filter(day__in=set(days)).values("pool_id", "day").annotate(fen=fen_sum("amount")).order_by():
            self.day_used[(row["pool_id"], row["day"])] = Money.from_fen(row["fen"] or 0).amount
        self.donor_used: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        donors = {k for k in donor_keys if k}
        if donors:
            by_donor = used.filter(donor_key__in=donors).values("pool_id", "donor_key").annotate(fen=fen_sum("amount")).order_by()
            for donor in by_donor:
                self.donor_used[(donor["pool_id"], donor["donor_key"])] = Money.from_fen(donor["fen"] or 0).amount

    def _spend(self, pk: int, match: Decimal, day: date, donor_key: str) -> None:
        self.left[pk] -= match
        self.day_used[(pk, day)] += match
        self.donor_used[(pk, donor_key)] += match

    def match_for(self, amount: Decimal, *, donor_key: str, day: date, pools: Iterable[int]) -> tuple[int, Decimal] | None:
        """The sponsor's rule: amount x ratio (down to the fen), within the caps per donor, per day and in total and
        within what the pool holds, from the first active pool (by id) with room; None: no match."""
        for pk in pools:
            pool = self.pools.get(pk)
            if pool is None or not pool.active:
                continue
            wanted = (amount * pool.ratio).quantize(CENT, rounding=ROUND_DOWN)
            room = min(wanted, pool.per_donor_cap.amount - self.donor_used[(pk, donor_key)],
                       pool.per_day_cap.amount - self.day_used[(pk, day)], self.left[pk])
            extra = max(room, ZERO).quantize(CENT)
            if extra > 0:
                self._spend(pk, extra, day, donor_key)
                return pk, extra
        return None

    def take(self, match: Decimal, *, day: date, pools: Iterable[int], donor_key: str = "") -> int | Problem:
        """A match given whole (a platform applied the sponsor's rules): the first active pool (by id) with room for
        it in total and on its day; else why not."""
        short_by_day: MatchPool | None = None
        pools = tuple(pools)
        for pk in pools:
            pool = self.pools.get(pk)
            if pool is None or not pool.active or self.left[pk] < match:
                continue
            if self.day_used[(pk, day)] + match > pool.per_day_cap.amount:
                short_by_day = short_by_day or pool
                continue
            self._spend(pk, match, day, donor_key)
            return pk
        if short_by_day is not None:
            return ("match_exceeds_day_cap", {"match": str(Money(match)), "day": day.isoformat(), "cap": str(short_by_day.per_day_cap)})
        left = max((self.left.get(pk, ZERO) for pk in pools), default=ZERO)
        return ("match_exceeds_pool", {"match": str(Money(match)), "left": str(Money(max(left, ZERO)))})

    def holds(self, totals: dict[int, Decimal]) -> bool:
        """Whether matches still to be added (`totals` by pool) fit each pool, and every day read is within its cap
        (with matches already added counted): the writer's check under the pools' locks."""
        for pk, total in totals.items():
            pool = self.pools.get(pk)
            if pool is None or not pool.active or self.left[pk] < total:
                return False
        return all(used <= self.pools[pk].per_day_cap.amount for (pk, _day), used in self.day_used.items())
