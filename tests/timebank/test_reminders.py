"""Shift reminders through the notification interface: the job, its schedule and its command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from shanlian.celery import app
from shanlian.timebank import services as ts
from shanlian.timebank import tasks
from shanlian.timebank.models import Notification, Shift, SignupStatus


def test_confirmed_sign_ups_are_reminded_once_and_the_wait_list_not(bank, caplog):
    shift = bank.now_shift  # starts in an hour
    Shift.objects.filter(pk=shift.pk).update(headcount=1)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    assert ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=shift).status == SignupStatus.WAITLISTED
    later = Shift.objects.filter(pk=bank.later_shift.pk)
    later.update(starts_at=F("starts_at") + dt.timedelta(days=1), ends_at=F("ends_at") + dt.timedelta(days=1))
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=later.get())  # in two days: not yet
    assert tasks.reminders.delay().get() == 1
    note = Notification.objects.get()
    assert note.key.startswith("remind:") and "长者饭堂送餐" in note.body
    assert [r.getMessage()[:16] for r in caplog.records if r.name == "shanlian.notify"] == ["notify volunteer"]  # console backend
    tasks.reminders.delay().get()
    assert Notification.objects.count() == 1  # each sign-up once


def test_reminders_run_every_hour_from_beat():
    entry = app.conf.beat_schedule["timebank-reminders"]
    assert entry["task"] == tasks.reminders.name and entry["schedule"] == 3600.0


def test_the_command_and_its_bad_input(bank):
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    out = StringIO()
    call_command("timebank", "reminders", stdout=out)
    assert "reminded 1" in out.getvalue()
    with pytest.raises(CommandError, match="invalid_hours"):
        call_command("timebank", "reminders", "--within-hours", "0")
