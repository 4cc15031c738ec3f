from django.urls import path

from . import views, views_experts

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("<id:person_id>/", views.person_detail, name="person_detail"),
    path("<id:person_id>/edit/", views.person_edit, name="person_edit"),
    path("<id:person_id>/reveal/<str:field>/", views.person_reveal, name="person_reveal"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/grant/", views.role_grant, name="role_grant"),
    path("roles/<id:grant_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("experts/", views_experts.pool, name="expert_pool"),
    path("experts/me/", views_experts.entry, name="expert_me"),
    path("experts/<id:user_id>/", views_experts.entry, name="expert"),
]
