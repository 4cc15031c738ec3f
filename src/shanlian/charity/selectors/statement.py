"""Fund statements: every movement of a fund's money, newest first, with running balances.

A fund's money is its general account, its projects' restricted accounts and its goods account (all
custody liabilities of the federation). Statements read postings on those accounts by entry id, newest
first, with keyset pagination: each page walks the (account, entry) index backwards, one short range
per account, so a page costs the same with ten postings or ten million (bench/statements.py; the
covering index is charity migration 0003).

A date range is resolved to entry ids: the period runs from the first entry written on or after the
start day (Asia/Shanghai) to the last entry written before the day after the end. A statement is the
books: its period is when entries were recorded, and each line also says the day the money moved (its
business date: a cash gift of Friday recorded on Monday is Monday's line, dated Friday). The ledger's order is
the order entries were written; two entries written within milliseconds around midnight by concurrent
requests may fall on the neighbouring day, and opening + in - out = closing always holds.

Amounts are summed as whole fen in SQL (exact on SQLite too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import Money
from shanlian.ledger.models import Account, Entry, Posting

from ..models import CommunityFund, Project

__all__ = ["LINE_KINDS", "MAX_LIMIT", "Statement", "StatementLine", "entry_kind", "fund_project_accounts", "fund_statement"]

MAX_LIMIT = 200
_FEN = "CAST(ROUND({col} * 100) AS BIGINT)"
_NO_UPPER = 2**62

# What a statement line is, from the entry's source (and whether it reverses another entry).
LINE_KINDS: dict[str, Any] = {
    "gift": _("Gift"),
    "payout": _("Payout"),
    "fee": _("Management fee"),
    "leftover": _("Leftover moved"),
    "refund": _("Refund"),
    "goods_out": _("Goods given out"),
    "other": _("Other"),
}
# Every other "charity.<source>" entry that touches a fund is a gift: station, seed, pay:<provider>,
# api:<caller>, and each import's own source name.
_NOT_GIFTS = {"charity.payout", "charity.fee", "charity.leftover", "charity.goods", "charity.match_deposit"}


def entry_kind(source: str, reverses_id: int | None) -> str:
    if reverses_id is not None:
        return "refund"
    if source.startswith(("charity.", "pay:")) and source not in _NOT_GIFTS:
        return "gift"
    if source in ("hold:charity.payout", "charity.payout"):
        return "payout"
    if source == "charity.fee":
        return "fee"
    if source == "charity.leftover":
        return "leftover"
    if source == "charity.goods":
        return "goods_out"
    return "other"


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    booked_on: dt.date  # the day the money moved
    posted_at: dt.datetime  # when it was recorded
    memo: str
    kind: str
    amount: Money  # signed, + in, - out, from the fund's point of view
    balance_after: Money | None

    @property
    def kind_label(self) -> Any:
        return LINE_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Statement:
    fund: CommunityFund
    start: dt.date | None
    end: dt.date | None
    opening: Money
    closing: Money
    total_in: Money
    total_out: Money  # positive: opening + total_in - total_out = closing
    lines: list[StatementLine]
    has_more: bool
    next_cursor: int | None
    holdings: Money  # what the fund holds now: its money and its goods at their value (the lines move both)
    goods: Money  # goods in stock, at the value they were received at
    held: Money
    restricted: list[tuple[Project, Money]]

    @property
    def money(self) -> Money:
        """Money only: the general money and the projects' restricted money (what the fund list calls money)."""
        return self.holdings - self.goods


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def _entry_bounds(start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """(lo, hi): entry ids of the period, inclusive; lo > hi when the period holds no entry. Resolved among the
    money's entries: the time bank's hours are another book, which the demo writes a year of after the fact."""
    lo, hi = 0, _NO_UPPER
    money = Entry.objects.exclude(source__startswith="timebank.")
    if start is not None:
        first = (money.filter(posted_at__gte=_day_start(start)).order_by("posted_at", "id")
                 .values_list("id", flat=True).first())
        lo = first if first is not None else _NO_UPPER
    if end is not None:
        last = (money.filter(posted_at__lt=_day_start(end + dt.timedelta(days=1))).order_by("-posted_at", "-id")
                .values_list("id", flat=True).first())
        hi = last if last is not None else 0
    return lo, hi


def _placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


def _totals(account_ids: list[int], lo: int, hi: int, goods_id: int) -> tuple[int, int, int, int, int, int, int]:
    """(balance, later, in, out, since_lo, held, goods) in fen, fund side (+ in), in one statement (one snapshot):
    later = movement after the period, since_lo = movement from the period's start until now, goods = the goods
    account's balance (part of balance)."""
    posting, account = Posting._meta.db_table, Account._meta.db_table
    ids = _placeholders(len(account_ids))
    # Table names come from the models; every value is a parameter.
    sql = f"""
        SELECT COALESCE(SUM(CASE WHEN entry_id > %s THEN net ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN entry_id <= %s AND net > 0 THEN net ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN entry_id <= %s AND net < 0 THEN net ELSE 0 END), 0),
               COALESCE(SUM(net), 0),
               (SELECT COALESCE(SUM({_FEN.format(col="balance")}), 0) FROM {account} WHERE id IN ({ids})),
               (SELECT COALESCE(SUM({_FEN.format(col="held")}), 0) FROM {account} WHERE id IN ({ids})),
               (SELECT COALESCE(SUM({_FEN.format(col="balance")}), 0) FROM {account} WHERE id = %s)
        FROM (SELECT entry_id, -SUM({_FEN.format(col="amount")}) AS net FROM {posting}
              WHERE account_id IN ({ids}) AND entry_id >= %s GROUP BY entry_id) n
    """  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [hi, hi, hi, *account_ids, *account_ids, goods_id, *account_ids, lo])
        later, fen_in, fen_out, since_lo, balance, held, goods = (int(v) for v in cur.fetchone())
    return balance, later, fen_in, fen_out, since_lo, held, goods


