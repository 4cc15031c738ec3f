"""WSGI entry point for app servers (gunicorn, uwsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
application = get_wsgi_application()

from shanlian.core.scheduler import start_configured  # noqa: E402
from shanlian.schedule import SCHEDULE  # noqa: E402 (after Django is set up)

start_configured(SCHEDULE)  # the periodic jobs in this process, only with SHANLIAN_JOBS_IN_PROCESS=1 and no broker
