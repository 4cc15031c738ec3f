"""The grading pages, in the evaluation namespace (staff, organization, expert) and the public one."""

from __future__ import annotations

from typing import Any

from django.urls import path

from . import views_grading as v
from . import views_public_grading as pub

urlpatterns: list[Any] = [
    path("", v.home, name="home"),
    path("dashboard/", v.dashboard, name="dashboard"),
    path("calls/", v.calls, name="calls"),
    path("calls/new/", v.call_new, name="call_new"),
    path("calls/<id:call_id>/", v.call, name="call"),
    path("calls/<id:call_id>/assign/", v.call_assign, name="call_assign"),
    path("calls/<id:call_id>/apply/", v.call_apply, name="call_apply"),
    path("calls/<id:call_id>/close/", v.call_close, name="call_close"),
    path("assessments/<id:assessment_id>/", v.assessment, name="assessment"),
    path("assessments/<id:assessment_id>/marks/", v.assessment_self, name="assessment_self"),
    path("assessments/<id:assessment_id>/evidence/", v.assessment_evidence, name="assessment_evidence"),
    path("assessments/<id:assessment_id>/submit/", v.assessment_submit, name="assessment_submit"),
    path("assessments/<id:assessment_id>/review/", v.assessment_review, name="assessment_review"),
    path("assessments/<id:assessment_id>/recuse/", v.assessment_recuse, name="assessment_recuse"),
    path("assessments/<id:assessment_id>/raters/", v.assessment_rater, name="assessment_rater"),
    path("assessments/<id:assessment_id>/decide/", v.assessment_decide, name="assessment_decide"),
    path("assessments/<id:assessment_id>/award/", v.assessment_award, name="assessment_award"),
    path("assessments/<id:assessment_id>/certificate/", v.assessment_certificate, name="assessment_certificate"),
    path("objections/<id:objection_id>/answer/", v.objection_answer, name="objection_answer"),
    path("evidence/<id:assessment_evidence_id>/", v.evidence_file, name="evidence_file"),
]
public_urlpatterns: list[Any] = [
    path("notices/", pub.notices, name="notices"),
    path("notices/<id:assessment_id>/", pub.notice, name="notice"),
    path("certificates/<str:number>/", pub.certificate, name="certificate"),
    path("certificates/<str:number>/pdf/", pub.certificate_download, name="certificate_download"),
    path("organizations/<id:organization_id>/", pub.organization_grade, name="organization"),
    path("brands/", pub.brands, name="brands"),
    path("brands/<id:organization_id>/", pub.brand, name="brand"),
]
