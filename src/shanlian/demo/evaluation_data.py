"""The demo city's indicator frameworks, in the shape Guangzhou's civil-affairs bureau publishes them: a 1,000-point
grade framework for each kind of organization (the same headings, weighted for each kind: a foundation's governance
and performance weigh more), a 100-point brand framework (3 first-level, 11 second-level, 32 third-level indicators)
and a 1,000-point station framework (the professional assessment 700, the purchaser 200, the supervisor 100).

A leaf is (name, points, scoring, criteria or level descriptors, evidence required); a heading is (name, [children]),
its points the sum of its children's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shanlian.evaluation.services import Node

BANDS_1000 = [("5A", "951"), ("4A", "901"), ("3A", "851"), ("2A", "801"), ("1A", "751")]
STATION_BANDS = [("EX", "900"), ("GD", "800"), ("PS", "600")]  # 优秀 ≥ 90%, 良好 ≥ 80%, 合格 ≥ 60%


def _lv(*texts: str) -> list[str]:
    return list(texts)


def leaf(name: str, points: int | str, scoring: str = "points", criteria: Any = "", evidence: bool = True,
         source: str = "") -> dict[str, Any]:
    return {"name": name, "points": Decimal(str(points)), "scoring": scoring, "criteria": criteria, "evidence": evidence,
            "source": source}


def heading(name: str, children: list[Any], kind: str = "normal") -> dict[str, Any]:
    return {"name": name, "children": children, "kind": kind}


def levels(name: str, points: int, descriptors: list[str], evidence: bool = True, source: str = "") -> dict[str, Any]:
    """A leaf scored by levels 1–4: a quarter of its points a level."""
    return leaf(name, points, "levels", descriptors, evidence, source)


def to_nodes(items: list[dict[str, Any]]) -> list[Node]:
    out = []
    for item in items:
        if "children" in item:
            children = to_nodes(item["children"])
            total = sum((Decimal(str(c.points)) for c in children), Decimal(0))
            out.append(Node(name=item["name"], points=total, kind=item.get("kind", "normal"), children=children))
            continue
        node = Node(name=item["name"], points=item["points"], scoring=item["scoring"], evidence_required=item["evidence"],
                    kind=item.get("kind", "normal"), source=item.get("source", ""))
        if item["scoring"] == "levels":
            step = item["points"] / 4
            node.levels = [(text, step * n) for n, text in enumerate(item["criteria"], start=1)]
        else:
            node.criteria = item["criteria"]
        out.append(node)
    return out


def _grade_tree(w: dict[str, int]) -> list[dict[str, Any]]:
    """The grade framework's tree; `w` moves points between headings for each kind of organization."""
    return [
        heading("党的建设", [
            heading("党组织建设", [
                leaf("党组织覆盖", 20, "yes_no", "建立党组织或通过联合党支部、党建指导员实现党的工作覆盖得满分，否则不得分。"),
                leaf("党建工作写入章程", 10, "yes_no", "章程载明党的建设和社会主义核心价值观有关内容得满分。"),
            ]),
            heading("党建活动", [
                levels("组织生活与党建活动", 30 + w["party"], _lv(
                    "未开展党组织生活", "偶尔开展，记录不全", "按要求开展“三会一课”，记录完整",
                    "党建与业务深度融合，形成党建品牌")),
            ]),
        ]),
        heading("基础条件", [
            heading("法人资格", [
                leaf("登记事项", 15, "points", "名称、住所、法定代表人等与登记一致得15分；每项不一致扣5分。"),
                leaf("年度检查", 15, "points", "近两年年检合格得15分；基本合格得8分；不合格不得分。"),
            ]),
            heading("办公条件", [
                leaf("固定办公场所", 10, "yes_no", "有固定办公场所，产权证明或租赁合同齐全。"),
                leaf("专职工作人员", 20, "points", "专职人员3人以上得20分，1–2人得10分。"),
            ]),
        ]),
        heading("内部治理", [
            heading("组织机构", [
                levels("理事会（会员大会）运作", 40 + w["gov"], _lv(
                    "未按章程召开会议", "按章程召开，但议事记录不全", "按章程召开，决策程序规范、记录完整",
                    "决策规范透明，重大事项集体决策并公开")),
                leaf("监事（监事会）履职", 30, "points", "监事列席理事会并出具监督意见得30分；未履职不得分。"),
                leaf("换届选举", 30, "yes_no", "按期换届，程序符合章程。"),
            ]),
            heading("人力资源", [
                leaf("人事制度", 30, "points", "有招聘、考核、薪酬、培训制度且执行良好得30分。"),
                levels("专业人才与培训", 40, _lv(
                    "无持证社工", "持证社工占比低于30%", "持证社工占比30%以上，年度培训计划落实",
                    "持证社工占比50%以上，有督导和带教机制")),
            ]),
            heading("财务管理", [
                leaf("会计核算", 50 + w["fin"], "points", "执行《民间非营利组织会计制度》，账簿、凭证规范。每项不规范扣5分。"),
                leaf("内部控制与审计", 50, "points", "有内控制度，年度财务审计报告无保留意见得50分。"),
                leaf("票据与资产管理", 30, "points", "公益事业捐赠票据使用规范，资产台账清晰。"),
            ]),
            heading("档案与信息公开", [
                leaf("档案管理", 30, "points", "文书、会计、业务档案分类归档，保管规范。"),
                leaf("信息公开", 50 - w["party"], "points", "按规定在“慈善中国”或官网公开年报、项目和财务信息。"),
            ]),
        ]),
        heading("工作绩效", [
            heading("业务活动", [
                levels("服务项目与成效", 100 + w["perf"], _lv(
                    "无持续服务项目", "有服务项目，成效记录零散", "服务项目稳定，有成效评估",
                    "形成品牌项目，成效获服务对象和主管部门认可")),
                leaf("服务覆盖与人次", 80, "points", "年度服务人次达到计划的100%得80分，每少10%扣8分。"),
            ]),
            heading("诚信与自律", [
                leaf("诚信建设", 60, "points", "无违法违规记录、未列入活动异常名录得60分。"),
                leaf("规范收费与合同履约", 60 - w["gov"], "points", "收费合规，政府购买服务合同履约良好。"),
            ]),
            heading("社会参与", [
                leaf("参与社区治理与公益", 60 - w["fin"], "points", "参与“社工+慈善”、志愿服务、乡村振兴等活动。"),
                leaf("资源链接", 40 - w["perf"], "points", "链接慈善资源、企业和志愿者，有记录可查。"),
            ]),
        ]),
        heading("社会评价", [
            heading("内部评价", [
                leaf("工作人员满意度", 30, "points", "抽样问卷满意度90%以上得30分，每低5个百分点扣5分。", evidence=False),
            ]),
            heading("外部评价", [
                leaf("服务对象满意度", 40, "points", "抽样问卷满意度90%以上得40分。", evidence=False),
                leaf("登记管理机关与业务主管单位评价", 30, "points", "评价优秀得30分，良好得20分，一般得10分。"),
            ]),
        ]),
        heading("加分项", [
            leaf("获得市级以上表彰", 20, "points", "每项国家级10分、省级6分、市级3分，最高20分。"),
            leaf("品牌社会组织", 10, "yes_no", "被命名为广州市品牌社会组织。"),
        ], kind="bonus"),
        heading("扣分项", [
            leaf("受到行政处罚", 30, "points", "评估期内每受到一次行政处罚扣15分。", evidence=False),
            leaf("重大负面舆情", 20, "points", "经核实的重大负面舆情每起扣10分。", evidence=False),
        ], kind="deduction"),
    ]


