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
