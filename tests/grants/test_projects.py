"""The registry of service projects: an agreement in force enters it, a fund or station commissions one directly, the
lead organization and the station report progress with photos, and the brand list keeps to "成熟一个培育一个"."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.grants.models import (
    BrandPlanStatus,
    BrandStage,
    Need,
    PhaseKind,
    ProgressPhoto,
    ProjectOrigin,
    ProjectStatus,
    ServiceProject,
)
from shanlian.grants.selectors_projects import project_progress, projects_list
from shanlian.grants.services import projects as ps
from shanlian.grants.services.agreements import agreement_draft, agreement_sign

from .test_agreements import PLAN, funded

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = dt.date(2026, 6, 15)


def codes(exc) -> set[str]:
    return {exc.code, *(c for errs in (exc.fields or {}).values() for c, _m in errs)}


def commissioned(world, actor=None, **kw):
    args = {"title": "耆乐安居·长者居家安全", "area": "elderly", "lead": world.city.orgs["启明"], "summary": "为独居长者上门评估居家安全",
            "beneficiaries": "北京街独居长者", "beneficiary_count": 80, "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "fund": world.fund}
    args.update(kw)
    return ps.service_project_register(actor=actor or world.admin, **args)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_funds_signature_enters_the_project_in_the_registry(world):
    r = world.round(PhaseKind.AGREEMENTS)
    p = funded(world, r)
    for category in ("elderly", "disability", "elderly"):
        p.needs.add(Need.objects.create(round=r, text="长者居家安全", category=category, community=world.city.communities["盐运西"],
                                        source="resident"))
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    a = agreement_sign(actor=world.managers["长者互助队"], agreement=a)
    assert not ServiceProject.objects.exists()  # not before the fund signs
    a = agreement_sign(actor=world.admin, agreement=a)
    project = a.service_project
    assert (project.origin, project.area, project.lead, project.fund, project.station, project.proposal) == (
        ProjectOrigin.ROUND, "elderly", world.groups["长者互助队"], world.fund, world.city.stations["北京街"], p)
    assert (project.starts_on, project.ends_on, project.beneficiary_count, project.title) == (
        p.starts_on, p.ends_on, 60, p.title)
    assert AuditLog.objects.filter(action="grants.project.register", object_id=str(project.pk)).exists()
    agreement_sign(actor=world.admin, agreement=a)  # again: quiet, still one entry
    assert ServiceProject.objects.count() == 1
    other = funded(world, world.round(PhaseKind.AGREEMENTS, title="另一轮", budget="30000"))
    b = agreement_draft(actor=world.staff, proposal=other, tranches=PLAN)
    agreement_sign(actor=world.managers["长者互助队"], agreement=b)
    with pytest.raises(ValidationFailed):
        agreement_sign(actor=world.admin, agreement=b, area="pets")
    assert agreement_sign(actor=world.admin, agreement=b, area="disability").service_project.area == "disability"


def test_a_fund_or_a_station_commissions_a_project(world):
    project = commissioned(world)
    assert (project.origin, project.station, project.agreement, project.status) == (
        ProjectOrigin.COMMISSIONED, world.city.stations["北京街"], None, ProjectStatus.ACTIVE)
    by_station = commissioned(world, actor=world.staff, fund=None, station=world.city.stations["北京街"], title="四点半课堂")
    assert by_station.fund is None and by_station.station == world.city.stations["北京街"]
    for actor, kw in [(world.city.users["other_worker"], {}), (world.managers["长者互助队"], {}),
                      (world.city.users["other_worker"], {"fund": None, "station": world.city.stations["北京街"]}),
                      (world.staff, {"fund": None, "station": world.city.stations["石牌街"]})]:
        with pytest.raises(PermissionDenied):
            commissioned(world, actor=actor, **kw)
    for kw, code in [({"area": "pets"}, "invalid_area"), ({"ends_on": "2025-12-31"}, "period_reversed"),
                     ({"ends_on": "2032-12-31"}, "period_too_long"), ({"title": ""}, "required"),
                     ({"beneficiary_count": 0}, "too_small"), ({"starts_on": "昨天"}, "invalid_date"),
                     ({"title": "长" * 65}, "too_long"), ({"fund": None, "station": None}, "station_or_fund"),
                     ({"station": world.city.stations["石牌街"]}, "station_not_funds")]:
        with pytest.raises(ValidationFailed) as refused:
            commissioned(world, **kw)
        assert code in codes(refused.value), kw


def test_the_lead_and_the_station_report_progress_with_photos(world):
    project = commissioned(world, lead=world.groups["长者互助队"])
    photo = SimpleUploadedFile("入户.png", PNG, content_type="image/png")
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC), tick=False):
        report = ps.progress_report_submit(actor=world.managers["长者互助队"], project=project, period_end="2026-05-31",
                                           text="完成30户入户评估", person_times=96, sessions=8, photos=[photo])
        assert [p.name for p in ProgressPhoto.objects.filter(report=report)] == ["入户.png"]
        ps.progress_report_submit(actor=world.staff, project=project, period_end=dt.date(2026, 6, 15), text="安全讲座两场",
                                  person_times=60, sessions=2)
        for actor in (world.managers["青年志愿者协会"], world.city.users["other_worker"], world.experts[1]):
            with pytest.raises(PermissionDenied):
                ps.progress_report_submit(actor=actor, project=project, period_end="2026-04-30", text="x", person_times=1, sessions=1)
        with pytest.raises(Conflict) as refused:
            ps.progress_report_submit(actor=world.staff, project=project, period_end="2026-05-31", text="再报", person_times=1,
                                      sessions=1)
        assert refused.value.code == "progress_exists"
        pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")
        fake = SimpleUploadedFile("b.png", b"GIF89a" + b"\x00" * 20, content_type="image/png")
        for kw, code in [({"period_end": "2026-06-16"}, "period_end_outside"), ({"period_end": "2025-12-31"}, "period_end_outside"),
                         ({"person_times": -1}, "too_small"), ({"sessions": 100_001}, "too_large"), ({"text": ""}, "required"),
                         ({"milestone": 1}, "unknown_milestone"), ({"photos": [pdf]}, "photo_type"), ({"photos": [fake]}, "photo_type"),
                         ({"photos": [SimpleUploadedFile(f"{i}.png", PNG) for i in range(10)]}, "too_many_photos")]:
            args = {"period_end": "2026-04-30", "text": "活动", "person_times": 10, "sessions": 1, **kw}
            with pytest.raises(ValidationFailed) as refused:
                ps.progress_report_submit(actor=world.staff, project=project, **args)
            assert code in codes(refused.value), kw
    reports, totals = project_progress(project)
    assert [r.period_end for r in reports] == [dt.date(2026, 6, 15), dt.date(2026, 5, 31)]
    assert (totals.reports, totals.person_times, totals.sessions, totals.photos) == (2, 156, 10, 1)
    row = projects_list(actor=world.staff).get(pk=project.pk)
    assert (row.person_times, row.session_count) == (156, 10)


def test_only_a_commissioned_project_closes_by_itself(world):
    project = commissioned(world)
    with pytest.raises(PermissionDenied):
        ps.project_close(actor=world.city.users["other_worker"], project=project, report="结项")
    with pytest.raises(ValidationFailed):
        ps.project_close(actor=world.staff, project=project, report="")
    closed = ps.project_close(actor=world.staff, project=project, report="全年服务长者80人")
    assert closed.status == ProjectStatus.CLOSED and closed.closed_at is not None
    assert ps.project_close(actor=world.staff, project=project, report="再结").closing_report == "全年服务长者80人"
    with pytest.raises(Conflict) as refused:
        ps.progress_report_submit(actor=world.staff, project=project, period_end="2026-01-31", text="x", person_times=1, sessions=1)
    assert refused.value.code == "project_closed"


def test_the_brand_list_cultivates_one_at_a_time_and_its_deciders_are_the_area_and_the_custodian(world):
    first = commissioned(world)
    second = commissioned(world, title="四点半课堂", area="children")
    district = world.city.users["district_admin"]
    for outsider in (world.staff, world.city.users["street_officer"], world.managers["长者互助队"]):
        with pytest.raises(PermissionDenied):
            ps.brand_list_add(actor=outsider, project=first, reason="服务成效好")
    first = ps.brand_list_add(actor=district, project=first, reason="服务成效好，有示范性")
    assert first.brand_stage == BrandStage.CULTIVATING and first.brand_stage_at is not None
    with pytest.raises(Conflict) as refused:
        ps.brand_list_add(actor=world.admin, project=second, reason="也想培育")
    assert refused.value.code == "brand_slot_taken" and "耆乐安居" in str(refused.value.message)
    with pytest.raises(Conflict) as refused:
        ps.brand_stage_set(actor=district, project=second, stage=BrandStage.BRAND, reason="直接定为品牌")
    assert refused.value.code == "not_cultivated"
    with pytest.raises(ValidationFailed):
        ps.brand_stage_set(actor=district, project=first, stage=BrandStage.CULTIVATING, reason="x")
    assert ps.brand_stage_set(actor=world.admin, project=first, stage=BrandStage.BRAND, reason="评估优秀").brand_stage == BrandStage.BRAND
    assert ps.brand_list_add(actor=world.admin, project=second, reason="成熟一个培育一个").brand_stage == BrandStage.CULTIVATING
    assert AuditLog.objects.filter(action="grants.brand.stage").count() == 3


def test_a_brand_project_has_a_yearly_plan_reviewed_on_its_date(world):
    project = commissioned(world)
    with pytest.raises(Conflict) as refused:
        ps.brand_plan_save(actor=world.staff, project=project, year=2026, goals="g", actions="a", owner="王社工", review_on="2026-12-01")
    assert refused.value.code == "not_on_brand_list"
    ps.brand_list_add(actor=world.admin, project=project, reason="示范")
    with pytest.raises(PermissionDenied):
        ps.brand_plan_save(actor=world.managers["长者互助队"], project=project, year=2026, goals="g", actions="a", owner="x",
                           review_on="2026-12-01")
    plan = ps.brand_plan_save(actor=world.staff, project=project, year=2026, goals="服务覆盖全街独居长者", actions="培训志愿者20名",
                              owner="王社工", review_on="2026-12-01")
    plan = ps.brand_plan_save(actor=world.staff, project=project, year="2026", goals="服务覆盖全街独居长者；形成服务手册",
                              actions="培训志愿者20名", owner="王社工", review_on="2026-12-01", plan=plan)
    assert plan.goals.endswith("服务手册")
    with pytest.raises(ValidationFailed) as refused:
        ps.brand_plan_save(actor=world.staff, project=project, year=2026, goals="g", actions="a", owner="x", review_on="2026-12-01")
    assert refused.value.code == "plan_year_taken"
    for kw, code in [({"year": 1999}, "too_small"), ({"goals": ""}, "required"), ({"owner": "长" * 65}, "too_long"),
                     ({"review_on": "十二月"}, "invalid_date")]:
        args = {"year": 2027, "goals": "g", "actions": "a", "owner": "x", "review_on": "2027-12-01", **kw}
        with pytest.raises(ValidationFailed) as refused:
            ps.brand_plan_save(actor=world.staff, project=project, **args)
        assert code in codes(refused.value), kw
    with time_machine.travel(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), tick=False), pytest.raises(Conflict) as refused:
        ps.brand_plan_review(actor=world.admin, plan=plan, met=True, note="达成")
    assert refused.value.code == "review_not_due"
    with time_machine.travel(dt.datetime(2026, 12, 2, tzinfo=dt.UTC), tick=False):
        with pytest.raises(PermissionDenied):
            ps.brand_plan_review(actor=world.staff, plan=plan, met=True, note="达成")
        reviewed = ps.brand_plan_review(actor=world.admin, plan=plan, met=True, note="覆盖独居长者112人，手册已印发")
        assert reviewed.status == BrandPlanStatus.MET
        with pytest.raises(Conflict) as refused:
            ps.brand_plan_save(actor=world.staff, project=project, year=2026, goals="g", actions="a", owner="x",
                               review_on="2026-12-01", plan=plan)
        assert refused.value.code == "plan_reviewed"
    assert timezone.now()  # (the clock is back)
