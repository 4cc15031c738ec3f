"""Background jobs of the ledger: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from . import sealing
from .services import holds_void_expired


@shared_task(name="shanlian.ledger.tasks.ledger_seal")
def ledger_seal() -> int | None:
    seal = sealing.seal_create()
    return seal.seq if seal is not None else None


@shared_task(name="shanlian.ledger.tasks.holds_expire")
def holds_expire() -> int:
    return holds_void_expired()
