import pytest
from django.contrib.auth import get_user_model

from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.core.scoping import Role
from shanlian.people import services
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import actor_scope, people_list, person_get, person_reveal
from tests import factories as f


def test_person_create_encrypts_masks_and_audits(city):
    p = city.people["陈秀英"]
    assert p.resident_id_enc and "440100195203150026" not in p.resident_id_enc
    assert p.gender == "F" and p.birth_year == 1952
    row = AuditLog.objects.get(action="person.create", object_id=str(p.pk))
    assert row.after["resident_id"] == "440100********0026"
    assert "440100195203150026" not in str(row.after)


def test_person_create_reports_every_bad_field_and_saves_nothing(city):
    before = Person.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=None, real_name="", division=city.communities["都府"],
                               resident_id="440100195203150027", phone="123")
    assert set(exc.value.fields) == {"real_name", "resident_id", "phone"}
    assert exc.value.fields["resident_id"][0][0] == "invalid_resident_id"
    assert Person.objects.count() == before


def test_duplicate_resident_id_refused(city):
    with pytest.raises(Conflict) as exc:
        services.person_create(actor=None, real_name="冒名", division=city.communities["都府"],
                               resident_id="440100195203150026")
    assert exc.value.code == "duplicate_resident_id"


def test_person_lives_in_a_community_or_street(city):
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=None, real_name="王五", division=city.districts["越秀"])
    assert "division" in exc.value.fields


def test_search_by_exact_phone_and_id_uses_the_blind_index(city):
    scope = actor_scope(city.users["station_worker"])
    assert [p.real_name for p in people_list(scope=scope, query="13912345678")] == ["陈秀英"]
    assert [p.real_name for p in people_list(scope=scope, query="440100195203150026")] == ["陈秀英"]
    assert [p.real_name for p in people_list(scope=scope, query="cxy")] == ["陈秀英"]


@pytest.mark.parametrize(
    "user,visible",
    [
        ("city_admin", {"陈秀英", "李伟", "王芳", "张建国", "志愿者小何"}),
        ("district_admin", {"陈秀英", "李伟", "王芳", "志愿者小何"}),
        ("street_officer", {"陈秀英", "李伟", "志愿者小何"}),
        ("agency_manager", {"陈秀英", "李伟", "王芳", "志愿者小何"}),
        ("station_worker", {"陈秀英", "李伟", "志愿者小何"}),
        ("other_worker", {"张建国"}),
        ("finance", set()),
        ("expert", set()),
        ("volunteer", {"志愿者小何"}),
        ("nobody", set()),
    ],
)
def test_people_scope_by_role(city, user, visible):
    scope = actor_scope(city.users[user])
    assert {p.real_name for p in people_list(scope=scope)} == visible


def test_out_of_scope_person_is_not_found_and_logged(city):
    from shanlian.core.errors import NotFound

    worker = city.users["other_worker"]
    target = city.people["陈秀英"]
    with pytest.raises(NotFound):
        person_get(scope=actor_scope(worker), person_id=target.pk)
    assert AuditLog.objects.filter(action="access.denied", actor=worker, object_id=str(target.pk)).exists()


def test_reveal_needs_permission_and_is_logged(city):
    from django.contrib.auth.models import Permission

    user = city.users["street_officer"]
    person = city.people["陈秀英"]
    with pytest.raises(PermissionDenied):
        person_reveal(scope=actor_scope(user), user=user, person=person, field="resident_id")
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    user = get_user_model().objects.get(pk=user.pk)  # drop the permission cache
    assert person_reveal(scope=actor_scope(user), user=user, person=person, field="phone") == "13912345678"
    assert AuditLog.objects.filter(action="person.reveal", actor=user, object_id=str(person.pk)).count() == 1


