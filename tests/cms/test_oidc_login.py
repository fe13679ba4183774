"""Single sign-on on the one login path (cotraining/oidc.py, cotraining/adapters.py, cms/urls.py).

Through the test client and mozilla-django-oidc's views; the provider's HTTP answers come from
tests.oidc.FakeProvider, which signs its tokens like ProConnect and misbehaves on demand.
"""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.test import Client

from cotraining.constants import Role
from cotraining.models import FederatedIdentity, RoleAssignment, User
from tests.factories import UserFactory
from tests.oidc import CLIENT_ID, ISSUER, FakeResponse, install_fake_provider

pytestmark = pytest.mark.django_db

PASSWORD = django_settings.DEMO_PASSWORD
OIDC_URLS = ["/comptes/oidc/connexion/", "/comptes/oidc/retour/", "/comptes/oidc/deconnexion/"]


@pytest.fixture
def provider(monkeypatch, settings):
    return install_fake_provider(monkeypatch, settings)


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def login_page(client, url="/comptes/login/"):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- Off unless configured --------------------------------------------------------------------


def test_unset_the_login_page_has_no_button_and_the_urls_answer_404(client):
    assert not django_settings.OIDC_ENABLED
    html = login_page(client)
    assert "fr-connect" not in html
    assert "ProConnect" not in html
    assert "proconnect.css" not in html
    for url in OIDC_URLS:
        assert client.get(url).status_code == 404, url
    assert "cotraining.oidc.OIDCBackend" not in django_settings.AUTHENTICATION_BACKENDS


def test_set_the_login_page_shows_the_proconnect_button_above_the_local_form(client, provider):
    html = login_page(client, "/comptes/login/?next=/admin/")
    button = html.index('class="fr-connect fr-connect--proconnect"')
    assert button < html.index('name="password"')
    assert '<span class="fr-connect__login">S’identifier avec</span>' in html
    assert '<span class="fr-connect__brand">ProConnect</span>' in html
    assert 'action="/comptes/oidc/connexion/"' in html
    assert '<input type="hidden" name="next" value="/admin/">' in html
    assert 'href="https://www.proconnect.gouv.fr/"' in html
    assert 'title="Qu’est-ce que ProConnect ? - nouvelle fenêtre"' in html
    assert "css/proconnect.css" in html


def test_the_wagtail_admin_login_leads_to_the_page_with_the_button(client, provider):
    response = client.get("/admin/login/", follow=True)
    assert 'class="fr-connect fr-connect--proconnect"' in response.content.decode()


def test_another_provider_gets_a_plain_button_with_its_name(client, provider, settings):
    settings.OIDC_PROVIDER_NAME = "Guichet de l'académie"
    html = login_page(client)
    assert "fr-connect" not in html
    assert "Se connecter avec Guichet de l&#x27;académie" in html


# --- The authorization request ---------------------------------------------------------------


def test_the_button_sends_to_the_provider_with_a_long_state_and_nonce_and_acr(client, provider):
    params = provider.start_login(client, next_url="/ateliers/")
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://testserver/comptes/oidc/retour/"
    assert set(params["scope"].split()) == {
        "openid",
        "email",
        "given_name",
        "usual_name",
        "uid",
        "siret",
        "idp_id",
    }
    assert len(params["state"]) >= 32
    assert len(params["nonce"]) >= 32
    assert params["acr_values"] == "eidas1"
    assert "code_challenge" not in params  # ProConnect refuses parameters it does not list
    assert params["state"] in client.session["oidc_states"]


def test_the_endpoints_can_come_from_the_discovery_document(
    client, provider, settings, monkeypatch
):
    settings.OIDC_OP_DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = ""
    document = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/discovered/authorize"}
    answer_provider = provider.get

    def get(url, **kwargs):
        if url == settings.OIDC_OP_DISCOVERY_URL:
            provider.requests.append(("GET", url))
            return FakeResponse(json_body=document)
        return answer_provider(url, **kwargs)

    monkeypatch.setattr(requests, "get", get)
    response = client.get("/comptes/oidc/connexion/")
    assert response["Location"].startswith(f"{ISSUER}/discovered/authorize?")
    client.get("/comptes/oidc/connexion/")
    fetched = [url for _, url in provider.requests if url == settings.OIDC_OP_DISCOVERY_URL]
    assert len(fetched) == 1  # cached, and never fetched before a login needs it


def test_an_unreachable_discovery_document_ends_on_a_clear_page(client, provider, settings):
    settings.OIDC_OP_DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = ""
    provider.unreachable = True
    assert "fr-connect" in login_page(client)  # the login page itself never calls the provider
    assert_failed(client.get("/comptes/oidc/connexion/"), 502, "ne répond pas")


# --- Back from the provider -------------------------------------------------------------------


