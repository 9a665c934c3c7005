"""WSGI entry point: for running plain HTTP under a WSGI server beside daphne if wanted."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
application = get_wsgi_application()
