"""`shanlian demo`: migrate, seed the demo city, print how to log in, then serve, with the periodic jobs running.

`--lan` listens on every interface and prints the address a phone on the same Wi-Fi opens; QR codes then point
there too (unless SHANLIAN_PUBLIC_BASE_URL says otherwise).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanlian.charity.selectors.give import seal_interval_minutes
from shanlian.core.scheduler import broker_configured, start_in_process
from shanlian.schedule import SCHEDULE

from .seed_demo import login_lines, report_lines, run_seed

# Listening on every interface: the address to show for this machine itself.
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104
# Addresses a UDP socket is "connected" to, only to learn which local address the system would send from: a UDP
# connect sends nothing. The first needs a default route; the private ones find the LAN of an offline intranet.
PROBES = ("192.0.2.1", "10.255.255.254", "172.31.255.254", "192.168.255.254")


def _ensure_sqlite_folder() -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)


def lan_address(make_socket: Callable[[], socket.socket] | None = None) -> str | None:
    """This machine's address on the local network (IPv4), or None when it has none but loopback."""
    make = make_socket or (lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    for probe in PROBES:
        try:
            with make() as sock:
                sock.connect((probe, 9))
                address = str(sock.getsockname()[0])
        except OSError:
            continue
        if address and not address.startswith("127.") and address != "0.0.0.0":  # noqa: S104
            return address
    return None


def url_of(host: str, port: int) -> str:
    """The http:// address of host:port as a browser takes it (IPv6 in brackets; a wildcard as this machine)."""
    shown = ANY_ADDRESS.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def address_lines(*, host: str, port: int, lan_ip: str | None, lan: bool) -> list[str]:
    """What the demo prints about where it can be opened."""
    lines = [f"演示地址 Demo address: {url_of(host, port)}"]
    if lan and lan_ip:
        lines.append(f"手机（同一 Wi-Fi）Phones on the same Wi-Fi: {url_of(lan_ip, port)}")
        lines.append("二维码指向此地址 QR codes point to this address; open it on this computer too to scan them")
    elif lan:
        lines.append("未找到局域网地址 No local network address found: is this machine on a Wi-Fi or a wired network?")
    elif host in ANY_ADDRESS:
        lines.append(
            "从其他设备访问请用 --lan，或把本机地址加入 SHANLIAN_ALLOWED_HOSTS / "
            "to reach it from other devices, use --lan or add this machine's address to SHANLIAN_ALLOWED_HOSTS"
        )
    return lines


def _allow_host(host: str) -> None:
    """Serve `host` in this process only (the environment's SHANLIAN_ALLOWED_HOSTS is left as it is)."""
    if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]


class Command(BaseCommand):
    help = "Run the demo: migrate the database, seed the demo city, print the logins and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="", help="address to listen on (default 127.0.0.1; 0.0.0.0 with --lan)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--lan", action="store_true",
                            help="listen on the local network too and print the address phones on the same Wi-Fi open")
        parser.add_argument("--no-jobs", action="store_true",
                            help="do not run the periodic jobs (sealing the ledger, expiring payments, ...) in this process")
        parser.add_argument("--no-serve", action="store_true", help="stop after seeding and printing the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        lan: bool = options["lan"]
        host: str = (options["host"] or ("0.0.0.0" if lan else "127.0.0.1")).strip("[]")  # noqa: S104
        port: int = options["port"]
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535")
        verbosity: int = options["verbosity"]
        _ensure_sqlite_folder()

        self.stdout.write("数据库迁移 Migrating the database …")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0), stdout=self.stdout)
        self.stdout.write("写入演示数据 Seeding the demo city …")
        report = run_seed(self)

        lan_ip = lan_address() if lan else None
        if host not in ANY_ADDRESS:
            _allow_host(host)
        if lan_ip:
            _allow_host(lan_ip)
            if not settings.SHANLIAN.get("PUBLIC_BASE_URL"):  # QR codes shown on this computer must open on a phone
                settings.SHANLIAN["PUBLIC_BASE_URL"] = url_of(lan_ip, port).rstrip("/")
        lines = [*report_lines(report), ""]
        first, *rest = address_lines(host=host, port=port, lan_ip=lan_ip, lan=lan)
        lines += [self.style.SUCCESS(first), *rest]
        lines += ["", *login_lines(report)]
        for line in lines:
            self.stdout.write(line)
        if options["no_serve"]:
            return
        self.stdout.write("")
        if options["no_jobs"]:
            self.stdout.write("定时任务未启动 Periodic jobs are off (--no-jobs): run `shanlian jobs` to run them")
        elif broker_configured():
            self.stdout.write("定时任务由 Celery beat 运行 Periodic jobs: Celery beat runs them (CELERY_BROKER_URL is set)")
        else:
            start_in_process(SCHEDULE)
            self.stdout.write(f"定时任务在本进程运行 Periodic jobs run in this process: the ledger is sealed every "
                              f"{seal_interval_minutes()} minutes, unpaid payments and holds expire, payouts lapse, "
                              "volunteers are reminded (`shanlian jobs --list`)")
        self.stdout.write("按 Ctrl+C 停止 Press Ctrl+C to stop")
        addrport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        call_command("runserver", addrport, use_reloader=False)
