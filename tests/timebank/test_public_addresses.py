"""The check-in QR code and the certificate's QR code carry the address the page was asked for (the volunteer's
phone on the same network opens it), or SHANLIAN_PUBLIC_BASE_URL when it is set."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.timebank import documents, views_manage
from shanlian.timebank import services as ts
from shanlian.timebank.models import ServiceCertificate

from .test_certificates import approved

HOST = "192.168.1.20:8080"


@pytest.fixture
def lan(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "192.168.1.20", "testserver"]
    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": ""}
    return settings


def test_check_in_qr_points_to_the_host_and_port_asked(login, bank, lan, monkeypatch):
    coded: list[str] = []
    monkeypatch.setattr(views_manage, "qr_svg", lambda text: coded.append(text) or "<svg></svg>")
    client = login("station_worker")
    assert client.get(reverse("timebank:manage_shift_qr_live", args=[bank.now_shift.pk]), HTTP_HOST=HOST).status_code == 200
    url = urlsplit(coded[-1])
    assert (url.scheme, url.netloc, url.path) == ("http", HOST, reverse("timebank:scan"))
    assert ts.qr_check(parse_qs(url.query)["t"][0]).pk == bank.now_shift.pk
    lan.SHANLIAN = {**lan.SHANLIAN, "PUBLIC_BASE_URL": "https://tb.example.cn"}
    assert client.get(reverse("timebank:manage_shift_qr", args=[bank.now_shift.pk]), HTTP_HOST=HOST).status_code == 200
    assert coded[-1].startswith("https://tb.example.cn/timebank/scan/?t=")


def test_certificate_qr_points_to_the_host_and_port_asked(client, bank, city, lan, monkeypatch):
    coded: list[str] = []
    monkeypatch.setattr(documents, "qr_svg", lambda text: coded.append(text) or "<svg></svg>")
    monkeypatch.setattr(documents, "pdf_from_html", lambda html, **kw: b"%PDF-fake")
    approved(bank, city, "3", 2)
    client.force_login(bank.vol_user)
    start = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    r = client.post(reverse("timebank:certificate_create"), {"start": start}, HTTP_HOST=HOST)
    assert r.status_code == 302
    assert client.get(r["Location"], HTTP_HOST=HOST).status_code == 200
    code = ServiceCertificate.objects.get().code
    assert coded[-1] == f"http://{HOST}" + reverse("timebank:certificate_verify", args=[code])
