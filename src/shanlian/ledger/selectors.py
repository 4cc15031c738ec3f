"""Reads of the ledger: balances (stored) and the sums recomputed from postings, to compare."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, F, QuerySet, Sum
from django.db.models.functions import Cast, Round

from .models import Account, Posting


def account_balance(*, account: Account) -> Decimal:
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


def sum_in_fen() -> Sum:
    """SUM of posting amounts as whole fen (hundredths): exact on PostgreSQL and on SQLite, where a plain
    SUM of decimals runs in binary floating point (0.1 + 0.2 - 0.3 is not 0 there)."""
    return Sum(Cast(Round(F("amount") * 100), BigIntegerField()))


def from_fen(fen: int | None) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(Decimal("0.01"))


def posting_totals(*group_by: str) -> QuerySet[Posting, dict[str, Any]]:
    """Rows of `group_by` fields with `fen`, their posting sum in hundredths."""
    return Posting.objects.values(*group_by).annotate(fen=sum_in_fen()).order_by()


def unbalanced_entries() -> dict[int, list[tuple[str, Decimal]]]:
    """Entries whose postings do not sum to zero in some unit (a full scan: for checks)."""
    out: dict[int, list[tuple[str, Decimal]]] = {}
    for row in posting_totals("entry", "unit"):
        if row["fen"]:
            out.setdefault(row["entry"], []).append((row["unit"], from_fen(row["fen"])))
    return out


def balances_recomputed() -> dict[int, Decimal]:
    """Every account's posting sum, debits positive (a full scan: for checks, not for pages)."""
    return {row["account"]: from_fen(row["fen"]) for row in posting_totals("account")}


def balances_mismatched() -> list[tuple[str, Decimal, Decimal]]:
    """Accounts whose stored balance differs from the sum of their postings: (code, stored, recomputed)."""
    sums = balances_recomputed()
    out = []
    for account in Account.objects.order_by("pk"):
        recomputed = account.normal_sign * sums.get(account.pk, Decimal("0"))
        if account.balance != recomputed:
            out.append((account.code, account.balance, recomputed))
    return out
