"""Routes of the projects pages (included by urls.py, namespace `grants`): the registry, progress reports and the brand
list."""

from django.urls import path

from . import views_projects as views

urlpatterns: list = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/<id:service_project_id>/", views.project_detail, name="project_detail"),
    path("projects/<id:service_project_id>/progress/", views.progress_new, name="progress_new"),
    path("projects/<id:service_project_id>/brand/", views.project_brand, name="project_brand"),
    path("projects/<id:service_project_id>/close/", views.project_close, name="project_close"),
    path("projects/<id:service_project_id>/brand-plan/", views.brand_plan_new, name="brand_plan_new"),
    path("progress-photos/<id:photo_id>/", views.progress_photo, name="progress_photo"),
    path("brand/", views.brand_list, name="brand_list"),
    path("brand/<id:plan_id>/", views.brand_plan, name="brand_plan"),
]
