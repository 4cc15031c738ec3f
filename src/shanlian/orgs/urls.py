from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.organization_list, name="organization_list"),
    path("<id:organization_id>/", views.organization_detail, name="organization_detail"),
    path("stations/", views.station_list, name="station_list"),
    path("stations/<id:station_id>/", views.station_detail, name="station_detail"),
]
