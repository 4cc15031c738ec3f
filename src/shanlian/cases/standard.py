"""The standard data of beneficiaries: the categories of civil affairs' priority groups and the first wording of each
consent purpose. Written by migration 0002 (and by the demo, on a database whose rows a test emptied); a city adds its
own categories and publishes new wording versions as data, without a release."""

from __future__ import annotations

from typing import Any

CATEGORIES = [
    # code, name, English name, care area
    ("elderly_alone", "独居老人", "Elder living alone", "elderly"),
    ("elderly_solitary", "孤寡老人", "Elder without family", "elderly"),
    ("elderly_empty_nest", "空巢老人", "Empty-nest elder", "elderly"),
    ("elderly_advanced", "高龄老人", "Elder aged 80 or over", "elderly"),
    ("dibao", "低保对象", "Minimum living allowance (dibao)", "hardship"),
    ("dibao_edge", "低保边缘家庭", "Near the minimum allowance line", "hardship"),
    ("tekun", "特困人员", "Extreme hardship (tekun)", "hardship"),
    ("orphan", "孤儿", "Orphan", "children"),
    ("unsupported_child", "事实无人抚养儿童", "Child without de-facto carers", "children"),
    ("child_in_difficulty", "困境儿童", "Child in difficulty", "children"),
    ("left_behind_child", "留守儿童", "Left-behind child", "children"),
    ("disability", "残疾人", "Person with a disability", "disability"),
    ("severe_disability", "重度残疾人", "Person with a severe disability", "disability"),
]

TEXTS = [
    ("service", "本人同意社工站为提供社会工作服务（需求评估、服务计划、探访与个案跟进）收集和使用本人的个人信息，"
                "包括健康、残疾、经济状况和住址等敏感个人信息；信息加密保存，仅本站社工及其督导可查看，其他人员查看须说明理由并留痕。"
                "本人可随时查阅、更正或撤回同意，撤回不影响撤回前的处理。",
     "I agree that the station collects and uses my personal information, including sensitive information on health, "
     "disability, finances and address, to provide social-work services. It is kept encrypted and seen only by the "
     "station's social workers and their supervisor; anyone else must give a reason, which is logged. I may access, "
     "correct or withdraw consent at any time; withdrawal does not affect processing before it."),
    ("assistance", "本人同意社工站为申请和核实社会救助（低保、特困供养、残疾人补贴等）向民政部门及街道、社区提供本人的必要信息。",
     "I agree that the station gives the civil-affairs bureau, the street and the community the information needed to "
     "apply for and check social assistance."),
    ("safeguarding", "监护人同意社工站为保护儿童收集和使用儿童的个人信息（监护、就学、照料与风险情况），仅用于儿童保护服务。",
     "The guardian agrees that the station collects and uses the child's personal information (custody, schooling, care "
     "and risks) for child protection only."),
    ("referral", "本人同意社工站将与转介服务相关的必要信息提供给下列接收机构，用于其提供服务。",
     "I agree that the station gives the receiving organizations listed the information needed for the referred service."),
    ("wish", "本人同意社工站以不显示姓名和住址的方式（仅显示社区）发布本人的微心愿，认领人经社工站联系送达。",
     "I agree that the station posts my micro-wish without my name or address (community only); claimants deliver "
     "through the station."),
    ("publicity", "本人同意社工站在宣传材料中使用本人的照片和服务故事，不显示住址和证件信息。",
     "I agree that the station uses my photos and story in publicity, without my address or identity documents."),
]


def standard_data(category_model: Any, text_model: Any) -> None:
    """Each category as listed (by code), each purpose's first wording unless it has one: safe to run again."""
    for order, (code, name, name_en, area) in enumerate(CATEGORIES, start=1):
        category_model.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "area": area,
                                                                     "order": order * 10})
    for purpose, wording, wording_en in TEXTS:
        if not text_model.objects.filter(purpose=purpose).exists():
            text_model.objects.create(purpose=purpose, version=1, wording=wording, wording_en=wording_en)


# --- assessment instruments ------------------------------------------------------------------------------------------

def _opt(value: str, label: str, label_en: str, score: int) -> dict[str, Any]:
    return {"value": value, "label": label, "label_en": label_en, "score": score}


def _levels(*scores_labels: tuple[int, str, str]) -> list[dict[str, Any]]:
    return [_opt(str(score), f"{label}（{score}分）", f"{label_en} ({score})", score) for score, label, label_en in scores_labels]


