from django.contrib.auth import get_user_model

from tests.factories import PASSWORD


def test_admin_shows_people_masked_to_staff(client, city):
    admin = get_user_model().objects.create_superuser("staff_admin", password=PASSWORD)
    client.force_login(admin)
    resp = client.get("/admin/people/person/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "440100********0026" in body and "440100195203150026" not in body and "13912345678" not in body
    p = city.people["陈秀英"]
    resp = client.get(f"/admin/people/person/{p.pk}/change/")
    assert resp.status_code == 200 and "440100195203150026" not in resp.content.decode()
    assert client.get("/admin/core/auditlog/").status_code == 200


def test_admin_refuses_non_staff(client, city):
    client.force_login(city.users["city_admin"])
    resp = client.get("/admin/people/person/")
    assert resp.status_code == 302 and "/admin/login/" in resp.url
