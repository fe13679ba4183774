"""Production: PostgreSQL, a Redis broker, Celery worker and beat, gunicorn.

Refuses to start without the settings that make it safe: a secret key, a PostgreSQL database, a
broker and the allowed hosts. A missing one is an error, never a silent fallback.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, SITE_URL, env

DEBUG = False

_missing = [
    name
    for name in (
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "ALLOWED_HOSTS",
        "SITE_URL",
    )
    if not env(name, default="")
]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )
SECRET_KEY = env("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production needs a PostgreSQL DATABASE_URL (postgres://…).")

# The public origin every Open Badges id, baked image and email link is built on: never the
# localhost default, served over HTTPS, on a host this site answers for. (That it matches the
# badges already issued is a system check, badges/checks.py: it needs the database.)
_origin = urlsplit(SITE_URL)
if _origin.scheme != "https" or not _origin.hostname:
    raise ImproperlyConfigured(
        f"SITE_URL must be the site's public https:// origin (got {SITE_URL!r})."
    )
if not validate_host(_origin.hostname, ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        f"SITE_URL's host {_origin.hostname!r} is not in ALLOWED_HOSTS "
        f"({', '.join(ALLOWED_HOSTS)})."
    )

STORAGES = {
    **STORAGES,  # noqa: F405 (the private storage of PIX attestations)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS everywhere (passes `manage.py check --deploy`).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Wagtail's live preview frames same-origin pages, so SAMEORIGIN rather than DENY (check W019).
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
# Accounts come from the académies (SSO, imports, coordinators) unless sign-up is opened.
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=False)
IS_PRODUCTION = True
