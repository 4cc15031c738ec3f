"""Background jobs of the time bank: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from .services import reminders_send


@shared_task(name="shanlian.timebank.tasks.reminders")
def reminders() -> int:
    """Remind confirmed volunteers of their shifts in the next 24 hours (each sign-up once)."""
    return reminders_send(within_hours=24)
