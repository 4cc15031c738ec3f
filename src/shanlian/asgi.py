"""ASGI entry point: the intake gateway (charity/intake/gateway.py) in front of the whole Django site.

    gunicorn shanlian.asgi:application -k uvicorn_worker.UvicornWorker -w 2 -b 0.0.0.0:8000

Single online gifts (`POST /api/charity/donations` from a payment platform) are answered by the gateway's event
loop through group commit; every other request is Django's, exactly as under `shanlian.wsgi`. A deployment
routes that one path (`location = /api/charity/donations` in nginx) to these servers and the rest of the site
to WSGI servers: Django's synchronous views are slower under ASGI (a thread per request; measured with
`bench/intake.py --batch 100`: 1,066 gifts/s here against 2,633 under gthread workers).

Under ASGI Django runs each request's view in a thread of its own request context, so a persistent connection
(CONN_MAX_AGE) would stay open in a thread that is gone: each request here closes its connections when it ends
(Django's own advice for ASGI). The gateway's lookup thread and the committers keep theirs.
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application
from django.core.signals import request_finished
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")
django_application = get_asgi_application()

from shanlian.charity.intake.gateway import IntakeGateway  # noqa: E402 (after Django is set up)
from shanlian.core.scheduler import start_configured  # noqa: E402
from shanlian.schedule import SCHEDULE  # noqa: E402


def _close_connections(**_kwargs: Any) -> None:
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:  # (a test's own transaction is left alone)
            conn.close()


request_finished.connect(_close_connections, dispatch_uid="shanlian.asgi.close_connections")

application = IntakeGateway(django_application)
start_configured(SCHEDULE)  # the periodic jobs in this process, only with SHANLIAN_JOBS_IN_PROCESS=1 and no broker
