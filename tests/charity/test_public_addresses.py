"""The receipts' QR codes and verify_url carry the address the page was asked for (a phone on the same network opens
it), or SHANLIAN_PUBLIC_BASE_URL when it is set: the donor's PDF, the finance officer's PDF and the API."""

from __future__ import annotations

import pytest

from shanlian.charity import pdf
from shanlian.charity import services as cs

from .test_give_pages import give, pay

HOST = "192.168.1.20:8080"


@pytest.fixture
def lan(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "192.168.1.20", "testserver"]
    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": ""}
    return settings


@pytest.fixture
def docs(monkeypatch):
    seen: list = []
    monkeypatch.setattr(pdf, "receipt_pdf", lambda doc: seen.append(doc) or b"%PDF-fake")
    return seen


def test_the_donors_receipt_points_to_the_host_and_port_asked(client, books, city, lan, docs):
    intent = pay(client, give(client, books))
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=intent.donation)
    assert client.get(f"/give/gift/{intent.ref}/receipt.pdf", HTTP_HOST=HOST).status_code == 200
    assert docs[-1].verify_url == f"http://{HOST}/public/receipts/{receipt.verification_code}/"
    lan.SHANLIAN = {**lan.SHANLIAN, "PUBLIC_BASE_URL": "https://give.example.cn"}
    assert client.get(f"/give/gift/{intent.ref}/receipt.pdf", HTTP_HOST=HOST).status_code == 200
    assert docs[-1].verify_url == f"https://give.example.cn/public/receipts/{receipt.verification_code}/"


def test_the_finance_officers_receipt_and_the_api(login, books, city, lan, docs):
    d = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="20.00", channel="cash",
                           donor_name="周敏", show_name=True)
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=d)
    finance = login("finance")
    expected = f"http://{HOST}/public/receipts/{receipt.verification_code}/"
    assert finance.get(f"/charity/receipts/{receipt.pk}.pdf", HTTP_HOST=HOST).status_code == 200
    assert docs[-1].verify_url == expected
    assert finance.get(f"/api/charity/receipts/{receipt.pk}/pdf", HTTP_HOST=HOST).status_code == 200
    assert docs[-1].verify_url == expected
    assert finance.get(f"/api/charity/receipts/{receipt.pk}", HTTP_HOST=HOST).json()["verify_url"] == expected
    assert finance.get(f"/api/charity/receipts/{receipt.pk}").json()["verify_url"].startswith("http://testserver/public/")
    lan.SHANLIAN = {**lan.SHANLIAN, "PUBLIC_BASE_URL": "https://give.example.cn/"}
    assert finance.get(f"/api/charity/receipts/{receipt.pk}", HTTP_HOST=HOST).json()["verify_url"] == (
        f"https://give.example.cn/public/receipts/{receipt.verification_code}/")
    # The code on the receipt opens its public page.
    assert finance.get(expected.removeprefix(f"http://{HOST}"), HTTP_HOST=HOST).status_code == 200
