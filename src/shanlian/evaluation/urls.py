from django.urls import path

from . import urls_capacity, urls_grading, urls_satisfaction, urls_supervision, views

app_name = "evaluation"

urlpatterns = [
    path("frameworks/", views.frameworks, name="frameworks"),
    path("frameworks/import/", views.framework_import, name="framework_import"),
    path("frameworks/<id:framework_id>/", views.framework, name="framework"),
    path("frameworks/<id:framework_id>/download/", views.framework_export, name="framework_export"),
    path("frameworks/<id:framework_id>/replace/", views.framework_replace, name="framework_replace"),
    path("frameworks/<id:framework_id>/publish/", views.framework_publish, name="framework_publish"),
    path("frameworks/<id:framework_id>/copy/", views.framework_copy, name="framework_copy"),
]
urlpatterns += urls_grading.urlpatterns + urls_capacity.urlpatterns + urls_supervision.urlpatterns + urls_satisfaction.urlpatterns
