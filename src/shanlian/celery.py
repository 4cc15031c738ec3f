"""The Celery app: background jobs on workers on any number of machines (Redis broker in production).

With no CELERY_BROKER_URL (the embedded demo) tasks run eagerly in the calling process, and the
periodic chores can be run by hand or by cron with `shanlian ledger ...` / `shanlian charity ...`.
Start workers with `celery -A shanlian worker` and the schedule with `celery -A shanlian beat`.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")

app = Celery("shanlian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Seal the ledger every 10 minutes: donors' inclusion proofs become available soon after a gift.
    "ledger-seal": {"task": "shanlian.ledger.tasks.ledger_seal", "schedule": 600.0},
    "ledger-expire-holds": {"task": "shanlian.ledger.tasks.holds_expire", "schedule": 300.0},
    "charity-expire-payments": {"task": "shanlian.charity.tasks.intents_expire", "schedule": 300.0},
    "charity-lapse-payouts": {"task": "shanlian.charity.tasks.payouts_lapse", "schedule": 3600.0},
    # Quarterly and final disclosure reports, made once a day after midnight (Asia/Shanghai).
    "charity-reports": {"task": "shanlian.charity.tasks.reports_make", "schedule": crontab(hour=0, minute=30)},
    # Shift reminders: every hour, for confirmed sign-ups starting within a day (each reminded once).
    "timebank-reminders": {"task": "shanlian.timebank.tasks.reminders", "schedule": 3600.0},
}
app.conf.timezone = "Asia/Shanghai"
