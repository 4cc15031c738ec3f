"""Periodic jobs without a broker: a small scheduler thread that runs the tasks of `shanlian.schedule.SCHEDULE`
in its own process, at the times Celery beat would send them.

The demo starts it (`shanlian demo`), so what the pages promise happens: the ledger is sealed every 10
minutes, unpaid payments and holds expire, payouts lapse, volunteers are reminded. An app server starts it
with SHANLIAN_JOBS_IN_PROCESS=1 and no CELERY_BROKER_URL (see `start_configured`); with a broker, Celery beat
runs the same table and this thread is never started.

Several processes may run it at once (gunicorn workers, the demo beside `shanlian jobs`): every job's service
is safe to run twice and concurrently, and on PostgreSQL a job is skipped while another process is running
it (a session advisory lock), so it is not done N times over at the same moment.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from .idempotency import lock_id

log = logging.getLogger("shanlian.jobs")

SKIPPED = object()  # what `run_job` returns when another process holds the job's lock
MAX_SLEEP = 60.0  # the thread looks at the clock at least this often (a wall clock may jump)


@dataclass(frozen=True)
class Job:
    """A task run every `every`, or once a day at `daily_at` (local time, Asia/Shanghai)."""

    name: str
    task: str  # the Celery task's name, which is also its dotted path
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name}: give either every or daily_at")
        if self.every is not None and self.every.total_seconds() < 1:
            raise ValueError(f"job {self.name}: every must be at least a second")

    def first_due(self, now: dt.datetime) -> dt.datetime:
        """An interval job is due at once (what was missed while nothing ran is caught up); a daily one at its hour."""
        return now if self.every is not None else self._next_daily(now)

    def next_due(self, ran_at: dt.datetime) -> dt.datetime:
        return ran_at + self.every if self.every is not None else self._next_daily(ran_at)

    def _next_daily(self, after: dt.datetime) -> dt.datetime:
        """The first moment strictly after `after` when the local clock shows `daily_at`."""
        assert self.daily_at is not None
        local = timezone.localtime(after)
        day = local.date()
        while True:
            at = timezone.make_aware(dt.datetime.combine(day, self.daily_at), local.tzinfo)
            if at > after:
                return at
            day += dt.timedelta(days=1)


@contextmanager
def job_lock(name: str) -> Any:
    """Yield True when this process may run job `name` now: on PostgreSQL, when no other session holds its
    advisory lock (held until the run ends); elsewhere always (SQLite runs one writer at a time)."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_id("shanlian.job", name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def run_job(job: Job) -> Any:
    """Run one job's task in this thread (the Celery task's body, no broker); SKIPPED when another process is
    running it. Errors propagate; the scheduler logs them and carries on."""
    own = not connection.in_atomic_block  # (a test's transaction is left alone)
    if own:
        close_old_connections()
    try:
        with job_lock(job.name) as got:
            if not got:
                return SKIPPED
            return import_string(job.task)()
    finally:
        if own:
            connection.close()  # the thread's own connection is not kept open between runs


class Scheduler:
    """Runs each job when it is due; `tick` does one round (tests call it with their own clock)."""

    def __init__(self, jobs: Sequence[Job], *, clock: Callable[[], dt.datetime] = timezone.now,
                 run: Callable[[Job], Any] = run_job) -> None:
        self.jobs = list(jobs)
        self.clock, self.run = clock, run
        self.due: dict[str, dt.datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: dt.datetime | None = None) -> list[str]:
        """Run every job due at `now` (once each, in the table's order); returns the names run."""
        now = now or self.clock()
        ran = []
        for job in self.jobs:
            due = self.due.setdefault(job.name, job.first_due(now))
            if due > now:
                continue
            self.due[job.name] = job.next_due(now)
            ran.append(job.name)
            try:
                result = self.run(job)
            except Exception:  # a failing job is logged and tried again at its next time; the others still run
                log.exception("job %s failed", job.name)
                continue
            if result is SKIPPED:
                log.debug("job %s: running in another process", job.name)
            elif result:
                log.info("job %s: %s", job.name, result)
        return ran

    def seconds_to_next(self, now: dt.datetime | None = None) -> float:
        now = now or self.clock()
        if not self.due:
            return 0.0
        wait = (min(self.due.values()) - now).total_seconds()
        return min(max(wait, 0.0), MAX_SLEEP)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.seconds_to_next())

    def start(self) -> threading.Thread:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="shanlian-jobs", daemon=True)
            self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


_running: Scheduler | None = None
_running_lock = threading.Lock()


def broker_configured() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", ""))


def start_in_process(jobs: Iterable[Job]) -> Scheduler | None:
    """Start this process's scheduler thread (once) for `jobs` (the project's `shanlian.schedule.SCHEDULE`); None when
    a broker is configured (Celery beat runs the jobs)."""
    global _running
    if broker_configured():
        return None
    with _running_lock:
        if _running is None:
            _running = Scheduler(list(jobs))
            _running.start()
            log.info("scheduled jobs run in this process: %s", ", ".join(job.name for job in _running.jobs))
        return _running


def start_configured(jobs: Iterable[Job]) -> Scheduler | None:
    """For app servers (wsgi.py, asgi.py): start the thread when SHANLIAN_JOBS_IN_PROCESS is on and there is no broker."""
    if not settings.SHANLIAN.get("JOBS_IN_PROCESS"):
        return None
    if broker_configured():
        log.warning("SHANLIAN_JOBS_IN_PROCESS is ignored: CELERY_BROKER_URL is set, so Celery beat runs the jobs")
        return None
    return start_in_process(jobs)
