"""The rules of beneficiaries, one test each: registration (guardians for under-14s, the station's street, once per
person), corrections under a version check, guardians, allowances, consent and `consent_require`, exports and
data-subject requests; each refusal with its code and nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from shanlian.cases import selectors as sel
from shanlian.cases import services as cs
from shanlian.cases.models import Beneficiary, Consent, ConsentText, DataRequest, Guardian
from shanlian.core import crypto
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from tests import factories as f

from .conftest import AMOUNT, HEALTH


def _codes(exc) -> set[str]:
    return {exc.value.code} | {code for errs in exc.value.fields.values() for code, _m in errs}


def test_registration_encrypts_and_audits_without_values(site, db):
    b = Beneficiary.objects.get(pk=site.elder.pk)
    assert b.health_enc and HEALTH not in b.health_enc and sel.decrypted(b, "health") == HEALTH
    assert sel.birth_date(b) == dt.date(1952, 3, 15)  # from the resident ID
    assert sorted(b.categories.values_list("code", flat=True)) == ["dibao", "elderly_alone"]
    row = AuditLog.objects.get(action="cases.beneficiary_register", object_id=str(b.pk))
    assert "health" in row.after["sensitive"] and HEALTH not in str(row.after)


def test_a_child_under_14_needs_a_guardian(site, db):
    kid = f.person("周小安", site.city.communities["盐运西"], resident_id=f.make_resident_id("440104", dt.date(2015, 2, 2)))
    with pytest.raises(ValidationFailed) as e:
        cs.beneficiary_register(actor=site.users["station_worker"], person=kid, station=site.city.stations["北京街"],
                                categories=[site.cats["orphan"]], living_situation="relatives")
    assert "guardian_required" in _codes(e)
    assert not Beneficiary.objects.filter(person=kid).exists()


def test_the_last_guardian_of_a_child_cannot_end(site, db):
    with pytest.raises(ValidationFailed) as e:
        cs.guardian_end(actor=site.users["station_worker"], guardian=site.guardian)
    assert e.value.code == "guardian_required"
    aunt = f.person("林美华", site.city.communities["都府"])
    cs.guardian_add(actor=site.users["agency_manager"], beneficiary=site.child, person=aunt, relation="relative")
    ended = cs.guardian_end(actor=site.users["station_worker"], guardian=site.guardian)
    assert ended.ended_on == timezone.localdate()


def test_a_birth_date_is_required_without_an_id_and_must_match_one(site, db):
    worker, bjj = site.users["station_worker"], site.city.stations["北京街"]
    with pytest.raises(ValidationFailed) as e:
        cs.beneficiary_register(actor=worker, person=site.city.people["李伟"], station=bjj, categories=[site.cats["disability"]],
                                living_situation="family", birth_date=dt.date(1990, 1, 1))
    assert "birth_date_mismatch" in _codes(e)
    nobody_id = f.person("无证人", site.city.communities["都府"], resident_id="")
    with pytest.raises(ValidationFailed) as e:
        cs.beneficiary_register(actor=worker, person=nobody_id, station=bjj, categories=[site.cats["disability"]],
                                living_situation="family")
    assert "birth_date_required" in _codes(e)


def test_registration_checks_station_street_staff_and_once(site, db):
    worker = site.users["station_worker"]
    with pytest.raises(ValidationFailed) as e:  # 王芳 lives in 人民街, not 北京街
        cs.beneficiary_register(actor=worker, person=site.city.people["王芳"], station=site.city.stations["北京街"],
                                categories=[site.cats["dibao"]], living_situation="family")
    assert "person_outside_station" in _codes(e)
    with pytest.raises(PermissionDenied) as e:
        cs.beneficiary_register(actor=site.users["street_officer"], person=site.city.people["李伟"],
                                station=site.city.stations["北京街"], categories=[site.cats["dibao"]], living_situation="family")
    assert e.value.code == "not_station_staff"
    with pytest.raises(Conflict) as e:
        cs.beneficiary_register(actor=worker, person=site.city.people["陈秀英"], station=site.city.stations["北京街"],
                                categories=[site.cats["dibao"]], living_situation="alone")
    assert e.value.code == "already_beneficiary"
    with pytest.raises(ValidationFailed) as e:
        cs.beneficiary_register(actor=worker, person=site.city.people["李伟"], station=site.city.stations["北京街"],
                                categories=[], living_situation="castle", address="x" * 201)
    assert {"categories_required", "invalid_choice", "too_long"} <= _codes(e)


def test_a_stale_write_is_refused(site, db):
    b = Beneficiary.objects.get(pk=site.elder.pk)
    v = b.version
    updated = cs.beneficiary_update(actor=site.users["station_worker"], beneficiary=b, version=v, health="高血压，已控制")
    assert updated.version == v + 1
    with pytest.raises(Conflict) as e:  # a second writer who read the same version
        cs.beneficiary_update(actor=site.users["agency_manager"], beneficiary=b, version=v, living_situation="family")
    assert e.value.code == "stale_version"
    assert Beneficiary.objects.get(pk=b.pk).living_situation == "alone"
    row = AuditLog.objects.filter(action="cases.beneficiary_update", object_id=str(b.pk)).latest("id")
    assert row.after["sensitive_changed"] == ["health"] and "高血压" not in str(row.after)


def test_officers_do_not_write(site, db):
    with pytest.raises(PermissionDenied) as e:
        cs.beneficiary_update(actor=site.users["street_officer"], beneficiary=site.elder, version=site.elder.version, health="x")
    assert e.value.code == "not_case_team"
    with pytest.raises(NotFound):
        cs.allowance_add(actor=site.users["other_worker"], beneficiary=site.elder, kind="dibao", monthly_amount="10",
                         starts_on=dt.date(2025, 1, 1))


def test_allowance_amounts_are_bounded_and_encrypted(site, db):
    worker = site.users["station_worker"]
    assert crypto.decrypt(site.allowance.monthly_amount_enc) == AMOUNT and AMOUNT not in site.allowance.monthly_amount_enc
    for amount, code in (("12.345", "too_many_decimals"), ("100000.01", "too_large"), ("0", "too_small"), ("1,0,0", "invalid_number")):
        with pytest.raises(ValidationFailed) as e:
            cs.allowance_add(actor=worker, beneficiary=site.elder, kind="dibao", monthly_amount=amount, starts_on=dt.date(2025, 1, 1))
        assert e.value.code == code or code in _codes(e), (amount, _codes(e))
    with pytest.raises(ValidationFailed) as e:
        cs.allowance_add(actor=worker, beneficiary=site.elder, kind="dibao", monthly_amount="10", starts_on=dt.date(2025, 2, 1),
                         ends_on=dt.date(2025, 1, 1))
    assert "dates_reversed" in _codes(e)


def test_consent_for_a_child_is_given_by_a_current_guardian(site, db):
    worker = site.users["station_worker"]
    with pytest.raises(ValidationFailed) as e:
        cs.consent_record(actor=worker, beneficiary=site.child, purpose="safeguarding", recipients=["station"],
                          given_on=dt.date(2026, 2, 1))
    assert "guardian_consent_required" in _codes(e)
    with pytest.raises(ValidationFailed) as e:
        cs.consent_record(actor=worker, beneficiary=site.child, purpose="safeguarding", recipients=["station"],
                          given_on=dt.date(2026, 2, 1), given_by="guardian", guardian=None)
    assert "not_guardian" in _codes(e)
    made = cs.consent_record(actor=worker, beneficiary=site.child, purpose="safeguarding", recipients=["station"],
                             given_on=dt.date(2026, 2, 1), given_by="guardian", guardian=site.guardian)
    assert made.guardian == site.guardian and made.text.version == 1


def test_consent_bounds(site, db):
    worker = site.users["station_worker"]
    with pytest.raises(ValidationFailed) as e:
        cs.consent_record(actor=worker, beneficiary=site.elder, purpose="referral", recipients=[], given_on=dt.date(2026, 1, 1),
                          expires_on=dt.date(2031, 1, 1))
    assert {"recipients_required", "expiry_too_far"} <= _codes(e)
    with pytest.raises(ValidationFailed) as e:
        cs.consent_record(actor=worker, beneficiary=site.elder, purpose="referral", recipients=["organization"],
                          given_on=timezone.localdate() + dt.timedelta(days=1))
    assert {"organizations_required", "date_in_future"} <= _codes(e)


def test_consent_require_missing_expired_withdrawn_and_valid(site, db):
    worker, elder = site.users["station_worker"], site.elder
    assert cs.consent_require(elder, "service", "station") == site.consent
    with pytest.raises(PermissionDenied) as e:
        cs.consent_require(elder, "referral", "health")
    assert e.value.code == "consent_missing"
    with pytest.raises(PermissionDenied) as e:  # consented for the station, not for the bureau
        cs.consent_require(elder, "service", "civil_affairs")
    assert e.value.code == "consent_missing"
    with pytest.raises(PermissionDenied) as e:
        cs.consent_require(elder, "service", "station", on=site.consent.expires_on)
    assert e.value.code == "consent_expired"
    cs.consent_withdraw(actor=worker, consent=site.consent, withdrawn_on=timezone.localdate())
    with pytest.raises(PermissionDenied) as e:
        cs.consent_require(elder, "service", "station")
    assert e.value.code == "consent_withdrawn"
    assert cs.consent_require(elder, "service", "subject") is None  # the person's own access needs no consent


def test_consent_to_a_named_organization(site, db):
    org, other = site.city.orgs["基金会"], site.city.orgs["同心"]
    cs.consent_record(actor=site.users["station_worker"], beneficiary=site.elder, purpose="referral",
                      recipients=["organization"], organizations=[org], given_on=dt.date(2026, 3, 1))
    assert cs.consent_require(site.elder, "referral", org).purpose == "referral"
    with pytest.raises(PermissionDenied) as e:
        cs.consent_require(site.elder, "referral", other)
    assert e.value.code == "consent_missing"


def test_a_new_wording_is_a_new_version_and_old_consents_keep_theirs(site, db):
    with pytest.raises(PermissionDenied):
        cs.consent_text_publish(actor=site.users["station_worker"], purpose="service", wording="新文本")
    v2 = cs.consent_text_publish(actor=site.users["city_admin"], purpose="service", wording="新版服务同意书")
    assert v2.version == 2
    assert Consent.objects.get(pk=site.consent.pk).text.version == 1
    assert cs.consent_text_publish(actor=site.users["city_admin"], purpose="service", wording="新版服务同意书") == v2
    assert ConsentText.objects.filter(purpose="service").count() == 2


def test_an_export_needs_consent_and_is_logged(site, db):
    worker = site.users["station_worker"]
    with pytest.raises(PermissionDenied) as e:
        cs.beneficiary_export(actor=worker, beneficiary=site.elder, purpose="assistance", recipient="civil_affairs", reason="低保复核")
    assert e.value.code == "consent_missing"
    assert AuditLog.objects.filter(action="cases.export.denied", object_id=str(site.elder.pk)).exists()
    cs.consent_record(actor=worker, beneficiary=site.elder, purpose="assistance", recipients=["civil_affairs", "community"],
                      given_on=dt.date(2026, 2, 1))
    data = cs.beneficiary_export(actor=worker, beneficiary=site.elder, purpose="assistance", recipient="civil_affairs",
                                 reason="低保复核")
    assert data["sensitive"]["health"] == HEALTH and data["allowances"][0]["monthly_amount"] == AMOUNT
    assert AuditLog.objects.filter(action="cases.export", object_id=str(site.elder.pk)).count() == 1


def test_data_requests_are_due_by_the_setting_and_answered_with_an_export(site, db):
    worker = site.users["station_worker"]
    received = timezone.localdate() - dt.timedelta(days=20)
    with override_settings(SHANLIAN={**__import__("django.conf").conf.settings.SHANLIAN, "CASES_DATA_REQUEST_DAYS": 10}):
        req = cs.data_request_record(actor=worker, beneficiary=site.elder, kind="access", received_on=received)
    assert req.due_on == received + dt.timedelta(days=10)
    assert req in sel.data_requests_visible(site.users["street_officer"], open_only=True) and sel.data_request_overdue(req)
    done = cs.data_request_answer(actor=worker, request=req, note="已当面交付")
    assert done.status == "answered" and done.answered_late
    assert HEALTH in crypto.decrypt(done.answer_enc) and HEALTH not in done.answer_enc
    assert cs.data_request_answer(actor=worker, request=req, note="again") == done  # answered once
    with pytest.raises(ValidationFailed) as e:
        cs.data_request_record(actor=worker, beneficiary=site.elder, kind="correction", received_on=received)
    assert e.value.code == "required"
    fix = cs.data_request_record(actor=worker, beneficiary=site.elder, kind="correction", received_on=received, details="住址门牌有误")
    with pytest.raises(ValidationFailed) as e:
        cs.data_request_answer(actor=worker, request=fix)
    assert e.value.code == "note_required"


def test_a_childs_request_comes_from_a_guardian(site, db):
    with pytest.raises(ValidationFailed) as e:
        cs.data_request_record(actor=site.users["station_worker"], beneficiary=site.child, kind="access",
                               received_on=timezone.localdate())
    assert "guardian_consent_required" in _codes(e)
    made = cs.data_request_record(actor=site.users["station_worker"], beneficiary=site.child, kind="access",
                                  received_on=timezone.localdate(), requested_by="guardian", guardian=site.guardian)
    assert made.guardian == site.guardian


@pytest.mark.parametrize("make", [
    lambda s: Consent.objects.create(beneficiary=s.elder, purpose="service", text=s.consent.text, recipients=["station"],
                                     given_on=dt.date(2026, 1, 2), expires_on=dt.date(2026, 1, 1), given_by="self"),
    lambda s: Consent.objects.create(beneficiary=s.elder, purpose="service", text=s.consent.text, recipients=["station"],
                                     given_on=dt.date(2026, 1, 1), expires_on=dt.date(2027, 1, 1), given_by="guardian"),
    lambda s: Consent.objects.filter(pk=s.consent.pk).update(withdrawn_on=dt.date(2026, 2, 1)),
    lambda s: DataRequest.objects.create(beneficiary=s.elder, kind="access", received_on=dt.date(2026, 2, 1),
                                         due_on=dt.date(2026, 1, 1), requested_by="self"),
    lambda s: Guardian.objects.create(beneficiary=s.child, person=s.guardian.person, relation="parent", since=dt.date(2026, 1, 1)),
    lambda s: Beneficiary.objects.filter(pk=s.elder.pk).update(status="closed"),
    lambda s: Beneficiary.objects.filter(pk=s.elder.pk).update(version=0),
], ids=["consent_expiry", "guardian_pair", "withdrawal_complete", "request_due", "guardian_once", "closed_pair", "version"])
def test_the_database_holds_the_invariants(site, db, make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(site)
