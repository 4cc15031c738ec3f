"""The demo city's grade assessment and brand batch, written through the evaluation services under the demo's
simulated clock, so every step happened on its day: the registration authority's standing records (last year's
annual inspections; one organization on the abnormal list, one penalised), the expert pool's profiles and ties, this
year's city grade call with assessments in every stage (graded with certificates, on public notice with objections,
not graded, under expert review with divergent marks, awaiting a site inspection, a self-assessment under way for
the demo's agency manager), this year's brand batch with its named organizations, and this year's station evaluation
(results confirmed, one on notice, one waiting for its street office's evaluation, the demo's agency assessing 北京街)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanlian.core import crypto
from shanlian.core.scoping import Role
from shanlian.evaluation import scoring
from shanlian.evaluation.eligibility import brand_ineligibility, grade_ineligibility
from shanlian.evaluation.models import Call, FrameworkKind, Indicator, RaterKind, Reviewer, Scoring
from shanlian.evaluation.services import assessments as sa
from shanlian.evaluation.services import decisions as sd
from shanlian.evaluation.services import reviews as sr
from shanlian.orgs.models import Grade, Organization, OrgKind, StandingRecord, Station
from shanlian.orgs.services import standing_record
from shanlian.people import services as people_services
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import actor_scope
from shanlian.people.selectors_experts import expert_conflicts
from shanlian.people.services_experts import expert_profile_save, expert_tie_declare
from shanlian.places.models import Division, Level

from .data import demo_password
from .plan import _Planner, unique_username
from .timebank_clock import TZ, SimulatedClock

SEED = 20261204
# The pool: name → (fields, title, employer, ceiling).
PROFILES = {
    "罗建华": (["social_work", "governance", "community"], "教授、高级社会工作师", "华南某高校社会工作系", 12),
    "陈嘉敏": (["social_work", "children", "elderly"], "副教授", "广州某大学社会学系", 10),
    "梁志刚": (["social_work", "disability", "governance"], "高级社会工作师、督导", "自由执业督导", 8),
    "何婉仪": (["finance", "governance"], "注册会计师", "广州某会计师事务所", 10),
    "黄伟强": (["community", "party", "hardship"], "原社区党委书记", "（已退休）", 6),
}
# Each participant: how good it is (share of each leaf's points), and how far its story goes.
AWARDED, NOTICE, NOT_GRADED, REVIEWING, AWAIT_SITE = "awarded", "notice", "not_graded", "reviewing", "await_site"
STORIES = ((OrgKind.FOUNDATION, 0.905, AWARDED), (OrgKind.SERVICE_INSTITUTION, 0.875, AWARDED),
           (OrgKind.ASSOCIATION, 0.78, AWARDED), (OrgKind.SERVICE_INSTITUTION, 0.84, NOTICE),
           (OrgKind.SERVICE_INSTITUTION, 0.66, NOT_GRADED), (OrgKind.FOUNDATION, 0.86, REVIEWING),
           (OrgKind.ASSOCIATION, 0.84, AWAIT_SITE))
MANAGERS = ("谭晓雯", "区志强", "麦淑芬", "冼嘉伟", "黎文杰", "钟美玲", "苏永康", "关晓琳")
# The station call's stories: how good each station is, and how far it goes.
STATION_STORIES = ((0.93, AWARDED), (0.86, AWARDED), (0.83, NOTICE), (0.79, REVIEWING))
OFFICERS = ("区慧敏", "陈国栋", "黄丽萍", "李振华", "吴素珍", "梁家辉")
OBJECTIONS = (
    ("陈先生", "13926083412", "该机构去年承接的长者饭堂项目服务人次统计与街道台账不一致，请核实。",
     "经核查街道台账与机构服务记录，差异为统计口径不同（含送餐上门人次），数据属实，异议不成立。"),
    ("匿名居民", "13711520986", "机构去年有一名社工离职后未及时更换，个案跟进中断，评分是否过高？",
     ""),
)


def _rng() -> random.Random:
    return random.Random(SEED)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)


def _marks(leaves: list[scoring.Leaf], share: float, rng: random.Random, *, spread: float, lift: float = 0.0) -> dict[int, dict[str, Any]]:
    """A rater's marks: each leaf near `share` of its points (± `spread`, lifted by `lift` for a self-assessment)."""
    out: dict[int, dict[str, Any]] = {}
    for leaf in leaves:
        if leaf.kind == "deduction":
            out[leaf.id] = {"points": "0" if rng.random() < 0.85 else str(min(leaf.points, Decimal(2)))}
            continue
        if leaf.kind == "bonus":  # a commendation or two, seldom the whole item
            out[leaf.id] = {"points": str((leaf.points * Decimal(str(round(rng.random() * 0.3, 2)))).quantize(Decimal("1")))}
            continue
        s = max(0.0, min(1.0, share + lift + rng.gauss(0, spread)))
        if leaf.scoring == Scoring.YES_NO:
            out[leaf.id] = {"answer": "yes" if s >= 0.5 else "no"}
        elif leaf.scoring == Scoring.LEVELS:
            target = leaf.points * Decimal(str(s))
            out[leaf.id] = {"level": min(range(4), key=lambda n: abs(leaf.levels[n] - target)) + 1}
        else:
            out[leaf.id] = {"points": str((leaf.points * Decimal(str(s))).quantize(Decimal("1")))}
    return out


