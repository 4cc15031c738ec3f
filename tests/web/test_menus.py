"""Menus come from each app's declared pages and offer only what opens: for every role, every entry of the menu
answers 200 (following a redirect to the page a resident must see first, e.g. the volunteer registration)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shanlian.core.navigation import FLAT_MAX, GROUPS, Group, declared_pages, menu, menu_bar
from shanlian.people.selectors import actor_scope

USERS = ["city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "other_worker", "finance",
         "expert", "volunteer", "donor", "nobody"]
LINK = re.compile(r'data-testid="nav-link" href="([^"]+)"')


@pytest.mark.parametrize("user", USERS)
def test_every_menu_entry_opens_for_its_role(login, books, city, user):
    client = login(user)
    home = client.get("/", follow=True)
    assert home.status_code == 200
    links = LINK.findall(home.content.decode())
    assert links, "a signed-in user has a menu"
    scope = actor_scope(city.users[user])
    bar = [p for item in menu_bar(scope) for p in (item.pages if isinstance(item, Group) else (item,))]
    assert sorted(bar, key=lambda p: (p.order, p.url_name)) == menu(scope)  # every entry once
    assert links == [reverse(p.url_name) for p in bar]
    for href in links:
        resp = client.get(href, follow=True)
        assert resp.status_code == 200, (user, href, resp.status_code)


def test_each_role_lands_where_its_work_is(login, books, city):
    from shanlian.charity import services as cs

    p = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=books.project, title="重阳节慰问",
                          payee="北京街社工站", lines=[("慰问品", "300")])
    cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="66", channel="cash", donor_name="陈伯")
    finance = login("finance").get("/")
    body = finance.content.decode()
    assert 'data-testid="finance-desk"' in body and 'data-testid="dashboard-counts"' not in body
    assert 'data-testid="count-to-approve">1<' in body and f"/charity/payouts/{p.pk}/" in body
    assert 'data-testid="count-unreceipted">1<' in body and "陈伯" in body
    assert login("volunteer").get("/").url == reverse("timebank:home")
    assert login("donor").get("/").url == reverse("give:mine")
    assert 'data-testid="expert-assignments"' in login("expert").get("/").content.decode()
    assert 'data-testid="dashboard-counts"' in login("station_worker").get("/").content.decode()


def test_every_declared_page_has_a_url_and_a_rule():
    pages = declared_pages()
    assert {p.url_name.split(":")[0] for p in pages} >= {"web", "orgs", "people", "charity", "compliance", "timebank", "give",
                                                         "public"}
    for page in pages:
        assert reverse(page.url_name) and callable(page.may_open) and str(page.label)


def test_a_street_officer_is_not_offered_compliance(login, city):
    body = login("street_officer").get("/").content.decode()
    assert reverse("compliance:dashboard") not in LINK.findall(body)
    assert login("street_officer").get(reverse("compliance:dashboard")).status_code == 403


@pytest.mark.parametrize("user, grouped", [("city_admin", True), ("agency_manager", True), ("volunteer", False), ("donor", False)])
def test_a_long_menu_is_folded_into_groups(login, city, user, grouped):
    scope = actor_scope(city.users[user])
    bar = menu_bar(scope)
    groups = [item for item in bar if isinstance(item, Group)]
    assert bool(groups) == grouped == (len(menu(scope)) > FLAT_MAX)
    assert all(len(g.pages) > 1 and g.key in GROUPS for g in groups)
    body = login(user).get(reverse("web:home"), follow=True).content.decode()
    assert all(f'data-testid="nav-group-{g.key}"' in body for g in groups)
    if grouped:
        assert len(bar) <= FLAT_MAX + 1  # a bar that fits one row at 1280 px
