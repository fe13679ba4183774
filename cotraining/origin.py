"""The platform's one public origin (SITE_URL): every absolute link — emails, Open Badges ids,
baked images, check-in QR codes, calendar feeds — is built from settings, never from a request,
so a worker, a shell and every web process agree on it."""

from urllib.parse import urlsplit

from django.conf import settings


def public_url(path=""):
    """SITE_URL followed by `path` (an absolute path such as reverse() returns)."""
    return settings.SITE_URL.rstrip("/") + path


def public_host_and_port():
    """(hostname, port) of SITE_URL, for the Wagtail Site that pages' full URLs are built on."""
    parts = urlsplit(settings.SITE_URL)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "https" else 80)
