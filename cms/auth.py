"""One way in: every login and password reset goes through allauth.

Wagtail (its admin and its front-end login for private pages) and Django's admin each ship a
login form and Wagtail a password reset; those call Django's `authenticate` directly, so they
skipped what allauth's form enforces: a verified address when verification is mandatory, the
rate limits, the lockout after failed attempts. Their URLs now only send the visitor to
allauth's pages, keeping where they were going (`next`); they never authenticate anyone.
"""

from allauth.account.adapter import get_adapter
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache


def client_ip(request):
    """The client's address, the one every rate limit keys on (allauth's and django-ratelimit's).

    allauth reads it from REMOTE_ADDR, or from X-Forwarded-For / a trusted header only as far
    as the settings trust our own proxies (TRUSTED_PROXY_COUNT, TRUSTED_CLIENT_IP_HEADER).
    """
    return get_adapter(request).get_client_ip(request)


def to_allauth(url_name, *, default_next=""):
    """A view that redirects to allauth's `url_name`, passing on a safe `next`."""

    @never_cache
    def view(request, *args, **kwargs):
        target = reverse(url_name)
        next_url = request.GET.get("next") or default_next
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = f"{target}?{urlencode({'next': next_url})}"
        return redirect(target)

    return view
