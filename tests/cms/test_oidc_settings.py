"""Single sign-on is configured by environment variables only (cms/settings/base.py)."""

import json
import os
import subprocess
import sys

PROVIDER = "https://auth.agentconnect.gouv.fr"


def settings_seen(**environ):
    """What a fresh process reads from `environ` (the OIDC_* variables of the machine dropped)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OIDC_")}
    env.update(DJANGO_SETTINGS_MODULE="cms.settings.test", **environ)
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps([s.OIDC_ENABLED, s.AUTHENTICATION_BACKENDS,"
        " s.SECURE_CSP['form-action'], s.SECURE_CSP_ADMIN['form-action']]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output)


def test_unset_single_sign_on_is_off_and_nothing_changes():
    enabled, backends, form_action, admin_form_action = settings_seen()
    assert enabled is False
    assert "cotraining.oidc.OIDCBackend" not in backends
    assert form_action == admin_form_action == ["'self'"]


def test_a_client_id_without_endpoints_is_not_enough():
    assert settings_seen(OIDC_RP_CLIENT_ID="entrepairs")[0] is False


def test_a_client_and_a_discovery_url_turn_it_on_and_let_forms_reach_the_provider():
    enabled, backends, form_action, admin_form_action = settings_seen(
        OIDC_RP_CLIENT_ID="entrepairs",
        OIDC_RP_CLIENT_SECRET="secret",
        OIDC_OP_DISCOVERY_URL=f"{PROVIDER}/api/v2/.well-known/openid-configuration",
    )
    assert enabled is True
    assert backends[-1] == "cotraining.oidc.OIDCBackend"
    assert backends[:-1] == [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ]
    assert form_action == admin_form_action == ["'self'", PROVIDER]


def test_explicit_endpoints_turn_it_on_too():
    enabled, _, form_action, _ = settings_seen(
        OIDC_RP_CLIENT_ID="entrepairs",
        OIDC_OP_AUTHORIZATION_ENDPOINT="https://sso.ac-test.fr/auth",
        OIDC_OP_TOKEN_ENDPOINT="https://sso.ac-test.fr/token",
        OIDC_OP_USER_ENDPOINT="https://sso.ac-test.fr/userinfo",
        OIDC_OP_LOGOUT_ENDPOINT="https://logout.ac-test.fr/end",
    )
    assert enabled is True
    assert form_action == ["'self'", "https://logout.ac-test.fr", "https://sso.ac-test.fr"]
