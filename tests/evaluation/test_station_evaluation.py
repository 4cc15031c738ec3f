"""Station evaluation (社工站评估): the agency applies for each station it runs and assesses its professional part;
experts review that part, the street office (the purchaser) and the supervisor mark theirs, the station's own
satisfaction surveys mark theirs; the committee decides a result (pass, good, excellent) by the framework's
cut-offs, puts it on notice and confirms it with a numbered result certificate. The station's agency keeps its
grade: a station's result is its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shanlian.core.errors import Conflict, DomainError, PermissionDenied
from shanlian.core.scoping import Role
from shanlian.evaluation import services as es
from shanlian.evaluation.framework_sheet import sheet_read, sheet_write
from shanlian.evaluation.models import Assessment, FrameworkKind, Indicator, Rating
from shanlian.evaluation.selectors_dashboard import capacity_trend, station_results
from shanlian.evaluation.services import assessments as sa
from shanlian.evaluation.services import decisions as sd
from shanlian.evaluation.services import reviews as sr
from shanlian.evaluation.services import satisfaction as ss
from shanlian.evaluation.services.frameworks import Node
from tests import factories as f

from .conftest import save
from .grading import evidence, passed_inspection

pytestmark = pytest.mark.django_db

BANDS = [("EX", "90"), ("GD", "80"), ("PS", "60")]


def station_tree() -> list[Node]:
    """100 points as the station framework's 1,000 in small: the professional part 70 (one leaf marked by the
    station's satisfaction surveys), the purchaser 20, the supervisor 10."""
    return [
        Node(name="专业评估", points="70", children=[
            Node(name="服务成效", points="40", scoring="levels",
                 levels=[("未开展", "10"), ("不足计划", "20"), ("完成计划", "30"), ("成效显著", "40")]),
            Node(name="服务在社区或入户的时数占比", points="20", scoring="points", evidence_required=True,
                 criteria="不低于60%得满分"),
            Node(name="服务对象满意度", points="10", scoring="points", source="satisfaction"),
        ]),
        Node(name="购买方评价", points="20", children=[
            Node(name="履约情况", points="20", scoring="points", source="purchaser"),
        ]),
        Node(name="督导评价", points="10", children=[
            Node(name="专业规范", points="10", scoring="yes_no", source="supervisor"),
        ]),
    ]


class S:
    """The city's station call of this year: 启明 (北京街, 人民街) applies for its stations."""

    def __init__(self, city):
        self.city, self.admin = city, city.users["city_admin"]
        self.framework = es.framework_publish(actor=self.admin, framework=es.framework_save(
            actor=self.admin, region=city.city, kind=FrameworkKind.STATION, year=timezone.localdate().year,
            title="广州市社工站综合评估指标", total="100", tree=station_tree(), bands=BANDS))
        today = timezone.localdate()
        self.call = sa.call_create(actor=self.admin, region=city.city, year=today.year, kind=FrameworkKind.STATION,
                                   title=f"{today.year}年度社工站综合评估", opens_on=today - dt.timedelta(days=3),
                                   closes_on=today + dt.timedelta(days=20), review_until=today + dt.timedelta(days=40))
        self.manager, self.agency = city.users["agency_manager"], city.orgs["启明"]
        self.station = city.stations["北京街"]
        self.officer = city.users["street_officer"]  # 北京街's street officer
        self.experts = [f.user_with_role(f"sx{n}", Role.EXPERT, None, name=name) for n, name in enumerate(["陈嘉敏", "何婉仪", "黄伟强"])]
        self.leaves = {leaf.name: leaf for leaf in sa.leaves_of(self.framework)}

    def marks(self, *names: str, level: int = 3, points: str = "18", yes: bool = True) -> dict[int, dict[str, object]]:
        out: dict[int, dict[str, object]] = {}
        for name in names:
            leaf = self.leaves[name]
            out[leaf.id] = ({"level": level} if leaf.scoring == "levels" else {"answer": "yes" if yes else "no"}
                            if leaf.scoring == "yes_no" else {"points": points})
        return out

    def submitted(self) -> Assessment:
        a = sa.assessment_apply(actor=self.manager, call=self.call, organization=self.agency, station=self.station)
        sa.self_rate(actor=self.manager, assessment=a, marks={**self.marks("服务成效", "服务在社区或入户的时数占比"),
                                                              **self.marks("服务对象满意度", points="8")})
        sa.evidence_add(actor=self.manager, assessment=a, indicator=Indicator.objects.get(pk=self.leaves["服务在社区或入户的时数占比"].id),
                        upload=evidence("入户服务台账.pdf"))
        return sa.assessment_submit(actor=self.manager, assessment=a)

    def expert_reviewed(self) -> Assessment:
        a = self.submitted()
        for r in sr.reviewers_assign(actor=self.admin, call=self.call, experts=self.experts[:2]):
            sr.evaluation_review_submit(actor=r.user, reviewer=r, marks={**self.marks("服务成效", "服务在社区或入户的时数占比"),
                                                                         **self.marks("服务对象满意度", points="6")})
        return a


@pytest.fixture
def s(city):
    return S(city)


