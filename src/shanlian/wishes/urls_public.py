from django.urls import path

from . import views_public

app_name = "wishes_public"

urlpatterns = [
    path("", views_public.wall, name="wall"),
    path("<id:wish_id>/", views_public.wish_public, name="wish"),
]
