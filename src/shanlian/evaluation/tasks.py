"""Background jobs of the evaluation app: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services.grade_reminders import grade_reminders_send
from .services.supervision import reminders_send, tasks_generate


@shared_task(name="shanlian.evaluation.tasks.supervision_calendar")
def supervision_calendar() -> dict[str, int]:
    """Once a day: make the supervision tasks of today's month, quarter and half year that are not there yet, then
    remind whoever must do a task falling due soon or overdue (each once)."""
    today = timezone.localdate()
    made = tasks_generate(on=today)
    return {**made, "reminders": reminders_send(on=today)}


@shared_task(name="shanlian.evaluation.tasks.grade_reminders")
def grade_reminders() -> int:
    """Once a day: remind organizations' managers of grades about to expire (each threshold once)."""
    return grade_reminders_send(on=timezone.localdate())
