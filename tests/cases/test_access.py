"""Who sees what, for every role: the case team (the station's worker, the agency's manager) sees values, and each such
read is logged; the street, district and city officers see masked values and reveal one with a typed reason, logged,
refusals too; another station's worker, the federation's finance officer, an expert, a volunteer, a donor, a user
without a role and the public see nothing, on the pages and in the API alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanlian.cases import selectors as sel
from shanlian.core.errors import NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog

from .conftest import ADDRESS, HEALTH, MEMBER

TEAM = ("station_worker", "agency_manager")
OFFICERS = ("street_officer", "district_admin", "city_admin")
NOBODY = ("other_worker", "finance", "expert", "volunteer", "donor", "nobody")


@pytest.mark.parametrize("role", TEAM + OFFICERS + NOBODY + ("anonymous",))
def test_the_file_page_by_role(site, db, role):
    url = reverse("cases:beneficiary", args=[site.elder.pk])
    response = site.client(role).get(url)
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
        return
    if role in NOBODY:
        assert response.status_code == 404
        assert HEALTH not in response.content.decode()
        assert AuditLog.objects.filter(action="access.denied", object_type="cases.beneficiary", object_id=str(site.elder.pk),
                                       actor=site.users[role]).exists()
        return
    body = response.content.decode()
    assert response.status_code == 200
    assert "陈秀英" in body
    if role in TEAM:
        assert HEALTH in body and ADDRESS in body and MEMBER in body and "¥1,234.56" in body
        assert AuditLog.objects.filter(action="cases.read", object_id=str(site.elder.pk), actor=site.users[role]).exists()
    else:
        assert HEALTH not in body and ADDRESS not in body and MEMBER not in body and "1,234.56" not in body
        assert ADDRESS[:6] in body and "¥***" in body and 'data-testid="reveal-health"' in body


@pytest.mark.parametrize("role", TEAM + OFFICERS + NOBODY + ("anonymous",))
def test_the_api_by_role(site, db, role):
    response = site.client(role).get(f"/api/cases/beneficiaries/{site.elder.pk}")
    listed = site.client(role).get("/api/cases/beneficiaries")
    if role == "anonymous":
        assert response.status_code == 401 and listed.status_code == 401
        return
    if role in NOBODY:
        assert response.status_code == 404
        assert listed.status_code == 403 or site.elder.pk not in [r["id"] for r in listed.json()["results"]]
        return
    data = response.json()
    values = {f["name"]: f["value"] for f in data["fields"]}
    assert site.elder.pk in [r["id"] for r in listed.json()["results"]]
    if role in TEAM:
        assert data["sight"] == "values" and values["health"] == HEALTH and data["allowances"][0]["monthly_amount"] == "¥1,234.56"
    else:
        assert data["sight"] == "masked" and values["health"] == HEALTH[0] + "*" * (len(HEALTH) - 1)
        assert data["household"][0]["name"] == MEMBER[0] + "***" and data["allowances"][0]["monthly_amount"] == "¥***"


def test_the_list_is_scoped(site, db):
    def ids(role: str) -> set[int]:
        return set(sel.beneficiaries_visible(site.users[role]).values_list("pk", flat=True))
    mine = {site.elder.pk, site.child.pk}
    assert ids("station_worker") == mine and ids("agency_manager") == mine and ids("street_officer") == mine
    assert ids("district_admin") == mine and ids("city_admin") == mine | {site.far.pk}
    assert ids("other_worker") == {site.far.pk}
    for role in ("finance", "expert", "volunteer", "donor", "nobody"):
        with pytest.raises(PermissionDenied):
            sel.beneficiaries_visible(site.users[role])


def test_an_officer_reveals_with_a_reason_and_it_is_logged(site, db):
    officer = site.users["street_officer"]
    with pytest.raises(ValidationFailed) as e:
        sel.beneficiary_reveal(officer, site.elder, field="health", reason="  看 ")
    assert e.value.code == "reason_required"
    assert AuditLog.objects.filter(action="cases.reveal.denied", actor=officer, object_id=str(site.elder.pk)).exists()
    assert sel.beneficiary_reveal(officer, site.elder, field="health", reason="核实低保复审材料") == HEALTH
    row = AuditLog.objects.get(action="cases.reveal", actor=officer)
    assert row.after == {"field": "health", "reason": "核实低保复审材料"}
    assert "¥1,234.56" in sel.beneficiary_reveal(officer, site.elder, field="allowance_amounts", reason="核实补贴金额")


@pytest.mark.parametrize("role", NOBODY)
def test_a_reveal_out_of_scope_is_refused_and_logged(site, db, role):
    with pytest.raises(NotFound):
        sel.beneficiary_reveal(site.users[role], site.elder, field="health", reason="我想看看这个人")
    assert AuditLog.objects.filter(action="cases.reveal.denied", actor=site.users[role], object_id=str(site.elder.pk)).exists()
    response = site.client(role).post(reverse("cases:beneficiary_reveal", args=[site.elder.pk]),
                                      {"field": "health", "reason": "我想看看这个人"})
    assert response.status_code == 404 and HEALTH not in response.content.decode()


def test_every_reveal_is_in_the_audit_log(site, db):
    """Through the selector, the page and the API: as many `cases.reveal` rows as values shown, each with its reason."""
    before = AuditLog.objects.filter(action="cases.reveal").count()
    shown = 0
    sel.beneficiary_reveal(site.users["city_admin"], site.elder, field="address", reason="紧急联络需要")
    shown += 1
    page = site.client("district_admin").post(reverse("cases:beneficiary_reveal", args=[site.elder.pk]),
                                              {"field": "health", "reason": "督办个案需要"})
    assert page.status_code == 200 and HEALTH in page.content.decode()
    shown += 1
    api = site.client("street_officer").post(f"/api/cases/beneficiaries/{site.elder.pk}/reveal",
                                             {"field": "household_names", "reason": "核实家庭成员"}, content_type="application/json")
    assert api.status_code == 200 and MEMBER in api.json()["value"]
    shown += 1
    refused = site.client("street_officer").post(f"/api/cases/beneficiaries/{site.elder.pk}/reveal",
                                                 {"field": "health", "reason": ""}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    rows = list(AuditLog.objects.filter(action="cases.reveal").order_by("id"))[before:]
    assert len(rows) == shown and all(r.after["reason"] for r in rows)
    assert {r.after["field"] for r in rows} == {"address", "health", "household_names"}


@pytest.mark.parametrize("role", OFFICERS + NOBODY)
def test_only_the_team_writes(site, db, role):
    client = site.client(role)
    edit = client.get(reverse("cases:beneficiary_edit", args=[site.elder.pk]))
    api = client.post(f"/api/cases/beneficiaries/{site.elder.pk}/allowances",
                      {"kind": "dibao", "monthly_amount": "10", "starts_on": "2026-01-01"}, content_type="application/json")
    expected = 403 if role in OFFICERS else 404
    assert edit.status_code == expected and api.status_code == expected


def test_the_menu_offers_beneficiaries_to_staff_and_officers_only(site, db):
    from shanlian.cases.access import may_open_cases
    from shanlian.people.selectors import actor_scope

    for role in TEAM + OFFICERS:
        assert may_open_cases(actor_scope(site.users[role]))
    for role in NOBODY:
        assert may_open_cases(actor_scope(site.users[role])) is (role == "other_worker")
