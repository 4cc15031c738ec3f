"""The charity API: donation intake (Idempotency-Key), payouts, statements, receipts."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["charity"])
