import pytest
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def test_login_works_and_password_is_argon2(client, city, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = city.users["station_worker"]
    user.set_password(PASSWORD)
    user.save()
    assert user.password.startswith("argon2")
    resp = client.post(reverse("login"), {"username": "station_worker", "password": PASSWORD})
    assert resp.status_code == 302 and resp.url == reverse("web:home")


def test_failed_logins_are_throttled(client, city, axes_on):
    url = reverse("login")
    for _ in range(2):
        resp = client.post(url, {"username": "station_worker", "password": "wrong-password"})
        assert resp.status_code == 200
    resp = client.post(url, {"username": "station_worker", "password": "wrong-password"})
    assert resp.status_code == 429
    # Locked: even the right password is refused for now, and the page says why.
    resp = client.post(url, {"username": "station_worker", "password": PASSWORD})
    assert resp.status_code == 429
    assert b"login_locked" in resp.content
    # Another account from the same address is not locked.
    resp = client.post(url, {"username": "other_worker", "password": PASSWORD})
    assert resp.status_code == 302
