"""Public pages of the published indicator frameworks, mounted at /public/evaluation/ (no login)."""

from django.urls import path

from . import urls_capacity, urls_grading, urls_satisfaction, urls_supervision
from . import views_public as views

app_name = "evaluation_public"
urlpatterns = [
    path("frameworks/", views.framework_list, name="frameworks"),
    path("frameworks/<id:framework_id>/", views.framework_page, name="framework"),
    path("frameworks/<id:framework_id>/download/", views.framework_download, name="framework_download"),
]
urlpatterns += (urls_grading.public_urlpatterns + urls_capacity.public_urlpatterns + urls_supervision.public_urlpatterns
                + urls_satisfaction.public_urlpatterns)