def _pdf(name: str) -> SimpleUploadedFile:
    body = f"%PDF-1.4\n% 善联演示材料：{name}\n".encode()
    return SimpleUploadedFile(f"{name[:60]}.pdf", body, content_type="application/pdf")


class _Grading:
    def __init__(self, admin: Any, city: Any) -> None:
        self.admin, self.city = admin, city
        self.rng = _rng()
        self.planner = _Planner(SEED)
        self.clock = SimulatedClock()
        self.today = timezone.localdate()
        self.counts: Counter[str] = Counter()
        self.taken = set(get_user_model().objects.values_list("username", flat=True))

    def day(self, offset: int, hour: int = 10) -> None:
        self.clock.at(_at(self.today + dt.timedelta(days=offset), hour))

    # --- the records and the pool ----------------------------------------------------------------------------

    def standing(self, orgs: list[Organization]) -> None:
        scope = actor_scope(self.admin)
        year = self.today.year
        for n, org in enumerate(orgs):
            for y in (year - 2, year - 1):
                if org.registered_on.year > y:
                    continue
                result = "basic" if (n + y) % 11 == 0 else "passed"
                standing_record(actor=self.admin, scope=scope, organization=org, kind="inspection", year=y,
                                on=dt.date(y + 1, 5, 20 + n % 8), result=result, note="年度检查结论")
                self.counts["evaluation_standing"] += 1
        troubled = [o for o in orgs if o.kind == OrgKind.SERVICE_INSTITUTION][-2:]
        if len(troubled) == 2:
            standing_record(actor=self.admin, scope=scope, organization=troubled[0], kind="abnormal",
                            on=self.today - dt.timedelta(days=200), note="未按规定报送年度工作报告")
            standing_record(actor=self.admin, scope=scope, organization=troubled[1], kind="penalty",
                            on=self.today - dt.timedelta(days=400), note="违规开展募捐活动，予以警告")
            self.counts["evaluation_standing"] += 2

    def pool(self) -> list[Any]:
        experts = [g.user for g in RoleGrant.objects.filter(role=Role.EXPERT, revoked_at__isnull=True)
                   .select_related("user").order_by("user_id")]
        for user in experts:
            fields, title, employer, ceiling = PROFILES.get(user.first_name, (["social_work"], "", "", None))
            expert_profile_save(actor=self.admin, user=user, fields=fields, title=title, employer=employer, max_load=ceiling)
            self.counts["evaluation_expert_profiles"] += 1
        tied = next((u for u in experts if u.first_name == "梁志刚"), None)
        agency = Organization.objects.filter(is_agency=True, stations__street__name="北京街道").first()
        if tied is not None and agency is not None:
            expert_tie_declare(actor=tied, user=tied, organization=agency, kind="adviser", note="2019年至2023年曾任该机构督导",
                               ended_on=dt.date(2023, 12, 31))
        return experts

    def manager(self, org: Organization, n: int) -> Any:
        """The organization's manager: the one it has, or a login made for it (a person of its district)."""
        existing = RoleGrant.objects.filter(organization=org, role__in=[Role.ORG_MANAGER, Role.AGENCY_MANAGER],
                                            revoked_at__isnull=True).select_related("user").first()
        if existing is not None:
            return existing.user
        home = Division.objects.filter(level=Level.COMMUNITY, path__startswith=org.division.path).order_by("code").first() \
            or Division.objects.filter(level=Level.COMMUNITY).order_by("code").first()
        assert home is not None  # the demo city has communities
        name, gender = MANAGERS[n % len(MANAGERS)], "F" if n % 2 else "M"
        birth = dt.date(1972 + n * 2, 1 + n % 12, 3 + n)
        while True:  # a resident ID no one on record has
            rid = self.planner.resident_id((home.code[:6],), birth, gender)
            if not Person.objects.filter(resident_id_hash=crypto.blind_index(rid, purpose="resident_id")).exists():
                break
        person = people_services.person_create(actor=self.admin, real_name=name, division=home, gender=gender,
                                               resident_id=rid, phone=self.planner.mobile())
        user = people_services.account_create(actor=None, person=person, password=demo_password(),
                                              username=unique_username(name, self.rng, self.taken, f"org{n}"))
        people_services.role_grant(actor=self.admin, scope=actor_scope(self.admin), user=user, role=Role.ORG_MANAGER, target=org)
        self.counts["evaluation_logins"] += 1
        return user

    # --- one organization's way through a call ---------------------------------------------------------------

    def self_assess(self, call: Call, org: Organization, manager: Any, share: float, *, submit: bool = True,
                    station: Any = None) -> Any:
        a = sa.assessment_apply(actor=manager, call=call, organization=org, station=station)
        leaves = [leaf for leaf in sa.leaves_of(a.framework) if scoring.rated_by(leaf, RaterKind.SELF)]
        marks = _marks(leaves, share, self.rng, spread=0.03, lift=0.015)
        if not submit:  # under way: about two thirds marked
            marks = dict(list(marks.items())[: len(marks) * 2 // 3])
        sa.self_rate(actor=manager, assessment=a, marks=marks)
        for leaf in leaves:
            if leaf.evidence_required and (submit or leaf.id in marks):
                sa.evidence_add(actor=manager, assessment=a, indicator=_indicator(leaf.id), upload=_pdf(f"{leaf.code} {leaf.name}"))
                self.counts["evaluation_evidence"] += 1
        self.counts["evaluation_assessments"] += 1
        return sa.assessment_submit(actor=manager, assessment=a) if submit else a

    def review(self, reviewer: Reviewer, share: float, *, spread: float = 0.04, comment: str = "") -> None:
        leaves = [leaf for leaf in sa.leaves_of(reviewer.assessment.framework_id) if scoring.rated_by(leaf, reviewer.role)]
        comment = comment or ("材料较齐全，治理结构规范，建议加强项目成效评估与信息公开。" if share >= 0.85 else
                              "部分制度执行记录缺失，财务内控需整改，建议限期补充材料。")
        sr.evaluation_review_submit(actor=reviewer.user, reviewer=reviewer, marks=_marks(leaves, share, self.rng, spread=spread),
                                    comment=comment)
        self.counts["evaluation_reviews"] += 1

    # --- the calls ---------------------------------------------------------------------------------------------

    def grade_call(self, experts: list[Any]) -> None:
        year = self.today.year
        self.day(-85)
        call = sa.call_create(actor=self.admin, region=self.city, year=year, title=f"{year}年广州市社会组织等级评估",
                              opens_on=self.today - dt.timedelta(days=84), closes_on=self.today + dt.timedelta(days=10),
                              review_until=self.today + dt.timedelta(days=50), reviewers=2, notice_days=7)
        self.counts["evaluation_calls"] += 1
        picked = self.participants()
        shares = {}
        for n, (org, share, story) in enumerate(picked):
            self.day(-80 + n, 9 + n % 6)
            shares[org.pk] = (share, story)
            self.self_assess(call, org, self.manager(org, n), share)
        self.day(-55)
        sr.reviewers_assign(actor=self.admin, call=call, experts=experts)
        rows = list(Reviewer.objects.filter(assessment__call=call).select_related("assessment", "user").order_by("assessment_id", "id"))
        for n, r in enumerate(rows):
            share, story = shares[r.assessment.organization_id]
            if story == REVIEWING and n % 2:
                continue  # the second expert has not marked yet
            self.day(-45 + n % 14, 14)
            self.review(r, share, spread=0.09 if story == REVIEWING else 0.04)
        site = {AWARDED, NOTICE, AWAIT_SITE}
        by_org = {a.organization_id: a for a in call.assessments.all()}
        for n, (org, share, story) in enumerate(picked):
            a = by_org[org.pk]
            earned = scoring.grade_for(sd.reviewed_total(a), a.framework.bands.values_list("grade", "minimum"))
            if story in site and sd.grade_rank(earned) >= sd.grade_rank("3A"):
                self.day(-30 + n, 9)
                busy = set(a.reviewers.values_list("user_id", flat=True))
                load = Counter(Reviewer.objects.filter(assessment__call=call).values_list("user_id", flat=True))
                inspector = min((e for e in experts if e.pk not in busy and e.first_name != "梁志刚"), key=lambda e: (load[e.pk], e.pk))
                r = sr.rater_name(actor=self.admin, assessment=a, user=inspector)
                if story != AWAIT_SITE:
                    self.day(-27 + n, 15)
                    self.review(r, share, spread=0.03)
            if story in (AWARDED, NOT_GRADED):
                self.day(-25, 10 + n)
                note = "" if earned else "总分未达等级标准，财务管理与内部治理指标失分较多，建议整改后再行申报。"
                sd.assessment_decide(actor=self.admin, assessment=a, grade=earned, note=note)
        self.objections(call, picked, by_org)

    def objections(self, call: Call, picked: list[tuple[Organization, float, str]], by_org: dict[int, Any]) -> None:
        awarded = [by_org[o.pk] for o, _s, story in picked if story == AWARDED]
        name, phone, text, answer = OBJECTIONS[0]
        self.day(-22, 16)
        objection = sd.objection_lodge(assessment=awarded[1], name=name, contact=phone, text=text)
        self.day(-20, 11)
        sd.objection_answer(actor=self.admin, objection=objection, answer=answer, upheld=False)
        self.day(-15, 10)
        for a in [by_org[o.pk] for o, _s, story in picked if story in (AWARDED, NOT_GRADED)]:
            sd.assessment_award(actor=self.admin, assessment=a)
            self.counts["evaluation_awards"] += 1
        for o, _s, story in picked:
            if story == NOTICE:
                a = by_org[o.pk]
                earned = scoring.grade_for(sd.reviewed_total(a), a.framework.bands.values_list("grade", "minimum"))
                self.day(-3, 10)
                sd.assessment_decide(actor=self.admin, assessment=a, grade=earned)
                name, phone, text, _answer = OBJECTIONS[1]
                self.day(-1, 20)
                sd.objection_lodge(assessment=a, name=name, contact=phone, text=text)

    def participants(self) -> list[tuple[Organization, float, str]]:
        """The call's applicants: for each story, the first eligible organization of its kind (in name order)."""
        taken: set[int] = set()
        out = []
        pool = list(Organization.objects.filter(is_charity_federation=False).order_by("name"))
        agency_of_demo = Organization.objects.filter(is_agency=True, stations__street__name="北京街道").first()
        for kind, share, story in STORIES:
            org = next((o for o in pool if o.kind == kind and o.pk not in taken and o != agency_of_demo
                        and not grade_ineligibility(o, self.today - dt.timedelta(days=80))), None)
            if org is not None:
                taken.add(org.pk)
                out.append((org, share, story))
        return out

    def brand_call(self, experts: list[Any]) -> None:
        year = self.today.year
        self.day(-70)
        call = sa.call_create(actor=self.admin, region=self.city, kind=FrameworkKind.BRAND, year=year,
                              title=f"{year}年广州市第九批品牌社会组织评价", batch=9, pass_mark=Decimal(85),
                              opens_on=self.today - dt.timedelta(days=69), closes_on=self.today - dt.timedelta(days=40),
                              review_until=self.today - dt.timedelta(days=12), reviewers=2)
        self.counts["evaluation_calls"] += 1
        on = self.today - dt.timedelta(days=60)
        graded = [o for o in Organization.objects.filter(grade__in=[Grade.A4, Grade.A5], is_charity_federation=False)
                  .order_by("name") if not brand_ineligibility(o, on)][:3]
        shares = (0.93, 0.9, 0.8)
        for n, org in enumerate(graded):
            self.day(-60 + n)
            self.self_assess(call, org, self.manager(org, n + 3), shares[n])
        self.day(-38)
        sr.reviewers_assign(actor=self.admin, call=call, experts=experts)
        for n, r in enumerate(Reviewer.objects.filter(assessment__call=call).select_related("assessment", "user").order_by("id")):
            self.day(-30 + n % 10, 15)
            self.review(r, shares[[o.pk for o in graded].index(r.assessment.organization_id)])
        for n, a in enumerate(call.assessments.select_related("call", "framework").order_by("id")):
            self.day(-11, 10 + n)
            score = sd.reviewed_total(a)
            named = score >= Decimal(85)
            sd.assessment_decide(actor=self.admin, assessment=a, named=named,
                                 note="" if named else "品牌价值指标得分偏低，建议持续培育后参加下一批评价。")
        self.day(-2, 10)
        for a in call.assessments.order_by("id"):
            sd.assessment_award(actor=self.admin, assessment=a)
            self.counts["evaluation_awards"] += 1

    def officer(self, station: Any, n: int) -> Any:
        """The station's street officer (the purchaser's voice): the one on record, or a login made for the street."""
        existing = RoleGrant.objects.filter(role=Role.STREET_OFFICER, division_id=station.street_id, revoked_at__isnull=True) \
            .select_related("user").order_by("id").first()
        if existing is not None:
            return existing.user
        home = Division.objects.filter(level=Level.COMMUNITY, path__startswith=station.street.path).order_by("code").first()
        assert home is not None  # every demo street has communities
        name, gender = OFFICERS[n % len(OFFICERS)], "F" if n % 2 == 0 else "M"
        birth = dt.date(1980 + n, 2 + n % 10, 5 + n)
        while True:
            rid = self.planner.resident_id((home.code[:6],), birth, gender)
            if not Person.objects.filter(resident_id_hash=crypto.blind_index(rid, purpose="resident_id")).exists():
                break
        person = people_services.person_create(actor=self.admin, real_name=name, division=home, gender=gender,
                                               resident_id=rid, phone=self.planner.mobile())
        user = people_services.account_create(actor=None, person=person, password=demo_password(),
                                              username=unique_username(name, self.rng, self.taken, f"officer{n}"))
        people_services.role_grant(actor=self.admin, scope=actor_scope(self.admin), user=user, role=Role.STREET_OFFICER,
                                   target=station.street)
        self.counts["evaluation_logins"] += 1
        return user

    def station_call(self, experts: list[Any]) -> None:
        """This year's evaluation of the stations: four stations' agencies assessed them; the experts reviewed the
        professional part, the street offices and a supervisor theirs; two results confirmed, one on notice, one
        waiting for its street office. The demo's agency has begun 北京街's."""
        year = self.today.year
        self.day(-62)
        call = sa.call_create(actor=self.admin, region=self.city, kind=FrameworkKind.STATION, year=year,
                              title=f"{year}年度广州市社工站综合评估", opens_on=self.today - dt.timedelta(days=60),
                              closes_on=self.today + dt.timedelta(days=12), review_until=self.today + dt.timedelta(days=45),
                              reviewers=2)
        self.counts["evaluation_calls"] += 1
        stations = [st for st in Station.objects.select_related("agency", "street").order_by("street__code")
                    if st.street.name != "北京街道"][:len(STATION_STORIES)]
        assessments = []
        for n, (station, (share, story)) in enumerate(zip(stations, STATION_STORIES, strict=False)):
            self.day(-58 + n * 2, 10 + n)
            a = self.self_assess(call, station.agency, self.manager(station.agency, n + 10), share, station=station)
            assessments.append((a, share, story, n))
        self.day(-40)
        sr.reviewers_assign(actor=self.admin, call=call, experts=experts)
        for n, r in enumerate(Reviewer.objects.filter(assessment__call=call).select_related("assessment", "user").order_by("id")):
            share = next(s for a, s, _story, _n in assessments if a.pk == r.assessment_id)
            self.day(-36 + n % 8, 15)
            self.review(r, share, comment="个案与小组服务记录规范，社区活动参与度高；建议加强服务成效评估。" if share >= 0.85 else
                        "服务台账基本完整，入户服务时数占比接近要求，建议加强需求评估与计划的对应。")
        for a, share, story, n in assessments:
            self.day(-30 + n, 9)
            buyer = sr.rater_name(actor=self.admin, assessment=a, user=self.officer(a.station, n), role=RaterKind.PURCHASER)
            busy = set(a.reviewers.values_list("user_id", flat=True))
            supervisor = next(e for e in sorted(experts, key=lambda e: (e.first_name != "梁志刚", e.pk))
                              if e.pk not in busy and not expert_conflicts(user_ids=[e.pk], organization_ids=[a.organization_id],
                                                                           on=self.today))
            boss = sr.rater_name(actor=self.admin, assessment=a, user=supervisor, role=RaterKind.SUPERVISOR)
            self.day(-26 + n, 16)
            self.review(boss, share, comment="团队按督导计划成长，专业规范良好。")
            if story == REVIEWING:
                continue  # the street office has not given its evaluation yet
            self.day(-24 + n, 11)
            self.review(buyer, share + 0.02, comment="服务团队配合街道中心工作，按合同完成服务指标。")
            earned = scoring.grade_for(sd.reviewed_total(a), a.framework.bands.values_list("grade", "minimum"))
            self.day(-20 + n if story == AWARDED else -2, 10)
            sd.assessment_decide(actor=self.admin, assessment=a, grade=earned)
        self.day(-10, 10)
        for a, _share, story, _n in assessments:
            if story == AWARDED:
                sd.assessment_award(actor=self.admin, assessment=a)
                self.counts["evaluation_awards"] += 1
        agency = Organization.objects.filter(is_agency=True, stations__street__name="北京街道").first()
        manager = get_user_model().objects.filter(username="agency_manager").first()
        home = Station.objects.filter(street__name="北京街道").first()
        if agency is not None and manager is not None and home is not None:
            self.day(-4, 16)
            self.self_assess(call, agency, manager, 0.9, submit=False, station=home)

    def self_assessment_under_way(self) -> None:
        """The demo's agency manager has begun this year's self-assessment of their agency."""
        org = Organization.objects.filter(is_agency=True, stations__street__name="北京街道").first()
        manager = get_user_model().objects.filter(username="agency_manager").first()
        call = Call.objects.filter(kind=FrameworkKind.GRADE).order_by("-year").first()
        if org is None or manager is None or call is None:
            return
        self.day(-6, 15)
        self.self_assess(call, org, manager, 0.9, submit=False)


def _indicator(pk: int) -> Indicator:
    return Indicator.objects.get(pk=pk)


def seed_grading(*, admin: Any, city: Any) -> Counter[str]:
    """What it made, by kind; a second run finds the calls there and makes nothing."""
    if Call.objects.exists() or StandingRecord.objects.exists():
        return Counter()
    g = _Grading(admin, city)
    with g.clock.installed():
        g.day(-120)
        g.standing(list(Organization.objects.order_by("name")))
        experts = g.pool()
        if len(experts) >= 3:
            g.grade_call(experts)
            g.brand_call(experts)
            g.self_assessment_under_way()
            g.station_call(experts)
    return g.counts
