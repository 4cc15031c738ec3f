"""WSGI entry point for app servers (gunicorn, uwsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
application = get_wsgi_application()
