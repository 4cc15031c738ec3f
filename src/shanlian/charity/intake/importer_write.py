"""Writing a checked import (`importer.ImportPlan`), and `gifts_import`: check, then write.

The checked rows go to the gift writer (`intake.writer.gifts_write`) in ONE transaction: all of them or, should
anything fail (only a change made by someone else after the checks can cause it), none; a rerun of the same
file then writes what is not there yet. The writer posts the entries through the ledger (set-based: COPY on
PostgreSQL for a large file), writes the gifts and their matches, moves each pool, balance and campaign tally once.
Audit: one `charity.import` row, and the ledger's one row for the set.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict

from ..models import Channel
from .importer import ImportPlan, ImportRejected, ImportResult, Progress, _Silent, import_check
from .rows import RowSpec
from .writer import gifts_write


def import_spec(plan: ImportPlan) -> RowSpec:
    return RowSpec(source=plan.source, channel=Channel.IMPORT)


def _audit(plan: ImportPlan, actor: Any, first: int | None, last: int | None) -> None:
    audit_log(actor=actor, action="charity.import", object_type="charity.import", object_id=plan.source, after={
        "file": Path(plan.path).name, "rows": plan.rows, "imported": len(plan.gifts), "already": plan.already,
        "amount": str(plan.amount.amount), "matched": str(plan.matched.amount), "writer": "set",
        "first_entry_id": first, "last_entry_id": last,
    })


def write_plan(plan: ImportPlan, *, actor: Any, progress: Progress) -> tuple[int | None, int | None]:
    """One transaction: the gift writer, and the import's audit row. Returns the first and last entry id."""
    progress.phase("", 1)
    with transaction.atomic():
        rows = [gift.row_for(plan.donor_key(gift)) for gift in plan.gifts]
        try:
            written = gifts_write(rows, spec=import_spec(plan), actor=actor, lap=plan.lap)
        except Conflict as exc:
            if exc.code != "entry_conflict":
                raise
            raise Conflict("import_conflict", _("Another import wrote some of these rows at the same time; run it again.")) from exc
        entries = [entry_id for _donation, entry_id in written]
        first, last = min(entries, default=None), max(entries, default=None)
        _audit(plan, actor, first, last)
        progress.advance(1)
    plan.lap("commit")
    return first, last


# -- the whole import: check, then write ---------------------------------------------------------------------------------------


def gifts_import(
    *,
    path: str | Path,
    source: str = "import",
    dry_run: bool = False,
    actor: Any = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row, then write all new rows (or, with any bad row, raise ImportRejected and write nothing)."""
    started = time.perf_counter()
    plan = import_check(path=path, source=source, progress=progress)
    if not plan.ok:
        raise ImportRejected(plan.errors, plan.rows)
    if dry_run or not plan.gifts:
        return ImportResult(plan=plan, written=0, seconds=time.perf_counter() - started)
    first, last = write_plan(plan, actor=actor, progress=progress or _Silent())
    return ImportResult(plan=plan, written=len(plan.gifts), seconds=time.perf_counter() - started,
                        first_entry_id=first, last_entry_id=last)
