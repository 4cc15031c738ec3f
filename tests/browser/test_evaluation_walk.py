"""A grade assessment from application to certificate, in chromium: an organization's manager, on her phone, applies
to the city's call, marks every indicator and attaches the evidence the framework asks for, and submits; the city's
administrator assigns experts (one optimal assignment); two experts mark every indicator; the committee decides the
grade the score earns and puts it on public notice; a resident looks at the notice; after the notice the grade is
awarded, and the organization's page shows it with its certificate, which anyone can check. Every page is
photographed at 1280 px and 390 px into test-artifacts/evaluation-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from shanlian.evaluation.models import Assessment, Reviewer
from tests.browser.conftest import DESKTOP, ONCE, PHONE, no_horizontal_scroll
from tests.browser.conftest import shoot as shoot_both
from tests.evaluation.grading import grading
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, ONCE]
MARKS = {"1.1": "yes", "1.2": "10", "2.1.1.1": "12.5", "2.1.2": "yes", "2.2": "2", "3": "0", "4": "0"}  # 59.50: 1A


def shoot(page, name: str, *, phone: bool = False) -> None:
    shoot_both(page, f"evaluation-{name}")
    page.set_viewport_size(PHONE if phone else DESKTOP)


def sign_in(page, base: str, username: str, *, phone: bool = False) -> None:
    page.context.clear_cookies()
    page.set_viewport_size(PHONE if phone else DESKTOP)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/accounts/login/" not in address)


def mark_all(page) -> None:
    for code, value in MARKS.items():
        field = page.locator(f"[data-testid=mark][data-code='{code}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def test_an_organization_is_graded_from_its_self_assessment_to_its_certificate(page, live_server, transactional_db,
                                                                              city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    g = grading(city)
    base = live_server.url
    page.on("dialog", lambda d: d.accept())

    # --- 1. the organization's manager applies, marks, attaches evidence and submits, on her phone ------------------
    sign_in(page, base, g.manager.username, phone=True)
    page.goto(base + reverse("evaluation:home"))
    page.locator("[data-testid=section]").first.click()
    assert page.locator("[data-testid=open-calls]").is_visible()
    shoot(page, "1-calls", phone=True)
    page.goto(base + reverse("evaluation:call", args=[g.call.pk]))
    page.click("[data-testid=apply-form] button[type=submit]")
    page.wait_for_url("**/evaluation/assessments/*/")
    a = Assessment.objects.get()
    mark_all(page)
    page.click("[data-testid=save-marks]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=self-total]").inner_text().strip() == "59.50"
    row = page.locator("[data-testid=leaf-row][data-code='1.1']")
    row.locator("input[type=file]").set_input_files({"name": "登记证书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"})
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=evidence-link]").count() == 1
    assert no_horizontal_scroll(page)
    shoot(page, "2-self-assessment", phone=True)
    page.click("[data-testid=submit-self]")
    page.wait_for_load_state()
    a.refresh_from_db()
    assert a.status == "submitted"

    # --- 2. the committee assigns experts ------------------------------------------------------------------------
    sign_in(page, base, g.admin.username)
    page.goto(base + reverse("evaluation:call", args=[g.call.pk]))
    shoot(page, "3-call-board")
    page.click("[data-testid=assign-form] button[type=submit]")
    page.wait_for_load_state()
    reviewers = list(Reviewer.objects.select_related("user"))
    assert len(reviewers) == 2

    # --- 3. two experts mark every indicator ---------------------------------------------------------------------
    for n, r in enumerate(reviewers):
        sign_in(page, base, r.user.username, phone=n == 1)
        page.goto(base + reverse("evaluation:calls"))
        page.locator("[data-testid=review-row] a").first.click()
        page.wait_for_url(base + reverse("evaluation:assessment", args=[a.pk]))
        mark_all(page)
        page.fill("#review-comment", "材料齐全，治理规范。")
        if n == 0:
            shoot(page, "4-expert-review")
        page.click("[data-testid=submit-review]")
        page.wait_for_load_state()
    assert Reviewer.objects.filter(status="submitted").count() == 2

    # --- 4. the committee decides: 1A, on notice ---------------------------------------------------------------------
    sign_in(page, base, g.admin.username)
    page.goto(base + reverse("evaluation:assessment", args=[a.pk]))
    assert page.locator("[data-testid=rater-mark]").count() == 2 * len(MARKS)
    shoot(page, "5-committee")
    assert page.locator("#id_decide-grade").input_value() == "1A"
    page.click("[data-testid=decide-form] button[type=submit]")
    page.wait_for_load_state()
    a.refresh_from_db()
    assert (a.status, a.grade) == ("notice", "1A")

    # --- 5. anyone reads the notice ------------------------------------------------------------------------------
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(base + reverse("evaluation_public:notices"))
    page.locator("[data-testid=notice-row] a").first.click()
    assert page.locator("[data-testid=notice-grade]").inner_text() == "1A"
    assert page.locator("[data-testid=objection-form]").is_visible() and no_horizontal_scroll(page)
    shoot(page, "6-notice", phone=True)

    # --- 6. after the notice: awarded; the organization's page shows the grade and its certificate ---------------------
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=True):
        sign_in(page, base, g.admin.username)
        page.goto(base + reverse("evaluation:assessment", args=[a.pk]))
        page.click("[data-testid=award]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=certificate-card]").is_visible()
        page.goto(base + reverse("orgs:organization_detail", args=[g.org.pk]))
        assert page.locator("[data-testid=grade-card] .sl-grade").inner_text() == "1A"
        shoot(page, "7-organization")
        page.click("[data-testid=grade-certificate-link]")
        page.locator("[data-testid=grade-certificate]").click()
        assert page.locator("[data-testid=certificate-grade]").inner_text() == "1A"
        shoot(page, "8-certificate", phone=True)
