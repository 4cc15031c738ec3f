"""Routes of the agreements pages (included by urls.py, namespace `grants`)."""

from django.urls import path

from . import views_agreements as v

urlpatterns: list = [
    path("agreements/", v.agreement_list, name="agreement_list"),
    path("proposals/<id:proposal_id>/agreement/new/", v.agreement_new, name="agreement_new"),
    path("agreements/<id:agreement_id>/", v.agreement_detail, name="agreement"),
    path("agreements/<id:agreement_id>/sign/", v.agreement_sign_view, name="agreement_sign"),
    path("agreements/<id:agreement_id>/evidence/", v.evidence_new, name="evidence_new"),
    path("agreements/<id:agreement_id>/close/", v.agreement_close_view, name="agreement_close"),
    path("evidence/<id:evidence_id>/decide/", v.evidence_decide_view, name="evidence_decide"),
    path("tranches/<id:tranche_id>/request/", v.tranche_request_view, name="tranche_request"),
    path("agreements/<id:agreement_id>/budget-change/", v.budget_change_new, name="budget_change_new"),
    path("budget-changes/<id:change_id>/decide/", v.budget_change_decide_view, name="budget_change_decide"),
    path("budget-changes/<id:change_id>/withdraw/", v.budget_change_withdraw_view, name="budget_change_withdraw"),
]
