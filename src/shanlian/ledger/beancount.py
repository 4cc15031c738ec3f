"""Export the ledger to Beancount's text format, so `bean-check` can verify it independently.

Account names: the root comes from the account type (asset → Assets, liability → Liabilities, income →
Income, expense → Expenses, equity → Equity), then each part of our code (split on ':') becomes one
component, then a last component `A<id>` keeps every name unique whatever the code sanitises to.
A component keeps Unicode letters, decimal digits and '-' (Beancount v3 accepts them; NFC first);
any other character becomes '-'. Its first character must be an uppercase letter or a digit: an ASCII
lowercase letter is uppercased, anything else (a Chinese character, '-') gets an "X" in front. Empty
parts are dropped. So "fund:北京街" (a liability, id 12) is `Liabilities:Fund:X北京街:A12`.

Postings keep their sign (+ debit, - credit), which is Beancount's convention too: it never flips
liabilities, so a fund in custody shows a negative balance. The balance assertions at the end are the
raw posting sums with an explicit zero tolerance (by default Beancount lets a 2-decimal assertion be
off by 0.01, a whole fen), dated the day after the last transaction (Beancount checks a balance at the
start of its day). Entries are streamed with .iterator() and their postings prefetched per chunk.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from decimal import Decimal
from typing import TextIO
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, Prefetch

from .models import Account, AccountType, Entry, Posting, Unit
from .selectors import from_fen, posting_totals

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK_SIZE = 2000
CENT = Decimal("0.01")

ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
    AccountType.EQUITY: "Equity",
}

_COMPONENT_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of `moment` in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI).date()


def _component(part: str) -> str:
    chars = []
    for ch in unicodedata.normalize("NFC", part):
        if ch == "-" or (ch.isascii() and ch.isalnum()) or (not ch.isascii() and unicodedata.category(ch) in _COMPONENT_CATEGORIES):
            chars.append(ch)
        else:
            chars.append("-")
    text = "".join(chars)
    if not text:
        return ""
    first = text[0]
    if first.isascii() and first.isalpha():
        return first.upper() + text[1:]
    if unicodedata.category(first) in {"Lu", "Nd"}:
        return text
    return "X" + text


def account_name(account: Account) -> str:
    """The Beancount name of `account`: unique (the id is its last component) and valid."""
    parts = [c for c in (_component(p) for p in account.code.split(":")) if c]
    return ":".join([ROOTS[AccountType(account.type)], *parts, f"A{account.pk}"])


def quote(text: str) -> str:
    """A Beancount string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _number(value: Decimal) -> str:
    amount = Decimal(value).quantize(CENT)
    return f"{amount if amount else CENT * 0:f}"


def export_ledger(stream: TextIO) -> None:
    """Write every account, entry and a closing balance assertion per account to `stream`."""
    accounts = list(Account.objects.order_by("pk").annotate(first_booked=Min("postings__entry__booked_on")))
    names = {a.pk: account_name(a) for a in accounts}
    opened: dict[int, dt.date] = {}
    for a in accounts:
        opened[a.pk] = local_date(a.created_at) if a.first_booked is None else min(local_date(a.created_at), a.first_booked)
    earliest = min(opened.values(), default=dt.date(2000, 1, 1))

    stream.write('option "title" "Shanlian ledger"\n')
    stream.write('option "operating_currency" "CNY"\n\n')
    for unit in Unit.values:
        stream.write(f"{earliest.isoformat()} commodity {unit}\n")
    stream.write("\n")
    for a in accounts:
        stream.write(f"{opened[a.pk].isoformat()} open {names[a.pk]} {a.unit}\n")
        stream.write(f"  code: {quote(a.code)}\n  name: {quote(a.name)}\n")
    stream.write("\n")

    postings = Prefetch("postings", queryset=Posting.objects.order_by("pk").only("pk", "entry_id", "account_id", "unit", "amount"))
    entries = Entry.objects.order_by("pk").prefetch_related(postings)
    for entry in entries.iterator(chunk_size=CHUNK_SIZE):
        stream.write(f"{entry.booked_on.isoformat()} * {quote(entry.memo)}\n")
        stream.write(f'  shanlian-entry: "{entry.pk}"\n  source: {quote(entry.source)}\n')
        stream.write(f'  recorded: "{entry.posted_at.astimezone(SHANGHAI).isoformat(timespec="seconds")}"\n')
        if entry.external_id:
            stream.write(f"  external-id: {quote(entry.external_id)}\n")
        if entry.reverses_id is not None:
            stream.write(f'  reverses: "{entry.reverses_id}"\n')
        for p in entry.postings.all():
            stream.write(f"  {names[p.account_id]}  {_number(p.amount)} {p.unit}\n")
        stream.write("\n")

    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in posting_totals("account", "unit"):
        sums[row["account"]][row["unit"]] = from_fen(row["fen"])
    last_booked = Entry.objects.aggregate(last=Max("booked_on"))["last"]
    last_day = max([*opened.values(), *([last_booked] if last_booked else [])], default=earliest)
    check_day = (last_day + dt.timedelta(days=1)).isoformat()
    for a in accounts:
        totals = sums.get(a.pk) or {a.unit: Decimal("0.00")}
        for unit, total in sorted(totals.items()):
            stream.write(f"{check_day} balance {names[a.pk]}  {_number(total)} ~ 0 {unit}\n")
