from django.urls import path

from . import views

app_name = "groupwork"

urlpatterns = [
    path("", views.programmes, name="programmes"),
    path("new/", views.programme_new, name="programme_new"),
    path("<id:programme_id>/", views.programme, name="programme"),
    path("<id:programme_id>/sessions/new/", views.session_new, name="session_new"),
    path("<id:programme_id>/members/new/", views.members_enrol, name="members_enrol"),
    path("members/<id:group_member_id>/leave/", views.member_leave, name="member_leave"),
    path("<id:programme_id>/end/", views.programme_end, name="programme_end"),
    path("sessions/<id:session_id>/", views.session, name="session"),
]
