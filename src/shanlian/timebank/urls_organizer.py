"""The organizer's and the station's pages, under /timebank/manage/."""

from django.urls import URLPattern, path

from . import views_manage as v

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
    path("manage/stations/", v.station_list, name="manage_stations"),
    path("manage/stations/<id:station_id>/", v.station_detail, name="manage_station"),
]
