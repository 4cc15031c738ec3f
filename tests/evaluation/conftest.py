"""Frameworks for tests: a small 100-point grade framework of the city (广州市) whose every kind of leaf and rule
is there to break, and the demo's 1,000-point ones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shanlian.evaluation.services import Node

BANDS_100 = [("5A", "90"), ("4A", "80"), ("3A", "70"), ("2A", "60"), ("1A", "50")]


def small_tree() -> list[Node]:
    """100 points: 基础条件 (30: two leaves) and 内部治理 (70: a heading of two levels, and a leaf scored by levels),
    with a bonus and a deduction item beside them."""
    return [
        Node(name="基础条件", points="30", children=[
            Node(name="法人资格", points="10", scoring="yes_no", evidence_required=True),
            Node(name="办公场所", points="20", scoring="points", criteria="有固定场所得20分"),
        ]),
        Node(name="内部治理", points="70", children=[
            Node(name="组织机构", points="40", children=[
                Node(name="理事会", points="25", children=[
                    Node(name="会议记录", points="25", scoring="points", criteria="每缺一次扣5分"),
                ]),
                Node(name="监事", points="15", scoring="yes_no"),
            ]),
            Node(name="财务管理", points="30", scoring="levels",
                 levels=[("制度缺失", "5"), ("制度不全", "12"), ("制度健全", "20"), ("审计无保留意见", "30")]),
        ]),
        Node(name="获得表彰", points="5", kind="bonus", scoring="points"),
        Node(name="行政处罚", points="10", kind="deduction", scoring="points"),
    ]


@pytest.fixture
def region(city):
    return city.city


@pytest.fixture
def admin(city):
    return city.users["city_admin"]


def save(admin, region, *, tree=None, bands=None, kind="grade", year=2026, total="100",
         title="广州市社会组织等级评估指标（社会服务机构）", **kw):
    from shanlian.evaluation import services as es

    return es.framework_save(actor=admin, region=region, kind=kind, year=year, title=title,
                             total=total, tree=small_tree() if tree is None else tree,
                             bands=BANDS_100 if bands is None else bands, org_kind=kw.pop("org_kind", "service_institution"), **kw)


__all__ = ["BANDS_100", "Decimal", "save", "small_tree"]
