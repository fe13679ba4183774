"""Local development: the embedded default, debug on, emails printed to the console."""

from .base import *  # noqa: F403
from .base import MAILERS, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
_backend = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": _backend, "OPTIONS": {}}} if "smtp" not in _backend else MAILERS
