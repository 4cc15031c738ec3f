"""`shanlian check --deploy` fails while a public demo key is in use, and passes once each is the operator's own."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.fixture(autouse=True)
def _as_deployed(monkeypatch):
    """The browser tests allow the ORM in Playwright's event loop (DJANGO_ALLOW_ASYNC_UNSAFE), which the deploy check
    rightly refuses; a deployment has no such variable."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def _deploy_check() -> str:
    out = io.StringIO()
    call_command("check", "--deploy", "--fail-level", "ERROR", stdout=out, stderr=out)
    return out.getvalue()


def test_the_demo_keys_fail_the_deploy_check(settings):
    with pytest.raises(SystemCheckError) as exc:
        _deploy_check()
    text = str(exc.value)
    for check_id in ("shanlian.E001", "shanlian.E002", "shanlian.E003", "shanlian.E004"):
        assert check_id in text
    assert "SHANLIAN_FIELD_HASH_KEY" in text and "FakePay" in text


def test_own_keys_pass_and_fakepay_with_its_own_secret_only_warns(settings):
    settings.SECRET_KEY = "an-operator-secret-" + "x" * 40
    settings.FIELD_ENCRYPTION_KEYS = ["b3BlcmF0b3Itb3duLWZpZWxkLWtleS0wMDAwMDAwMDA="]
    settings.FIELD_HASH_KEY = "an-operator-hash-key"
    settings.SHANLIAN = {**settings.SHANLIAN, "FAKEPAY_SECRET": "an-operator-fakepay-secret"}
    text = _deploy_check()
    assert "shanlian.E00" not in text and "shanlian.W001" in text
    settings.SHANLIAN = {**settings.SHANLIAN, "FAKEPAY_ENABLED": False, "FAKEPAY_SECRET": settings.DEMO_KEYS["FAKEPAY_SECRET"]}
    assert "shanlian.W001" not in _deploy_check()


def test_a_rotated_key_list_still_holding_the_demo_key_fails(settings):
    settings.SECRET_KEY = "an-operator-secret-" + "x" * 40
    settings.FIELD_HASH_KEY = "an-operator-hash-key"
    settings.SHANLIAN = {**settings.SHANLIAN, "FAKEPAY_ENABLED": False}
    settings.FIELD_ENCRYPTION_KEYS = ["b3BlcmF0b3Itb3duLWZpZWxkLWtleS0wMDAwMDAwMDA=", settings.DEMO_KEYS["FIELD_KEY"]]
    with pytest.raises(SystemCheckError) as exc:
        _deploy_check()
    assert "shanlian.E002" in str(exc.value) and "shanlian.E001" not in str(exc.value)
