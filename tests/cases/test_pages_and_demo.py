"""The pages a social worker uses on a phone (register, record consent, withdraw it, answer an access request), the
API's refusals with their codes, and the demo module run twice over the test city (the second run writes nothing)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from shanlian.cases.models import Beneficiary, Consent, DataRequest
from shanlian.demo.cases import seed_cases
from tests import factories as f


def test_a_worker_registers_a_child_only_with_a_guardian(site, db):
    kid = f.person("陈小乐", site.city.communities["盐运西"], resident_id=f.make_resident_id("440104", dt.date(2017, 6, 1)))
    client = site.client("station_worker")
    url = reverse("cases:beneficiary_new")
    assert client.get(url).status_code == 200
    form = {"person": kid.pk, "station": site.city.stations["北京街"].pk, "categories": [site.cats["child_in_difficulty"].pk],
            "living_situation": "relatives", "child_situation": "母亲独自抚养"}
    refused = client.post(url, form)
    assert refused.status_code == 400 and 'data-error-code="guardian_required"' in refused.content.decode()
    assert not Beneficiary.objects.filter(person=kid).exists()
    done = client.post(url, {**form, "guardian": site.city.people["李伟"].pk, "guardian_relation": "relative"})
    made = Beneficiary.objects.get(person=kid)
    assert done.status_code == 302 and done["Location"] == reverse("cases:beneficiary", args=[made.pk])


def test_consent_recorded_and_withdrawn_on_the_pages(site, db):
    client = site.client("station_worker")
    url = reverse("cases:consent_new", args=[site.elder.pk])
    response = client.post(url, {"purpose": "assistance", "recipients": ["civil_affairs"], "given_on": "2026-11-01",
                                 "given_by": "self"})
    assert response.status_code == 302
    consent = Consent.objects.filter(beneficiary=site.elder, purpose="assistance").get()
    page = client.get(reverse("cases:consent_withdraw", args=[consent.pk]))
    assert page.status_code == 200 and consent.text.wording[:10] in page.content.decode()
    done = client.post(reverse("cases:consent_withdraw", args=[consent.pk]),
                       {"withdrawn_on": timezone.localdate().isoformat(), "withdrawn_by": "self"})
    assert done.status_code == 302 and Consent.objects.get(pk=consent.pk).withdrawn_on == timezone.localdate()
    check = client.post(f"/api/cases/beneficiaries/{site.elder.pk}/consent-check",
                        {"purpose": "assistance", "recipient": "civil_affairs"}, content_type="application/json")
    assert check.status_code == 403 and check.json()["code"] == "consent_withdrawn"


def test_an_access_request_answered_on_the_page(site, db):
    client = site.client("agency_manager")
    response = client.post(reverse("cases:request_new", args=[site.elder.pk]),
                           {"kind": "access", "received_on": timezone.localdate().isoformat(), "requested_by": "self"})
    assert response.status_code == 302
    req = DataRequest.objects.get(beneficiary=site.elder)
    answered = client.post(reverse("cases:data_request", args=[req.pk]), {"note": "已交付"})
    assert answered.status_code == 302
    page = client.get(reverse("cases:data_request", args=[req.pk])).content.decode()
    assert 'data-testid="answer"' in page and "二型糖尿病" in page
    officer = site.client("street_officer").get(reverse("cases:data_request", args=[req.pk])).content.decode()
    assert "二型糖尿病" not in officer


def test_a_stale_api_write_is_refused_with_409(site, db):
    client = site.client("station_worker")
    read = client.get(f"/api/cases/beneficiaries/{site.elder.pk}").json()
    first = client.post(f"/api/cases/beneficiaries/{site.elder.pk}/correct", {"version": read["version"], "health": "已好转"},
                        content_type="application/json")
    second = client.post(f"/api/cases/beneficiaries/{site.elder.pk}/correct", {"version": read["version"], "health": "恶化"},
                         content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == read["version"] + 1
    assert second.status_code == 409 and second.json()["code"] == "stale_version"


def test_seed_cases_twice(site, db):
    first = seed_cases()
    assert first["beneficiaries"] >= 8 and first["consents"] > first["beneficiaries"] and first["data_requests"] == 2
    categories = set(Beneficiary.objects.values_list("categories__code", flat=True))
    assert {"elderly_alone", "tekun", "orphan", "disability", "dibao"} <= categories
    counts = (Beneficiary.objects.count(), Consent.objects.count(), DataRequest.objects.count())
    second = seed_cases()
    assert not second.get("beneficiaries") and (Beneficiary.objects.count(), Consent.objects.count(),
                                                 DataRequest.objects.count()) == counts
