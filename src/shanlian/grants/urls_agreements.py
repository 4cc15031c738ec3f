"""Routes of the agreements pages (included by urls.py, namespace `grants`)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
