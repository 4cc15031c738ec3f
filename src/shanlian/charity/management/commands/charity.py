"""`shanlian charity import FILE | lapse-payouts | reports | expire-payments`: the charity app's chores.

Each subcommand is one entry in `SUBCOMMANDS` (its help, its arguments, its handler); add a chore by
adding an entry.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import DomainError
from shanlian.core.i18n import both


@dataclass(frozen=True)
class Subcommand:
    help: str
    run: Callable[[Command, dict[str, Any]], None]
    arguments: Callable[[ArgumentParser], None] = lambda parser: None
    description: str = ""


class RichProgress:
    """The importer's progress, as a rich progress bar on stderr (one task per phase)."""

    def __init__(self, stream: Any) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        console = Console(file=stream, stderr=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TimeRemainingColumn(), console=console, transient=False, disable=not console.is_terminal)
        self.task: Any = None

    def __enter__(self) -> RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._finish()
        self.bar.stop()

    def _finish(self) -> None:
        if self.task is not None:
            total = self.bar.tasks[-1].total
            if total is not None:
                self.bar.update(self.task, completed=total)

    def phase(self, label: str, total: int | None) -> None:
        self._finish()
        self.task = self.bar.add_task(both(label), total=total)

    def advance(self, n: int) -> None:
        if self.task is not None and n:
            self.bar.advance(self.task, n)


def _bilingual(error: Any) -> str:
    zh, en = error.text("zh-hans"), error.text("en")
    return zh if zh == en else f"{zh} / {en}"


def _import_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("file", help="CSV (UTF-8 or GB18030) or XLSX export")
    parser.add_argument("--source", default="import",
                        help="name of the exporting platform; (source, external id) makes the import idempotent")
    parser.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    parser.add_argument("--max-errors", type=int, default=200, help="how many refused rows to list (all are counted)")


def _import_rules() -> str:
    from shanlian.charity.intake import importer

    return (importer.__doc__ or "").split("\n\nWriting:")[0]  # the rules, without the note for developers


def _import(command: Command, options: dict[str, Any]) -> None:
    from shanlian.charity.intake.importer import ImportRejected
    from shanlian.charity.intake.importer_write import gifts_import
    from shanlian.core.context import RequestMeta, current

    errors = command.stderr
    request = current.set(RequestMeta(via="command", path="charity import"))  # what each gift's audit row names
    try:
        with RichProgress(getattr(errors, "_out", sys.stderr)) as progress:
            result = gifts_import(path=options["file"], source=options["source"], dry_run=options["dry_run"],
                                  progress=progress)
    except ImportRejected as rejected:
        limit = options["max_errors"]
        for error in rejected.errors[:limit]:
            errors.write(_bilingual(error))
        if len(rejected.errors) > limit:
            errors.write(both(_("… and %(n)s more."), {"n": len(rejected.errors) - limit}))
        raise CommandError(both(rejected.message), returncode=1) from None
    except DomainError as exc:
        raise CommandError(f"{both(exc.message)} ({exc.code})", returncode=1) from None
    finally:
        current.reset(request)
    plan = result.plan
    params = {"rows": f"{plan.rows:,}", "new": f"{len(plan.gifts):,}", "already": f"{plan.already:,}", "amount": str(plan.amount),
              "matched": str(plan.matched), "seconds": f"{result.seconds:.1f}"}
    if options["dry_run"]:
        command.stdout.write(both(_("Checked %(rows)s rows: all good; %(new)s would be imported (%(amount)s, matched "
                                    "%(matched)s), %(already)s already there. Nothing was written (dry run)."), params))
        return
    command.stdout.write(both(_("Imported %(new)s of %(rows)s rows (%(amount)s, matched %(matched)s); %(already)s "
                                "were already there. %(seconds)s s."), params))
    if options["verbosity"] >= 2:  # machine-readable step times (bench/bulk_import.py reads them)
        for step, seconds in plan.timings.items():
            command.stdout.write(f"timing\t{step}\t{seconds:.3f}")


def _lapse_payouts(command: Command, options: dict[str, Any]) -> None:
    from shanlian.charity.services import payouts_lapse_expired

    count = payouts_lapse_expired()
    command.stdout.write(both(_("%(n)s approved payouts lapsed and their money was released."), {"n": count}))


def _reports_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--today", default="", help="make the reports due on this day (YYYY-MM-DD; default today)")


def _reports(command: Command, options: dict[str, Any]) -> None:
    import datetime as dt

    from django.core.management.base import CommandError
    from django.utils import timezone

    from shanlian.charity.reports import reports_generate

    try:
        today = dt.date.fromisoformat(options["today"]) if options["today"] else timezone.localdate()
    except ValueError:
        raise CommandError(both(_("Enter a date as YYYY-MM-DD."))) from None
    count = reports_generate(today=today)
    command.stdout.write(both(_("%(n)s disclosure reports made."), {"n": count}))


def _expire_payments(command: Command, options: dict[str, Any]) -> None:
    from shanlian.charity.services.payments import intents_expire

    command.stdout.write(both(_("%(n)s unpaid online payments expired."), {"n": intents_expire()}))


SUBCOMMANDS: dict[str, Subcommand] = {
    "import": Subcommand(help="check and import a Giving-Day export (CSV or XLSX); nothing is written if a row is bad",
                         run=_import, arguments=_import_arguments, description=_import_rules()),
    "lapse-payouts": Subcommand(help="lapse approved payouts whose holds expired and release their money", run=_lapse_payouts),
    "reports": Subcommand(help="make the quarterly and final disclosure reports that are due", run=_reports,
                          arguments=_reports_arguments),
    "expire-payments": Subcommand(help="mark online payments still unpaid after their time limit as failed", run=_expire_payments),
}


class Command(BaseCommand):
    help = "Charity chores: import a Giving-Day export, lapse expired payouts, make disclosure reports, expire payments."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, spec in SUBCOMMANDS.items():
            spec.arguments(sub.add_parser(name, help=spec.help, description=spec.description or spec.help,
                                          formatter_class=RawDescriptionHelpFormatter))

    def handle(self, *args: Any, **options: Any) -> None:
        SUBCOMMANDS[options["action"]].run(self, options)
