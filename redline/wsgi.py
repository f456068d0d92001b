"""The WSGI application, loaded by each gunicorn worker after the fork."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "redline.settings")
application = get_wsgi_application()
# Load the URL configuration now, while the worker is starting alone, rather than in its
# first requests, which several of its threads serve at once.
get_resolver().url_patterns  # noqa: B018
