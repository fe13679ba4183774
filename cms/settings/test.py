"""Test settings: the embedded default unless DATABASE_URL / CELERY_BROKER_URL say otherwise."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import MAILERS, env

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
_backend = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
MAILERS = {"default": {"BACKEND": _backend, "OPTIONS": {}}} if "smtp" not in _backend else MAILERS
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SITE_URL = "http://testserver"
WAGTAILADMIN_BASE_URL = SITE_URL
ALLOWED_HOSTS = ["*"]
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
}

# Uploaded and generated files (badge images, baked assertions) go to a scratch folder, never into
# the working tree's media/; exported so that a Celery worker started by the tests shares it.
MEDIA_ROOT = os.environ.setdefault(
    "ENTREPAIRS_TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="entrepairs-test-media-")
)
PRIVATE_MEDIA_ROOT = os.environ.setdefault(
    "ENTREPAIRS_TEST_PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="entrepairs-test-private-")
)
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "badges.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
}