def test_the_agency_applies_for_each_station_once_and_assesses_only_the_professional_part(s):
    a = sa.assessment_apply(actor=s.manager, call=s.call, organization=s.agency, station=s.station)
    again = sa.assessment_apply(actor=s.manager, call=s.call, organization=s.agency, station=s.station)
    other = sa.assessment_apply(actor=s.manager, call=s.call, organization=s.agency, station=s.city.stations["人民街"])
    assert again.pk == a.pk and other.pk != a.pk and (a.station, a.organization) == (s.station, s.agency)
    assert a.subject_name == s.station.name
    with pytest.raises(DomainError) as refused:
        sa.self_rate(actor=s.manager, assessment=a, marks=s.marks("服务成效", "履约情况"))
    assert refused.value.code == "not_your_indicator"
    assert not Rating.objects.filter(assessment=a).exists()  # nothing of the refused marks
    submitted = s.submitted()
    assert submitted.pk == a.pk and submitted.status == "submitted"
    assert submitted.self_total == Decimal("30") + Decimal("18") + Decimal("8")  # its part only: the others mark the rest


@pytest.mark.parametrize("case, code", [
    ("no_station", "station_required"),
    ("not_run_by_it", "not_your_station"),
    ("grade_call", "not_a_station_call"),
])
def test_a_station_application_is_refused_with_a_code_and_nothing_saved(s, case, code):
    call, org, station = s.call, s.agency, s.station
    if case == "no_station":
        station = None
    elif case == "not_run_by_it":
        station = s.city.stations["石牌街"]  # 同心's
    else:
        es.framework_publish(actor=s.admin, framework=save(s.admin, s.city.city))
        today = timezone.localdate()
        call = sa.call_create(actor=s.admin, region=s.city.city, year=2026, title="等级评估", opens_on=today,
                              closes_on=today + dt.timedelta(days=2), review_until=today + dt.timedelta(days=3))
        passed_inspection(s.admin, org)
    with pytest.raises(DomainError) as refused:
        sa.assessment_apply(actor=s.manager, call=call, organization=org, station=station)
    assert refused.value.code == code
    assert not Assessment.objects.exists()


def test_the_purchaser_and_the_supervisor_mark_their_part_and_the_committee_decides_after_them(s):
    a = s.expert_reviewed()
    with pytest.raises(Conflict) as refused:
        sd.assessment_decide(actor=s.admin, assessment=a, grade="GD")
    assert refused.value.code == "raters_missing"
    outsider = s.city.users["other_worker"]
    with pytest.raises(DomainError) as refused:
        sr.rater_name(actor=s.admin, assessment=a, user=outsider, role="purchaser")
    assert refused.value.code == "not_purchaser"  # not a street officer of 北京街
    buyer = sr.rater_name(actor=s.admin, assessment=a, user=s.officer, role="purchaser")
    second = f.user_with_role("bjj2", Role.STREET_OFFICER, s.city.streets["北京街"], name="北京街专干二")
    with pytest.raises(Conflict) as refused:
        sr.rater_name(actor=s.admin, assessment=a, user=second, role="purchaser")
    assert refused.value.code == "rater_named"  # one purchaser's evaluation a station
    supervisor = sr.rater_name(actor=s.admin, assessment=a, user=s.experts[2], role="supervisor")
    with pytest.raises(DomainError) as refused:  # the experts' leaves are not the purchaser's
        sr.evaluation_review_submit(actor=s.officer, reviewer=buyer, marks=s.marks("履约情况", "服务成效"))
    assert refused.value.code == "not_your_indicator"
    with pytest.raises(PermissionDenied):  # only the officer named marks the purchaser's part
        sr.evaluation_review_submit(actor=s.experts[2], reviewer=buyer, marks=s.marks("履约情况"))
    sr.evaluation_review_submit(actor=s.officer, reviewer=buyer, marks=s.marks("履约情况", points="16"), comment="履约良好")
    sr.evaluation_review_submit(actor=s.experts[2], reviewer=supervisor, marks=s.marks("专业规范"))
    # experts 30 + 18 + 6 (no surveys: the experts' mark of the satisfaction leaf counts), purchaser 16, supervisor 10
    assert sd.reviewed_total(a) == Decimal("80.00")
    with pytest.raises(DomainError) as refused:
        sd.assessment_decide(actor=s.admin, assessment=a, grade="EX")
    assert refused.value.code == "grade_above_score"
    with pytest.raises(DomainError) as refused:
        sd.assessment_decide(actor=s.admin, assessment=a, grade="4A")
    assert refused.value.code == "invalid_grade"
    decided = sd.assessment_decide(actor=s.admin, assessment=a, grade="GD")  # what 80 earns: no site inspection needed
    assert (decided.status, decided.grade, str(decided.grade_label)) == ("notice", "GD", "良好")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        done = sd.assessment_award(actor=s.admin, assessment=decided)
    assert done.status == "awarded" and done.certificate_no == f"440100-{timezone.localdate().year}-ST-0001"
    s.agency.refresh_from_db()
    assert s.agency.grade == "4A"  # the agency's own grade stands
    by_district = station_results(s.city.city)  # the dashboard: the city by district, then the district's stations
    assert [(r.label, r.evaluated, r.by_result, r.mean) for r in by_district] == [("越秀区", 1, {"GD": 1}, Decimal("80.0"))]
    [row] = station_results(s.city.districts["越秀"])
    assert (row.label, row.year, row.result, row.mean) == (s.station.name, timezone.localdate().year, "良好", Decimal("80.0"))


