"""The signed-in pages of micro-venture rounds and service projects, mounted at /grants/: residents', applicants',
staff's and experts'. Each audience's routes are listed in their own module."""

from .urls_agreements import urlpatterns as agreement_urls
from .urls_applicant import urlpatterns as applicant_urls
from .urls_projects import urlpatterns as project_urls
from .urls_resident import urlpatterns as resident_urls
from .urls_staff import urlpatterns as staff_urls

app_name = "grants"
urlpatterns = [*resident_urls, *applicant_urls, *staff_urls, *agreement_urls, *project_urls]
