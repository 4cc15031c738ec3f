"""Public pages of micro-venture rounds and their projects, mounted at /public/grants/ (no login)."""

from django.urls import path

from . import views_public as views

app_name = "grants_public"
urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("rounds/<id:round_id>/", views.round_page, name="round"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/<id:service_project_id>/", views.project_page, name="project"),
]
