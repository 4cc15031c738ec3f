"""`shanlian ledger seal|verify|proof ENTRY_ID|expire-holds|export-beancount [FILE]`: the ledger's chores."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from shanlian.core.i18n import both
from shanlian.ledger import sealing


class Command(BaseCommand):
    help = "Seal the ledger, verify the seals, print an inclusion proof, expire holds, export to Beancount."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seal", help="seal every entry posted since the last seal")
        sub.add_parser("verify", help="recompute every seal and the ledger invariants; exit 1 on any problem")
        proof = sub.add_parser("proof", help="print the inclusion proof of one entry as JSON")
        proof.add_argument("entry_id", type=int)
        sub.add_parser("expire-holds", help="void pending holds past their expiry")
        export = sub.add_parser("export-beancount", help="write the ledger as a Beancount file (stdout by default)")
        export.add_argument("file", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            self._seal()
        elif action == "verify":
            self._verify()
        elif action == "proof":
            self._proof(options["entry_id"])
        elif action == "expire-holds":
            self._expire_holds()
        elif action == "export-beancount":
            self._export(options["file"])

    def _seal(self) -> None:
        seal = sealing.seal_create()
        if seal is None:
            self.stdout.write(both(_("No new entries to seal.")))
            return
        self.stdout.write(
            both(_("Seal %(seq)s: entries %(first)s–%(last)s (%(count)s), hash %(hash)s"),
                 {"seq": seal.seq, "first": seal.first_entry_id, "last": seal.last_entry_id,
                    "count": seal.entry_count, "hash": seal.seal_hash})
        )

    def _verify(self) -> None:
        report = sealing.verify_report()
        for problem in report.problems:
            self.stderr.write(both(sealing.PROBLEM_TEXT[problem.kind], {"ref": problem.ref})
                              + (f" ({problem.detail})" if problem.detail else ""))
        if report.problems:
            self.stderr.write(both(_("%(n)s problems found."), {"n": len(report.problems)}))
            sys.exit(1)
        self.stdout.write(both(_("OK: %(seals)s seals, %(entries)s entries verified"), {"seals": report.seals, "entries": report.entries}))

    def _proof(self, entry_id: int) -> None:
        try:
            proof = sealing.inclusion_proof(entry_id)
        except LookupError:
            raise CommandError(both(_("Entry %(id)s is not sealed yet."), {"id": entry_id})) from None
        self.stdout.write(json.dumps(proof, ensure_ascii=False, indent=2))

    def _expire_holds(self) -> None:
        from shanlian.ledger.services import holds_void_expired

        count = holds_void_expired()
        self.stdout.write(both(_("%(n)s expired holds voided."), {"n": count}))

    def _export(self, path: str) -> None:
        from shanlian.ledger.beancount import export_ledger

        if path:
            with open(path, "w", encoding="utf-8") as stream:
                export_ledger(stream)
            self.stdout.write(both(_("Ledger written to %(path)s."), {"path": path}))
        else:
            export_ledger(getattr(self.stdout, "_out", sys.stdout))
