from django.urls import path

from . import views
from .urls_organizer import urlpatterns as organizer_urls
from .urls_volunteer import urlpatterns as volunteer_urls

app_name = "timebank"
urlpatterns = [
    path("certificates/", views.certificate_create, name="certificate_create"),
    path("certificates/<str:code>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:code>/", views.certificate_verify, name="certificate_verify"),
    *volunteer_urls,
    *organizer_urls,
]
