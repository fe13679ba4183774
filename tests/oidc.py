"""OpenID providers for the single sign-on tests (cotraining/oidc.py).

- `FakeProvider`: in the test process, answering the backend's HTTP calls (token, JWKS,
  userinfo) with tokens it signs itself; each test can make it misbehave (bad signature, JSON
  userinfo, token refused…).
- `running_provider()`: the real one, node's `oidc-provider` configured like ProConnect
  (tests/oidc_provider/server.js), started on a free loopback port and stopped afterwards.
"""

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://op.example.test"
CLIENT_ID = "entrepairs-client"
CLIENT_SECRET = "entrepairs-client-secret"
PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"

# The test agent of tests/oidc_provider/server.js.
LOOPBACK_AGENT = {
    "email": "agent.proconnect@ac-test.fr",
    "given_name": "Camille Anne",
    "usual_name": "Dupont",
    "idp_id": "fia1v2",
}


def enable_oidc(settings, **endpoints):
    """Single sign-on on, as `OIDC_*` environment variables would set it (cms/settings/base.py)."""
    values = {
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_OP_DISCOVERY_URL": "",
        "OIDC_OP_ISSUER": ISSUER,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{ISSUER}/authorize",
        "OIDC_OP_TOKEN_ENDPOINT": f"{ISSUER}/token",
        "OIDC_OP_USER_ENDPOINT": f"{ISSUER}/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": f"{ISSUER}/jwks",
        "OIDC_OP_LOGOUT_ENDPOINT": f"{ISSUER}/session/end",
        "OIDC_ACR_VALUES": "eidas1",
        **endpoints,
    }
    for name, value in values.items():
        setattr(settings, name, value)
    settings.OIDC_ENABLED = True
    if "cotraining.oidc.OIDCBackend" not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [
            *settings.AUTHENTICATION_BACKENDS,
            "cotraining.oidc.OIDCBackend",
        ]
    # The provider's origin in form-action, as the settings add it (test_oidc_settings.py).
    origins = {
        "{0.scheme}://{0.netloc}".format(urlsplit(url))
        for url in (
            values["OIDC_OP_DISCOVERY_URL"],
            values["OIDC_OP_AUTHORIZATION_ENDPOINT"],
            values["OIDC_OP_LOGOUT_ENDPOINT"],
        )
        if url
    }
    for name in ("SECURE_CSP", "SECURE_CSP_ADMIN"):
        policy = getattr(settings, name)
        setattr(settings, name, {**policy, "form-action": ["'self'", *sorted(origins)]})


class FakeResponse:
    def __init__(self, status=200, *, json_body=None, text="", content_type="application/json"):
        self.status_code = status
        self.headers = {"Content-Type": content_type}
        self.text = json.dumps(json_body) if json_body is not None else text
        self.url = "fake"

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code}", response=self)


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProvider:
    """Answers requests.get/post for the endpoints of `enable_oidc`, like ProConnect would."""

    def __init__(self):
        self.key = _rsa_key()
        self.kid = "key-1"
        self.sub = "sub-agent-1"
        self.userinfo = {
            "email": "agent@ac-test.fr",
            "given_name": "Camille",
            "usual_name": "Dupont",
            "uid": "cdupont",
            "siret": "13002526500013",
            "idp_id": "fia1v2",
        }
        self.id_token_claims = {"acr": "eidas1"}
        self.userinfo_as_json = False
        self.sign_with = None  # another private key: a forged signature
        self.token_status = 200
        self.userinfo_status = 200
        self.unreachable = False
        self.nonce = None
        self.requests = []

    # --- what the provider signs ----------------------------------------------------------

    def jwt(self, claims):
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 60, **claims}
        return jwt.encode(
            payload, self.sign_with or self.key, algorithm="RS256", headers={"kid": self.kid}
        )

    def jwks(self):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # --- requests.get / requests.post -------------------------------------------------------

    def get(self, url, **kwargs):
        self.requests.append(("GET", url))
        if self.unreachable:
            raise requests.ConnectionError(f"cannot reach {url}")
        if url.endswith("/jwks"):
            return FakeResponse(json_body=self.jwks())
        if url.endswith("/userinfo"):
            if self.userinfo_status != 200:
                return FakeResponse(self.userinfo_status, json_body={"error": "invalid_token"})
            claims = {"sub": self.sub, **self.userinfo}
            if self.userinfo_as_json:
                return FakeResponse(json_body=claims)
            return FakeResponse(text=self.jwt(claims), content_type="application/jwt")
        raise AssertionError(f"unexpected GET {url}")

    def post(self, url, data=None, **kwargs):
        self.requests.append(("POST", url))
        if self.unreachable:
            raise requests.ConnectionError(f"cannot reach {url}")
        assert url.endswith("/token"), url
        if self.token_status != 200:
            return FakeResponse(self.token_status, json_body={"error": "invalid_grant"})
        claims = {"sub": self.sub, "nonce": self.nonce, **self.id_token_claims}
        return FakeResponse(
            json_body={
                "access_token": "access-token",
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self.jwt(claims),
            }
        )

    # --- a browser's round trip -------------------------------------------------------------

    def start_login(self, client, next_url=None):
        """The login button: returns the provider's authorize URL's parameters."""
        url = "/comptes/oidc/connexion/" + (f"?next={next_url}" if next_url else "")
        response = client.get(url)
        assert response.status_code == 302, response
        params = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
        self.nonce = params.get("nonce")
        return params

    def log_in(self, client, next_url=None):
        """Button, provider, back: the callback's response."""
        params = self.start_login(client, next_url)
        return client.get("/comptes/oidc/retour/", {"code": "the-code", "state": params["state"]})


def install_fake_provider(monkeypatch, settings):
    """Single sign-on on, its HTTP calls answered by a FakeProvider (for a fixture)."""
    enable_oidc(settings)
    provider = FakeProvider()
    monkeypatch.setattr(requests, "get", provider.get)
    monkeypatch.setattr(requests, "post", provider.post)
    return provider


# --- The real provider on loopback ----------------------------------------------------------


def node_or_skip():
    """node and the installed oidc-provider package (`make oidc-provider`), or a skip: never
    under CI, where they are installed (.ci/run)."""
    node = shutil.which("node")
    installed = (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file()
    if node and installed:
        return node
    reason = (
        "node is not installed"
        if not node
        else "the test OpenID provider is not installed (make oidc-provider)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the single sign-on tests")
    pytest.skip(f"{reason}: the tests against a real OpenID provider are skipped")


@contextmanager
def running_provider(*, redirect_uris, post_logout_redirect_uris, timeout=20):
    """tests/oidc_provider/server.js on a free 127.0.0.1 port; yields its issuer URL."""
    node = node_or_skip()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "OIDC_PORT": "0",
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
        "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_redirect_uris),
    }
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [node, "server.js"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            issuer = _wait_until_ready(process, timeout)
            if issuer is None:
                errors.seek(0)
                pytest.fail(f"the test OpenID provider did not start:\n{errors.read()}")
            yield issuer
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()


def _wait_until_ready(process, timeout):
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.2):
                line = process.stdout.readline()
                if line.startswith("OIDC_PROVIDER_READY "):
                    return line.split()[1]
        return None
    finally:
        selector.close()
