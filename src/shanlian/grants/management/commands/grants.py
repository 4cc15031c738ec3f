"""`shanlian grants allocate FILE.pb --rule greedy|mes|mes-add1-greedy [--json]`: who a vote funds, from a pabulib file;
`shanlian grants export ROUND_ID [--out FILE.pb]`: a round's closed vote as a pabulib file."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import DomainError
from shanlian.core.i18n import both
from shanlian.grants import pabulib
from shanlian.grants.allocation import RULES, AllocationError, allocate
from shanlian.grants.models import GrantRound, RoundStatus
from shanlian.grants.selectors_pb import round_pb


class Command(BaseCommand):
    help = "Allocate a participatory-budgeting vote read from a pabulib .pb file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("allocate", help="print the funded project ids (one line), or winners and reasons with --json")
        run.add_argument("file")
        run.add_argument("--rule", choices=RULES, default="mes-add1-greedy")
        run.add_argument("--json", action="store_true", help="winners, totals and every project's reason as JSON")
        export = sub.add_parser("export", help="write a round's closed vote as a .pb file (to stdout without --out)")
        export.add_argument("round_id", type=int)
        export.add_argument("--out", help="the file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "allocate":
            self._allocate(options["file"], options["rule"], as_json=options["json"])
        elif options["action"] == "export":
            self._export(options["round_id"], options["out"])

    def _export(self, round_id: int, out: str | None) -> None:
        round = GrantRound.objects.filter(pk=round_id).exclude(status=RoundStatus.DRAFT).first()
        if round is None:
            self._fail(both(_("There is no round %(id)s."), {"id": round_id}))
        try:
            text = round_pb(round)
        except DomainError as exc:
            self._fail(f"{both(exc.message)} ({exc.code})")
        if out is None:
            self.stdout.write(text, ending="")
            return
        try:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            self._fail(both(_("Cannot write %(path)s: %(error)s"), {"path": out, "error": exc.strerror or exc}))

    def _allocate(self, path: str, rule: str, *, as_json: bool) -> None:
        try:
            election = pabulib.read(path)
            result = allocate(election, rule)
        except OSError as exc:
            self._fail(both(_("Cannot read %(path)s: %(error)s"), {"path": path, "error": exc.strerror or exc}))
        except (pabulib.PabulibError, AllocationError) as exc:
            # The error renders itself in the active language, so both() gives Chinese, then English.
            self._fail(f"{path}: {both(exc)} ({exc.code})")
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(" ".join(result.winners))

    def _fail(self, message: str) -> NoReturn:
        """A bad file is the user's to fix: the message and exit code 2, no traceback."""
        self.stderr.write(message)
        sys.exit(2)