PageRow = tuple[int, int, dt.date, dt.datetime, str, str, int | None]  # entry id, net fen, booked_on, posted_at, memo, source, reverses


def _aware(value: Any) -> dt.datetime:
    """A timestamp from raw SQL: aware on PostgreSQL; text (UTC) or naive on SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    assert isinstance(value, dt.datetime)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _date(value: Any) -> dt.date:
    """A date from raw SQL: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _page(account_ids: list[int], lo: int, below: int, n: int) -> tuple[list[PageRow], int, int]:
    """The newest `n` entries touching the accounts with lo <= id < below, each with its net movement
    (fund side) and what the entry says, plus the balance now and the movement at or after `below`,
    all in one statement (one snapshot)."""
    posting, account, entry = Posting._meta.db_table, Account._meta.db_table, Entry._meta.db_table
    ids = _placeholders(len(account_ids))
    parts, params = [], []
    for i, account_id in enumerate(account_ids):
        parts.append(
            f"SELECT * FROM (SELECT entry_id, {_FEN.format(col='amount')} AS fen FROM {posting} "  # noqa: S608
            f"WHERE account_id = %s AND entry_id < %s AND entry_id >= %s ORDER BY entry_id DESC LIMIT %s) t{i}"
        )
        params += [account_id, below, lo, n]
    sql = f"""
        WITH p AS ({" UNION ALL ".join(parts)}),
             top AS (SELECT entry_id, -SUM(fen) AS net FROM p GROUP BY entry_id ORDER BY entry_id DESC LIMIT %s)
        SELECT top.entry_id, top.net, e.booked_on, e.posted_at, e.memo, e.source, e.reverses_id
          FROM top JOIN {entry} e ON e.id = top.entry_id
        UNION ALL
        SELECT -1, (SELECT COALESCE(-SUM({_FEN.format(col="amount")}), 0) FROM {posting}
                    WHERE account_id IN ({ids}) AND entry_id >= %s), NULL, NULL, NULL, NULL, NULL
        UNION ALL
        SELECT -2, (SELECT COALESCE(SUM({_FEN.format(col="balance")}), 0) FROM {account} WHERE id IN ({ids})),
               NULL, NULL, NULL, NULL, NULL
    """  # noqa: S608
    params += [n, *account_ids, below, *account_ids]
    rows: list[PageRow] = []
    later = balance = 0
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for entry_id, fen, booked_on, posted_at, memo, source, reverses_id in cur.fetchall():
            if entry_id == -1:
                later = int(fen or 0)
            elif entry_id == -2:
                balance = int(fen or 0)
            else:
                rows.append((int(entry_id), int(fen), _date(booked_on), _aware(posted_at), memo, source, reverses_id))
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows, balance, later


def fund_project_accounts(fund: CommunityFund) -> list[Project]:
    """A fund's projects with their restricted accounts, oldest first."""
    return list(Project.objects.filter(fund=fund).select_related("restricted_account").order_by("starts_on", "id"))


def fund_statement(
    *,
    fund: CommunityFund,
    start: dt.date | None = None,
    end: dt.date | None = None,
    cursor: int | None = None,
    limit: int = 50,
    projects: list[Project] | None = None,
) -> Statement:
    """A fund's statement: newest first, `limit` lines a page; `cursor` is the previous page's
    `next_cursor` (the last entry id shown). `projects` (from `fund_project_accounts`) saves a query when the
    caller has them. The memo is the ledger's own text: pages for the public show `public_lines` instead."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    projects = fund_project_accounts(fund) if projects is None else projects
    account_ids = sorted({fund.account_id, fund.goods_account_id, *(p.restricted_account_id for p in projects)})
    lo, hi = _entry_bounds(start, end)
    balance_fen, later_fen, in_fen, out_fen, since_lo_fen, held_fen, goods_fen = _totals(account_ids, lo, hi, fund.goods_account_id)
    closing = balance_fen - later_fen
    opening = balance_fen - since_lo_fen

    below = hi + 1 if hi < _NO_UPPER else _NO_UPPER
    if cursor is not None:
        below = min(below, int(cursor))
    lines: list[StatementLine] = []
    has_more = False
    if lo <= hi and below > lo:
        rows, page_balance, page_later = _page(account_ids, lo, below, limit + 1)
        has_more = len(rows) > limit
        running = page_balance - page_later
        for entry_id, net, booked_on, posted_at, memo, source, reverses_id in rows[:limit]:
            lines.append(StatementLine(
                entry_id=entry_id, booked_on=booked_on, posted_at=posted_at, memo=memo, kind=entry_kind(source, reverses_id),
                amount=Money.from_fen(net), balance_after=Money.from_fen(running),
            ))
            running -= net
    return Statement(
        fund=fund, start=start, end=end, opening=Money.from_fen(opening), closing=Money.from_fen(closing),
        total_in=Money.from_fen(in_fen), total_out=Money.from_fen(-out_fen), lines=lines, has_more=has_more,
        next_cursor=lines[-1].entry_id if has_more and lines else None, holdings=Money.from_fen(balance_fen),
        goods=Money.from_fen(goods_fen),
        held=Money.from_fen(held_fen), restricted=[(p, Money(p.restricted_account.balance)) for p in projects],
    )
