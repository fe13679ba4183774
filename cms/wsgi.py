import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")

application = get_wsgi_application()


# gunicorn runs no system checks: in production a process refuses to start on a SITE_URL that is
# not the origin of the badges already issued (badges/checks.py).
from badges.checks import refuse_another_origin  # noqa: E402 — once Django is set up

refuse_another_origin()
