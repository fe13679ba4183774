"""What `bench/badges.py` serves with gunicorn (`gunicorn bench.badges_wsgi`): the project's
WSGI application, whose URLs gain one path before the project's own, `/bench/json/`, a minimal
Django JSON view behind the same middleware: the reference for the hosted assertion JSON."""

from django.conf import settings
from django.http import JsonResponse
from django.urls import include, path

from cms.wsgi import application  # noqa: F401 - Django is set up once this is imported


def minimal_json(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/json/", minimal_json), path("", include("cms.urls"))]
settings.ROOT_URLCONF = __name__  # before the first request: Django resolves with this module
