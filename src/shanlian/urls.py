from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (kept for operators who want /en/ URLs)
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

import shanlian.core.converters  # noqa: F401  (registers the `id` path converter)
from shanlian.api import api

urlpatterns = [
    path("", include("shanlian.web.urls")),
    path("favicon.ico", RedirectView.as_view(url=static("shanlian/favicon.svg"), permanent=True), name="favicon"),
    path("orgs/", include("shanlian.orgs.urls")),
    path("people/", include("shanlian.people.urls")),
    path("account/", include("shanlian.accounts.urls")),
    path("charity/compliance/", include("shanlian.charity.urls_compliance")),
    path("charity/", include("shanlian.charity.urls_staff")),
    path("give/", include("shanlian.charity.urls_give")),
    path("public/grants/", include("shanlian.grants.urls_public")),
    path("public/evaluation/", include("shanlian.evaluation.urls_public")),
    path("public/wishes/", include("shanlian.wishes.urls_public")),
    path("public/", include("shanlian.charity.urls_public")),
    path("grants/", include("shanlian.grants.urls")),
    path("timebank/", include("shanlian.timebank.urls")),
    path("evaluation/", include("shanlian.evaluation.urls")),
    path("resources/", include("shanlian.resources.urls")),
    path("cases/", include("shanlian.cases.urls")),
    path("wishes/", include("shanlian.wishes.urls")),
    path("reports/", include("shanlian.reports.urls")),
    path("groupwork/", include("shanlian.groupwork.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler400 = "shanlian.web.views.bad_request"
handler403 = "shanlian.web.views.permission_denied"
handler404 = "shanlian.web.views.page_not_found"
handler500 = "shanlian.web.views.server_error"
