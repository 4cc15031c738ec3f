"""`shanlian jobs [--list | --run NAME]`: the periodic jobs of shanlian/schedule.py without a broker.

With no option it runs the schedule in the foreground until Ctrl+C (what `celery -A shanlian beat` and a worker
do with a broker); `--list` prints the table, `--run NAME` runs one job now.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shanlian.core.scheduler import SKIPPED, Job, Scheduler, broker_configured, run_job
from shanlian.schedule import SCHEDULE, job_named


def describe(job: Job) -> str:
    if job.every is not None:
        seconds = int(job.every.total_seconds())
        if seconds % 3600 == 0:
            return f"every {seconds // 3600} h"
        return f"every {seconds // 60} min" if seconds % 60 == 0 else f"every {seconds} s"
    assert job.daily_at is not None
    return f"daily at {job.daily_at:%H:%M}"


class Command(BaseCommand):
    help = "Run the periodic jobs without a broker: in the foreground, or one now (--run), or list them (--list)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--list", action="store_true", help="print the schedule")
        group.add_argument("--run", metavar="NAME", help="run one job now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            now = timezone.now()
            for job in SCHEDULE:
                when = "at start" if job.every is not None else f"next {timezone.localtime(job.first_due(now)):%Y-%m-%d %H:%M}"
                self.stdout.write(f"{job.name:<26} {describe(job):<16} {when:<22} {job.task}")
            return
        if options["run"]:
            try:
                job = job_named(options["run"])
            except KeyError:
                raise CommandError(f"no job named {options['run']!r}; see `shanlian jobs --list`") from None
            result = run_job(job)
            self.stdout.write(f"{job.name}: {'running in another process' if result is SKIPPED else result}")
            return
        if broker_configured():
            self.stderr.write("CELERY_BROKER_URL is set: Celery beat runs these jobs; running them here as well.")
        scheduler = Scheduler(SCHEDULE)
        self.stdout.write("定时任务 Running the scheduled jobs; press Ctrl+C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            scheduler.run_forever()
