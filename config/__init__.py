"""The project's configuration: settings, URLs, WSGI entry point and the Celery application.

No app imports this package: apps read `django.conf.settings`.
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
