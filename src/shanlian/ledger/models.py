"""The double-entry ledger for CNY and HOUR. It knows nothing about charity or volunteers.

Invariants live in the database as well as in Python: postings are non-zero, guarded accounts never
go negative (CHECK), every entry balances per unit (a deferred constraint trigger on PostgreSQL, see
migrations/0002), and posted rows are never updated or deleted (a trigger refuses; a mistake is
corrected by a reversing entry).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    CNY = "CNY", _("Yuan (CNY)")
    HOUR = "HOUR", _("Service hours")


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")
    EQUITY = "equity", _("Equity")


# Postings are signed: + is a debit, - a credit, and every entry sums to zero per unit. Balances are
# kept on each account's normal side, so "never negative" means the same thing for a bank account
# (debits exceed credits) as for a fund held in custody (credits exceed debits).
NORMAL_SIGN = {
    AccountType.ASSET: 1,
    AccountType.EXPENSE: 1,
    AccountType.LIABILITY: -1,
    AccountType.INCOME: -1,
    AccountType.EQUITY: -1,
}


class Account(models.Model):
    code = models.CharField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    type = models.CharField(_("type"), max_length=16, choices=AccountType.choices)
    guarded = models.BooleanField(_("may never go negative"), default=False)
    # On the account's normal side (see NORMAL_SIGN); moved in the same transaction as the postings.
    balance = models.DecimalField(_("balance"), max_digits=18, decimal_places=2, default=0)
    # What pending holds would take from the balance; a guarded account keeps balance - held >= 0.
    held = models.DecimalField(_("held"), max_digits=18, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(guarded=False) | Q(balance__gte=F("held")), name="ledger_guarded_not_negative"),
            models.CheckConstraint(condition=Q(held__gte=0), name="ledger_held_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def normal_sign(self) -> int:
        return NORMAL_SIGN[AccountType(self.type)]


class Entry(models.Model):
    """One balanced transaction. (source, external_id) makes entries from outside idempotent."""

    source = models.CharField(_("source"), max_length=64)
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    content_hash = models.CharField(max_length=64, editable=False)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True, db_index=True)
    # The day the money or hours moved (a gift received, a payout paid), in Asia/Shanghai; posted_at is when the
    # entry was recorded. The ledger's order (and a statement's period) is the recording order; the business date
    # is what a line says happened when, and what disclosure and Beancount date it by.
    booked_on = models.DateField(_("date"))
    # At most one reversal per entry: a partial unique key (Meta), not a one-to-one's full one, since all but a few
    # entries reverse nothing and every entry written would add a NULL to the index (migration 0006).
    reverses = models.ForeignKey(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by",
        db_index=False,
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""), name="ledger_entry_idempotency"),
            models.UniqueConstraint(fields=["reverses"], condition=Q(reverses__isnull=False), name="ledger_entry_reversed_once"),
            models.CheckConstraint(condition=Q(booked_on__gte=dt.date(2000, 1, 1)), name="ledger_entry_booked_since_2000"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo}"


class Posting(models.Model):
    entry = models.ForeignKey(Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="postings")
    # No index of its own: ledger_posting_account_idx starts with it (migration 0005).
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="postings",
                                db_index=False)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_not_zero")]
        # With the amount (PostgreSQL): a statement sums an account's postings from the index alone.
        indexes = [models.Index(fields=["account", "entry"], include=["amount"], name="ledger_posting_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount} {self.unit}"


class HoldStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    POSTED = "posted", _("Posted")
    VOIDED = "voided", _("Voided")


class Hold(models.Model):
    """A two-phase transfer: reserved now, then posted or voided exactly once (or voided when it expires)."""

    source = models.CharField(_("source"), max_length=64)
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    debit_account = models.ForeignKey(Account, verbose_name=_("debit account"), on_delete=models.PROTECT, related_name="+")
    credit_account = models.ForeignKey(Account, verbose_name=_("credit account"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=HoldStatus.choices, default=HoldStatus.PENDING)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    entry = models.OneToOneField(Entry, verbose_name=_("entry"), null=True, blank=True, on_delete=models.PROTECT, related_name="hold")

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_hold_positive"),
            models.CheckConstraint(
                condition=Q(status="posted", entry__isnull=False) | (~Q(status="posted") & Q(entry__isnull=True)),
                name="ledger_hold_entry_iff_posted",
            ),
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""), name="ledger_hold_idempotency"),
        ]

    def __str__(self) -> str:
        return f"hold #{self.pk} {self.amount} {self.status}"


class Seal(models.Model):
    """A link in the hash chain over the ledger: the Merkle root of every entry with id in
    (previous seal's last_entry_id, last_entry_id]. Never updated or deleted (a trigger on PostgreSQL).

    Entry ids are plain integers, not foreign keys: a seal is evidence and must outlive a deleted row.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    first_entry_id = models.BigIntegerField(_("first entry"))
    last_entry_id = models.BigIntegerField(_("last entry"), unique=True)
    entry_count = models.PositiveIntegerField(_("entries"))
    merkle_root = models.CharField(_("Merkle root"), max_length=64)
    prev_hash = models.CharField(_("previous seal hash"), max_length=64, unique=True)
    seal_hash = models.CharField(_("seal hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_seal_seq_positive"),
            models.CheckConstraint(condition=Q(last_entry_id__gte=F("first_entry_id")), name="ledger_seal_range"),
        ]

    def __str__(self) -> str:
        return f"seal {self.seq} {self.seal_hash[:12]}"


class SealLeaf(models.Model):
    """The leaf hash each sealed entry had when sealed: what lets `verify` name the entry that changed."""

    seal = models.ForeignKey(Seal, verbose_name=_("seal"), on_delete=models.PROTECT, related_name="leaves")
    entry_id = models.BigIntegerField(_("entry"), unique=True)
    leaf_hash = models.CharField(_("leaf hash"), max_length=64)

    class Meta:
        verbose_name = _("sealed entry")
        verbose_name_plural = _("sealed entries")
        ordering = ["entry_id"]

    def __str__(self) -> str:
        return f"leaf {self.entry_id} {self.leaf_hash[:12]}"
