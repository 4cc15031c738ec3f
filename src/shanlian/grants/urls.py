"""The signed-in pages of micro-venture rounds, mounted at /grants/: residents', applicants', staff's and experts'.
Each audience's routes are listed in their own module."""

from .urls_applicant import urlpatterns as applicant_urls
from .urls_resident import urlpatterns as resident_urls
from .urls_staff import urlpatterns as staff_urls

app_name = "grants"
urlpatterns = [*resident_urls, *applicant_urls, *staff_urls]
