import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.ledger.models import Account, HoldStatus
from shanlian.ledger.selectors import balances_mismatched
from shanlian.ledger.services import account_open, entry_post, hold_create, hold_post, hold_void, holds_void_expired


@pytest.fixture
def books(db):
    bank = account_open(code="fed:bank", name="银行存款", unit="CNY", type="asset")
    fund = account_open(code="fund:北京街", name="北京街社区慈善基金", unit="CNY", type="liability", guarded=True)
    vendor = account_open(code="payable:vendor", name="应付供应商", unit="CNY", type="liability")
    entry_post(legs=[(bank, "100.00"), (fund, "-100.00")])
    return {"bank": bank, "fund": fund, "vendor": vendor}


def later(minutes: int = 30):
    return timezone.now() + dt.timedelta(minutes=minutes)


def state(account):
    a = Account.objects.get(pk=account.pk)
    return a.balance, a.held


def test_hold_reserves_then_posts_once(books):
    hold = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="60.00", expires_at=later())
    assert state(books["fund"]) == (Decimal("100.00"), Decimal("60.00"))
    # what is held is not available to an entry or another hold
    with pytest.raises(ValidationFailed):
        entry_post(legs=[(books["fund"], "40.01"), (books["bank"], "-40.01")])
    with pytest.raises(ValidationFailed):
        hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="40.01", expires_at=later())
    entry = hold_post(hold=hold)
    assert hold_post(hold=hold).pk == entry.pk  # twice: the same entry
    assert state(books["fund"]) == (Decimal("40.00"), Decimal("0.00"))
    with pytest.raises(Conflict) as exc:
        hold_void(hold=hold)
    assert exc.value.code == "hold_posted"
    assert not balances_mismatched()


def test_void_releases_once_and_cannot_then_post(books):
    hold = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="70.00", expires_at=later())
    hold_void(hold=hold)
    hold_void(hold=hold)  # quiet
    assert state(books["fund"]) == (Decimal("100.00"), Decimal("0.00"))
    with pytest.raises(Conflict) as exc:
        hold_post(hold=hold)
    assert exc.value.code == "hold_voided"


def test_expired_holds_are_voided_by_the_job(books):
    old = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="10.00",
                      expires_at=timezone.now() - dt.timedelta(seconds=1))
    fresh = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="20.00", expires_at=later())
    with pytest.raises(Conflict) as exc:
        hold_post(hold=old)
    assert exc.value.code == "hold_expired"
    assert holds_void_expired() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (HoldStatus.VOIDED, HoldStatus.PENDING)
    assert state(books["fund"]) == (Decimal("100.00"), Decimal("20.00"))
    assert holds_void_expired() == 0


def test_hold_idempotency_and_bad_input(books):
    a = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="5.00", expires_at=later(),
                    source="payout", external_id="p-1")
    b = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="5.00", expires_at=later(),
                    source="payout", external_id="p-1")
    assert a.pk == b.pk and state(books["fund"])[1] == Decimal("5.00")
    with pytest.raises(Conflict):
        hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="6.00", expires_at=later(),
                    source="payout", external_id="p-1")
    for bad in ["-1.00", "0", "1.001"]:
        with pytest.raises(ValidationFailed):
            hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount=bad, expires_at=later())
    hours = account_open(code="tb:vol", name="志愿者", unit="HOUR", type="liability", guarded=True)
    with pytest.raises(ValidationFailed) as exc:
        hold_create(debit_account=hours, credit_account=books["vendor"], amount="1", expires_at=later())
    assert exc.value.code == "unit_mismatch"


def test_expiry_job_passes_over_a_hold_posted_meanwhile(books, monkeypatch):
    """The job reads the expired holds, then voids each under its lock: one posted in between (paid in its last
    moment, committed after the job read it) is passed over, and the others are still voided."""
    import time_machine

    from shanlian.ledger import services

    now = timezone.now()
    first = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="10.00", expires_at=later(1))
    second = hold_create(debit_account=books["fund"], credit_account=books["vendor"], amount="20.00", expires_at=later(1))
    real = services.hold_void

    def paid_first(*, hold, actor=None):
        if hold.pk == first.pk:
            with time_machine.travel(now, tick=False):  # the payout was paid while the hold still held
                hold_post(hold=hold)
        return real(hold=hold, actor=actor)

    monkeypatch.setattr(services, "hold_void", paid_first)
    with time_machine.travel(now + dt.timedelta(minutes=2)):
        assert holds_void_expired() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (HoldStatus.POSTED, HoldStatus.VOIDED)
    assert state(books["fund"]) == (Decimal("90.00"), Decimal("0.00")) and not balances_mismatched()
