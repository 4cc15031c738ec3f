"""Reads of the ledger: balances (stored) and the sums recomputed from postings, to compare."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from .models import Account, Posting


def account_balance(*, account: Account) -> Decimal:
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)


def balances_recomputed() -> dict[int, Decimal]:
    """Every account's posting sum, debits positive (a full scan: for checks, not for pages)."""
    return {row["account"]: row["total"] for row in Posting.objects.values("account").annotate(total=Sum("amount")).order_by()}


def balances_mismatched() -> list[tuple[str, Decimal, Decimal]]:
    """Accounts whose stored balance differs from the sum of their postings: (code, stored, recomputed)."""
    sums = balances_recomputed()
    out = []
    for account in Account.objects.order_by("pk"):
        recomputed = account.normal_sign * sums.get(account.pk, Decimal("0"))
        if account.balance != recomputed:
            out.append((account.code, account.balance, recomputed))
    return out
