"""The capacity pages, in the evaluation namespace (administrators and the managers of organizations) and the public
one (a respondent's link)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from . import views_capacity as views
from . import views_public_capacity as public

urlpatterns: list[Any] = [
    path("capacity/", views.diagnoses, name="capacity"),
    path("capacity/new/", views.diagnosis_start, name="capacity_start"),
    path("capacity/<id:diagnosis_id>/", views.diagnosis, name="capacity_diagnosis"),
    path("capacity/<id:diagnosis_id>/respondents/", views.respondent_add, name="capacity_respondent_add"),
    path("capacity/<id:diagnosis_id>/close/", views.diagnosis_close, name="capacity_close"),
    path("capacity/<id:diagnosis_id>/actions/", views.action_add, name="capacity_action_add"),
    path("capacity/<id:diagnosis_id>/report.pdf", views.diagnosis_pdf, name="capacity_pdf"),
    path("capacity/actions/<id:capacity_action_id>/", views.action_follow_up, name="capacity_action"),
    path("capacity/questionnaires/", views.questionnaires, name="capacity_questionnaires"),
    path("capacity/questionnaires/new/", views.questionnaire_new, name="capacity_questionnaire_new"),
    path("capacity/questionnaires/<id:questionnaire_id>/", views.questionnaire, name="capacity_questionnaire"),
    path("capacity/advice/", views.advice, name="capacity_advice"),
    path("capacity/advice/<id:advice_id>/delete/", views.advice_delete, name="capacity_advice_delete"),
    path("competency/", views.competency, name="competency"),
    path("competency/assess/", views.assess, name="competency_assess"),
    path("competency/people/<id:staff_person_id>/", views.person, name="competency_person"),
    path("competency/coaching/", views.coaching, name="coaching"),
    path("competency/coaching/new/", views.coaching_new, name="coaching_new"),
]
public_urlpatterns: list[Any] = [
    path("capacity/answer/<str:respondent_token>/", public.answer, name="capacity_answer"),
]
