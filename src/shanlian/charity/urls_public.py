"""Public disclosure pages, mounted at /public/ (no login)."""

from django.urls import path

from . import views_public as views
from . import views_seals

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("funds/<slug:code>/", views.fund_page, name="fund"),
    path("campaigns/<slug:slug>/", views.campaign_page, name="campaign"),
    path("projects/<id:project_id>/", views.project_page, name="project"),
    path("receipts/<str:code>/", views.receipt_verify, name="receipt_verify"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<id:report_id>/", views.report_page, name="report"),
    path("seals/", views_seals.seal_list, name="seal_list"),
    path("seals.json", views_seals.seal_list_json, name="seal_list_json"),
    path("seals/<id:seq>/", views_seals.seal_page, name="seal"),
    path("seals/<id:seq>.json", views_seals.seal_page_json, name="seal_json"),
]