def test_role_grant_rules(city):
    admin = city.users["district_admin"]
    scope = actor_scope(admin)
    target = get_user_model().objects.create_user("new_worker", password=f.PASSWORD)
    grant = services.role_grant(actor=admin, scope=scope, user=target, role=Role.STATION_WORKER,
                                target=city.stations["人民街"])
    assert grant.granted_by == admin
    with pytest.raises(Conflict):
        services.role_grant(actor=admin, scope=scope, user=target, role=Role.STATION_WORKER, target=city.stations["人民街"])
    # outside the district admin's area
    with pytest.raises(PermissionDenied) as exc:
        services.role_grant(actor=admin, scope=scope, user=target, role=Role.STATION_WORKER, target=city.stations["石牌街"])
    assert exc.value.code == "scope_outside_yours"
    # a role above theirs
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=admin, scope=scope, user=target, role=Role.CITY_ADMIN, target=city.city)
    # wrong target kind
    with pytest.raises(ValidationFailed):
        services.role_grant(actor=admin, scope=scope, user=target, role=Role.STREET_OFFICER, target=city.districts["越秀"])
    # not an admin at all
    worker = city.users["station_worker"]
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=worker, scope=actor_scope(worker), user=target, role=Role.VOLUNTEER)
    services.role_revoke(actor=admin, scope=scope, grant=grant)
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    services.role_revoke(actor=admin, scope=scope, grant=grant)  # repeated: quiet
    # revoked grants stay on record and a new one may be granted
    services.role_grant(actor=admin, scope=scope, user=target, role=Role.STATION_WORKER, target=city.stations["人民街"])
    assert RoleGrant.objects.filter(user=target).count() == 2


def test_one_active_grant_per_target_is_enforced_by_the_database(city):
    from django.db import IntegrityError, transaction

    g = RoleGrant.objects.get(user=city.users["station_worker"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=g.user, role=g.role, scope_kind=g.scope_kind, station=g.station)


def test_account_create_rejects_weak_passwords(city, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    p = city.people["李伟"]
    with pytest.raises(ValidationFailed) as exc:
        services.account_create(actor=None, person=p, username="liwei", password="123")
    assert exc.value.code == "weak_password"
    user = services.account_create(actor=None, person=p, username="liwei", password="Liwei-2026-ok")
    assert user.check_password("Liwei-2026-ok") and user.password.startswith("argon2")
    with pytest.raises(Conflict):
        services.account_create(actor=None, person=p, username="liwei2", password="Liwei-2026-ok")


def test_api_token_secret_is_not_stored(city):
    token, secret = services.api_token_create(actor=None, user=city.users["city_admin"], name="统计接口")
    assert secret.startswith("sl_") and token.key_hash != secret and secret not in token.key_hash


def test_reveal_permission_and_superuser_are_granted_with_an_audit_row(city):
    user = city.users["street_officer"]
    services.reveal_permission_grant(actor=None, user=user)
    services.account_make_superuser(actor=None, user=user)
    user = get_user_model().objects.get(pk=user.pk)
    assert user.has_perm("people.reveal_sensitive") and user.is_superuser and user.is_staff
    assert set(AuditLog.objects.filter(object_id=str(user.pk), action__in=["permission.grant", "account.superuser"])
               .values_list("action", flat=True)) == {"permission.grant", "account.superuser"}


def test_services_refuse_divisions_outside_the_actors_area(city):
    worker = city.users["station_worker"]
    scope = actor_scope(worker)
    before = Person.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.person_create(actor=worker, scope=scope, real_name="赵六", division=city.communities["东兴"])
    assert exc.value.code == "scope_outside_yours" and Person.objects.count() == before
    p = services.person_create(actor=worker, scope=scope, real_name="赵六", division=city.communities["都府"])
    with pytest.raises(PermissionDenied):
        services.person_update(actor=worker, scope=scope, person=p, real_name="赵六", division=city.communities["东兴"])


def test_person_update_keeps_or_clears_the_phone(city):
    from shanlian.core import crypto

    p = city.people["陈秀英"]
    services.person_update(actor=None, person=p, real_name="陈秀英", division=p.division)  # phone=None: keep
    p.refresh_from_db()
    assert crypto.decrypt(p.phone_enc) == "13912345678"
    services.person_update(actor=None, person=p, real_name="陈秀英", division=p.division, phone="")
    p.refresh_from_db()
    assert p.phone_enc == "" and p.phone_hash == ""
