"""Every write to the ledger: opening accounts, posting balanced entries, reversing them.

`entry_post` posts one entry through `posting.entries_post`, the ledger's one writer of entries, postings and
balances (for one entry or thousands): it checks the entry balances per unit, writes the postings, locks the
touched accounts in id order (no deadlocks between concurrent entries), checks no guarded account would go
negative and moves the stored balances, in the same transaction. Entries from outside carry (source,
external_id): the same key with the same content returns the first entry; with other content it is refused
(409), as TigerBeetle does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, ValidationFailed, lazy_format
from shanlian.core.idempotency import replayed

from .models import NORMAL_SIGN, Account, AccountType, Entry, Hold, HoldStatus, Unit
from .posting import NewEntry, definitions, entries_post, leg_amount


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



def entry_post(
    *,
    legs: Sequence[tuple[Account | int, Any]],
    memo: str = "",
    source: str = "internal",
    external_id: str = "",
    actor: Any = None,
    reverses: Entry | None = None,
    booked_on: dt.date | None = None,
) -> Entry:
    """Post a balanced entry: `posting.entries_post` with one entry. `booked_on` is the day the money or hours moved
    (today when not given): from DATE_EARLIEST to a day ahead of today, as every date the books hold. The same key
    with the same content returns the first entry (marked replayed); with other content it is refused (409). A leg
    names its account by the Account or by its id (its definition is then looked up, or known: `posting.definitions`)."""
    posted = entries_post(
        [NewEntry(legs=[(account if isinstance(account, int) else account.pk, amount) for account, amount in legs], memo=memo,
                  source=source, external_id=external_id, booked_on=booked_on,
                  reverses_id=reverses.pk if reverses is not None else None)],
        actor=actor, accounts=[account for account, _amount in legs if isinstance(account, Account)])[0]
    entry = Entry.objects.get(pk=posted.id)
    return replayed(entry) if posted.replayed else entry


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
    # The reversal belongs to the original's book (its source), dated the day it is made.
    return entry_post(legs=legs, memo=memo or f"reversal of #{original.pk}", source=original.source, actor=actor,
                      reverses=original)


def _decrease(account: Account, posting: Decimal) -> Decimal:
    """How much a posting would take from an account's balance on its normal side (0 if it adds)."""
    change = account.normal_sign * posting
    return -change if change < 0 else Decimal("0")


@transaction.atomic
def hold_create(
    *,
    debit_account: Account,
    credit_account: Account,
    amount: Any,
    expires_at: Any,
    memo: str = "",
    source: str = "internal",
    external_id: str = "",
    actor: Any = None,
) -> Hold:
    """Reserve a transfer: what it would take from a guarded account is no longer available to anyone else."""
    if debit_account.unit != credit_account.unit:
        raise ValidationFailed("unit_mismatch", _("Both accounts of a hold must have the same unit."))
    if debit_account.pk == credit_account.pk:
        raise ValidationFailed("same_account", _("A hold moves between two different accounts."))
    value = leg_amount(debit_account.unit, amount)
    if value < 0:
        raise ValidationFailed("negative_amount", _("A hold's amount must be positive."))
    if external_id:
        existing = Hold.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            same = (existing.debit_account_id, existing.credit_account_id, existing.amount) == (
                debit_account.pk, credit_account.pk, value)
            if not same:
                raise Conflict("idempotency_mismatch", _("This external id was already used for a hold with different content."))
            return existing
    locked = {a.pk: a for a in Account.objects.select_for_update(no_key=True).filter(
        pk__in=sorted([debit_account.pk, credit_account.pk])).order_by("pk")}
    reserve = {debit_account.pk: _decrease(locked[debit_account.pk], value),
               credit_account.pk: _decrease(locked[credit_account.pk], -value)}
    for pk, take in reserve.items():
        account = locked[pk]
        if take and account.guarded and account.balance - account.held - take < 0:
            raise ValidationFailed(
                "insufficient_balance",
                lazy_format(_("Account %(code)s has %(balance)s; this entry would take it below zero."),
                {"code": account.code, "balance": account.balance - account.held}),
            )
    hold = Hold.objects.create(
        source=source, external_id=external_id, debit_account=locked[debit_account.pk],
        credit_account=locked[credit_account.pk], amount=value, memo=memo[:300], expires_at=expires_at,
    )
    for pk, take in reserve.items():
        if take:
            Account.objects.filter(pk=pk).update(held=locked[pk].held + take)
    audit_log(actor=actor, action="ledger.hold.create", obj=hold, after={"amount": str(value), "expires_at": str(expires_at)})
    return hold


def _release(hold: Hold) -> None:
    """Give back what the hold reserved: only an account the hold's posting takes from holds anything (its type,
    which never changes, says which), so only that one is locked and read."""
    kinds = definitions([hold.debit_account_id, hold.credit_account_id])
    for account_id, posting in ((hold.debit_account_id, hold.amount), (hold.credit_account_id, -hold.amount)):
        if NORMAL_SIGN[AccountType(kinds[account_id].type)] * posting >= 0:
            continue  # the posting adds to this account: nothing of it was held
        account = Account.objects.select_for_update(no_key=True).get(pk=account_id)
        take = _decrease(account, posting)
        if take:
            Account.objects.filter(pk=account_id).update(held=account.held - take)


@transaction.atomic
def hold_post(*, hold: Hold, actor: Any = None) -> Entry:
    """Turn a pending hold into its entry, exactly once; posting it again returns the same entry."""
    locked = Hold.objects.select_for_update().get(pk=hold.pk)
    if locked.status == HoldStatus.POSTED:
        assert locked.entry is not None
        return locked.entry
    if locked.status == HoldStatus.VOIDED:
        raise Conflict("hold_voided", _("This hold was voided and can no longer be posted."))
    if locked.expires_at <= timezone.now():
        raise Conflict("hold_expired", _("This hold has expired."))
    _release(locked)
    entry = entry_post(
        legs=[(locked.debit_account_id, locked.amount), (locked.credit_account_id, -locked.amount)],
        memo=locked.memo, source=f"hold:{locked.source}", external_id=str(locked.pk), actor=actor,
    )
    locked.status, locked.entry, locked.resolved_at = HoldStatus.POSTED, entry, timezone.now()
    locked.save(update_fields=["status", "entry", "resolved_at"])
    return entry


@transaction.atomic
def hold_void(*, hold: Hold, actor: Any = None) -> Hold:
    """Release a pending hold, exactly once; voiding it again is quiet, voiding a posted one is refused."""
    from django.utils import timezone

    locked = Hold.objects.select_for_update().get(pk=hold.pk)
    if locked.status == HoldStatus.VOIDED:
        return locked
    if locked.status == HoldStatus.POSTED:
        raise Conflict("hold_posted", _("This hold was already posted; reverse its entry instead."))
    _release(locked)
    locked.status, locked.resolved_at = HoldStatus.VOIDED, timezone.now()
    locked.save(update_fields=["status", "resolved_at"])
    audit_log(actor=actor, action="ledger.hold.void", obj=locked)
    return locked


def holds_void_expired(*, limit: int = 1000) -> int:
    """The job that voids pending holds past their expiry (run by a worker or `shanlian ledger expire-holds`)."""
    from django.utils import timezone

    voided = 0
    for hold in Hold.objects.filter(status=HoldStatus.PENDING, expires_at__lte=timezone.now()).order_by("expires_at")[:limit]:
        try:
            hold_void(hold=hold)
        except Conflict:  # posted since it was read (a payout paid at the last moment): it is not expiring any more
            continue
        voided += 1
    return voided
