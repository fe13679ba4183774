"""Single sign-on against a real OpenID provider on loopback, configured like ProConnect.

node's certified `oidc-provider` (tests/oidc_provider/server.js: claims usual_name, uid, siret,
idp_id; acr eidas1; ID token and userinfo signed RS256, userinfo as application/jwt;
RP-initiated logout), started on a free 127.0.0.1 port for this module and stopped after it.
The site is driven by the test client; the browser's visits to the provider by a requests
session; the site's own calls to the provider (discovery, token, JWKS, userinfo) are real HTTP.
Skipped, with the reason, where node or the provider's packages are missing, never under CI.
"""

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.core.cache import cache

from cotraining.constants import Role
from cotraining.models import FederatedIdentity, RoleAssignment, User
from tests.oidc import LOOPBACK_AGENT, enable_oidc, running_provider

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


@pytest.fixture(scope="module")
def issuer():
    with running_provider(
        redirect_uris=[f"{SITE}/comptes/oidc/retour/"],
        post_logout_redirect_uris=[f"{SITE}/comptes/oidc/deconnexion/"],
    ) as url:
        yield url


@pytest.fixture
def provider(issuer, settings):
    """The site configured with the provider's discovery URL only, as for ProConnect."""
    cache.clear()
    enable_oidc(
        settings,
        OIDC_OP_DISCOVERY_URL=f"{issuer}/.well-known/openid-configuration",
        OIDC_OP_ISSUER="",
        OIDC_OP_AUTHORIZATION_ENDPOINT="",
        OIDC_OP_TOKEN_ENDPOINT="",
        OIDC_OP_USER_ENDPOINT="",
        OIDC_OP_JWKS_ENDPOINT="",
        OIDC_OP_LOGOUT_ENDPOINT="",
    )
    return issuer


@pytest.fixture
def browser():
    """The person's browser at the provider (its cookies are the provider's session)."""
    with requests.Session() as session:
        yield session


def visit_provider(browser, url, *, data=None):
    """Follow the provider's redirects until it sends the browser back to the site (returns
    that path with its query) or shows a page (returns the response)."""
    method = "POST" if data is not None else "GET"
    for _ in range(10):
        if url.startswith(SITE):
            return url[len(SITE) :]
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.status_code not in (302, 303):
            return response
        url, method, data = urljoin(url, response.headers["Location"]), "GET", None
    raise AssertionError("too many redirects at the provider")


def form_of(response):
    html = response.text
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', html).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return urljoin(response.url, action), fields


def press_button(client, next_url=None):
    """The login button (S’identifier avec ProConnect): the site sends the browser away."""
    response = client.get("/comptes/oidc/connexion/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return response["Location"]


def log_in_at_provider(client, browser, *, action="login", next_url=None):
    page = visit_provider(browser, press_button(client, next_url))
    assert page.status_code == 200 and 'name="login"' in page.text, page.text
    url, _ = form_of(page)
    back = visit_provider(browser, url, data={"login": LOOPBACK_AGENT["email"], "action": action})
    assert back.startswith("/comptes/oidc/retour/?"), back
    return client.get(back)


def test_a_teacher_logs_in_and_out_at_both(client, browser, provider):
    response = log_in_at_provider(client, browser, next_url="/ateliers/")

    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/ateliers/"
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.email == LOOPBACK_AGENT["email"]
    assert (user.first_name, user.last_name) == (
        LOOPBACK_AGENT["given_name"],
        LOOPBACK_AGENT["usual_name"],
    )
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {
        Role.TEACHER
    }
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.issuer, identity.idp_id) == (provider, LOOPBACK_AGENT["idp_id"])

    # The provider's session is open: pressing the button again comes straight back.
    back = visit_provider(browser, press_button(client))
    assert back.startswith("/comptes/oidc/retour/?code="), back
    client.get(back)
    assert FederatedIdentity.objects.count() == 1  # the same sub, the same account

    # Logging out here ends the provider's session too, and comes back here.
    response = client.post("/comptes/logout/")
    assert "_auth_user_id" not in client.session
    end_session = response["Location"]
    assert end_session.startswith(f"{provider}/session/end?")
    assert "id_token_hint=" in end_session
    logout_page = visit_provider(browser, end_session)
    url, fields = form_of(logout_page)
    back = visit_provider(browser, url, data={**fields, "logout": "yes"})
    assert back.startswith("/comptes/oidc/deconnexion/?state="), back
    sent_state = parse_qs(urlsplit(back).query)["state"][0]
    assert client.session["oidc_logout_state"] == sent_state
    assert client.get(back)["Location"] == "/"
    assert "oidc_logout_state" not in client.session

    # The provider asks who you are again: its session has ended.
    page = visit_provider(browser, press_button(client))
    assert not isinstance(page, str), f"the provider still had a session: back to {page}"
    assert 'name="login"' in page.text


def test_refusing_at_the_provider_ends_on_a_clear_page(client, browser, provider):
    response = log_in_at_provider(client, browser, action="refuse")

    assert response.status_code == 403
    assert "le partage de votre identité avec Entrepairs a été refusé" in unescape(
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()


def test_signed_userinfo_and_acr_come_from_the_provider(client, browser, provider, settings):
    """What makes it ProConnect-like is exercised, not assumed: the site requires a signed
    userinfo and the eidas1 level, and the provider gives both."""
    assert settings.OIDC_USERINFO_SIGNED
    assert settings.OIDC_ACR_VALUES == "eidas1"
    log_in_at_provider(client, browser)
    assert "_auth_user_id" in client.session

    settings.OIDC_ACR_VALUES = "eidas2"  # a level this provider never gives
    client.logout()
    browser.cookies.clear()
    response = log_in_at_provider(client, browser)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
