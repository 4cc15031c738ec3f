"""The compliance dashboard, mounted at /charity/compliance/ (login and a finance or admin role)."""

from django.urls import path

from . import views_compliance as views

app_name = "compliance"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<id:federation_id>/", views.federation_detail, name="federation"),
]
