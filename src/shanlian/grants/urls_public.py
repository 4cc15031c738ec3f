"""Public pages of micro-venture rounds and their projects, mounted at /public/grants/ (no login)."""

from django.urls import path  # noqa: F401

app_name = "grants_public"
urlpatterns: list = []
