from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("monthly/", views.monthly, name="monthly"),
    path("monthly.xlsx", views.monthly_xlsx, name="monthly_xlsx"),
    path("monthly.pdf", views.monthly_pdf, name="monthly_pdf"),
]
