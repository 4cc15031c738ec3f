"""The periodic jobs without a broker: one schedule table for Celery beat and the in-process scheduler, each job
run when due and not again before its interval, a failing job not stopping the others, and a job another
process is running skipped (PostgreSQL's advisory lock)."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.db import connection

from shanlian.celery import app
from shanlian.core import scheduler as sch
from shanlian.core.idempotency import lock_id
from shanlian.core.scheduler import SKIPPED, Job, Scheduler, run_job
from shanlian.ledger.models import Seal
from shanlian.ledger.services import account_open, entry_post
from shanlian.schedule import SCHEDULE, job_named

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)


class Recorder:
    def __init__(self, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.calls: list[str] = []
        self.fail = fail

    def __call__(self, job: Job) -> int:
        self.calls.append(job.name)
        if job.name in self.fail:
            raise RuntimeError("boom")
        return 1


def test_celery_beat_and_the_thread_share_one_table():
    beat = app.conf.beat_schedule
    assert list(beat) == [job.name for job in SCHEDULE]
    for job in SCHEDULE:
        assert beat[job.name]["task"] == job.task
        if job.every is not None:
            assert beat[job.name]["schedule"] == job.every.total_seconds()
        else:
            assert isinstance(beat[job.name]["schedule"], crontab)
            assert beat[job.name]["schedule"] == crontab(hour=job.daily_at.hour, minute=job.daily_at.minute)
    assert job_named("ledger-seal").every == dt.timedelta(minutes=10)
    with pytest.raises(KeyError):
        job_named("no-such-job")


def test_every_task_in_the_table_can_be_imported():
    from django.utils.module_loading import import_string

    for job in SCHEDULE:
        assert callable(import_string(job.task)), job.task


def test_a_job_needs_exactly_one_kind_of_schedule():
    with pytest.raises(ValueError):
        Job("x", "x.y")
    with pytest.raises(ValueError):
        Job("x", "x.y", every=dt.timedelta(minutes=1), daily_at=dt.time(1, 0))
    with pytest.raises(ValueError):
        Job("x", "x.y", every=dt.timedelta(0))


def test_a_due_job_runs_once_and_not_again_before_its_interval():
    run = Recorder()
    s = Scheduler([Job("seal", "t.seal", every=dt.timedelta(minutes=10)), Job("expire", "t.exp", every=dt.timedelta(minutes=5))],
                  run=run)
    assert s.tick(T0) == ["seal", "expire"]  # interval jobs are due at once (what was missed is caught up)
    assert s.tick(T0) == [] and s.tick(T0 + dt.timedelta(minutes=4, seconds=59)) == []
    assert s.tick(T0 + dt.timedelta(minutes=5)) == ["expire"]
    assert s.tick(T0 + dt.timedelta(minutes=9, seconds=59)) == []
    assert s.tick(T0 + dt.timedelta(minutes=10)) == ["seal", "expire"]
    assert run.calls == ["seal", "expire", "expire", "seal", "expire"]
    # Asleep for an hour (a laptop lid closed): each job runs once, not once per missed turn.
    assert s.tick(T0 + dt.timedelta(hours=1, minutes=10)) == ["seal", "expire"]
    assert s.seconds_to_next(T0 + dt.timedelta(hours=1, minutes=10)) == 60.0  # capped: the clock is looked at every minute
    assert s.seconds_to_next(T0 + dt.timedelta(hours=1, minutes=14, seconds=30)) == 30.0


def test_a_daily_job_runs_at_its_local_time():
    run = Recorder()
    s = Scheduler([Job("reports", "t.r", daily_at=dt.time(0, 30))], run=run)
    assert s.tick(T0) == []
    assert s.due["reports"] == dt.datetime(2026, 3, 3, 0, 30, tzinfo=SH)
    assert s.tick(dt.datetime(2026, 3, 3, 0, 29, 59, tzinfo=SH)) == []
    assert s.tick(dt.datetime(2026, 3, 3, 0, 30, tzinfo=SH)) == ["reports"]
    assert s.tick(dt.datetime(2026, 3, 3, 23, 0, tzinfo=SH)) == []
    assert s.tick(dt.datetime(2026, 3, 4, 0, 31, tzinfo=SH)) == ["reports"]
    # 00:30 in Shanghai is 16:30 UTC the day before: a clock in UTC gets the same moments.
    assert s.due["reports"] == dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC)


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    run = Recorder(fail={"seal"})
    s = Scheduler([Job("seal", "t.seal", every=dt.timedelta(minutes=10)), Job("expire", "t.exp", every=dt.timedelta(minutes=5))],
                  run=run)
    with caplog.at_level("ERROR", logger="shanlian.jobs"):
        assert s.tick(T0) == ["seal", "expire"]
    assert "job seal failed" in caplog.text and "RuntimeError: boom" in caplog.text
    assert s.tick(T0 + dt.timedelta(minutes=5)) == ["expire"]  # tried again at its next time, not in a loop
    assert s.tick(T0 + dt.timedelta(minutes=10)) == ["seal", "expire"]


def test_the_thread_runs_the_jobs_and_stops():
    ran = threading.Event()

    def run(job: Job) -> None:
        ran.set()

    s = Scheduler([Job("a", "t.a", every=dt.timedelta(hours=1))], run=run)
    thread = s.start()
    assert thread.daemon and thread.name == "shanlian-jobs"
    assert ran.wait(5)
    assert s.start() is thread  # started once
    s.stop()
    assert not thread.is_alive()


def test_nothing_starts_with_a_broker_or_without_the_setting(settings, monkeypatch):
    started = []
    monkeypatch.setattr(sch, "_running", None)
    monkeypatch.setattr(sch.Scheduler, "start", lambda self: started.append(self))
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.SHANLIAN = {**settings.SHANLIAN, "JOBS_IN_PROCESS": True}
    assert sch.start_in_process(SCHEDULE) is None and sch.start_configured(SCHEDULE) is None
    settings.CELERY_BROKER_URL = ""
    settings.SHANLIAN = {**settings.SHANLIAN, "JOBS_IN_PROCESS": False}
    assert sch.start_configured(SCHEDULE) is None and started == []
    settings.SHANLIAN = {**settings.SHANLIAN, "JOBS_IN_PROCESS": True}
    first = sch.start_configured(SCHEDULE)
    assert first is not None and [j.name for j in first.jobs] == [j.name for j in SCHEDULE]
    assert sch.start_in_process(SCHEDULE) is first and started == [first]  # one thread per process


def _an_entry() -> None:
    a = account_open(code="sch-a", name="a", unit="CNY", type="asset")
    b = account_open(code="sch-b", name="b", unit="CNY", type="liability")
    entry_post(legs=[(a, "10.00"), (b, "-10.00")])


def test_run_job_runs_the_task_in_this_thread(db):
    _an_entry()
    assert run_job(job_named("ledger-seal")) == 1
    assert run_job(job_named("ledger-seal")) is None  # nothing new
    assert Seal.objects.count() == 1
    for job in SCHEDULE:  # every job of the table runs on an empty city without a broker
        run_job(job)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_job_another_process_is_running_is_skipped(db):
    _an_entry()
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id("shanlian.job", "ledger-seal")])
        assert run_job(job_named("ledger-seal")) is SKIPPED
        assert not Seal.objects.exists()
        assert run_job(job_named("ledger-expire-holds")) == 0  # other jobs are not held up
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id("shanlian.job", "ledger-seal")])
    finally:
        other.close()
    assert run_job(job_named("ledger-seal")) == 1
    with connection.cursor() as cursor:  # and this process let go of it
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0


def test_jobs_command_lists_and_runs(db, capsys):
    _an_entry()
    call_command("jobs", "--list")
    out = capsys.readouterr().out
    assert "ledger-seal" in out and "every 10 min" in out and "daily at 00:30" in out
    call_command("jobs", "--run", "ledger-seal")
    assert "ledger-seal: 1" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("jobs", "--run", "nope")
