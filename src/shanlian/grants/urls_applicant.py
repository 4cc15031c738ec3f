"""Routes of the applicant pages (included by urls.py, namespace `grants`)."""

from django.urls import path

from . import views_applicant as v

urlpatterns: list = [
    path("proposals/", v.applicant_home, name="applicant_home"),
    path("rounds/<id:round_id>/proposals/new/", v.proposal_new, name="proposal_new"),
    path("proposals/<id:proposal_id>/", v.proposal_view, name="proposal"),
    path("proposals/<id:proposal_id>/edit/", v.proposal_edit, name="proposal_edit"),
    path("proposals/<id:proposal_id>/submit/", v.proposal_submit_view, name="proposal_submit"),
    path("proposals/<id:proposal_id>/withdraw/", v.proposal_withdraw_view, name="proposal_withdraw"),
]
