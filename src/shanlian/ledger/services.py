"""Every write to the ledger: opening accounts, posting balanced entries, reversing them.

`entry_post` locks the touched accounts in id order (no deadlocks between concurrent entries),
checks the entry balances per unit and that no guarded account would go negative, writes the
postings and moves the stored balances in the same transaction. Entries from outside carry
(source, external_id): the same key with the same content returns the first entry; with other
content it is refused (409), as TigerBeetle does.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, NotFound, ValidationFailed
from shanlian.core.money import Hours, Money

from .models import Account, AccountType, Entry, Posting, Unit


@dataclass(frozen=True)
class Leg:
    """One side of an entry: a signed amount on an account (+ debit, - credit)."""

    account: Account
    amount: Decimal


def account_open(*, code: str, name: str, unit: str, type: str, guarded: bool = False) -> Account:
    """Open an account, or return the existing one with the same code and the same definition."""
    if unit not in Unit.values:
        raise ValidationFailed("invalid_unit", _("Unknown unit."))
    if type not in AccountType.values:
        raise ValidationFailed("invalid_account_type", _("Unknown account type."))
    code = (code or "").strip()
    if not code:
        raise ValidationFailed("code_required", _("An account needs a code."))
    account, created = Account.objects.get_or_create(
        code=code, defaults={"name": name, "unit": unit, "type": type, "guarded": guarded}
    )
    if not created and (account.unit, account.type, account.guarded) != (unit, type, guarded):
        raise Conflict("account_exists", _("An account with this code exists with another definition."))
    return account


def _amount(unit: str, value: Any) -> Decimal:
    """Validate an amount in its unit: yuan to the fen, hours to the half hour; never zero."""
    amount = Money(value).amount if unit == Unit.CNY else Hours(value).value.quantize(Decimal("0.01"))
    if amount == 0:
        raise ValidationFailed("zero_amount", _("A posting amount cannot be zero."))
    return amount


def _content_hash(memo: str, legs: Sequence[Leg]) -> str:
    body = sorted((leg.account.pk, str(leg.amount)) for leg in legs)
    return hashlib.sha256(json.dumps({"memo": memo, "legs": body}).encode()).hexdigest()


def _check_balanced(legs: Sequence[Leg]) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        totals[leg.account.unit] += leg.amount
    unbalanced = {unit: total for unit, total in totals.items() if total != 0}
    if unbalanced:
        raise ValidationFailed(
            "entry_unbalanced",
            _("The entry does not balance: %(detail)s.") % {"detail": ", ".join(f"{u} {t}" for u, t in unbalanced.items())},
        )


@transaction.atomic
def entry_post(
    *,
    legs: Sequence[tuple[Account, Any]],
    memo: str = "",
    source: str = "internal",
    external_id: str = "",
    actor: Any = None,
    reverses: Entry | None = None,
) -> Entry:
    if len(legs) < 2:
        raise ValidationFailed("entry_too_short", _("An entry needs at least two postings."))
    clean = [Leg(account, _amount(account.unit, amount)) for account, amount in legs]
    _check_balanced(clean)
    digest = _content_hash(memo, clean)
    if external_id:
        existing = Entry.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return _same_or_conflict(existing, digest)
    # Lock the accounts in a fixed order and apply the movements; a guarded account may not go below zero.
    movement: dict[int, Decimal] = defaultdict(Decimal)
    for leg in clean:
        movement[leg.account.pk] += leg.amount
    locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=sorted(movement)).order_by("pk")}
    if len(locked) != len(movement):
        raise NotFound("unknown_account", _("An account in this entry does not exist."))
    for pk, delta in movement.items():
        account = locked[pk]
        if account.guarded and account.balance + account.normal_sign * delta < 0:
            raise ValidationFailed(
                "insufficient_balance",
                _("Account %(code)s has %(balance)s; this entry would take it below zero.")
                % {"code": account.code, "balance": account.balance},
            )
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                source=source, external_id=external_id, content_hash=digest, memo=memo[:300], reverses=reverses
            )
    except IntegrityError:
        # Another request with the same key committed between our check and our insert.
        existing = Entry.objects.filter(source=source, external_id=external_id).first()
        if existing is None or reverses is not None:
            raise Conflict("entry_conflict", _("This entry conflicts with another one.")) from None
        return _same_or_conflict(existing, digest)
    Posting.objects.bulk_create(
        [Posting(entry=entry, account=leg.account, unit=leg.account.unit, amount=leg.amount) for leg in clean]
    )
    for pk, delta in movement.items():
        if delta:
            Account.objects.filter(pk=pk).update(balance=F("balance") + locked[pk].normal_sign * delta)
    audit_log(actor=actor, action="ledger.entry.post", obj=entry,
              after={"source": source, "external_id": external_id, "legs": [[leg.account.code, str(leg.amount)] for leg in clean]})
    return entry


def _same_or_conflict(existing: Entry, digest: str) -> Entry:
    if existing.content_hash != digest:
        raise Conflict(
            "idempotency_mismatch",
            _("This external id was already used for an entry with different content."),
        )
    return existing


@transaction.atomic
def entry_reverse(*, entry: Entry, memo: str = "", actor: Any = None) -> Entry:
    """Post the mirror image of `entry`. Reversing twice returns the first reversal."""
    original = Entry.objects.select_for_update().get(pk=entry.pk)
    already = Entry.objects.filter(reverses=original).first()
    if already is not None:
        return already
    if original.reverses_id is not None:
        raise ValidationFailed("reverse_of_reversal", _("A reversal cannot itself be reversed; post a new entry."))
    legs = [(p.account, -p.amount) for p in original.postings.select_related("account")]
    return entry_post(legs=legs, memo=memo or f"reversal of #{original.pk}", actor=actor, reverses=original)
