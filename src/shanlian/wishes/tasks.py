"""Background jobs of the micro-wishes: thin wrappers over their services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="shanlian.wishes.tasks.claims_expire")
def claims_expire() -> int:
    """Claims not delivered in time end and their wishes reopen; open wishes past their day expire."""
    return services.claims_expire()
