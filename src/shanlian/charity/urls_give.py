"""The donor's pages under /give/ (namespace "give"); fixed paths come before the campaign slug."""

from django.urls import path

from . import views_give as v

app_name = "give"
urlpatterns: list = [
    path("", v.campaign_list, name="campaign_list"),
    path("mine/", v.my_gifts, name="mine"),
    path("webhooks/<str:provider>/", v.webhook, name="webhook"),
    path("fakepay/<str:ref>/", v.fakepay_checkout, name="fakepay_checkout"),
    path("fakepay/<str:ref>/pay/", v.fakepay_pay, name="fakepay_pay"),
    path("fakepay/<str:ref>/cancel/", v.fakepay_cancel, name="fakepay_cancel"),
    path("thanks/<str:ref>/", v.thanks, name="thanks"),
    path("gift/<str:ref>/", v.gift_detail, name="gift"),
    path("gift/<str:ref>/proof.json", v.gift_proof, name="gift_proof"),
    path("gift/<str:ref>/receipt.pdf", v.gift_receipt_pdf, name="gift_receipt"),
    path("<slug:slug>/", v.campaign_detail, name="campaign"),
]
