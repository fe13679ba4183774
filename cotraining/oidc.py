"""Single sign-on through OpenID Connect: ProConnect, or an académie's own provider.

mozilla-django-oidc runs the authorization code flow: a 32-character state and nonce kept in the
session (a state serves once), the code exchanged for tokens, the ID token's signature checked
against the provider's keys (JWKS) and its nonce against the session's. On top of it, here:
- the ID token's issuer, audience and expiry are checked, and its `acr` when acr_values are
  asked; the userinfo must be a JWT signed by the provider (OIDC_USERINFO_SIGNED, as ProConnect
  answers), for this client, about the same `sub` as the ID token;
- ProConnect's identity providers can be restricted (OIDC_ALLOWED_IDP_IDS);
- which account the person gets is the co-training layer's decision
  (cotraining.services.identities.sign_in_with_identity): roles are never taken from the provider;
- every failure ends on a page that says what happened (templates/account/oidc_error.html),
  never a 500;
- logging out ends the provider's session too (end_session with id_token_hint and a state),
  through allauth's logout (cotraining.adapters.AccountAdapter).
The endpoints come from the settings, or from the provider's discovery document
(OIDC_OP_DISCOVERY_URL), fetched when first needed and cached: never at start-up.
"""

import hashlib
import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.crypto import constant_time_compare, get_random_string
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .exceptions import ServiceError
from .services.identities import sign_in_with_identity

logger = logging.getLogger(__name__)

# Settings that the provider's discovery document fills when they are not set.
DISCOVERED_SETTINGS = {
    "OIDC_OP_ISSUER": "issuer",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}
DISCOVERY_CACHE_SECONDS = 3600
LOGOUT_STATE_SESSION_KEY = "oidc_logout_state"
# Where mozilla-django-oidc keeps the ID token (OIDC_STORE_ID_TOKEN): a session key, no secret.
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105

# What the person reads when signing in fails, by cause (the page: oidc_failure).
FAILURES = {
    "access_denied": (
        403,
        _("Connexion annulée : le partage de votre identité avec Entrepairs a été refusé."),
    ),
    "provider_error": (
        400,
        _("Le fournisseur d'identité n'a pas pu vous connecter. Recommencez dans un instant."),
    ),
    "expired": (
        400,
        _(
            "Cette demande de connexion a expiré ou a déjà servi. Recommencez depuis la page "
            "de connexion."
        ),
    ),
    "invalid_response": (
        400,
        _(
            "La réponse du fournisseur d'identité n'a pas pu être vérifiée : vous n'êtes pas "
            "connecté. Recommencez ; si cela se reproduit, prévenez l'assistance."
        ),
    ),
    "unavailable": (
        502,
        _("Le fournisseur d'identité ne répond pas. Réessayez dans quelques minutes."),
    ),
    "insufficient_acr": (
        403,
        _("Le niveau d'authentification de votre fournisseur d'identité ne suffit pas ici."),
    ),
    "idp_not_allowed": (
        403,
        _("Entrepairs n'accepte pas les comptes de votre fournisseur d'identité."),
    ),
}


class ProviderError(Exception):
    """Signing in through the provider failed; `code` is a key of FAILURES."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def is_enabled():
    return settings.OIDC_ENABLED


def discovery_document():
    """The provider's /.well-known/openid-configuration, cached DISCOVERY_CACHE_SECONDS."""
    url = settings.OIDC_OP_DISCOVERY_URL
    key = "oidc-discovery:" + hashlib.sha256(url.encode()).hexdigest()
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError("unavailable", f"discovery {url}: {exc}") from exc
        if not isinstance(document, dict):
            raise ProviderError("unavailable", f"discovery {url}: not a JSON object")
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def provider_setting(name, *default):
    """A setting of mozilla-django-oidc's; endpoints unset come from the discovery document."""
    if name in DISCOVERED_SETTINGS:
        value = getattr(settings, name, "")
        if not value and settings.OIDC_OP_DISCOVERY_URL:
            value = discovery_document().get(DISCOVERED_SETTINGS[name]) or ""
        return value or (default[0] if default else value)
    if name == "OIDC_AUTH_REQUEST_EXTRA_PARAMS":
        return {"acr_values": settings.OIDC_ACR_VALUES} if settings.OIDC_ACR_VALUES else {}
    return import_from_settings(name, *default)


