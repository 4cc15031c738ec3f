"""Addresses for QR codes and printed links: the request's own scheme, host and port, unless
SHANLIAN_PUBLIC_BASE_URL names the site's public address."""

from __future__ import annotations

import os  # noqa: F401  (read by the skipif below)

import pytest
from django.test import RequestFactory

from shanlian.core.addresses import LOCAL_FALLBACK, public_url


def test_the_request_gives_host_and_port(settings):
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": ""}
    request = RequestFactory().get("/anything/", HTTP_HOST="192.168.1.20:8080")
    assert public_url("/public/receipts/ABC/", request=request) == "http://192.168.1.20:8080/public/receipts/ABC/"
    secure = RequestFactory().get("/", HTTP_HOST="192.168.1.20", secure=True)
    assert public_url("/timebank/scan/?t=a%2Bb", request=secure) == "https://192.168.1.20/timebank/scan/?t=a%2Bb"


def test_the_setting_wins_when_set(settings):
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": "https://give.example.cn/ "}
    request = RequestFactory().get("/", HTTP_HOST="192.168.1.20:8080")
    assert public_url("/public/receipts/ABC/", request=request) == "https://give.example.cn/public/receipts/ABC/"
    assert public_url("/x/") == "https://give.example.cn/x/"


def test_outside_a_request_without_the_setting(settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": ""}
    assert public_url("/x/") == LOCAL_FALLBACK + "/x/"


@pytest.mark.skipif("'SHANLIAN_PUBLIC_BASE_URL' in os.environ")
def test_by_default_the_request_decides():
    from shanlian import settings as project_settings

    assert project_settings.SHANLIAN["PUBLIC_BASE_URL"] == ""
