"""People pages (scoped, masked, logged reveals) and role management."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.core import crypto
from shanlian.core.models import AuditLog
from shanlian.core.scoping import Role
from shanlian.people.models import Person, RoleGrant
from tests import factories as f

PERSON_LIST = reverse("people:person_list")
PERSON_CREATE = reverse("people:person_create")
ROLE_LIST = reverse("people:role_list")
ROLE_GRANT = reverse("people:role_grant")

CHEN_ID, CHEN_ID_MASKED = "440100195203150026", "440100********0026"
CHEN_PHONE, CHEN_PHONE_MASKED = "13912345678", "139****5678"



def queries(client, url: str) -> int:
    client.get(url)  # warm caches so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)




def rows(response, testid: str = "person-row") -> int:
    return response.text.count(f'data-testid="{testid}"')


def detail(person) -> str:
    return reverse("people:person_detail", args=[person.pk])


def reveal(person, field: str) -> str:
    return reverse("people:person_reveal", args=[person.pk, field])


def give_reveal_permission(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))


def unmasked_values(person) -> list[str]:
    return [v for v in (crypto.decrypt(person.resident_id_enc), crypto.decrypt(person.phone_enc)) if v]


# --- anonymous ---


@pytest.mark.parametrize("name,args,method", [
    ("people:person_list", [], "get"), ("people:person_detail", [1], "get"), ("people:person_create", [], "get"),
    ("people:person_edit", [1], "get"), ("people:person_reveal", [1, "phone"], "post"),
    ("people:role_list", [], "get"), ("people:role_grant", [], "post"), ("people:role_revoke", [1], "post"),
])
def test_anonymous_is_sent_to_login(client, db, name, args, method):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- list ---


def test_station_worker_sees_only_their_street(login, city):
    response = login("station_worker").get(PERSON_LIST)
    assert response.status_code == 200
    body = response.text
    assert "陈秀英" in body and "李伟" in body
    assert "张建国" not in body and "王芳" not in body
    assert rows(response) == 3  # 陈秀英, 李伟 and the volunteer living in 盐运西


def test_list_shows_masked_values_only(login, city):
    response = login("city_admin").get(PERSON_LIST)
    body = response.text
    assert f'<span class="sl-masked" data-testid="resident-id">{CHEN_ID_MASKED}</span>' in body
    assert f'<span class="sl-masked" data-testid="phone">{CHEN_PHONE_MASKED}</span>' in body
    assert CHEN_ID not in body and CHEN_PHONE not in body
    for person in Person.objects.all():
        for value in unmasked_values(person):
            assert value not in body


@pytest.mark.parametrize("who", ["volunteer", "donor", "expert", "nobody", "finance"])
def test_list_is_forbidden_without_a_people_role(login, city, who):
    response = login(who).get(PERSON_LIST)
    assert response.status_code == 403
    assert 'data-error-code="people_not_allowed"' in response.text
    assert "陈秀英" not in response.text


@pytest.mark.parametrize("term", ["陈秀", "cxy", CHEN_ID, CHEN_PHONE])
def test_search(login, city, term):
    response = login("station_worker").get(PERSON_LIST, {"q": term})
    assert rows(response) == 1
    assert "陈秀英" in response.text
    # Searching by a full ID or phone does not echo it back unmasked (base.html's language form
    # carries the current URL in `next`, which is the user's own request, so it is left out here)
    body = re.sub(r'<input name="next"[^>]*>', "", response.text)
    assert CHEN_ID not in body and CHEN_PHONE not in body


def test_search_does_not_reach_outside_the_scope(login, city):
    zhang_id = crypto.decrypt(city.people["张建国"].resident_id_enc)
    response = login("station_worker").get(PERSON_LIST, {"q": zhang_id})
    assert rows(response) == 0
    assert "张建国" not in response.text


def test_filter_by_division(login, city):
    client = login("district_admin")
    response = client.get(PERSON_LIST, {"division": city.communities["都府"].pk})
    assert rows(response) == 1 and "李伟" in response.text
    response = client.get(PERSON_LIST, {"division": city.streets["北京街"].pk})
    assert rows(response) == 3
    # A division outside the area matches nobody (and is not offered)
    response = client.get(PERSON_LIST, {"division": city.communities["东兴"].pk})
    assert rows(response) == 0 and "东兴社区" not in response.text


def test_list_is_paginated(login, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "PAGE_SIZE": 2}
    client = login("city_admin")
    assert rows(client.get(PERSON_LIST)) == 2
    assert rows(client.get(PERSON_LIST, {"page": 3})) == 1


def test_list_total_is_capped(login, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "COUNT_CAP": 2, "PAGE_SIZE": 2}
    response = login("city_admin").get(PERSON_LIST)
    assert re.search(r'data-testid="result-count">.*?2\+</strong>', response.text, re.S)
    assert rows(response) == 2


def test_list_runs_a_fixed_number_of_queries(login, city):
    client = login("station_worker")
    before = queries(client, PERSON_LIST)
    for i in range(8):
        f.person(f"居民{i}", city.communities["盐运西" if i % 2 else "都府"])
    assert queries(client, PERSON_LIST) == before
    url = PERSON_LIST + f"?division={city.communities['都府'].pk}&q=j"
    filtered = queries(client, url)
    f.person("居民甲", city.communities["都府"])
    assert queries(client, url) == filtered


# --- detail ---


def test_detail_is_masked(login, city):
    chen = city.people["陈秀英"]
    response = login("station_worker").get(detail(chen))
    assert response.status_code == 200
    body = response.text
    assert "陈秀英" in body and "盐运西社区" in body
    assert CHEN_ID_MASKED in body and CHEN_PHONE_MASKED in body
    assert CHEN_ID not in body and CHEN_PHONE not in body
    assert "1952" in body  # birth year from the ID
    assert 'data-testid="reveal-resident_id"' not in body  # no permission, no button
    assert response["Cache-Control"].startswith("max-age=0")


def test_detail_outside_scope_is_404_and_leaks_nothing(login, city):
    zhang = city.people["张建国"]
    response = login("station_worker").get(detail(zhang))
    assert response.status_code == 404
    body = response.text
    assert "张建国" not in body and "东兴" not in body
    for value in unmasked_values(zhang) + [zhang.resident_id_masked, zhang.phone_masked]:
        assert value not in body
    assert AuditLog.objects.filter(action="access.denied", object_id=str(zhang.pk)).exists()


def test_other_worker_gets_404_for_chen(login, city):
    response = login("other_worker").get(detail(city.people["陈秀英"]))
    assert response.status_code == 404
    assert "陈秀英" not in response.text and CHEN_ID_MASKED not in response.text


def test_detail_lists_active_roles(login, city):
    me = city.users["volunteer"].person
    response = login("city_admin").get(detail(me))
    assert 'data-testid="person-roles"' in response.text


def test_a_volunteer_sees_their_own_record_only(login, city):
    client = login("volunteer")
    me = city.users["volunteer"].person
    response = client.get(detail(me))
    assert response.status_code == 200
    assert me.resident_id_masked in response.text
    assert reverse("people:person_edit", args=[me.pk]) not in response.text
    assert client.get(detail(city.people["陈秀英"])).status_code == 404


# --- reveal ---


def test_reveal_with_permission_returns_the_value_and_logs_it(login, city):
    chen = city.people["陈秀英"]
    give_reveal_permission(city.users["station_worker"])
    client = login("station_worker")
    page = client.get(detail(chen)).text
    assert 'data-testid="reveal-resident_id"' in page and 'data-testid="reveal-phone"' in page

    response = client.post(reveal(chen, "resident_id"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert CHEN_ID in response.text
    assert "<html" not in response.text  # an htmx partial
    assert response["Cache-Control"].startswith("max-age=0")
    log = AuditLog.objects.get(action="person.reveal", object_id=str(chen.pk))
    assert log.actor == city.users["station_worker"] and log.after == {"field": "resident_id"}
    assert CHEN_ID not in str(log.after)

    # Without htmx: the detail page with the value shown
    response = client.post(reveal(chen, "phone"))
    assert response.status_code == 200
    assert CHEN_PHONE in response.text and "<html" in response.text
    assert AuditLog.objects.filter(action="person.reveal").count() == 2


def test_reveal_without_permission_is_403(login, city):
    chen = city.people["陈秀英"]
    response = login("station_worker").post(reveal(chen, "resident_id"))
    assert response.status_code == 403
    assert CHEN_ID not in response.text
    assert 'data-error-code="reveal_not_allowed"' in response.text
    assert not AuditLog.objects.filter(action="person.reveal").exists()
    assert AuditLog.objects.filter(action="person.reveal.denied").exists()


def test_reveal_outside_scope_is_404_even_with_permission(login, city):
    give_reveal_permission(city.users["other_worker"])
    chen = city.people["陈秀英"]
    response = login("other_worker").post(reveal(chen, "resident_id"))
    assert response.status_code == 404
    assert CHEN_ID not in response.text
    assert not AuditLog.objects.filter(action="person.reveal").exists()


def test_reveal_needs_post_and_a_known_field(login, city):
    chen = city.people["陈秀英"]
    give_reveal_permission(city.users["station_worker"])
    client = login("station_worker")
    assert client.get(reveal(chen, "resident_id")).status_code == 405
    response = client.post(reveal(chen, "real_name"))
    assert response.status_code == 400
    assert 'data-error-code="invalid_field"' in response.text


# --- create ---


def form_data(city, **kw):
    data = {"real_name": "黄小梅", "gender": "", "division": city.communities["都府"].pk,
            "resident_id": f.make_resident_id("440104"), "phone": "13800138000"}
    data.update(kw)
    return data


def test_create_person(login, city):
    client = login("station_worker")
    assert client.get(PERSON_CREATE).status_code == 200
    data = form_data(city)
    response = client.post(PERSON_CREATE, data)
    person = Person.objects.get(real_name="黄小梅")
    assert response.status_code == 302 and response["Location"] == detail(person)
    assert crypto.decrypt(person.resident_id_enc) == data["resident_id"]
    assert person.division == city.communities["都府"]
    assert AuditLog.objects.filter(action="person.create", object_id=str(person.pk), actor=city.users["station_worker"]).exists()


@pytest.mark.parametrize("field,value,code", [
    ("resident_id", "440104198601010000", "invalid_resident_id"),
    ("resident_id", "12345", "invalid_resident_id"),
    ("phone", "12345", "invalid_phone"),
    ("phone", "1391234567x", "invalid_phone"),
])
def test_create_refuses_invalid_identifiers(login, city, field, value, code):
    before = Person.objects.count()
    response = login("station_worker").post(PERSON_CREATE, form_data(city, **{field: value}))
    assert response.status_code == 400
    assert f'data-error-code="{code}"' in response.text
    assert 'data-testid="person-form"' in response.text
    assert Person.objects.count() == before


def test_create_refuses_a_duplicate_resident_id(login, city):
    before = Person.objects.count()
    response = login("station_worker").post(PERSON_CREATE, form_data(city, resident_id=CHEN_ID))
    assert response.status_code == 409
    assert 'data-error-code="duplicate_resident_id"' in response.text
    assert CHEN_ID not in response.text.replace(f'value="{CHEN_ID}"', "")  # only echoed in the input
    assert Person.objects.count() == before


def test_create_offers_only_divisions_in_scope(login, city):
    client = login("station_worker")
    page = client.get(PERSON_CREATE).text
    assert "都府社区" in page and "东兴社区" not in page and "西湖社区" not in page
    before = Person.objects.count()
    response = client.post(PERSON_CREATE, form_data(city, division=city.communities["东兴"].pk))
    assert response.status_code == 400
    assert 'data-error-code="invalid_choice"' in response.text
    assert Person.objects.count() == before


def test_create_requires_a_name(login, city):
    response = login("station_worker").post(PERSON_CREATE, form_data(city, real_name=""))
    assert response.status_code == 400
    assert 'data-error-code="required"' in response.text


@pytest.mark.parametrize("who", ["volunteer", "finance", "nobody"])
def test_create_is_forbidden_without_a_people_role(login, city, who):
    client = login(who)
    assert client.get(PERSON_CREATE).status_code == 403
    before = Person.objects.count()
    assert client.post(PERSON_CREATE, form_data(city)).status_code == 403
    assert Person.objects.count() == before


# --- edit ---


def test_edit_keeps_the_phone_when_left_blank(login, city):
    chen = city.people["陈秀英"]
    client = login("station_worker")
    page = client.get(reverse("people:person_edit", args=[chen.pk]))
    assert page.status_code == 200
    assert CHEN_PHONE not in page.text and CHEN_ID not in page.text
    assert CHEN_PHONE_MASKED in page.text
    response = client.post(reverse("people:person_edit", args=[chen.pk]),
                           {"real_name": "陈秀英", "gender": "F", "division": city.communities["都府"].pk, "phone": ""})
    assert response.status_code == 302
    chen.refresh_from_db()
    assert chen.division == city.communities["都府"]
    assert crypto.decrypt(chen.phone_enc) == CHEN_PHONE
    assert crypto.decrypt(chen.resident_id_enc) == CHEN_ID


def test_edit_changes_or_clears_the_phone(login, city):
    chen = city.people["陈秀英"]
    client = login("station_worker")
    url = reverse("people:person_edit", args=[chen.pk])
    base = {"real_name": "陈秀英", "gender": "F", "division": city.communities["盐运西"].pk}
    assert client.post(url, {**base, "phone": "13800138000"}).status_code == 302
    chen.refresh_from_db()
    assert crypto.decrypt(chen.phone_enc) == "13800138000"
    assert client.post(url, {**base, "phone": "", "clear_phone": "on"}).status_code == 302
    chen.refresh_from_db()
    assert chen.phone_enc == ""


def test_edit_refuses_an_invalid_phone(login, city):
    chen = city.people["陈秀英"]
    response = login("station_worker").post(
        reverse("people:person_edit", args=[chen.pk]),
        {"real_name": "陈小英", "gender": "F", "division": city.communities["盐运西"].pk, "phone": "999"},
    )
    assert response.status_code == 400
    assert 'data-error-code="invalid_phone"' in response.text
    chen.refresh_from_db()
    assert chen.real_name == "陈秀英"


def test_edit_outside_scope_is_404(login, city):
    response = login("other_worker").get(reverse("people:person_edit", args=[city.people["陈秀英"].pk]))
    assert response.status_code == 404
    assert "陈秀英" not in response.text


def test_edit_is_forbidden_for_a_volunteer_even_on_their_own_record(login, city):
    me = city.users["volunteer"].person
    assert login("volunteer").get(reverse("people:person_edit", args=[me.pk])).status_code == 403


# --- roles ---


def test_city_admin_sees_all_grants_in_the_city(login, city):
    response = login("city_admin").get(ROLE_LIST)
    assert response.status_code == 200
    body = response.text
    for name in ["city_admin", "district_admin", "street_officer", "agency_manager", "station_worker",
                 "other_worker", "finance", "volunteer"]:
        assert f"<strong>{name}</strong>" in body
    # Self-scoped roles of accounts with no person record are placed nowhere, so no area admin sees them
    assert "<strong>donor</strong>" not in body and "<strong>expert</strong>" not in body
    assert rows(response, "grant-row") == 8
    assert 'data-testid="grant-form"' in body


def test_district_admin_sees_grants_in_their_district_only(login, city):
    response = login("district_admin").get(ROLE_LIST)
    assert response.status_code == 200
    body = response.text
    assert "station_worker" in body and "agency_manager" in body
    assert "other_worker" not in body  # 石牌街 is in 天河
    assert ">city_admin<" not in body


@pytest.mark.parametrize("who", ["street_officer", "station_worker", "agency_manager", "finance", "volunteer", "nobody"])
def test_roles_are_forbidden_for_non_admins(login, city, who):
    client = login(who)
    response = client.get(ROLE_LIST)
    assert response.status_code == 403
    assert 'data-error-code="not_admin"' in response.text
    before = RoleGrant.objects.count()
    response = client.post(ROLE_GRANT, {"username": "nobody", "role": Role.VOLUNTEER})
    assert response.status_code == 403
    grant = RoleGrant.objects.get(user=city.users["station_worker"])
    assert client.post(reverse("people:role_revoke", args=[grant.pk])).status_code == 403
    assert RoleGrant.objects.count() == before
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is None


def test_grant_a_station_role(login, city):
    client = login("district_admin")
    response = client.post(ROLE_GRANT, {"username": "nobody", "role": Role.STATION_WORKER,
                                        "station": city.stations["北京街"].pk})
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=city.users["nobody"], role=Role.STATION_WORKER)
    assert grant.station == city.stations["北京街"] and grant.granted_by == city.users["district_admin"]
    assert "nobody" in client.get(ROLE_LIST).text


def test_grant_a_self_role_needs_no_target(login, city):
    response = login("district_admin").post(ROLE_GRANT, {"username": "volunteer", "role": Role.DONOR})
    assert response.status_code == 302
    assert RoleGrant.objects.filter(user=city.users["volunteer"], role=Role.DONOR, revoked_at__isnull=True).exists()


def test_a_self_role_for_an_account_without_a_person_is_refused(login, city):
    # The service places a self-scoped role by the holder's person record; without one no area covers it.
    response = login("city_admin").post(ROLE_GRANT, {"username": "expert", "role": Role.DONOR})
    assert response.status_code == 403
    assert 'data-error-code="scope_outside_yours"' in response.text


@pytest.mark.parametrize("post,status,code", [
    ({"username": "no-such-user", "role": Role.VOLUNTEER}, 400, "unknown_user"),
    ({"username": "nobody", "role": Role.STATION_WORKER}, 400, "target_required"),
    ({"username": "nobody", "role": "pope"}, 400, "invalid_choice"),
    ({"username": "nobody", "role": Role.DISTRICT_ADMIN, "division": "YX"}, 403, "cannot_grant_role"),
    ({"username": "station_worker", "role": Role.STATION_WORKER, "station": "BJ"}, 409, "role_exists"),
    ({"username": "nobody", "role": Role.DISTRICT_ADMIN, "division": "BJ-STREET"}, 400, "invalid_scope"),
])
def test_grant_errors_are_shown_with_their_code(login, city, post, status, code):
    ids = {"YX": city.districts["越秀"].pk, "BJ": city.stations["北京街"].pk, "BJ-STREET": city.streets["北京街"].pk}
    post = {k: ids.get(v, v) for k, v in post.items()}
    before = RoleGrant.objects.count()
    who = "city_admin" if code == "invalid_scope" else "district_admin"
    response = login(who).post(ROLE_GRANT, post)
    assert response.status_code == status
    assert f'data-error-code="{code}"' in response.text
    assert RoleGrant.objects.count() == before


def test_grant_targets_outside_the_area_are_not_offered(login, city):
    client = login("district_admin")
    page = client.get(ROLE_LIST).text
    assert "石牌街道社工站" not in page
    response = client.post(ROLE_GRANT, {"username": "nobody", "role": Role.STATION_WORKER,
                                        "station": city.stations["石牌街"].pk})
    assert response.status_code == 400
    assert 'data-error-code="invalid_choice"' in response.text
    assert not RoleGrant.objects.filter(user=city.users["nobody"]).exists()


def test_revoke(login, city):
    grant = RoleGrant.objects.get(user=city.users["station_worker"])
    client = login("district_admin")
    response = client.post(reverse("people:role_revoke", args=[grant.pk]))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == city.users["district_admin"]
    assert AuditLog.objects.filter(action="role.revoke", object_id=str(grant.pk)).exists()
    assert client.get(reverse("people:role_revoke", args=[grant.pk])).status_code == 405


def test_revoke_own_admin_role_is_refused_with_a_message(login, city):
    grant = RoleGrant.objects.get(user=city.users["city_admin"])
    client = login("city_admin")
    response = client.post(reverse("people:role_revoke", args=[grant.pk]), follow=True)
    assert response.status_code == 200
    assert "cannot_revoke_own_admin" in response.text
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_district_admin_cannot_revoke_a_district_admin(login, city):
    grant = RoleGrant.objects.get(user=city.users["district_admin"])
    response = login("district_admin").post(reverse("people:role_revoke", args=[grant.pk]), follow=True)
    assert "cannot_grant_role" in response.text
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_revoke_outside_the_area_is_404(login, city):
    grant = RoleGrant.objects.get(user=city.users["other_worker"])
    response = login("district_admin").post(reverse("people:role_revoke", args=[grant.pk]))
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_role_list_runs_a_fixed_number_of_queries(login, city):
    client = login("city_admin")
    before = queries(client, ROLE_LIST)
    for i in range(5):
        f.user_with_role(f"worker{i}", Role.STATION_WORKER, city.stations["人民街"], person_in=city.communities["西湖"])
        f.user_with_role(f"vol{i}", Role.VOLUNTEER, None)
    assert queries(client, ROLE_LIST) == before