DEP, HELP, INDEP = "完全依赖", "需部分帮助", "自理"
BARTHEL_ITEMS = [
    ("feeding", "进食", "Feeding", _levels((0, DEP, "Unable"), (5, HELP, "Needs help"), (10, INDEP, "Independent"))),
    ("bathing", "洗澡", "Bathing", _levels((0, DEP, "Dependent"), (5, INDEP, "Independent"))),
    ("grooming", "修饰（洗脸、梳头、刷牙、刮脸）", "Grooming", _levels((0, "需帮助", "Needs help"), (5, INDEP, "Independent"))),
    ("dressing", "穿衣", "Dressing", _levels((0, DEP, "Dependent"), (5, HELP, "Needs help"), (10, INDEP, "Independent"))),
    ("bowels", "大便控制", "Bowels", _levels((0, "失禁", "Incontinent"), (5, "偶有失禁", "Occasional accident"),
                                           (10, "能控制", "Continent"))),
    ("bladder", "小便控制", "Bladder", _levels((0, "失禁", "Incontinent"), (5, "偶有失禁", "Occasional accident"),
                                             (10, "能控制", "Continent"))),
    ("toilet", "如厕", "Toilet use", _levels((0, DEP, "Dependent"), (5, HELP, "Needs some help"), (10, INDEP, "Independent"))),
    ("transfer", "床椅转移", "Transfers (bed to chair and back)",
     _levels((0, DEP, "Unable"), (5, "需极大帮助", "Major help"), (10, "需少量帮助", "Minor help"), (15, INDEP, "Independent"))),
    ("mobility", "平地行走45米", "Mobility on level surfaces (45 m)",
     _levels((0, "不能行走", "Immobile"), (5, "需极大帮助（或使用轮椅）", "Wheelchair independent"),
             (10, "需少量帮助", "Walks with help"), (15, INDEP, "Independent"))),
    ("stairs", "上下楼梯", "Stairs", _levels((0, "不能", "Unable"), (5, HELP, "Needs help"), (10, INDEP, "Independent"))),
]

# GDS-15 (Yesavage, short form): one point for each answer that points to depression.
GDS_QUESTIONS = [
    ("q1", "您对生活基本上满意吗？", "Are you basically satisfied with your life?", "no"),
    ("q2", "您是否放弃了许多活动和兴趣？", "Have you dropped many of your activities and interests?", "yes"),
    ("q3", "您是否觉得生活空虚？", "Do you feel that your life is empty?", "yes"),
    ("q4", "您是否常感到厌倦？", "Do you often get bored?", "yes"),
    ("q5", "您是否大部分时间精力充沛？", "Are you in good spirits most of the time?", "no"),
    ("q6", "您是否害怕会有不幸的事落到您头上？", "Are you afraid that something bad is going to happen to you?", "yes"),
    ("q7", "您是否大部分时间感到幸福？", "Do you feel happy most of the time?", "no"),
    ("q8", "您是否常感到孤立无援？", "Do you often feel helpless?", "yes"),
    ("q9", "您是否宁愿待在家里而不愿去做些新鲜事？", "Do you prefer to stay at home rather than going out and doing new things?",
     "yes"),
    ("q10", "您是否觉得记忆力比大多数人差？", "Do you feel you have more problems with memory than most?", "yes"),
    ("q11", "您是否认为现在活着很惬意？", "Do you think it is wonderful to be alive now?", "no"),
    ("q12", "您是否觉得像现在这样活着毫无意义？", "Do you feel pretty worthless the way you are now?", "yes"),
    ("q13", "您觉得精力充沛吗？", "Do you feel full of energy?", "no"),
    ("q14", "您是否觉得您的处境毫无希望？", "Do you feel that your situation is hopeless?", "yes"),
    ("q15", "您是否觉得大多数人比您强？", "Do you think that most people are better off than you are?", "yes"),
]

INSTRUMENTS: list[dict[str, Any]] = [
    {"code": "barthel", "name": "Barthel 日常生活活动能力量表", "name_en": "Barthel Index of Activities of Daily Living",
     "min_score": 0, "max_score": 100, "higher_is_better": True,
     "items": [{"key": key, "text": text, "text_en": text_en, "options": options} for key, text, text_en, options in BARTHEL_ITEMS],
     "bands": [{"min": 100, "max": 100, "label": "独立", "label_en": "Independent"},
               {"min": 61, "max": 99, "label": "轻度依赖", "label_en": "Mild dependence"},
               {"min": 41, "max": 60, "label": "中度依赖", "label_en": "Moderate dependence"},
               {"min": 0, "max": 40, "label": "重度依赖", "label_en": "Severe dependence"}]},
    {"code": "gds15", "name": "老年抑郁量表（GDS-15）", "name_en": "Geriatric Depression Scale (GDS-15)",
     "min_score": 0, "max_score": 15, "higher_is_better": False,
     "items": [{"key": key, "text": text, "text_en": text_en,
                "options": [_opt("yes", "是", "Yes", 1 if scored == "yes" else 0), _opt("no", "否", "No", 1 if scored == "no" else 0)]}
               for key, text, text_en, scored in GDS_QUESTIONS],
     "bands": [{"min": 0, "max": 4, "label": "无抑郁", "label_en": "Normal"},
               {"min": 5, "max": 9, "label": "轻度抑郁", "label_en": "Mild depression"},
               {"min": 10, "max": 15, "label": "中重度抑郁", "label_en": "Moderate to severe depression"}]},
]


def standard_instruments(instrument_model: Any) -> None:
    """Each standard instrument as listed (by code): safe to run again; a city adds its own as data."""
    for spec in INSTRUMENTS:
        instrument_model.objects.update_or_create(code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"})
