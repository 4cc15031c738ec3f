"""The organizer's and the station's pages, under /timebank/manage/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
