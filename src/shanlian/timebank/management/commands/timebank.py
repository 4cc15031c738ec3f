"""`shanlian timebank reminders`: the time bank's chore (Celery beat runs it every hour as well)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanlian.timebank.services import reminders_send


class Command(BaseCommand):
    help = "时间银行日常任务 / time-bank chores: reminders"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("chore", choices=["reminders"],
                            help="reminders: 提醒 24 小时内开始的班次 / remind shifts starting within a day")
        parser.add_argument("--within-hours", type=int, default=24)

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["within_hours"]
        if not 1 <= hours <= 168:
            raise CommandError("within-hours 须在 1–168 之间 / must be between 1 and 168 (invalid_hours)")
        sent = reminders_send(within_hours=hours)
        self.stdout.write(f"已提醒 {sent} 个报名 / reminded {sent} sign-ups")
