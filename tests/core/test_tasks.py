"""The periodic chores as Celery tasks, run eagerly as in the embedded demo."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shanlian.celery import app
from shanlian.ledger.models import Hold, HoldStatus, Seal
from shanlian.ledger.services import account_open, entry_post, hold_create
from shanlian.ledger.tasks import holds_expire, ledger_seal


def test_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_seal_and_expire_tasks_run(db):
    a = account_open(code="a", name="a", unit="CNY", type="asset")
    b = account_open(code="b", name="b", unit="CNY", type="liability", guarded=True)
    entry_post(legs=[(a, "10.00"), (b, "-10.00")])
    assert ledger_seal.delay().get() == 1
    assert Seal.objects.count() == 1
    assert ledger_seal.delay().get() is None  # nothing new to seal
    hold = hold_create(debit_account=b, credit_account=a, amount="5", expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert holds_expire.delay().get() == 1
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.VOIDED
