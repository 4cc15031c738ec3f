from django.urls import path

from . import views, views_partner

app_name = "resources"

urlpatterns = [
    path("", views.needs, name="needs"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<id:resource_need_id>/", views.need, name="need"),
    path("offers/", views.offers, name="offers"),
    path("offers/new/", views.offer_new, name="offer_new"),
    path("offers/<id:resource_offer_id>/", views.offer, name="offer"),
    path("partners/new/", views.partner_new, name="partner_new"),
    path("matching/", views.matching, name="matching"),
    path("matches/<id:resource_match_id>/", views.match, name="match"),
    path("gifts/", views.gifts, name="gifts"),
    path("partners/<id:resource_partner_id>/members/", views_partner.members, name="partner_members"),
    path("mine/", views_partner.home, name="mine_home"),
    path("mine/offers/new/", views_partner.offer_new, name="mine_offer_new"),
    path("mine/offers/<id:resource_offer_id>/", views_partner.offer, name="mine_offer"),
    path("mine/matches/<id:resource_match_id>/", views_partner.match, name="mine_match"),
]