def test_a_first_login_creates_a_teacher_and_goes_where_they_were_going(client, provider):
    response = provider.log_in(client, next_url="/ateliers/")

    assert response.status_code == 302
    assert response["Location"] == "/ateliers/"
    user = signed_in_user(client)
    assert user.email == "agent@ac-test.fr"
    assert (user.first_name, user.last_name) == ("Camille", "Dupont")
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {
        Role.TEACHER
    }
    assert FederatedIdentity.objects.get(user=user).issuer == ISSUER
    assert client.session["oidc_id_token"]  # for the logout's id_token_hint


def test_an_account_deactivated_after_logging_in_is_logged_out(client, provider):
    provider.log_in(client)
    user = signed_in_user(client)
    assert client.get("/profil/").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/profil/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")


def test_the_state_serves_once(client, provider):
    params = provider.start_login(client)
    client.get("/comptes/oidc/retour/", {"code": "c", "state": params["state"]})
    client.logout()
    response = client.get("/comptes/oidc/retour/", {"code": "c", "state": params["state"]})
    assert response.status_code == 400
    assert "a expiré ou a déjà servi" in response.content.decode()
    assert signed_in_user(client) is None


def assert_failed(response, status, words):
    html = unescape(response.content.decode())
    assert response.status_code == status, html
    assert "Connexion impossible" in html
    assert 'class="fr-alert fr-alert--error' in html
    assert words in html
    assert 'href="/comptes/login/"' in html
    return html


def test_refused_consent_ends_on_a_clear_page(client, provider):
    params = provider.start_login(client)
    response = client.get(
        "/comptes/oidc/retour/", {"error": "access_denied", "state": params["state"]}
    )
    assert_failed(response, 403, "le partage de votre identité avec Entrepairs a été refusé")
    assert params["state"] not in client.session["oidc_states"]
    assert signed_in_user(client) is None


def test_a_provider_error_does_not_log_out_whoever_is_logged_in(client, provider):
    user = UserFactory()
    client.force_login(user)
    response = client.get("/comptes/oidc/retour/", {"error": "server_error", "state": "forged"})
    assert_failed(response, 400, "Le fournisseur d'identité n'a pas pu vous connecter")
    assert signed_in_user(client) == user


@pytest.mark.parametrize("state", ["", "unknown-state-" + "x" * 32])
def test_an_unknown_or_missing_state_ends_on_a_clear_page(client, provider, state):
    provider.start_login(client)
    response = client.get("/comptes/oidc/retour/", {"code": "c", "state": state})
    assert_failed(response, 400, "a expiré ou a déjà servi")
    assert not any(method == "POST" for method, _ in provider.requests)  # no code exchanged


def test_an_expired_session_ends_on_a_clear_page(provider):
    browser = Client()
    params = provider.start_login(browser)
    later = Client()  # the session is gone (expired, other browser)
    response = later.get("/comptes/oidc/retour/", {"code": "c", "state": params["state"]})
    assert_failed(response, 400, "a expiré ou a déjà servi")


def test_a_code_the_provider_refuses_ends_on_a_clear_page(client, provider):
    provider.token_status = 400
    assert_failed(provider.log_in(client), 400, "a expiré ou a déjà servi")


def test_a_forged_id_token_signature_ends_on_a_clear_page(client, provider):
    provider.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_failed(provider.log_in(client), 400, "n'a pas pu être vérifiée")
    assert signed_in_user(client) is None
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "another-nonce-" + "x" * 32},
        {"aud": "another-client"},
        {"iss": "https://another-provider.example"},
        {"exp": 1_000_000},
        {"acr": "eidas0"},
    ],
    ids=["nonce", "audience", "issuer", "expired", "acr"],
)
def test_an_id_token_not_for_this_login_ends_on_a_clear_page(client, provider, claims):
    provider.id_token_claims = {**provider.id_token_claims, **claims}
    status = 403 if "acr" in claims else 400
    words = "ne suffit pas" if "acr" in claims else "n'a pas pu être vérifiée"
    assert_failed(provider.log_in(client), status, words)
    assert signed_in_user(client) is None


def test_a_json_userinfo_is_refused_when_a_signed_one_is_required(client, provider, settings):
    provider.userinfo_as_json = True
    assert_failed(provider.log_in(client), 400, "n'a pas pu être vérifiée")

    settings.OIDC_USERINFO_SIGNED = False  # an académie's provider answering JSON
    provider.log_in(client)
    assert signed_in_user(client).email == "agent@ac-test.fr"


def test_a_userinfo_with_a_forged_signature_is_refused(client, provider):
    good_key = provider.key
    real_jwt = provider.jwt

    def userinfo_signed_by_someone_else(claims):
        if "nonce" in claims:
            return real_jwt(claims)
        provider.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        try:
            return real_jwt(claims)
        finally:
            provider.key = good_key

    provider.jwt = userinfo_signed_by_someone_else
    assert_failed(provider.log_in(client), 400, "n'a pas pu être vérifiée")


def test_a_userinfo_about_someone_else_is_refused(client, provider, monkeypatch):
    answer_provider = provider.get

    def get(url, **kwargs):
        if not url.endswith("/userinfo"):
            return answer_provider(url, **kwargs)
        provider.sub, sub = "someone-else", provider.sub
        try:
            return answer_provider(url, **kwargs)
        finally:
            provider.sub = sub

    monkeypatch.setattr(requests, "get", get)
    assert_failed(provider.log_in(client), 400, "n'a pas pu être vérifiée")