def test_a_station_s_own_surveys_mark_its_satisfaction_leaf(s, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "EVALUATION_SATISFACTION_MIN_RESPONSES": 4}
    today = timezone.localdate()
    for station, answers in ((s.station, [5, 4, 5, 2]), (s.city.stations["人民街"], [1, 1, 1, 1])):
        survey = ss.survey_create(actor=s.manager, title="社工站服务满意度", audience="beneficiary", anonymous=True,
                                  questions=["服务态度", "服务及时性", "总体满意度"], opens_on=today - dt.timedelta(days=2),
                                  closes_on=today + dt.timedelta(days=5), station=station)
        for value in answers:
            ss.response_submit(survey=survey, answers=[value] * 3, device=ss.new_device_id())
    a = s.expert_reviewed()
    leaf = s.leaves["服务对象满意度"]
    assert sd.survey_marks(a) == {leaf.id: Decimal("7.50")}  # 北京街's 3 of 4 satisfied; not the agency's other station


def test_a_station_framework_has_results_not_grades_and_its_sources_go_through_the_sheet(s):
    with pytest.raises(DomainError) as refused:
        es.framework_save(actor=s.admin, region=s.city.city, kind=FrameworkKind.STATION, year=2027, title="错误的等次",
                          total="100", tree=station_tree(), bands=[("5A", "90")])
    assert refused.value.code == "band_grade"
    tree = sheet_read(sheet_write(s.framework))
    sources = {n.name: n.source for root in tree for n in root.children}
    assert sources["履约情况"] == "purchaser" and sources["专业规范"] == "supervisor" and sources["服务对象满意度"] == "satisfaction"


def test_the_dashboard_s_capacity_by_year_is_each_dimension_s_mean_over_the_area_s_reports(s):
    from shanlian.evaluation.models import Diagnosis, Dimension, Questionnaire

    q = Questionnaire.objects.create(region=s.city.city, kind="capacity", title="组织能力诊断问卷")
    Dimension.objects.bulk_create([Dimension(questionnaire=q, code=c, name=n, position=i)
                                   for i, (c, n) in enumerate((("governance", "治理结构"), ("finance", "财务与内控")), start=1)])
    rows = [(s.city.orgs["启明"], dt.datetime(2025, 12, 31, 17, tzinfo=dt.UTC), {"governance": "2.00", "finance": "3.00"}),
            (s.city.orgs["同心"], dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC), {"governance": "3.00", "finance": "2.50"}),
            (s.city.orgs["同心"], dt.datetime(2026, 9, 1, 2, tzinfo=dt.UTC), {"governance": "4.00"}),
            (s.city.orgs["启明"], None, {"governance": "1.00", "finance": "1.00"})]  # not reported: not counted
    Diagnosis.objects.bulk_create([Diagnosis(organization=o, questionnaire=q, started_on=dt.date(2025, 11, 1),
                                             status="closed" if at else "open", closed_at=at, scores=sc) for o, at, sc in rows])
    names, years = capacity_trend(s.city.city)
    assert names == ["治理结构", "财务与内控"]
    # the first report closed at 01:00 on 1 January 2026 in Guangzhou: a 2026 report
    assert [(y.year, y.diagnosed, y.means) for y in years] == [(2026, 3, [Decimal("3.00"), Decimal("2.75")])]
    names, years = capacity_trend(s.city.districts["天河"])  # 同心's district: its two reports
    assert [(y.year, y.diagnosed, y.means) for y in years] == [(2026, 2, [Decimal("3.50"), Decimal("2.50")])]


def test_the_dashboard_counts_an_organization_named_in_two_batches_once(s):
    """Named in two brand batches, an organization is one brand organization (the count is over organizations, not
    over the assessments' ordering)."""
    from shanlian.evaluation.models import Call
    from shanlian.evaluation.selectors_dashboard import dashboard

    for batch, year in ((7, 2024), (9, 2026)):
        call = Call.objects.create(region=s.city.city, kind="brand", year=year, title=f"第{batch}批品牌社会组织评价", batch=batch,
                                   opens_on=dt.date(year, 3, 1), closes_on=dt.date(year, 4, 1), review_until=dt.date(year, 5, 1))
        decided = dt.datetime(year, 6, 1, tzinfo=dt.UTC)
        Assessment.objects.create(call=call, organization=s.agency, framework=s.framework, status="awarded", named=True,
                                  total=Decimal("90"), decided_at=decided, notice_until=decided + dt.timedelta(days=7),
                                  awarded_on=dt.date(year, 6, 10), certificate_no=f"440100-{year}-PP-0001")
    assert dashboard(s.city.city, on=timezone.localdate()).brand_named == 1
