"""Open Badges 2.0 conformance: the 1EdTech reference validator against the live server.

The validator (PyPI `openbadges` 1.1.2) runs offline in its own Python 3.11 virtualenv
(`make validator-venv`) through tests/integration/obvalidator/run.py: JSON-LD contexts from
local copies, no host but loopback. It does not itself fail a 410 nor `revoked: true`, so
the revoked case asserts those on the hosted URL as well.
"""

import json
import os
import subprocess
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from badges.models import Assertion, Issuer, new_salt
from badges.services.awards import award_badge
from badges.services.openbadges import drop_cached_assertion
from badges.services.revocation import revoke_assertion
from tests.factories import make_badge_class

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "obvalidator" / "run.py"
VALIDATOR_PYTHON = Path(
    os.environ.get("OBVALIDATOR_PYTHON") or ROOT / ".validator-venv" / "bin" / "python"
)
CONTEXTS = Path(os.environ.get("OPENBADGES_CONTEXTS_DIR") or RUNNER.parent / "contexts")
JSON_LD = "application/ld+json"
EMAIL = "claire.dupont@ac-poitiers.fr"

# The live server reads only what is committed; serialized_rollback brings back the reference
# data that the flush after a transactional test removes.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # rfc3986 2.x, called by openbadges-bakery 2.0 when the application bakes an SVG.
    pytest.mark.filterwarnings("ignore:Please use rfc3986.validators.Validator:DeprecationWarning"),
]

# No proxy, even for loopback.
http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def validate():
    """validate(URL or baked file, email) -> the validator's JSON report."""
    problems = []
    if not VALIDATOR_PYTHON.is_file():
        problems.append(f"no {VALIDATOR_PYTHON} (make validator-venv, needs Python 3.11)")
    if not (CONTEXTS / "openbadges-v2.json").is_file():
        problems.append(f"no Open Badges contexts in {CONTEXTS}")
    if problems:
        message = "Open Badges reference validator unavailable: " + "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    def run(target, email=EMAIL):
        command = [str(VALIDATOR_PYTHON), str(RUNNER), str(target), "--contexts", str(CONTEXTS)]
        if email:
            command += ["--email", email]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"validator crashed:\n{done.stderr}"
        return json.loads(done.stdout)

    return run


@pytest.fixture
def site(live_server, settings, tmp_path, eager_tasks):
    """Ids are baked into assertions and images: the live server's origin, before any award."""
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    return live_server


@pytest.fixture
def issuer(site):
    return Issuer.objects.create(
        name="DANE de l'académie de Poitiers",
        url="https://www.ac-poitiers.fr",
        email="dane@ac-poitiers.fr",
    )


def award(issuer, *, svg=False, source="manual:conformance", **kwargs):
    assertion, created = award_badge(
        badge_class=make_badge_class(issuer, svg=svg),
        email=EMAIL,
        source=source,
        evidence=[{"type": "Evidence", "id": "https://example.org/seance", "name": "Séance"}],
        **kwargs,
    )
    assert created
    return assertion


