"""System checks of the Open Badges origin.

Every id a verifier fetches (assertion, badge class version, issuer, baked image) was written on
SITE_URL when the badge was issued: started on another origin, the site would issue badges
that disagree with those already in people's backpacks, and old ones would stop verifying. The
check refuses to start (`check`, `runserver`, `migrate`; gunicorn through cms/wsgi.py and Celery
workers through cms/celery.py in production) until SITE_URL is set back, or the platform is
moved with `move_site_origin`.
"""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from cotraining.origin import public_url

from .services.origin import issued_origin


@register()
def site_url_matches_issued_badges(app_configs=None, **kwargs):
    issued = issued_origin()
    current = public_url("")
    if issued is None or issued == current:
        return []
    return [
        Error(
            f"SITE_URL ({current}) is not the origin of the Open Badges already issued ({issued}).",
            hint=(
                f"Set SITE_URL={issued} again, or move the platform to the new origin with "
                f"`manage.py move_site_origin --from {issued} --to {current}`."
            ),
            id="badges.E001",
        )
    ]


def refuse_another_origin():
    """For the processes that run no system checks (gunicorn through cms/wsgi.py, Celery
    workers through cms/celery.py): in production, refuse to start on a SITE_URL that is not
    the origin of the badges already issued."""
    if not getattr(settings, "IS_PRODUCTION", False):
        return
    errors = site_url_matches_issued_badges()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
