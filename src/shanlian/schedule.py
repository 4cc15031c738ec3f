"""The periodic jobs: one table for both runners.

With CELERY_BROKER_URL set, Celery beat sends them to the workers (`shanlian.celery` builds its
beat_schedule from this table). Without a broker, the in-process scheduler (`shanlian.core.scheduler`)
runs the same tasks at the same times in a thread of the demo (or of an app server with
SHANLIAN_JOBS_IN_PROCESS=1, or of `shanlian jobs`). Each task is a thin wrapper over a service that is
safe to run twice and in several processes at once.
"""

from __future__ import annotations

import datetime as dt

from shanlian.core.scheduler import Job

SCHEDULE: tuple[Job, ...] = (
    # Seal the ledger every 10 minutes: donors' inclusion proofs become available soon after a gift.
    Job("ledger-seal", "shanlian.ledger.tasks.ledger_seal", every=dt.timedelta(minutes=10)),
    Job("ledger-expire-holds", "shanlian.ledger.tasks.holds_expire", every=dt.timedelta(minutes=5)),
    Job("charity-expire-payments", "shanlian.charity.tasks.intents_expire", every=dt.timedelta(minutes=5)),
    Job("charity-lapse-payouts", "shanlian.charity.tasks.payouts_lapse", every=dt.timedelta(hours=1)),
    # Quarterly and final disclosure reports, made once a day after midnight (Asia/Shanghai).
    Job("charity-reports", "shanlian.charity.tasks.reports_make", daily_at=dt.time(0, 30)),
    # Shift reminders: every hour, for confirmed sign-ups starting within a day (each reminded once).
    Job("timebank-reminders", "shanlian.timebank.tasks.reminders", every=dt.timedelta(hours=1)),
    # The supervision calendar's tasks of the month, quarter and half year, and their reminders; grades about to expire.
    Job("evaluation-supervision", "shanlian.evaluation.tasks.supervision_calendar", daily_at=dt.time(1, 0)),
    Job("evaluation-grade-reminders", "shanlian.evaluation.tasks.grade_reminders", daily_at=dt.time(1, 15)),
    Job("wishes-expire-claims", "shanlian.wishes.tasks.claims_expire", every=dt.timedelta(minutes=30)),
)


def job_named(name: str) -> Job:
    for job in SCHEDULE:
        if job.name == name:
            return job
    raise KeyError(name)
