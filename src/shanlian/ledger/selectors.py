"""Reads of the ledger: balances (stored) and the sums recomputed from postings, to compare; the published seals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, F, QuerySet, Sum
from django.db.models.functions import Cast, Round

from .models import Account, Posting, Seal


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


# -- the seals, as the public sees them ------------------------------------------------------------------


@dataclass(frozen=True)
class SealPage:
    """Seals newest first, `size` at most, older than `before` (every seal when None).

    `older` is the `before` of the next page towards the first seal (None at the end); `newer` that of the
    page before it, None when that page is the newest (it has no `before`); `has_newer` says there is one."""

    seals: list[Seal]
    total: int
    older: int | None
    newer: int | None
    has_newer: bool


def seals_page(*, before: int | None = None, size: int = 25) -> SealPage:
    """A page of seals by their sequence (keyset: as quick on the 50,000th seal as on the first)."""
    rows = Seal.objects.order_by("-seq")
    if before is not None:
        rows = rows.filter(seq__lt=before)
    seals = list(rows[: size + 1])
    older = seals[size - 1].seq if len(seals) > size else None
    seals = seals[:size]
    newer, has_newer = None, False
    if before is not None:
        ahead = list(Seal.objects.filter(seq__gte=before).order_by("seq").values_list("seq", flat=True)[: size + 1])
        has_newer = bool(ahead)
        if len(ahead) > size:
            newer = ahead[size - 1] + 1
    return SealPage(seals=seals, total=Seal.objects.count(), older=older, newer=newer, has_newer=has_newer)


def seal_get(*, seq: int) -> Seal | None:
    return Seal.objects.filter(seq=seq).first()


def seal_neighbours(*, seal: Seal) -> tuple[int | None, int | None]:
    """The sequence numbers of the seals just before and after `seal` (None at either end of the chain)."""
    before = Seal.objects.filter(seq__lt=seal.seq).order_by("-seq").values_list("seq", flat=True).first()
    after = Seal.objects.filter(seq__gt=seal.seq).order_by("seq").values_list("seq", flat=True).first()
    return before, after