def test_a_userinfo_failure_ends_on_a_clear_page(client, provider):
    provider.userinfo_status = 500
    assert_failed(provider.log_in(client), 502, "ne répond pas")


def test_an_unreachable_provider_ends_on_a_clear_page(client, provider):
    params = provider.start_login(client)
    provider.unreachable = True
    response = client.get("/comptes/oidc/retour/", {"code": "c", "state": params["state"]})
    assert_failed(response, 502, "ne répond pas")


def test_an_identity_provider_outside_the_allowed_list_is_refused(client, provider, settings):
    settings.OIDC_ALLOWED_IDP_IDS = ["ac-test-idp"]
    assert_failed(provider.log_in(client), 403, "n'accepte pas les comptes de votre fournisseur")
    provider.userinfo["idp_id"] = "ac-test-idp"
    provider.log_in(client)
    assert signed_in_user(client) is not None


def test_an_unverified_local_address_ends_on_a_page_that_says_what_to_do(client, provider):
    UserFactory(email="agent@ac-test.fr")
    html = assert_failed(provider.log_in(client), 400, "sans l'avoir confirmée")
    assert "Mot de passe oublié" in html
    assert signed_in_user(client) is None


def test_an_inactive_account_ends_on_a_clear_page(client, provider):
    user = UserFactory(email="agent@ac-test.fr", is_active=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    assert_failed(provider.log_in(client), 400, "Ce compte est désactivé")


# --- Password login for accounts that use the provider ----------------------------------------


def linked_account(provider, client):
    user = UserFactory(email="agent@ac-test.fr")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    provider.log_in(client)
    client.logout()
    return user


def password_login(email, password):
    browser = Client()
    response = browser.post("/comptes/login/", {"login": email, "password": password})
    return browser, response


def test_linked_accounts_keep_their_password_unless_the_setting_says_no(provider, settings):
    user = linked_account(provider, Client())
    browser, _ = password_login(user.email, PASSWORD)
    assert signed_in_user(browser) == user

    settings.OIDC_ONLY_FOR_LINKED_ACCOUNTS = True
    browser, response = password_login(user.email, PASSWORD)
    assert signed_in_user(browser) is None
    assert response.status_code == 200
    assert "Ce compte se connecte avec ProConnect" in response.content.decode()


def test_the_refusal_reveals_nothing_to_whoever_lacks_the_password(provider, settings):
    """A wrong password gets the usual words, linked account, local account or no account."""
    settings.OIDC_ONLY_FOR_LINKED_ACCOUNTS = True
    linked = linked_account(provider, Client())
    local = UserFactory()
    answers = set()
    for email in (linked.email, local.email, "personne@ac-test.fr"):
        _, response = password_login(email, "mauvais-mot-de-passe")
        alert = re.search(
            r'<div class="fr-alert fr-alert--error[^>]*>(.*?)</div>',
            response.content.decode(),
            re.S,
        )
        assert alert, "the login form says why it refused"
        answers.add(alert.group(1))
    assert len(answers) == 1
    assert "ProConnect" not in answers.pop()


def test_local_accounts_still_log_in_with_the_setting_on(provider, settings):
    settings.OIDC_ONLY_FOR_LINKED_ACCOUNTS = True
    local = UserFactory()
    browser, _ = password_login(local.email, PASSWORD)
    assert signed_in_user(browser) == local


# --- Logout ends the provider's session -------------------------------------------------------


def test_logout_ends_the_provider_session_with_id_token_hint_and_state(client, provider):
    provider.log_in(client)
    id_token = client.session["oidc_id_token"]

    response = client.post("/comptes/logout/")

    assert signed_in_user(client) is None
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/session/end"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["id_token_hint"] == id_token
    assert len(query["state"]) >= 32
    assert query["post_logout_redirect_uri"] == "http://testserver/comptes/oidc/deconnexion/"
    assert client.session["oidc_logout_state"] == query["state"]

    back = client.get("/comptes/oidc/deconnexion/", {"state": query["state"]})
    assert back.status_code == 302
    assert back["Location"] == "/"
    assert "oidc_logout_state" not in client.session


@pytest.mark.parametrize("url", ["/admin/logout/", "/django-admin/logout/"])
def test_the_admins_log_out_through_allauth_and_the_provider(client, provider, url):
    user = UserFactory(email="agent@ac-test.fr", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    provider.log_in(client)
    response = client.post(url)
    assert signed_in_user(client) is None
    assert response["Location"].startswith(f"{ISSUER}/session/end?")


def test_a_password_login_logs_out_as_before(client, provider):
    user = UserFactory()
    client.post("/comptes/login/", {"login": user.email, "password": PASSWORD})
    response = client.post("/comptes/logout/")
    assert response["Location"] == "/"
    assert signed_in_user(client) is None
