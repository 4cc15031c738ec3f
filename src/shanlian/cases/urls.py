from django.urls import path

from . import views

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
]
