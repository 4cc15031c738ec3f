from django.test import override_settings

from shanlian.core.pagination import CappedPaginator
from shanlian.places.models import Division


def test_count_is_capped_and_says_so(city):
    qs = Division.objects.order_by("code")
    total = qs.count()
    with override_settings(SHANLIAN={"COUNT_CAP": 3}):
        p = CappedPaginator(qs, 2)
        assert p.count == 3 and p.capped and p.num_pages == 2
        assert [d.code for d in p.page(1)] == [d.code for d in qs[:2]]
    with override_settings(SHANLIAN={"COUNT_CAP": 1000}):
        p = CappedPaginator(qs, 2)
        assert p.count == total and not p.capped


def test_api_lists_say_when_the_count_is_capped(client, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "COUNT_CAP": 3}
    client.force_login(city.users["city_admin"])
    body = client.get("/api/divisions?page_size=2").json()
    assert body["count"] == 3 and body["count_capped"] is True and len(body["results"]) == 2
    settings.SHANLIAN = {**settings.SHANLIAN, "COUNT_CAP": 10000}
    body = client.get("/api/divisions?page_size=2").json()
    assert body["count"] == 10 and body["count_capped"] is False