# Points moved between headings for each kind (they add up to zero): party building, governance, finance, performance.
GRADE_WEIGHTS = {
    "service_institution": {"party": 0, "gov": 0, "fin": 0, "perf": 0},
    "association": {"party": 10, "gov": 10, "fin": -10, "perf": -10},
    "foundation": {"party": -10, "gov": 20, "fin": 10, "perf": -20},
}
ORG_KIND_NAMES = {"service_institution": "社会服务机构", "association": "社会团体", "foundation": "基金会"}


def grade_framework(org_kind: str) -> list[Node]:
    return to_nodes(_grade_tree(GRADE_WEIGHTS[org_kind]))


def _three(name: str, a: tuple[str, int], b: tuple[str, int], c: tuple[str, int], *more: tuple[str, int]) -> dict[str, Any]:
    return heading(name, [leaf(n, p, "points", "") for n, p in (a, b, c, *more)])


BRAND = [
    heading("品牌基础", [
        _three("组织规范", ("等级评估4A以上", 4), ("章程与治理结构", 3), ("财务规范", 3)),
        _three("专业能力", ("专业人才队伍", 4), ("督导体系", 3), ("服务标准化", 3)),
        _three("党建引领", ("党组织作用发挥", 4), ("党建与业务融合", 3), ("党员志愿服务", 3)),
        heading("发展历程", [leaf("持续运作年限", 5, "points", ""), leaf("稳定资金来源", 5, "points", "")]),
    ]),
    heading("品牌管理", [
        _three("品牌定位", ("使命与价值观清晰", 3), ("服务领域聚焦", 3), ("品牌规划", 5)),
        _three("品牌服务", ("品牌项目数量与质量", 4), ("项目设计与评估", 3), ("服务创新", 4)),
        _three("品牌传播", ("宣传渠道", 2), ("视觉识别系统", 2), ("媒体报道", 2), ("新媒体运营", 2)),
        heading("品牌保护", [leaf("商标与标识管理", 2, "points", ""), leaf("舆情应对机制", 3, "points", "")]),
    ]),
    heading("品牌价值", [
        _three("社会效益", ("服务对象受益", 4), ("社区治理贡献", 3), ("解决社会问题", 3)),
        _three("行业影响", ("示范带动", 3), ("标准与经验输出", 2), ("行业培训与交流", 2)),
        _three("社会认可", ("表彰与荣誉", 3), ("满意度", 3), ("公众知晓度", 2)),
    ]),
]

