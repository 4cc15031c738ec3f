from django.urls import path

from . import views, views_cycle

app_name = "cases"

urlpatterns = [
    path("", views.beneficiaries, name="beneficiaries"),
    path("new/", views.beneficiary_new, name="beneficiary_new"),
    path("<id:beneficiary_id>/", views.beneficiary, name="beneficiary"),
    path("<id:beneficiary_id>/reveal/", views.beneficiary_reveal, name="beneficiary_reveal"),
    path("<id:beneficiary_id>/edit/", views.beneficiary_edit, name="beneficiary_edit"),
    path("<id:beneficiary_id>/guardians/new/", views.guardian_new, name="guardian_new"),
    path("<id:beneficiary_id>/household/new/", views.household_new, name="household_new"),
    path("<id:beneficiary_id>/allowances/new/", views.allowance_new, name="allowance_new"),
    path("<id:beneficiary_id>/consents/new/", views.consent_new, name="consent_new"),
    path("<id:beneficiary_id>/requests/new/", views.request_new, name="request_new"),
    path("consents/<id:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("requests/", views.requests, name="requests"),
    path("requests/<id:data_request_id>/", views.data_request, name="data_request"),
    # the case cycle
    path("caseload/", views_cycle.caseload, name="caseload"),
    path("approvals/", views_cycle.approvals, name="approvals"),
    path("<id:beneficiary_id>/cases/new/", views_cycle.case_new, name="case_new"),
    path("cases/<id:case_id>/", views_cycle.case, name="case"),
    path("cases/<id:case_id>/edit/", views_cycle.case_edit, name="case_edit"),
    path("cases/<id:case_id>/assess/", views_cycle.assess, name="case_assess"),
    path("cases/<id:case_id>/plan/", views_cycle.plan, name="case_plan"),
    path("cases/<id:case_id>/records/new/", views_cycle.record_new, name="case_record_new"),
    path("cases/<id:case_id>/review/", views_cycle.review_new, name="case_review"),
    path("cases/<id:case_id>/resume/", views_cycle.case_resume, name="case_resume"),
    path("cases/<id:case_id>/closure/", views_cycle.closure_new, name="case_closure"),
    path("cases/<id:case_id>/closure/decide/", views_cycle.closure_decide, name="case_closure_decide"),
    path("cases/<id:case_id>/referrals/new/", views_cycle.referral_new, name="case_referral_new"),
    path("records/<id:service_record_id>/correct/", views_cycle.record_correct, name="case_record_correct"),
    path("plans/<id:case_plan_id>/decide/", views_cycle.plan_decide, name="case_plan_decide"),
    path("referrals/<id:referral_id>/", views_cycle.referral, name="case_referral"),
]
