"""`shanlian seed_demo`: the demo city (广州市, 11 districts, stations, people, one login per role)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from shanlian.core.errors import DomainError
from shanlian.core.scoping import Role
from shanlian.demo.data import PASSWORD_ENV
from shanlian.demo.seed import KINDS, SeedReport, seed_demo

KIND_LABELS = {
    "divisions": "行政区划 Divisions",
    "organizations": "社会组织 Organizations",
    "stations": "社工站 Stations",
    "donation_points": "慈善捐赠站点 Donation points",
    "people": "居民 People",
    "logins": "演示账号 Demo logins",
    "role_grants": "角色授权 Role grants",
    "charity_funds": "社区慈善基金 Community funds",
    "charity_projects": "慈善项目 Projects",
    "charity_campaigns": "联合劝募 Campaigns",
    "charity_gifts": "捐赠 Gifts",
    "charity_payouts": "拨付申请 Payouts",
    "charity_receipts": "捐赠收据 Receipts",
    "timebank_questions": "时间银行题库 Quiz questions",
    "timebank_volunteers": "志愿者 Volunteers",
    "timebank_activities": "志愿活动 Activities",
    "timebank_hours": "服务时长记录 Hours records",
    "timebank_items": "积分兑换项目 Catalog items",
    "timebank_redemptions": "积分兑换 Redemptions",
    "grants_rounds": "微创投轮次 Micro-venture rounds",
    "grants_proposals": "项目申报 Proposals",
    "grants_ballots": "居民投票 Ballots",
    "grants_results": "评选结果 Results",
    "grants_agreements": "资助协议 Grant agreements",
    "evaluation_frameworks": "评估指标体系 Indicator frameworks",
    "evaluation_calls": "评估通知 Evaluation calls",
    "evaluation_assessments": "等级与品牌评估 Assessments",
    "evaluation_reviews": "专家评审 Expert reviews",
    "evaluation_awards": "评定结果 Decisions awarded",
    "evaluation_supervision_tasks": "督导任务 Supervision tasks",
    "evaluation_supervision_done": "已完成督导 Checks done",
    "evaluation_supervision_groups": "1+N督导小组 1+N groups",
    "evaluation_supervision_sessions": "督导场次 Supervision sessions",
    "evaluation_surveys": "满意度调查 Satisfaction surveys",
    "evaluation_survey_responses": "满意度答卷 Survey responses",
    "capacity_diagnoses": "组织力诊断 Capacity diagnoses",
    "capacity_respondents": "诊断填答人 Diagnosis respondents",
    "capacity_actions": "改进措施 Improvement actions",
    "competency_assessments": "胜任力评估 Competency assessments",
    "coaching_sessions": "带教场次 Coaching sessions",
    "resource_partners": "资源伙伴 Resource partners",
    "resource_offers": "资源供给 Offers",
    "resource_needs": "资源需求 Needs",
    "resource_matches": "供需对接 Matches",
    "resource_deliveries_confirmed": "已确认送达 Deliveries confirmed",
    "beneficiaries": "服务对象 Beneficiaries",
    "consents": "同意记录 Consents",
    "data_requests": "个人信息权利申请 Data-subject requests",
    "cases": "个案 Cases",
    "records": "个案服务记录 Service records",
    "groupwork_programmes": "小组与社区活动 Groups and activities",
    "groupwork_sessions": "小组与活动场次 Sessions",
    "wishes": "微心愿 Micro-wishes",
    "wish_claims": "心愿认领 Wish claims",
    "wishes_confirmed": "已实现心愿 Wishes fulfilled",
}


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def report_lines(report: SeedReport) -> list[str]:
    rows = [
        [KIND_LABELS[k], str(report.created[k] + report.existing[k]), str(report.created[k]), str(report.existing[k])]
        for k in KINDS
    ]
    lines = [f"演示数据已就绪 Demo data ready ({report.seconds:.1f} s)"]
    lines += table(["类别 Kind", "合计 Total", "新建 Created", "已有 Existing"], rows)
    return lines


def login_lines(report: SeedReport) -> list[str]:
    rows = []
    for row in report.logins:
        with translation.override("en"):
            english = str(Role(row.role).label) if row.role else "Superuser"
        password = report.password if row.password_ok else "（已有账号，密码未改 existing account, password kept）"
        scope = row.scope if row.granted else f"{row.scope}（已有账号，未授权 existing account, role not granted）"
        rows.append([row.username, row.real_name, f"{row.role_zh} {english}", scope, password])
    lines = ["演示账号 Demo logins (仅供演示，勿用于生产 for demonstration only, never in production)"]
    lines += table(["用户名 User", "姓名 Name", "角色 Role", "范围 Scope", "密码 Password"], rows)
    lines.append(f"密码可用环境变量 {PASSWORD_ENV} 设置 / set the password with {PASSWORD_ENV}")
    return lines


def run_seed(command: BaseCommand) -> SeedReport:
    try:
        return seed_demo()
    except DomainError as exc:
        fields = "; ".join(f"{name}: {', '.join(str(m) for _, m in errs)}" for name, errs in exc.fields.items())
        raise CommandError(
            f"演示数据写入失败 Seeding failed: {exc.message_in('zh-hans')} / {exc.message_in('en')} {fields}".rstrip()
        ) from exc


class Command(BaseCommand):
    help = "Create the demo city (Guangzhou-like): divisions, organizations, stations, people and demo logins. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_seed(self)
        for line in [*report_lines(report), "", *login_lines(report)]:
            self.stdout.write(line)