STATION = [
    heading("专业评估", [
        heading("服务成效", [
            levels("个案服务", 80, _lv("个案记录缺失", "个案服务不足计划的80%", "完成计划，记录规范", "成效显著，有典型案例")),
            levels("小组服务", 60, _lv("未开展", "开展不足计划的80%", "完成计划，有评估", "形成特色小组模式")),
            levels("社区活动", 80, _lv("未开展", "开展不足计划的80%", "完成计划，居民参与度高", "带动社区自治与慈善参与")),
            leaf("服务在社区或入户的时数占比", 60, "points", "不低于60%得满分，每低5个百分点扣10分。"),
            leaf("服务对象与居民满意度", 40, "points", "按本年度满意度调查的满意率计分（调查不足时由专家评分）。", evidence=False,
                 source="satisfaction"),
        ]),
        heading("“社工+慈善”", [
            leaf("慈善捐赠站点运作", 60, "points", "站点按指引运作，捐赠登记、公示规范。"),
            leaf("社区慈善基金项目", 60, "points", "推动社区慈善基金资助项目落地并公开。"),
            leaf("微心愿与志愿服务", 60, "points", "微心愿认领、时间银行积分记录完整。"),
        ]),
        heading("项目管理", [
            leaf("需求评估与计划", 60, "points", "有辖区需求评估报告，年度计划与需求对应。"),
            leaf("档案与台账", 50, "points", "服务档案、台账规范完整。"),
            leaf("人员稳定与督导", 50, "points", "社工流失率低于20%，督导每月不少于1次。"),
            leaf("财务与物资", 40, "points", "项目经费使用与预算一致，票据齐全。"),
        ]),
    ]),
    heading("购买方评价", [
        heading("街道（购买方）评价", [
            levels("服务配合度", 100, _lv("配合差", "基本配合", "配合良好", "主动配合并提出建设性意见"), evidence=False,
                   source="purchaser"),
            leaf("履约情况", 100, "points", "按合同完成服务指标。", evidence=False, source="purchaser"),
        ]),
    ]),
    heading("督导评价", [
        heading("督导意见", [
            levels("专业规范", 50, _lv("不符合专业规范", "部分符合", "符合专业规范", "专业示范性强"), evidence=False,
                   source="supervisor"),
            levels("团队成长", 50, _lv("无成长计划", "有计划未落实", "计划落实", "团队成长明显"), evidence=False,
                   source="supervisor"),
        ]),
    ]),
]
