"""Helpers the charity tests share: a gift's stored rows for comparing writers, a rollback signal, a thread race."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connections

from shanlian.charity.models import Donation


def gift_rows(source: str, keys: list[str]) -> list[tuple]:
    """Everything stored for these gifts (the gift, its entry, its postings as a multiset, its match), by key: two
    writers wrote the same rows when these are equal."""
    out = []
    for d in Donation.objects.filter(source=source, external_id__in=keys).select_related("entry", "match").order_by("external_id"):
        match = getattr(d, "match", None)
        out.append((
            d.external_id, d.fund_id, d.project_id, d.campaign_id, d.channel, d.amount, d.donor_name, d.show_name, d.donor_key,
            d.received_at, d.status, d.point_id, d.recorded_by_id, d.donor_user_id, d.message, d.goods_item,
            d.entry.source, d.entry.external_id, d.entry.memo, d.entry.content_hash, d.entry.reverses_id,
            frozenset(Counter((p.account_id, p.unit, p.amount) for p in d.entry.postings.all()).items()),
            (match.pool_id, match.amount, match.day, match.donor_key, match.refunded) if match else None,
        ))
    return out


class Undo(Exception):
    """Raised inside `transaction.atomic()` to roll back what a test wrote there."""


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` in n threads released together; each one's result or exception, in order."""
    results: list[Any] = [None] * n
    gate = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            gate.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 (the test looks at what each thread got)
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
