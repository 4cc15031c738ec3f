"""The framework pages and API: the region's administrators import a sheet as a draft, correct it, publish it and
start its next version; anyone signed in reads published frameworks; drafts stay with their administrators."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shanlian.evaluation import services as es
from shanlian.evaluation.framework_sheet import sheet_write
from shanlian.evaluation.models import Framework

from .conftest import save
from .test_framework_sheet import book

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(data: bytes, name: str = "指标.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def import_post(region, data: bytes, **over):
    post = {"region": region.pk, "kind": "grade", "org_kind": "service_institution", "year": 2026, "total": "100",
            "title": "广州市社会组织等级评估指标（2026）", "band_5A": "90", "band_4A": "80", "band_3A": "70", "band_2A": "60",
            "band_1A": "50", "file": upload(data)}
    post.update(over)
    return post


def test_an_administrator_imports_a_sheet_publishes_it_and_starts_the_next_version(client, admin, region):
    f = save(admin, region)
    data = sheet_write(f)
    client.force_login(admin)
    assert client.get(reverse("evaluation:framework_import")).status_code == 200
    done = client.post(reverse("evaluation:framework_import"), import_post(region, data))
    assert done.status_code == 302
    made = Framework.objects.exclude(pk=f.pk).get()
    assert (made.status, made.version, made.indicators.count()) == ("draft", 2, 11)
    page = client.get(reverse("evaluation:framework", args=[made.pk])).content.decode()
    assert page.count('data-testid="indicator"') == 11 and 'data-testid="publish"' in page and "审计无保留意见" in page
    assert client.post(reverse("evaluation:framework_publish", args=[made.pk])).status_code == 302
    made.refresh_from_db()
    assert made.status == "published"
    copied = client.post(reverse("evaluation:framework_copy", args=[made.pk]), {"year": "2027"})
    assert copied.status_code == 302 and Framework.objects.filter(year=2027, status="draft").count() == 1
    download = client.get(reverse("evaluation:framework_export", args=[made.pk]))
    assert download["Content-Type"] == XLSX and download.content[:2] == b"PK"


def test_a_bad_sheet_shows_its_row_and_saves_nothing(client, admin, region):
    client.force_login(admin)
    bad = book(("基础条件（30分）", "法人资格", None, None, 10, "是否", "", "", ""))
    page = client.post(reverse("evaluation:framework_import"), import_post(region, bad))
    assert page.status_code == 400 and "第2行「基础条件」：其下指标合计10分，与本指标的30分不符" in page.content.decode()
    assert not Framework.objects.exists()
    not_xlsx = client.post(reverse("evaluation:framework_import"), import_post(region, b"hello"))
    assert not_xlsx.status_code == 400 and not Framework.objects.exists()
    bands = client.post(reverse("evaluation:framework_import"), import_post(region, sheet_write(save(admin, region)), band_4A="95"))
    assert bands.status_code == 400 and Framework.objects.count() == 1


def test_a_draft_is_corrected_by_a_new_sheet_and_a_published_one_is_not(client, admin, region):
    f = save(admin, region)
    client.force_login(admin)
    fixed = book(("基础条件（30分）", "法人资格", None, None, 30, "是否", "", "", ""),
                 ("内部治理（70分）", "财务管理", None, None, 70, "分值", "", "", ""))
    assert client.post(reverse("evaluation:framework_replace", args=[f.pk]), {"file": upload(fixed)}).status_code == 302
    assert f.indicators.count() == 4
    broken = book(("基础条件（30分）", "法人资格", None, None, 20, "是否", "", "", ""),
                  ("内部治理（70分）", "财务管理", None, None, 70, "分值", "", "", ""))
    refused = client.post(reverse("evaluation:framework_replace", args=[f.pk]), {"file": upload(broken)})
    assert refused.status_code == 400 and f.indicators.count() == 4
    es.framework_publish(actor=admin, framework=f)
    frozen = client.post(reverse("evaluation:framework_replace", args=[f.pk]), {"file": upload(fixed)})
    assert frozen.status_code == 400 and 'data-testid="publish"' not in frozen.content.decode()


def test_drafts_stay_with_their_administrators_and_published_ones_are_read_by_anyone_signed_in(client, city, admin, region):
    draft = save(admin, region)
    published = es.framework_publish(actor=admin, framework=save(admin, region, year=2025))
    for name in ("district_admin", "station_worker", "expert", "nobody"):
        client.force_login(city.users[name])
        assert client.get(reverse("evaluation:framework", args=[draft.pk])).status_code == 404, name
        page = client.get(reverse("evaluation:framework", args=[published.pk]))
        assert page.status_code == 200 and 'data-testid="framework-actions"' not in page.content.decode(), name
        listed = client.get(reverse("evaluation:frameworks")).content.decode()
        assert f'data-framework="{published.pk}"' in listed and f'data-framework="{draft.pk}"' not in listed
        assert client.post(reverse("evaluation:framework_publish", args=[draft.pk])).status_code == 404
    client.force_login(city.users["station_worker"])
    assert client.get(reverse("evaluation:framework_import")).status_code == 403
    client.logout()
    assert client.get(reverse("evaluation:frameworks")).status_code == 302


def test_the_api_lists_and_gives_a_framework_s_tree_and_publishes_it(client, city, admin, region):
    draft = save(admin, region)
    client.force_login(admin)
    listed = client.get("/api/evaluation/frameworks?kind=grade").json()
    assert listed["count"] == 1 and listed["results"][0]["indicators"] == 11 and listed["results"][0]["status"] == "draft"
    body = client.get(f"/api/evaluation/frameworks/{draft.pk}").json()
    assert [r["code"] for r in body["indicators_tree"]][:4] == ["1", "1.1", "1.2", "2"]
    levels = next(r for r in body["indicators_tree"] if r["code"] == "2.2")["levels"]
    assert levels[0] == {"level": 1, "text": "制度缺失", "points": "5.00"}
    assert body["bands"][0] == {"grade": "5A", "minimum": "90.00"}
    published = client.post(f"/api/evaluation/frameworks/{draft.pk}/publish").json()
    assert published["status"] == "published"
    copied = client.post(f"/api/evaluation/frameworks/{draft.pk}/copy", data=json.dumps({"year": 2027}),
                         content_type="application/json")
    assert copied.status_code == 201 and copied.json()["version"] == 1 and copied.json()["year"] == 2027
    client.force_login(city.users["expert"])
    assert client.post(f"/api/evaluation/frameworks/{draft.pk}/copy", data="{}", content_type="application/json").status_code == 403
    assert client.get(f"/api/evaluation/frameworks/{copied.json()['id']}").status_code == 404  # a draft
    assert client.get("/api/evaluation/frameworks?year=1999").status_code == 400


def test_published_frameworks_are_public_with_their_sheet_and_drafts_are_not(client, admin, region):
    draft = save(admin, region)
    published = es.framework_publish(actor=admin, framework=save(admin, region, year=2025))
    listed = client.get(reverse("evaluation_public:frameworks")).content.decode()
    assert f'data-framework="{published.pk}"' in listed and f'data-framework="{draft.pk}"' not in listed
    page = client.get(reverse("evaluation_public:framework", args=[published.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and body.count('data-testid="indicator"') == 11 and 'data-testid="bands"' in body
    assert 'data-testid="framework-actions"' not in body
    assert client.get(reverse("evaluation_public:framework", args=[draft.pk])).status_code == 404
    assert client.get(reverse("evaluation_public:framework_download", args=[draft.pk])).status_code == 404
    download = client.get(reverse("evaluation_public:framework_download", args=[published.pk]))
    assert download.status_code == 200 and download["Content-Type"] == XLSX
