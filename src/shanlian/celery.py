"""The Celery app: background jobs on workers on any number of machines (Redis broker in production).

With no CELERY_BROKER_URL (the embedded demo) tasks run eagerly in the calling process, and the
periodic chores run on the same schedule in a thread of the demo (`shanlian.core.scheduler`), or by hand
with `shanlian ledger ...` / `shanlian charity ...` / `shanlian jobs`. With a broker, start workers with
`celery -A shanlian worker` and the schedule with `celery -A shanlian beat`. The schedule is one table,
`shanlian.schedule.SCHEDULE`, for both.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab

from .schedule import SCHEDULE, Job

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")

app = Celery("shanlian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _beat_entry(job: Job) -> dict[str, Any]:
    if job.every is not None:
        return {"task": job.task, "schedule": job.every.total_seconds()}
    assert job.daily_at is not None
    return {"task": job.task, "schedule": crontab(hour=job.daily_at.hour, minute=job.daily_at.minute)}


app.conf.beat_schedule = {job.name: _beat_entry(job) for job in SCHEDULE}
app.conf.timezone = "Asia/Shanghai"
