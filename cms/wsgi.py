import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")

application = get_wsgi_application()


def _refuse_another_origin():
    """gunicorn runs no system checks: in production, a worker refuses to start on a SITE_URL
    that is not the origin of the badges already issued (badges/checks.py)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not getattr(settings, "IS_PRODUCTION", False):
        return
    from badges.checks import site_url_matches_issued_badges

    errors = site_url_matches_issued_badges()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")


_refuse_another_origin()
