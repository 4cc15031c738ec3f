"""`shanlian demo`: migrate, seed the demo city, print how to log in, then serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from .seed_demo import login_lines, report_lines, run_seed

# Listening on every interface: the address to show for this machine itself.
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104


def _ensure_sqlite_folder() -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)


class Command(BaseCommand):
    help = "Run the demo: migrate the database, seed the demo city, print the logins and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--no-serve", action="store_true", help="stop after seeding and printing the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"].strip("[]")
        port: int = options["port"]
        verbosity: int = options["verbosity"]
        _ensure_sqlite_folder()

        self.stdout.write("数据库迁移 Migrating the database …")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0), stdout=self.stdout)
        self.stdout.write("写入演示数据 Seeding the demo city …")
        report = run_seed(self)

        wildcard = host in ANY_ADDRESS
        shown = ANY_ADDRESS.get(host, host)
        url_host = f"[{shown}]" if ":" in shown else shown
        if not wildcard and host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]  # this process only, so the address works
        lines = [*report_lines(report), ""]
        lines.append(self.style.SUCCESS(f"演示地址 Demo address: http://{url_host}:{port}/"))
        if wildcard:
            lines.append(
                "从其他电脑访问时，请把本机地址加入 SHANLIAN_ALLOWED_HOSTS / "
                "to reach it from other machines, add this machine's name or address to SHANLIAN_ALLOWED_HOSTS"
            )
        lines += ["", *login_lines(report)]
        for line in lines:
            self.stdout.write(line)
        if options["no_serve"]:
            return
        self.stdout.write("")
        self.stdout.write("按 Ctrl+C 停止 Press Ctrl+C to stop")
        addrport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        call_command("runserver", addrport, use_reloader=False)