class OIDCBackend(OIDCAuthenticationBackend):
    """The authentication backend the callback view uses (added to AUTHENTICATION_BACKENDS
    only when single sign-on is configured)."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, *args, **kwargs):
        # Django builds a backend for every authenticate() and every request's get_user(): the
        # provider's settings (and its discovery document) are read only when signing in.
        self.UserModel = get_user_model()

    def authenticate(self, request, nonce=None, code_verifier=None, **credentials):
        # Only the callback view passes a nonce: a password login never reaches the provider.
        if request is None or not nonce or credentials or not is_enabled():
            return None
        super().__init__()
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_user(self, user_id):
        # Django's rule, which mozilla-django-oidc's get_user skips: an account deactivated
        # since it logged in is logged out at its next request.
        return ModelBackend.get_user(self, user_id)

    def get_token(self, payload):
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            # 400: the code expired (ProConnect: 30 seconds), or served already.
            raise ProviderError("expired" if status == 400 else "unavailable", str(exc)) from exc

    def _verify_jws(self, payload, key):
        """The signature with the registered algorithm, and that the token is the provider's,
        for this client, and current (mozilla-django-oidc checks neither issuer nor audience)."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
        except jwt.PyJWTError as exc:
            raise ProviderError("invalid_response", f"not a JWT: {exc}") from exc
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise ProviderError("invalid_response", f"signed with {algorithm!r}")
        issuer = self.get_settings("OIDC_OP_ISSUER", "")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer or None,
                options={"require": ["iss", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise ProviderError("invalid_response", f"{type(exc).__name__}: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.OIDC_TIMEOUT,
        )
        if response.status_code != 200:
            raise ProviderError("unavailable", f"userinfo answered {response.status_code}")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            return self.verify_token(response.text)
        if settings.OIDC_USERINFO_SIGNED:
            raise ProviderError("invalid_response", f"userinfo is {content_type!r}, not a JWT")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError("invalid_response", "userinfo is not JSON") from exc

    def get_or_create_user(self, access_token, id_token, payload):
        """`payload`: the verified ID token's claims."""
        wanted_acr = settings.OIDC_ACR_VALUES.split()
        if wanted_acr and payload.get("acr") not in wanted_acr:
            raise ProviderError("insufficient_acr", f"acr {payload.get('acr')!r}")
        claims = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: a userinfo about someone else must not be used.
            raise ProviderError("invalid_response", "userinfo sub differs from the ID token's")
        allowed = settings.OIDC_ALLOWED_IDP_IDS
        if allowed and claims.get("idp_id") not in allowed:
            raise ProviderError("idp_not_allowed", f"idp_id {claims.get('idp_id')!r}")
        return sign_in_with_identity(issuer=payload["iss"], claims=claims)


def oidc_failure(request, code, message=None):
    """The DSFR page that ends a failed sign-in."""
    status, default_message = FAILURES.get(code, FAILURES["invalid_response"])
    return render(
        request,
        "account/oidc_error.html",
        {"message": message or default_message, "provider_name": settings.OIDC_PROVIDER_NAME},
        status=status,
    )


def _only_when_enabled(view):
    def guarded(request, *args, **kwargs):
        if not is_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return never_cache(guarded)


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    """ "S'identifier avec ProConnect": off to the provider with a fresh state and nonce."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the endpoints are read in get(), not for every 404

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderError as exc:
            logger.warning("OpenID sign-in impossible: %s", exc)
            return oidc_failure(request, exc.code)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class AuthenticationCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: a code to exchange, or an error to explain."""

    get_settings = staticmethod(provider_setting)

    def get(self, request):
        state = request.GET.get("state", "")
        known_states = request.session.get("oidc_states") or {}
        if request.GET.get("error"):
            # Consent refused, or the provider failed. The state serves no more; whoever is
            # logged in here stays so (a forged error link must not log anyone out).
            if state in known_states:
                del known_states[state]
                request.session.modified = True
            logger.info("OpenID provider answered error=%s", request.GET["error"][:100])
            code = "access_denied" if request.GET["error"] == "access_denied" else "provider_error"
            return oidc_failure(request, code)
        if not request.GET.get("code") or state not in known_states:
            return oidc_failure(request, "expired")
        try:
            return super().get(request)
        except ProviderError as exc:
            logger.warning("OpenID sign-in refused: %s", exc)
            return oidc_failure(request, exc.code)
        except ServiceError as exc:
            logger.info("OpenID sign-in refused by the platform: %s", exc.code)
            return oidc_failure(request, exc.code, exc.message)
        except SuspiciousOperation as exc:  # mozilla-django-oidc: no matching key, bad nonce…
            logger.warning("OpenID sign-in refused: %s", exc)
            return oidc_failure(request, "invalid_response")
        except (jwt.PyJWTError, ValueError, KeyError, ImproperlyConfigured) as exc:
            logger.warning("OpenID sign-in refused: %r", exc)
            return oidc_failure(request, "invalid_response")
        except requests.RequestException as exc:
            logger.warning("OpenID provider unreachable: %s", exc)
            return oidc_failure(request, "unavailable")

    def login_failure(self):
        # mozilla-django-oidc redirects; the person is told instead (e.g. an inactive account).
        return oidc_failure(self.request, "invalid_response")


def provider_logout_url(request):
    """Where someone who signed in through the provider goes when logging out: its end_session
    endpoint (id_token_hint, a fresh state, back to oidc_logout_callback), so that its session
    ends too. None when they did not sign in through it (or it has no such endpoint).
    The state is kept on the request: remember_logout_state() stores it in the session that
    follows the logout."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not (is_enabled() and id_token):
        return None
    try:
        endpoint = provider_setting("OIDC_OP_LOGOUT_ENDPOINT")
    except ProviderError as exc:
        logger.warning("Logout at the OpenID provider impossible: %s", exc)
        return None
    if not endpoint:
        return None
    request.oidc_logout_state = get_random_string(settings.OIDC_STATE_SIZE)
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": request.oidc_logout_state,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("oidc_logout_callback")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def remember_logout_state(request):
    """After the local logout (a new, empty session): the state the provider will send back."""
    state = getattr(request, "oidc_logout_state", None)
    if state:
        request.session[LOGOUT_STATE_SESSION_KEY] = state


def logout_callback(request):
    """Back from the provider's end_session: already logged out here (allauth's logout came
    first); the state is checked and dropped, as ProConnect asks."""
    expected = request.session.pop(LOGOUT_STATE_SESSION_KEY, "")
    if not (expected and constant_time_compare(request.GET.get("state", ""), expected)):
        logger.info("OpenID logout callback with an unknown state")
    return redirect(settings.ACCOUNT_LOGOUT_REDIRECT_URL)


urlpatterns = [
    path(
        "connexion/",
        _only_when_enabled(AuthenticationRequestView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "retour/",
        _only_when_enabled(AuthenticationCallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
    path("deconnexion/", _only_when_enabled(logout_callback), name="oidc_logout_callback"),
]
