"""The volunteer's pages (phone first), under /timebank/."""

from django.urls import path

from . import views_volunteer as v

urlpatterns = [
    path("", v.home, name="home"),
    path("register/", v.register, name="register"),
    path("quiz/", v.quiz, name="quiz"),
    path("activities/", v.activity_list, name="activity_list"),
    path("activities/<id:activity_id>/", v.activity_detail, name="activity_detail"),
    path("shifts/<id:shift_id>/signup/", v.signup, name="signup"),
    path("signups/<id:signup_id>/cancel/", v.signup_cancel, name="signup_cancel"),
    path("scan/", v.scan, name="scan"),
    path("hours/", v.hours, name="hours"),
    path("catalog/", v.catalog, name="catalog"),
    path("catalog/<id:item_id>/redeem/", v.redeem, name="redeem"),
    path("redemptions/", v.redemptions, name="redemptions"),
    path("redemptions/<id:redemption_id>/cancel/", v.redemption_cancel, name="redemption_cancel"),
    path("credits/", v.credits, name="credits"),
]
