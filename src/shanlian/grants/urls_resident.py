"""Routes of the resident pages (included by urls.py, namespace `grants`)."""

from django.urls import path

from . import views_resident as v

urlpatterns: list = [
    path("me/", v.resident_home, name="resident_home"),
    path("me/rounds/<id:round_id>/", v.resident_round, name="resident_round"),
    path("rounds/<id:round_id>/needs/new/", v.need_new, name="need_new"),
    path("rounds/<id:round_id>/needs/<id:need_id>/support/", v.need_support_view, name="need_support"),
    path("rounds/<id:round_id>/vote/", v.vote, name="vote"),
]
