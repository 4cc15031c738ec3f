"""Accounts: residents sign up with a phone code and sign in with their phone; passwords are reset by the same
code and changed; administrators make logins for new colleagues (a first password that must be changed) within
their area, and deactivate them."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from shanlian.accounts import services
from shanlian.accounts.messaging import ConsoleSms
from shanlian.accounts.models import OneTimeCode
from shanlian.core import crypto
from shanlian.core.errors import Conflict, DomainError, PermissionDenied
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import actor_scope
from tests import factories as f

PHONE = "13711112222"
SIGNUP, RESET, PASSWORD = reverse("accounts:signup"), reverse("accounts:reset"), reverse("accounts:password_change")


def last_code(phone: str = PHONE) -> str:
    for to, text in reversed(ConsoleSms.sent):
        if to == phone:
            return re.search(r"\d{6}", text).group(0)  # type: ignore[union-attr]
    raise AssertionError("no code sent")


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    def _send(url: str = SIGNUP, phone: str = PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, {"action": "send", "phone": phone})
    return _send


def signup(client, city, the_code: str, **change):
    data = {"action": "signup", "phone": PHONE, "code": the_code, "real_name": "黄小敏",
            "community": city.communities["都府"].pk, "password": "Gz-volunteer-2026"} | change
    return client.post(SIGNUP, data)


def test_a_resident_signs_up_with_a_phone_code_and_signs_in_with_the_phone(client, city, send):
    assert send().status_code == 200
    resp = signup(client, city, last_code())
    assert resp.status_code == 302 and resp.url == reverse("timebank:register")
    person = Person.objects.get(real_name="黄小敏")
    assert person.division == city.communities["都府"] and person.user is not None
    assert person.phone_hash == crypto.blind_index(PHONE, purpose="phone") and PHONE not in person.phone_enc
    assert PHONE not in person.user.username
    assert set(RoleGrant.objects.filter(user=person.user).values_list("role", flat=True)) == {"volunteer", "donor"}
    fresh = Client()
    page = fresh.post(reverse("login"), {"username": "137 1111 2222", "password": "Gz-volunteer-2026"})
    assert page.status_code == 302
    assert fresh.get(reverse("accounts:account")).status_code == 200


def test_a_wrong_code_is_counted_and_spends_the_code(client, city, send, settings):
    send()
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(settings.SHANLIAN["OTP_MAX_ATTEMPTS"]):
        resp = signup(client, city, wrong)
        assert resp.status_code == 400 and 'data-error-code="invalid_code"' in resp.content.decode()
    assert signup(client, city, right).status_code == 400  # five wrong tries spent it
    assert not Person.objects.filter(real_name="黄小敏").exists()


def test_codes_a_phone_an_hour_are_limited(send, city, settings):
    for _ in range(settings.SHANLIAN["OTP_PER_HOUR"]):
        assert send().status_code == 200
    resp = send()
    assert resp.status_code == 400 and 'data-error-code="too_many_codes"' in resp.content.decode()
    assert OneTimeCode.objects.count() == settings.SHANLIAN["OTP_PER_HOUR"]
    assert not OneTimeCode.objects.filter(code_hash__contains=last_code()).exists()


def test_bad_phones_and_bad_input_are_refused_without_a_500(client, send, city):
    for bad in ("123", "abc", "1371111222\x00", "1" * 40, ""):
        resp = send(phone=bad)
        assert resp.status_code == 400, bad
    send()
    for change in ({"real_name": "长" * 33}, {"real_name": "黄\u202e敏"}, {"community": city.streets["北京街"].pk},
                   {"password": "123"}, {"code": "x" * 40}):
        resp = signup(client, city, last_code(), **change)
        assert resp.status_code == 400, change
    assert not Person.objects.filter(real_name__startswith="黄").exists()


def test_a_phone_with_an_account_cannot_sign_up_again(client, city, send):
    send()
    signup(client, city, last_code())
    client.logout()
    resp = send()
    assert resp.status_code == 409 and 'data-error-code="phone_registered"' in resp.content.decode()


def test_a_person_a_station_registered_claims_their_record(client, city, send):
    known = f.person("周阿姨", city.communities["都府"], phone=PHONE)
    send()
    assert signup(client, city, last_code(), real_name="周阿姨").status_code == 302
    known.refresh_from_db()
    assert known.user is not None and Person.objects.filter(phone_hash=known.phone_hash).count() == 1


def test_password_reset_by_code_and_the_same_answer_for_unknown_phones(client, city, send):
    send()
    signup(client, city, last_code())
    client.logout()
    sent_before = len(ConsoleSms.sent)
    assert send(RESET, phone="13700000001").status_code == 200  # no account: answered the same, nothing sent
    assert len(ConsoleSms.sent) == sent_before
    assert send(RESET).status_code == 200
    resp = client.post(RESET, {"action": "reset", "phone": PHONE, "code": last_code(), "password": "New-pass-2027"})
    assert resp.status_code == 302 and resp.url == reverse("login")
    assert Client().post(reverse("login"), {"username": PHONE, "password": "New-pass-2027"}).status_code == 302
    assert Client().post(reverse("login"), {"username": PHONE, "password": "Gz-volunteer-2026"}).status_code == 200


def test_changing_a_password(login, city):
    client = login("volunteer")
    user = city.users["volunteer"]
    user.set_password("Old-pass-2026")
    user.save()
    client.force_login(user)
    resp = client.post(PASSWORD, {"old_password": "wrong", "new_password": "New-pass-2027"})
    assert resp.status_code == 400 and 'data-error-code="wrong_password"' in resp.content.decode()
    resp = client.post(PASSWORD, {"old_password": "Old-pass-2026", "new_password": "123"})
    assert resp.status_code == 400 and 'data-error-code="weak_password"' in resp.content.decode()
    assert client.post(PASSWORD, {"old_password": "Old-pass-2026", "new_password": "New-pass-2027"}).status_code == 302
    user.refresh_from_db()
    assert user.check_password("New-pass-2027")
    assert client.get(reverse("accounts:account")).status_code == 200  # still signed in


def test_an_admin_makes_a_login_for_a_new_colleague_who_must_change_the_password(login, city):
    newcomer = f.person("林社工", city.communities["盐运西"])
    admin = login("district_admin")
    page = admin.get(reverse("people:person_detail", args=[newcomer.pk]))
    assert 'data-testid="make-login"' in page.content.decode()
    resp = admin.post(reverse("accounts:staff_create", args=[newcomer.pk]), {
        "username": "lin_sg", "role": "station_worker", "station": city.stations["北京街"].pk})
    assert resp.status_code == 200
    password = re.search(r'data-testid="first-password">([^<]+)<', resp.content.decode()).group(1)  # type: ignore[union-attr]
    colleague = Client()
    assert colleague.post(reverse("login"), {"username": "lin_sg", "password": password}).status_code == 302
    home = colleague.get("/")
    assert home.status_code == 302 and home.url == PASSWORD
    assert colleague.get(reverse("charity:fund_list")).url == PASSWORD
    assert 'data-testid="must-change"' in colleague.get(PASSWORD).content.decode()
    assert colleague.post(PASSWORD, {"old_password": password, "new_password": "Lin-own-pass-2026"}).status_code == 302
    assert colleague.get("/").status_code == 200
    assert actor_scope(get_user_model().objects.get(username="lin_sg")).has("station_worker")


def test_only_an_admin_of_the_persons_area_makes_or_ends_a_login(login, city):
    far = f.person("张伯", city.communities["东兴"], district_code="440106")
    near = f.person("王姐", city.communities["盐运西"])
    assert login("district_admin").get(reverse("accounts:staff_create", args=[far.pk])).status_code == 404  # out of area
    assert login("station_worker").get(reverse("accounts:staff_create", args=[near.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.staff_account_create(actor=city.users["street_officer"], scope=actor_scope(city.users["street_officer"]),
                                      person=near, username="wang", role="station_worker", target=city.stations["北京街"])


def test_deactivating_a_login(login, city):
    worker = city.users["station_worker"]
    worker.set_password("Worker-pass-2026")
    worker.save()
    record = f.person("北京街社工", city.communities["盐运西"])
    Person.objects.filter(pk=record.pk).update(user=worker)
    admin = login("district_admin")
    resp = admin.post(reverse("accounts:staff_deactivate", args=[record.pk]))
    assert resp.status_code == 302
    worker.refresh_from_db()
    assert not worker.is_active
    assert Client().post(reverse("login"), {"username": "station_worker", "password": "Worker-pass-2026"}).status_code == 200
    admin_user = city.users["district_admin"]
    own = f.person("区管理员本人", city.communities["盐运西"])
    Person.objects.filter(pk=own.pk).update(user=admin_user)
    own.refresh_from_db()
    with pytest.raises(Conflict):
        services.account_deactivate(actor=admin_user, scope=actor_scope(admin_user), person=own)
    resp = admin.post(reverse("accounts:staff_reactivate", args=[record.pk]))
    assert resp.status_code == 200 and 'data-testid="first-password"' in resp.content.decode()


def test_anonymous_and_wrong_methods(client, db):
    assert client.get(reverse("accounts:account")).status_code == 302
    assert client.get(PASSWORD).status_code == 302
    assert client.get(SIGNUP).status_code == 200 and client.get(RESET).status_code == 200
    assert client.get(reverse("accounts:staff_deactivate", args=[1])).status_code in (302, 405)
    with pytest.raises(DomainError):
        services.code_send(phone=PHONE, purpose="other")
