"""Indicator frameworks as data: saved whole or not at all, every rule of the tree refused with the indicator it
concerns, published once and frozen, followed by new versions; written by the region's administrators only."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.evaluation import services as es
from shanlian.evaluation.models import Framework, FrameworkStatus, Indicator
from shanlian.evaluation.services import Node
from shanlian.evaluation.services.frameworks import framework_tree

from .conftest import BANDS_100, save, small_tree

pytestmark = pytest.mark.django_db


def test_a_framework_is_saved_as_a_draft_tree_with_codes_levels_and_cut_offs(admin, region):
    f = save(admin, region)
    assert (f.status, f.version, f.total, f.kind, f.org_kind) == ("draft", 1, Decimal("100.00"), "grade", "service_institution")
    rows = {i.code: i for i in Indicator.objects.filter(framework=f)}
    assert sorted(rows) == ["1", "1.1", "1.2", "2", "2.1", "2.1.1", "2.1.1.1", "2.1.2", "2.2", "3", "4"]
    assert rows["2.1.1.1"].level == 4 and rows["2.1.1.1"].parent == rows["2.1.1"] and rows["2"].scoring == ""
    assert rows["2.2"].levels[3] == {"level": 4, "text": "审计无保留意见", "points": "30.00"}
    assert (rows["3"].kind, rows["4"].kind) == ("bonus", "deduction")
    assert [(b.grade, b.minimum) for b in f.bands.all()] == [(g, Decimal(m)) for g, m in BANDS_100]
    assert AuditLog.objects.filter(action="evaluation.framework.save").count() == 1


def _fifth_level(leaf: Node) -> None:
    leaf.scoring, leaf.criteria = "", ""
    leaf.children.append(Node(name="第五层", points="25", scoring="points"))


def _broken(change):
    tree = small_tree()
    change(tree)
    return tree


@pytest.mark.parametrize(("change", "code", "where"), [
    (lambda t: setattr(t[0], "points", "31"), "children_sum", "1"),
    (lambda t: setattr(t[1].children[0], "points", "45"), "children_sum", "2"),
    (lambda t: t.pop(0), "total_sum", ""),
    (lambda t: setattr(t[0].children[0], "scoring", ""), "scoring_required", "1.1"),
    (lambda t: setattr(t[0].children[1], "points", "-5"), "too_small", "1.2"),
    (lambda t: setattr(t[0].children[1], "points", "abc"), "invalid_number", "1.2"),
    (lambda t: setattr(t[0].children[1], "name", " "), "indicator_name", "1.2"),
    (lambda t: setattr(t[1].children[1], "levels", [("a", "5"), ("b", "12"), ("c", "20")]), "levels_count", "2.2"),
    (lambda t: setattr(t[1].children[1], "levels", [("a", "5"), ("b", "4"), ("c", "20"), ("d", "30")]), "level_points", "2.2"),
    (lambda t: setattr(t[1].children[1], "levels", [("a", "5"), ("b", "12"), ("c", "20"), ("d", "29")]), "level_points", "2.2"),
    (lambda t: setattr(t[1].children[1], "levels", [("a", "5"), ("", "12"), ("c", "20"), ("d", "30")]), "level_text", "2.2"),
    (lambda t: setattr(t[0].children[0], "levels", [("a", "1")]), "levels_unused", "1.1"),
    (lambda t: setattr(t[0], "scoring", "points"), "parent_scored", "1"),
    (lambda t: setattr(t[1].children[0].children[1], "kind", "bonus"), "bonus_not_first_level", "2.1.2"),
    (lambda t: setattr(t[0].children[0], "kind", "extra"), "indicator_kind", "1.1"),
    (lambda t: _fifth_level(t[1].children[0].children[0].children[0]), "too_deep", "2.1.1.1.1"),
])
def test_a_broken_tree_is_refused_naming_its_indicator_and_nothing_is_saved(admin, region, change, code, where):
    with pytest.raises(ValidationFailed) as refused:
        save(admin, region, tree=_broken(change))
    assert refused.value.code == code and "indicators" in refused.value.fields
    if where:
        assert str(refused.value.message).startswith(where)
    assert not Framework.objects.exists() and not Indicator.objects.exists()


@pytest.mark.parametrize(("bands", "code"), [
    ([("5A", "90"), ("5A", "80")], "band_grade"),
    ([("6A", "90")], "band_grade"),
    ([("5A", "80"), ("4A", "90")], "band_order"),
    ([("5A", "101")], "too_large"),
    ("5A:90", "invalid_list"),
    ([], "bands_required"),
])
def test_bad_cut_offs_are_refused(admin, region, bands, code):
    with pytest.raises(ValidationFailed) as refused:
        save(admin, region, bands=bands)
    assert refused.value.code == code and not Framework.objects.exists()


@pytest.mark.parametrize(("kw", "field", "code"), [
    ({"total": "90"}, "total", "total_scale"),
    ({"kind": "audit"}, "kind", "invalid_kind"),
    ({"org_kind": "company"}, "org_kind", "invalid_org_kind"),
    ({"kind": "station", "bands": []}, "org_kind", "station_no_org_kind"),
    ({"year": "二〇二六"}, "year", "invalid_number"),
    ({"title": ""}, "title", "required"),
])
def test_bad_settings_are_refused(admin, region, kw, field, code):
    with pytest.raises(ValidationFailed) as refused:
        save(admin, region, **kw)
    assert refused.value.code == code and field in refused.value.fields


def test_too_many_indicators_are_refused():
    from shanlian.evaluation.services.frameworks import MAX_INDICATORS, framework_check

    many = [Node(name=f"指标{n}", points="1", scoring="yes_no") for n in range(MAX_INDICATORS + 1)]
    with pytest.raises(ValidationFailed) as refused:
        framework_check(total=Decimal(MAX_INDICATORS + 1), tree=many, bands=[])
    assert refused.value.code == "too_many_indicators"


def test_only_the_region_s_administrators_write_its_frameworks(city, region):
    for name in ("district_admin", "street_officer", "station_worker", "expert", "nobody"):
        with pytest.raises(PermissionDenied):
            save(city.users[name], region)
    district = save(city.users["district_admin"], city.districts["越秀"])  # a district writes its own
    with pytest.raises(PermissionDenied):
        es.framework_publish(actor=city.users["district_admin"], framework=save(city.users["city_admin"], region))
    assert es.framework_publish(actor=city.users["city_admin"], framework=district).status == "published"


def test_published_frameworks_never_change_and_a_new_version_retires_the_old(admin, region):
    first = es.framework_publish(actor=admin, framework=save(admin, region))
    assert first.status == FrameworkStatus.PUBLISHED and first.published_by == admin and first.published_at is not None
    assert es.framework_publish(actor=admin, framework=first).pk == first.pk  # again: quiet
    with pytest.raises(ValidationFailed) as refused:
        es.framework_replace(actor=admin, framework=first, tree=small_tree(), bands=BANDS_100)
    assert refused.value.code == "framework_published"
    second = es.framework_new_version(actor=admin, framework=first)
    assert (second.version, second.status, second.previous_id, second.year) == (2, "draft", first.pk, first.year)
    tree, bands = framework_tree(second)
    assert [n.name for n in tree] == ["基础条件", "内部治理", "获得表彰", "行政处罚"] and bands == framework_tree(first)[1]
    changed = small_tree()
    changed[0].children[1].criteria = "有固定场所且面积不少于30平方米得20分"
    es.framework_replace(actor=admin, framework=second, tree=changed, bands=BANDS_100)
    es.framework_publish(actor=admin, framework=second)
    first.refresh_from_db()
    assert first.status == FrameworkStatus.RETIRED
    assert Indicator.objects.get(framework=first, code="1.2").criteria == "有固定场所得20分"  # its assessments keep it
    next_year = es.framework_new_version(actor=admin, framework=second, year=2027)
    assert (next_year.year, next_year.version) == (2027, 1)
    with pytest.raises(Conflict):
        es.framework_publish(actor=admin, framework=first)  # a retired version is not published again


def test_a_replaced_draft_keeps_its_total_and_a_broken_replacement_leaves_it_as_it_was(admin, region):
    f = save(admin, region)
    broken = copy.deepcopy(small_tree())
    broken[0].points = "35"
    with pytest.raises(ValidationFailed):
        es.framework_replace(actor=admin, framework=f, tree=broken, bands=BANDS_100)
    assert Indicator.objects.filter(framework=f).count() == 11


def test_the_demo_frameworks_keep_every_rule(admin, region):
    from shanlian.demo import evaluation_data as d
    from shanlian.evaluation.services.frameworks import framework_check

    for kind in d.GRADE_WEIGHTS:
        checked = framework_check(total=Decimal(1000), tree=d.grade_framework(kind), bands=d.BANDS_1000)
        assert sum(1 for n, _c, _p in checked.rows if not n.children) == 30
    brand = framework_check(total=Decimal(100), tree=d.to_nodes(d.BRAND), bands=[])
    assert [sum(1 for _n, c, _p in brand.rows if c.count(".") == depth) for depth in range(3)] == [3, 11, 32]
    station = framework_check(total=Decimal(1000), tree=d.to_nodes(d.STATION), bands=[])
    assert [p for n, c, p in station.rows if "." not in c] == [Decimal(700), Decimal(200), Decimal(100)]
