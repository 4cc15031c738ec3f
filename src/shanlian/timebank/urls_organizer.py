"""The organizer's and the station's pages, under /timebank/manage/."""

from django.urls import URLPattern, path

from . import views_manage as v
from . import views_quiz as q

urlpatterns: list[URLPattern] = [
    path("manage/", v.activity_list, name="manage_activities"),
    path("manage/activities/new/", v.activity_create, name="manage_activity_create"),
    path("manage/activities/<id:activity_id>/", v.activity_detail, name="manage_activity"),
    path("manage/activities/<id:activity_id>/attendance.xlsx", v.attendance_xlsx, name="manage_attendance_xlsx"),
    path("manage/shifts/<id:shift_id>/qr/", v.shift_qr, name="manage_shift_qr"),
    path("manage/shifts/<id:shift_id>/qr/live/", v.shift_qr_code, name="manage_shift_qr_live"),
    path("manage/hours/", v.hours_queue, name="manage_hours"),
    path("manage/hours/late/", v.late_entry, name="manage_late_entry"),
    path("manage/catalog/", v.catalog, name="manage_catalog"),
    path("manage/redemptions/<id:redemption_id>/fulfil/", v.redemption_decide, {"action": "fulfil"}, name="manage_redemption_fulfil"),
    path("manage/redemptions/<id:redemption_id>/cancel/", v.redemption_decide, {"action": "cancel"}, name="manage_redemption_cancel"),
    path("manage/quiz/", q.quiz_bank, name="manage_quiz"),
    path("manage/quiz/import/", q.quiz_import, name="manage_quiz_import"),
    path("manage/quiz/export.xlsx", q.quiz_export, name="manage_quiz_export"),
    path("manage/quiz/template.xlsx", q.quiz_template, name="manage_quiz_template"),
    path("manage/quiz/<id:question_id>/edit/", q.quiz_question_edit, name="manage_quiz_edit"),
    path("manage/quiz/<id:question_id>/retire/", q.quiz_question_state, {"action": "retire"}, name="manage_quiz_retire"),
    path("manage/quiz/<id:question_id>/reactivate/", q.quiz_question_state, {"action": "reactivate"}, name="manage_quiz_reactivate"),
    path("manage/stations/", v.station_list, name="manage_stations"),
    path("manage/stations/<id:station_id>/", v.station_detail, name="manage_station"),
]
