"""Service certificates: approved hours by month and organizer, a PDF for the volunteer, a public check."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.core import crypto
from shanlian.core.errors import PermissionDenied, ValidationFailed
from shanlian.core.money import Hours
from shanlian.timebank import services as ts
from shanlian.timebank.models import ServiceCertificate

from .test_services import _late


def approved(bank, city, hours: str, days_ago: int):
    r = _late(bank, city, hours, day_offset=days_ago)
    return ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))


def test_certificate_counts_only_approved_hours(bank, city):
    approved(bank, city, "3", 2)
    approved(bank, city, "2.5", 3)
    ts.hours_decline(actor=bank.organizer, record=_late(bank, city, "4", day_offset=4), reason="未到岗")
    today = timezone.localdate()
    cert = ts.certificate_issue(actor=bank.vol_user, volunteer=bank.vol, period_start=today - dt.timedelta(days=30), period_end=today)
    assert cert.hours == Hours("5.5") and cert.content["records"] == 2
    assert cert.content["by_organizer"][0][0] == city.stations["北京街"].name
    with pytest.raises(PermissionDenied):
        ts.certificate_issue(actor=bank.mum_user, volunteer=bank.vol, period_start=today, period_end=today)
    with pytest.raises(ValidationFailed) as err:
        ts.certificate_issue(actor=bank.mum_user, volunteer=bank.mum, period_start=today, period_end=today)
    assert err.value.code == "no_hours"
    with pytest.raises(ValidationFailed) as err:
        ts.certificate_issue(actor=bank.vol_user, volunteer=bank.vol, period_start=today, period_end=today - dt.timedelta(days=1))
    assert err.value.code == "invalid_period"


def test_pdf_for_the_volunteer_only_and_public_check_masks_the_name(bank, city, client, tmp_path):
    approved(bank, city, "3", 2)
    client.force_login(bank.vol_user)
    start = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    r = client.post(reverse("timebank:certificate_create"), {"start": start})
    assert r.status_code == 302
    cert = ServiceCertificate.objects.get()
    pdf = client.get(r["Location"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = Path(__file__).resolve().parents[2] / "test-artifacts" / "service-certificate.pdf"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert cert.code in text and bank.vol.number in text and bank.vol_user.person.real_name in text
    # Never the resident ID, whole or its area prefix (the code and the volunteer number are random and may hold "440").
    resident_id = crypto.decrypt(bank.vol_user.person.resident_id_enc)
    rest = text.replace(cert.code, "").replace(bank.vol.number, "")
    assert resident_id not in text and resident_id[:6] not in rest
    client.force_login(bank.mum_user)
    assert client.get(reverse("timebank:certificate_pdf", args=[cert.code])).status_code == 404
    client.logout()
    page = client.get(reverse("timebank:certificate_verify", args=[cert.code.lower()]))
    assert page.status_code == 200
    body = page.content.decode()
    assert cert.code in body and bank.vol.number in body and bank.vol_user.person.real_name not in body
    assert client.get(reverse("timebank:certificate_verify", args=["NOPE00000000"])).status_code == 404
    assert client.post(reverse("timebank:certificate_create"), {"start": start}).status_code == 302  # to the login page
