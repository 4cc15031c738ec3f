"""`shanlian demo`: the address a phone on the same Wi-Fi opens (found without sending anything), the lines it
prints, and what --lan, --port and --no-jobs change (the seed and the server are stood in for)."""

from __future__ import annotations

import socket
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shanlian.web.management.commands import demo


class FakeSocket:
    """Answers `getsockname` with the address the system would send from, per probe."""

    def __init__(self, answers: dict[str, str | OSError]) -> None:
        self.answers, self.peer = answers, ""

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def connect(self, address: tuple[str, int]) -> None:
        answer = self.answers.get(address[0], OSError("unreachable"))
        if isinstance(answer, OSError):
            raise answer
        self.peer = address[0]

    def getsockname(self) -> tuple[str, int]:
        return (str(self.answers[self.peer]), 40000)


def test_lan_address_from_the_first_probe_that_routes():
    assert demo.lan_address(lambda: FakeSocket({"192.0.2.1": "192.168.1.20"})) == "192.168.1.20"
    # Offline intranet: no default route, but a private network answers.
    assert demo.lan_address(lambda: FakeSocket({"10.255.255.254": "10.8.0.7"})) == "10.8.0.7"
    assert demo.lan_address(lambda: FakeSocket({"192.0.2.1": "127.0.0.1", "192.168.255.254": "192.168.3.4"})) == "192.168.3.4"
    assert demo.lan_address(lambda: FakeSocket({})) is None
    assert demo.lan_address(lambda: FakeSocket(dict.fromkeys(demo.PROBES, "127.0.1.1"))) is None


def test_lan_address_sends_nothing_on_this_machine():
    address = demo.lan_address()
    assert address is None or (socket.inet_aton(address) and not address.startswith("127."))


def test_urls_as_a_browser_takes_them():
    assert demo.url_of("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert demo.url_of("0.0.0.0", 8080) == "http://127.0.0.1:8080/"  # noqa: S104
    assert demo.url_of("::", 8000) == "http://[::1]:8000/"
    assert demo.url_of("fe80::1", 8000) == "http://[fe80::1]:8000/"
    assert demo.url_of("192.168.1.20", 8080) == "http://192.168.1.20:8080/"


def test_address_lines():
    lines = demo.address_lines(host="0.0.0.0", port=8080, lan_ip="192.168.1.20", lan=True)  # noqa: S104
    assert "http://127.0.0.1:8080/" in lines[0] and any("http://192.168.1.20:8080/" in line for line in lines[1:])
    assert demo.address_lines(host="127.0.0.1", port=8000, lan_ip=None, lan=False) == ["演示地址 Demo address: http://127.0.0.1:8000/"]
    offline = demo.address_lines(host="0.0.0.0", port=8000, lan_ip=None, lan=True)  # noqa: S104
    assert len(offline) == 2 and "No local network address" in offline[1]
    wildcard = demo.address_lines(host="0.0.0.0", port=8000, lan_ip=None, lan=False)  # noqa: S104
    assert "--lan" in wildcard[1]


@pytest.fixture
def stand_ins(monkeypatch, settings):
    """The seed and the server are stood in for; settings the command changes are restored afterwards."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": ""}
    settings.CELERY_BROKER_URL = ""
    calls: list[tuple] = []
    monkeypatch.setattr(demo, "call_command", lambda *a, **kw: calls.append(a))
    monkeypatch.setattr(demo, "run_seed", lambda cmd: SimpleNamespace())
    monkeypatch.setattr(demo, "report_lines", lambda report: ["seeded"])
    monkeypatch.setattr(demo, "login_lines", lambda report: ["logins"])
    monkeypatch.setattr(demo, "lan_address", lambda: "192.168.1.20")
    monkeypatch.setattr(demo, "start_in_process", lambda jobs: calls.append(("jobs",)))
    return SimpleNamespace(calls=calls, settings=settings)


def test_lan_listens_everywhere_allows_the_lan_address_and_points_qr_codes_there(stand_ins):
    out = StringIO()
    call_command("demo", "--lan", "--port", "8080", stdout=out)
    text = out.getvalue()
    assert "http://192.168.1.20:8080/" in text and "http://127.0.0.1:8080/" in text
    assert "192.168.1.20" in stand_ins.settings.ALLOWED_HOSTS
    assert stand_ins.settings.SHANLIAN["PUBLIC_BASE_URL"] == "http://192.168.1.20:8080"
    assert [c[0] for c in stand_ins.calls] == ["migrate", "jobs", "runserver"]
    assert stand_ins.calls[-1][1] == "0.0.0.0:8080"
    assert "sealed every 10 minutes" in text


def test_an_operators_public_address_is_kept(stand_ins):
    stand_ins.settings.SHANLIAN = {**stand_ins.settings.SHANLIAN, "PUBLIC_BASE_URL": "https://demo.example.cn"}
    call_command("demo", "--lan", "--no-serve", stdout=StringIO())
    assert stand_ins.settings.SHANLIAN["PUBLIC_BASE_URL"] == "https://demo.example.cn"


def test_without_lan_only_this_machine(stand_ins):
    out = StringIO()
    call_command("demo", "--port", "8123", "--no-jobs", stdout=out)
    assert "http://127.0.0.1:8123/" in out.getvalue() and "192.168.1.20" not in out.getvalue()
    assert "192.168.1.20" not in stand_ins.settings.ALLOWED_HOSTS and stand_ins.settings.SHANLIAN["PUBLIC_BASE_URL"] == ""
    assert [c[0] for c in stand_ins.calls] == ["migrate", "runserver"] and stand_ins.calls[-1][1] == "127.0.0.1:8123"
    assert "--no-jobs" in out.getvalue()


def test_with_a_broker_celery_beat_runs_the_jobs(stand_ins):
    stand_ins.settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    out = StringIO()
    call_command("demo", stdout=out)
    assert [c[0] for c in stand_ins.calls] == ["migrate", "runserver"] and "Celery beat" in out.getvalue()


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_refused(stand_ins, port):
    with pytest.raises(CommandError):
        call_command("demo", "--port", port, stdout=StringIO())
    assert stand_ins.calls == []