def fetch(url, accept=JSON_LD):
    """(status, content type, body) of a GET on the live server, error statuses included."""
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - http(s) only
    try:
        with http.open(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def messages(report):
    return [f"{m['messageLevel']}: {m['result']}" for m in report["report"]["messages"]]


def errors(report):
    return [m["result"] for m in report["report"]["messages"] if m["messageLevel"] == "ERROR"]


def assert_invalid(report):
    """Invalid for a reason of the badge's own, not because the validator was kept offline."""
    assert report["report"]["valid"] is False, "\n".join(messages(report))
    assert not any("offline validator" in message for message in messages(report))


def assert_valid(report, assertion):
    assert report["report"]["valid"] is True, "\n".join(messages(report))
    assert report["report"]["errorCount"] == 0
    assert report["report"]["recipientProfile"] == {"email": EMAIL}
    ids = {node.get("id"): node.get("type") for node in report["graph"]}
    assert ids[assertion.public_url] == "Assertion"
    assert ids[assertion.version.public_url] == "BadgeClass"
    assert ids[assertion.badge_class.issuer.public_url] == "Issuer"


def test_a_fresh_hosted_assertion_is_valid(issuer, validate):
    assertion = award(issuer)
    assert_valid(validate(assertion.public_url), assertion)


@pytest.mark.parametrize("svg", [False, True], ids=["png", "svg"])
def test_a_baked_image_is_valid(issuer, validate, tmp_path, svg):
    assertion = award(issuer, svg=svg)
    status, content_type, body = fetch(assertion.image_url, accept="image/*")
    assert (status, content_type) == (200, "image/svg+xml" if svg else "image/png")
    baked = tmp_path / ("baked.svg" if svg else "baked.png")
    baked.write_bytes(body)
    assert_valid(validate(baked), assertion)


def test_a_revoked_assertion_is_invalid(issuer, validate):
    assertion = award(issuer)
    revoke_assertion(assertion=assertion, reason="Attribué par erreur", by=None)
    status, content_type, body = fetch(assertion.public_url)
    assert status == 410
    assert content_type.startswith(JSON_LD)
    document = json.loads(body)
    assert document["revoked"] is True
    assert document["id"] == assertion.public_url
    report = validate(assertion.public_url)
    assert_invalid(report)


def test_an_expired_assertion_is_invalid(issuer, validate):
    now = timezone.now()
    assertion = award(issuer, issued_on=now - timedelta(days=400), expires=now - timedelta(days=1))
    report = validate(assertion.public_url)
    assert_invalid(report)
    assert any("expired" in error for error in errors(report)), messages(report)


def test_a_tampered_recipient_is_invalid(issuer, validate):
    assertion = award(issuer)
    assert_valid(validate(assertion.public_url), assertion)
    # The stored salt changes behind the model's back: the hosted hash no longer matches EMAIL.
    Assertion.objects.filter(pk=assertion.pk).update(salt=new_salt())
    # The hosted document is cached until a service changes the assertion; this tampering goes
    # around the services, so drop the cached copy as a change of the row would.
    drop_cached_assertion(assertion.uuid)
    report = validate(assertion.public_url)
    assert_invalid(report)
    assert any("did not match" in error for error in errors(report)), messages(report)


def test_an_aligned_french_badge_is_valid_from_its_json_link(issuer, validate):
    from cotraining.models import Competence

    badge_class = make_badge_class(issuer, pix_plus_edu_scope="1d", pix_plus_edu_level=1)
    badge_class.competences.set(Competence.objects.filter(code__in=["1.1", "3.4"]))
    assertion, _ = award_badge(badge_class=badge_class, email=EMAIL, source="pix-plus-edu:1")
    assert len(assertion.version.document["alignment"]) == 3
    assert assertion.version.document["@language"] == "fr"
    assert_valid(validate(assertion.public_url), assertion)
    assert_valid(validate(assertion.public_url + ".json"), assertion)


@pytest.mark.parametrize("svg", [False, True], ids=["png", "svg"])
def test_a_platform_moved_to_a_new_origin_is_valid(site, issuer, validate, settings, tmp_path, svg):
    import io

    from django.core.management import call_command

    # Issued on an origin the platform no longer answers on, then moved to the live server's.
    old = "http://127.0.0.1:9"
    settings.SITE_URL = old
    assertion = award(issuer, svg=svg)
    assert assertion.public_url.startswith(old)
    settings.SITE_URL = site.url
    call_command("move_site_origin", "--from", old, stdout=io.StringIO())
    assertion.refresh_from_db()
    assert_valid(validate(assertion.public_url), assertion)
    status, _, body = fetch(assertion.image_url, accept="image/*")
    assert status == 200
    baked = tmp_path / ("baked.svg" if svg else "baked.png")
    baked.write_bytes(body)
    assert_valid(validate(baked), assertion)
