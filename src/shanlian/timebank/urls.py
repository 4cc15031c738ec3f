from django.urls import path

from . import views

app_name = "timebank"
urlpatterns = [
    path("certificates/", views.certificate_create, name="certificate_create"),
    path("certificates/<str:code>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:code>/", views.certificate_verify, name="certificate_verify"),
]
