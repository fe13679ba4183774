"""What the badges suite serves with gunicorn (`gunicorn bench.suites.badges_wsgi`): the
project's WSGI application, whose URLs gain one path before the project's own, `/bench/json/`
(`badges.PROBE`), a minimal Django JSON view behind the same middleware: the reference for the
hosted assertion JSON. Importing this module replaces the URLconf: only the suite's processes
import it."""

from django.conf import settings
from django.http import JsonResponse
from django.urls import include, path

from cms.wsgi import application  # noqa: F401 - Django is set up once this is imported


def minimal_json(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/json/", minimal_json), path("", include("cms.urls"))]
settings.ROOT_URLCONF = __name__  # before the first request: Django resolves with this module
