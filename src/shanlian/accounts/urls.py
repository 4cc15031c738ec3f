from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("password/", views.password_change, name="password_change"),
    path("signup/", views.signup, name="signup"),
    path("reset/", views.reset, name="reset"),
    path("staff/<id:person_id>/new/", views.staff_create, name="staff_create"),
    path("staff/<id:person_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<id:person_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
]
