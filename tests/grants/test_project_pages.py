"""The registry's staff pages and API: who sees which project, the filters, the progress form with photos, the
commissioning form, the brand list and its plans; refusals come back on the form with their codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shanlian.grants.models import BrandPlan, ProgressReport, ServiceProject
from shanlian.grants.services import projects as ps

from .test_projects import PNG, commissioned

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def projects(world):
    elder = commissioned(world, lead=world.groups["长者互助队"])
    other = commissioned(world, actor=world.city.users["other_worker"], fund=None, station=world.city.stations["石牌街"],
                         title="石牌街助残", area="disability", lead=world.city.orgs["同心"])
    return elder, other


def signed_in(client, user):
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    return [int(x.split('"')[0]) for x in response.content.decode().split('data-project-id="')[1:]]


def test_each_sees_the_projects_of_their_area_fund_station_or_organization(client, world, projects):
    elder, other = projects
    for user, seen in [(world.staff, [elder]), (world.admin, [elder]), (world.city.users["district_admin"], [elder]),
                       (world.city.users["city_admin"], [elder, other]), (world.city.users["other_worker"], [other]),
                       (world.managers["长者互助队"], [elder]), (world.managers["青年志愿者协会"], [])]:
        answer = signed_in(client, user).get(reverse("grants:project_list"))
        assert answer.status_code == 200
        assert sorted(ids(answer)) == sorted(p.pk for p in seen), user
        detail = client.get(reverse("grants:project_detail", args=[other.pk]))
        assert detail.status_code == (200 if other in seen else 404), user
    for name in ("volunteer", "donor", "nobody", "expert"):
        assert signed_in(client, world.city.users[name]).get(reverse("grants:project_list")).status_code == 403
    assert signed_in(client, world.city.users["city_admin"]).get(
        reverse("grants:project_list"), {"area": "disability", "origin": "commissioned", "status": "active", "brand_stage": "none"}
    ).status_code == 200
    answer = client.get(reverse("grants:project_list"), {"area": "disability"})
    assert ids(answer) == [other.pk]
    assert ids(client.get(reverse("grants:project_list"), {"station": str(world.city.stations["北京街"].pk)})) == [elder.pk]
    assert ids(client.get(reverse("grants:project_list"), {"area": "nonsense", "station": "x" * 30})) != []  # ignored, not a 500


def test_the_lead_reports_progress_with_photos_and_sees_them(client, world, projects):
    elder, _other = projects
    c = signed_in(client, world.managers["长者互助队"])
    with time_machine.travel(NOON, tick=False):
        page = c.get(reverse("grants:project_detail", args=[elder.pk]))
        assert 'data-testid="progress-form"' in page.content.decode() and 'data-testid="brand-form"' not in page.content.decode()
        bad = c.post(reverse("grants:progress_new", args=[elder.pk]), {
            "period_end": "2026-05-31", "text": "入户评估", "person_times": "30", "sessions": "3",
            "photos": [SimpleUploadedFile("a.pdf", b"%PDF-1.4")]})
        assert bad.status_code == 400 and 'data-error-code="photo_type"' in bad.content.decode()
        done = c.post(reverse("grants:progress_new", args=[elder.pk]), {
            "period_end": "2026-05-31", "text": "入户评估30户", "person_times": "96", "sessions": "8",
            "photos": [SimpleUploadedFile("入户.png", PNG)]})
        assert done.status_code == 302
        again = c.post(reverse("grants:progress_new", args=[elder.pk]), {
            "period_end": "2026-05-31", "text": "再报", "person_times": "1", "sessions": "1"})
        assert again.status_code == 409 and 'data-error-code="progress_exists"' in again.content.decode()
    report = ProgressReport.objects.get(project=elder)
    photo = report.photos.get()
    body = c.get(reverse("grants:project_detail", args=[elder.pk])).content.decode()
    assert "入户评估30户" in body and 'data-testid="photo"' in body
    url = reverse("grants:progress_photo", args=[photo.pk])
    assert c.get(url).status_code == 200
    assert c.get(reverse("grants:progress_photo", args=[photo.pk + 1000])).status_code == 404
    assert signed_in(client, world.city.users["other_worker"]).get(url).status_code == 404
    outsider = signed_in(client, world.managers["青年志愿者协会"]).post(reverse("grants:progress_new", args=[elder.pk]), {
        "period_end": "2026-05-30", "text": "x", "person_times": "1", "sessions": "1"})
    assert outsider.status_code == 404


def test_staff_commission_a_project_on_the_form(client, world):
    c = signed_in(client, world.staff)
    page = c.get(reverse("grants:project_new"))
    assert page.status_code == 200
    data = {"title": "四点半课堂", "area": "children", "lead": str(world.city.orgs["启明"].pk),
            "station": str(world.city.stations["北京街"].pk),
            "summary": "为双职工家庭儿童提供课后托管", "beneficiaries": "北京街小学生", "beneficiary_count": "40",
            "starts_on": "2026-03-01", "ends_on": "2026-02-01"}
    bad = c.post(reverse("grants:project_new"), data)
    assert bad.status_code == 400 and 'data-error-code="period_reversed"' in bad.content.decode(), bad.context["form"].errors.as_data()
    made = c.post(reverse("grants:project_new"), {**data, "ends_on": "2026-12-31"})
    assert made.status_code == 302
    project = ServiceProject.objects.get(title="四点半课堂")
    assert made["Location"] == reverse("grants:project_detail", args=[project.pk]) and project.origin == "commissioned"
    assert signed_in(client, world.managers["长者互助队"]).post(reverse("grants:project_new"), {**data, "ends_on": "2026-12-31"}
                                                               ).status_code in (400, 403)


def test_the_brand_list_page_and_a_plan(client, world, projects):
    elder, _other = projects
    district = signed_in(client, world.city.users["district_admin"])
    brand_url = reverse("grants:project_brand", args=[elder.pk])
    refused = signed_in(client, world.staff).post(brand_url, {"stage": "cultivating", "reason": "好"})
    assert refused.status_code == 403
    district = signed_in(client, world.city.users["district_admin"])
    assert district.post(brand_url, {"stage": "cultivating", "reason": "服务成效好"}).status_code == 302
    wrong = district.post(reverse("grants:project_brand", args=[elder.pk]), {"stage": "brand", "reason": ""})
    assert wrong.status_code == 400
    staff = signed_in(client, world.staff)
    made = staff.post(reverse("grants:brand_plan_new", args=[elder.pk]), {
        "year": "2026", "goals": "覆盖全街独居长者", "actions": "培训志愿者20名", "owner": "王社工", "review_on": "2026-12-01"})
    assert made.status_code == 302
    plan = BrandPlan.objects.get(project=elder)
    body = staff.get(reverse("grants:brand_list")).content.decode()
    assert "覆盖全街独居长者" in body and 'data-testid="brand-row"' in body
    assert staff.get(reverse("grants:brand_list"), {"stage": "brand"}).content.decode().count('data-testid="brand-row"') == 0
    page = staff.get(reverse("grants:brand_plan", args=[plan.pk]))
    assert page.status_code == 200 and 'data-testid="plan-edit-form"' in page.content.decode()
    assert 'data-testid="review-form"' not in page.content.decode()
    changed = staff.post(reverse("grants:brand_plan", args=[plan.pk]), {
        "action": "edit", "edit-year": "2026", "edit-goals": "覆盖全街独居长者；形成手册", "edit-actions": "培训志愿者",
        "edit-owner": "王社工", "edit-review_on": "2026-12-01"})
    assert changed.status_code == 302
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, tzinfo=dt.UTC), tick=False):
        early = signed_in(client, world.admin).post(reverse("grants:brand_plan", args=[plan.pk]), {
            "action": "review", "review-met": "yes", "review-note": ""})
        assert early.status_code == 400
        done = client.post(reverse("grants:brand_plan", args=[plan.pk]), {"action": "review", "review-met": "yes",
                                                                         "review-note": "手册已印发"})
        assert done.status_code == 302
    assert BrandPlan.objects.get(pk=plan.pk).status == "met"
    assert signed_in(client, world.city.users["other_worker"]).get(reverse("grants:brand_plan", args=[plan.pk])).status_code == 404


def test_the_close_form_for_a_commissioned_project(client, world, projects):
    elder, _other = projects
    c = signed_in(client, world.staff)
    assert c.post(reverse("grants:project_close", args=[elder.pk]), {"report": ""}).status_code == 400
    assert c.post(reverse("grants:project_close", args=[elder.pk]), {"report": "全年服务80人"}).status_code == 302
    body = c.get(reverse("grants:project_detail", args=[elder.pk])).content.decode()
    assert 'data-testid="closing-report"' in body and 'data-testid="progress-form"' not in body


# --- the API ------------------------------------------------------------------------------------------------------


def api(client, method: str, path: str, body=None):
    if method == "get":
        return client.get(f"/api/grants{path}", body or {})
    return client.post(f"/api/grants{path}", json.dumps(body or {}), content_type="application/json")


def test_the_api_lists_registers_and_reports(client, world, projects, django_assert_max_num_queries):
    elder, other = projects
    c = signed_in(client, world.staff)
    with django_assert_max_num_queries(12):
        answer = api(c, "get", "/manage/projects", {"area": "elderly"})
    assert answer.status_code == 200 and [r["id"] for r in answer.json()["results"]] == [elder.pk]
    assert api(c, "get", "/manage/projects", {"area": "pets"}).status_code in (400, 422)
    made = api(c, "post", "/manage/projects", {
        "title": "社区议事厅", "area": "governance", "lead_id": world.city.orgs["启明"].pk, "station_id": world.city.stations["北京街"].pk,
        "summary": "培育居民议事", "beneficiaries": "北京街居民", "beneficiary_count": 200, "starts_on": "2026-01-01",
        "ends_on": "2026-12-31"})
    assert made.status_code == 201 and made.json()["origin"] == "commissioned"
    bad = api(c, "post", "/manage/projects", {
        "title": "x", "area": "governance", "lead_id": world.city.orgs["启明"].pk, "fund_code": "nope", "summary": "x",
        "beneficiaries": "x", "beneficiary_count": 1, "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_fund"
    with time_machine.travel(NOON, tick=False):
        report = api(c, "post", f"/manage/projects/{elder.pk}/progress", {
            "period_end": "2026-05-31", "text": "入户评估", "person_times": 96, "sessions": 8})
        assert report.status_code == 201 and report.json()["person_times"] == 96
        again = api(c, "post", f"/manage/projects/{elder.pk}/progress", {
            "period_end": "2026-05-31", "text": "入户评估", "person_times": 96, "sessions": 8})
        assert again.status_code == 409 and again.json()["code"] == "progress_exists"
    assert api(c, "post", f"/manage/projects/{other.pk}/progress", {
        "period_end": "2026-05-31", "text": "x", "person_times": 1, "sessions": 1}).status_code == 404
    ps.brand_list_add(actor=world.admin, project=elder, reason="示范")
    ps.brand_plan_save(actor=world.staff, project=elder, year=2026, goals="g", actions="a", owner="王社工", review_on="2026-12-01")
    with django_assert_max_num_queries(12):
        brand = api(c, "get", "/manage/brand")
    assert brand.status_code == 200
    row = brand.json()["results"][0]
    assert row["id"] == elder.pk and row["brand_stage"] == "cultivating" and row["plans"][0]["owner"] == "王社工"
    assert api(signed_in(client, world.city.users["donor"]), "get", "/manage/brand").status_code == 403
