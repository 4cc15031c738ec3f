"""Background jobs of the charity app: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import payouts_lapse_expired


@shared_task(name="shanlian.charity.tasks.payouts_lapse")
def payouts_lapse() -> int:
    return payouts_lapse_expired()


@shared_task(name="shanlian.charity.tasks.reports_make")
def reports_make() -> int:
    from .reports import reports_generate  # written with the disclosure pages

    return reports_generate(today=timezone.localdate())


@shared_task(name="shanlian.charity.tasks.intents_expire")
def intents_expire() -> int:
    from .services.payments import intents_expire as expire

    return expire()
