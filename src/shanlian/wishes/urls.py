from django.urls import path

from . import views, views_public

app_name = "wishes"

urlpatterns = [
    path("", views.wish_list, name="list"),
    path("new/", views.wish_new, name="new"),
    path("stats/", views.stats, name="stats"),
    path("mine/", views_public.mine, name="mine"),
    path("<id:wish_id>/", views.wish, name="wish"),
    path("<id:wish_id>/edit/", views.wish_edit, name="edit"),
    path("<id:wish_id>/cancel/", views.wish_cancel, name="cancel"),
    path("<id:wish_id>/message/", views.wish_message, name="message"),
    path("<id:wish_id>/fulfil/", views.wish_fulfil, name="fulfil"),
    path("<id:wish_id>/confirm/", views.wish_confirm, name="confirm"),
    path("<id:wish_id>/photo/", views.wish_photo, name="photo"),
    path("<id:wish_id>/claim/", views_public.claim, name="claim"),
    path("claims/<id:wish_claim_id>/withdraw/", views_public.claim_withdraw, name="claim_withdraw"),
    path("claims/<id:wish_claim_id>/reply/", views_public.claim_reply, name="claim_reply"),
]
