from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language
from dsfr.models import DsfrConfig


def site_config(request):
    """django-dsfr's SITE_CONFIG, cached per language (its own processor queries every page)."""
    language = get_language() or "fr"
    key = f"dsfr-config:{language}"
    config = cache.get(key)
    if config is None:
        config = DsfrConfig.objects.filter(language=language).first() or DsfrConfig.objects.first()
        cache.set(key, config, 300)
    return {"SITE_CONFIG": config}


def accounts(request):
    """Whether to invite visitors to create an account (SIGNUP_OPEN, closed in production), and
    the single sign-on provider to offer on the login page (empty: none configured)."""
    return {
        "signup_open": settings.SIGNUP_OPEN,
        "oidc_provider_name": settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else "",
    }
