"""The demo city's indicator frameworks (`evaluation_data`), written through the evaluation services by the city's
civil-affairs administrator: last year's and this year's grade frameworks, one for each kind of organization, and this
year's brand and station frameworks, all published; and next year's grade framework for service institutions as a
draft being prepared. A second run finds them there and writes nothing."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.evaluation import services as es
from shanlian.evaluation.models import Framework, FrameworkKind
from shanlian.places.models import Division, Level

from . import evaluation_data as d
from .evaluation_capacity import seed_capacity
from .evaluation_grading import seed_grading
from .evaluation_satisfaction import seed_satisfaction
from .evaluation_supervision import seed_supervision


def evaluation_totals() -> Counter[str]:
    return Counter({"evaluation_frameworks": Framework.objects.count()})


def seed_evaluation() -> tuple[Counter[str], Counter[str]]:
    """(created, already there) by kind."""
    before = evaluation_totals()
    city = Division.objects.filter(level=Level.CITY).order_by("code").first()
    admin = get_user_model().objects.filter(username="city_admin").first()
    if city is None or admin is None:
        return Counter(), before
    made = Counter({"evaluation_frameworks": _frameworks(admin, city)})
    for part in (seed_grading, seed_capacity, seed_supervision, seed_satisfaction):  # each finds its own work done
        made.update(part(admin=admin, city=city))
    return +made, before


def _frameworks(admin: Any, city: Division) -> int:
    if Framework.objects.filter(region=city).exists():
        return 0
    year = timezone.localdate().year
    made = 0
    for kind_year in (year - 1, year):
        for org_kind, name in d.ORG_KIND_NAMES.items():
            f = es.framework_save(actor=admin, region=city, kind=FrameworkKind.GRADE, org_kind=org_kind, year=kind_year,
                                  title=f"{city.name}社会组织等级评估指标（{name}）", total=Decimal(1000),
                                  tree=d.grade_framework(org_kind), bands=d.BANDS_1000)
            es.framework_publish(actor=admin, framework=f)
            made += 1
    for kind, title, tree, total, bands in ((FrameworkKind.BRAND, f"{city.name}品牌社会组织评价指标", d.BRAND, 100, []),
                                            (FrameworkKind.STATION, f"{city.name}社工站综合评估指标", d.STATION, 1000,
                                             d.STATION_BANDS)):
        es.framework_publish(actor=admin, framework=es.framework_save(
            actor=admin, region=city, kind=kind, year=year, title=title, total=Decimal(total), tree=d.to_nodes(tree),
            bands=bands))
        made += 1
    current = Framework.objects.get(region=city, kind=FrameworkKind.GRADE, org_kind="service_institution", year=year,
                                    status="published")
    es.framework_new_version(actor=admin, framework=current, year=year + 1,
                             title=f"{city.name}社会组织等级评估指标（社会服务机构，{year + 1}年征求意见稿）")
    made += 1
    return made
