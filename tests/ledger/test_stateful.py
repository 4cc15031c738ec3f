"""Hypothesis drives random sequences of post, hold, void, post-hold, reverse and transfer, checking the
ledger's invariants after every step: entries balance per unit, stored balances equal the sums of
postings, guarded accounts never go below what pending holds reserve, and a refused step writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.ledger.models import Account, Entry, Hold, HoldStatus, Posting
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.ledger.services import account_open, entry_post, entry_reverse, hold_create, hold_post, hold_void

ACCOUNTS = [
    ("bank", "asset", False),
    ("fund-a", "liability", True),
    ("fund-b", "liability", True),
    ("income", "income", False),
    ("spend", "expense", False),
]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500.00"), places=2)
names = st.sampled_from([a[0] for a in ACCOUNTS])


class LedgerMachine(RuleBasedStateMachine):
    entries = Bundle("entries")
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each run is rolled back at teardown
        self.acc = {n: account_open(code=f"sm:{n}", name=n, unit="CNY", type=t, guarded=g) for n, t, g in ACCOUNTS}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _snapshot(self):
        return (Entry.objects.count(), Posting.objects.count(), list(Account.objects.order_by("pk").values_list("balance", "held")))

    def _attempt(self, fn):
        before = self._snapshot()
        try:
            return fn()
        except (ValidationFailed, Conflict):
            assert self._snapshot() == before, "a refused step changed the ledger"
            return None

    @rule(target=entries, debit=names, credit=names, amount=amounts)
    def transfer(self, debit, credit, amount):
        if debit == credit:
            return None
        return self._attempt(lambda: entry_post(legs=[(self.acc[debit], amount), (self.acc[credit], -amount)]))

    @rule(target=entries, amount=amounts, fund=st.sampled_from(["fund-a", "fund-b"]))
    def gift(self, amount, fund):
        return entry_post(legs=[(self.acc["bank"], amount), (self.acc[fund], -amount)])

    @rule(entry=entries)
    def reverse(self, entry):
        if entry is not None:
            self._attempt(lambda: entry_reverse(entry=entry))

    @rule(target=holds, amount=amounts, fund=st.sampled_from(["fund-a", "fund-b"]), expired=st.booleans())
    def hold(self, amount, fund, expired):
        expires = timezone.now() + (dt.timedelta(seconds=-1) if expired else dt.timedelta(hours=1))
        return self._attempt(lambda: hold_create(debit_account=self.acc[fund], credit_account=self.acc["spend"],
                                                 amount=amount, expires_at=expires))

    @rule(hold=holds)
    def post_hold(self, hold):
        if hold is not None:
            self._attempt(lambda: hold_post(hold=hold))

    @rule(hold=holds)
    def void_hold(self, hold):
        if hold is not None:
            self._attempt(lambda: hold_void(hold=hold))

    @invariant()
    def books_balance(self):
        if not hasattr(self, "acc"):
            return
        assert not unbalanced_entries()
        assert not balances_mismatched()

    @invariant()
    def guarded_covers_holds(self):
        if not hasattr(self, "acc"):
            return
        for account in Account.objects.all():
            pending = Hold.objects.filter(debit_account=account, status=HoldStatus.PENDING).aggregate(s=Sum("amount"))["s"]
            if account.type == "liability":
                assert account.held == (pending or Decimal("0")), account.code
            if account.guarded:
                assert account.balance - account.held >= 0, account.code


@pytest.mark.django_db
def test_ledger_state_machine():
    machine = LedgerMachine.TestCase
    machine.settings = settings(max_examples=30, stateful_step_count=20, deadline=None,
                                suppress_health_check=[HealthCheck.too_slow])
    machine().runTest()
