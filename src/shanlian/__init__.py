"""善联 Shanlian: community social work + charity platform."""

# The Celery app is loaded with Django so @shared_task binds to it (see shanlian/celery.py).
from .celery import app as celery_app

__all__ = ["celery_app"]
