"""The satisfaction pages, in the evaluation namespace (staff, organization, expert) and the public one."""

from __future__ import annotations

from typing import Any

from django.urls import path

from . import views_public_satisfaction as public
from . import views_satisfaction as views

urlpatterns: list[Any] = [
    path("satisfaction/", views.surveys, name="satisfaction_surveys"),
    path("satisfaction/new/", views.survey_new, name="satisfaction_survey_new"),
    path("satisfaction/dashboard/", views.dashboard, name="satisfaction_dashboard"),
    path("satisfaction/<id:survey_id>/", views.survey, name="satisfaction_survey"),
    path("satisfaction/<id:survey_id>/poster/", views.survey_poster, name="satisfaction_poster"),
    path("satisfaction/stations/<id:satisfaction_station_id>/", views.station_results, name="satisfaction_station"),
    path("satisfaction/projects/<id:satisfaction_project_id>/", views.project_results, name="satisfaction_project"),
]
public_urlpatterns: list[Any] = [
    path("satisfaction/s/<str:survey_token>/", public.answer, name="satisfaction_answer"),
    path("satisfaction/s/<str:survey_token>/thanks/", public.thanks, name="satisfaction_thanks"),
]
