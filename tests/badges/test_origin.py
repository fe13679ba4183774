"""The Open Badges origin is checked: production needs an https SITE_URL on an allowed host,
and no process starts on an origin other than the one the badges were issued on."""

import io

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from badges.checks import refuse_another_origin, site_url_matches_issued_badges
from badges.services.awards import award_badge
from badges.services.origin import issued_origin
from tests.cms.test_site import _production_check
from tests.factories import make_badge_class


def _origin_errors():
    return [e for e in run_checks() if e.id == "badges.E001"]


@pytest.mark.django_db
def test_no_badge_issued_yet_any_origin_passes(settings):
    settings.SITE_URL = "https://ailleurs.example.fr"
    assert issued_origin() is None
    assert _origin_errors() == []


@pytest.mark.django_db
def test_another_origin_than_the_issued_badges_refuses_to_start(settings, issuer):
    settings.SITE_URL = "http://127.0.0.1:8000"
    award_badge(badge_class=make_badge_class(issuer), email="a@example.org", source="manual:1")
    assert issued_origin() == "http://127.0.0.1:8000"
    assert _origin_errors() == []

    settings.SITE_URL = "http://127.0.0.1:8793"
    errors = _origin_errors()
    assert len(errors) == 1
    assert "http://127.0.0.1:8000" in errors[0].msg and "move_site_origin" in errors[0].hint
    with pytest.raises(SystemCheckError):
        call_command("check")


@pytest.mark.django_db
@pytest.mark.parametrize("process", ["gunicorn", "celery worker"])
def test_production_processes_refuse_another_origin(settings, issuer, process):
    import cms.celery
    import cms.wsgi  # noqa: F401 — gunicorn's entry point runs the check when imported

    # What gunicorn's cms/wsgi.py and a worker's `worker_init` signal (cms/celery.py) run.
    start = refuse_another_origin if process == "gunicorn" else cms.celery.refuse_another_origin
    settings.SITE_URL = "https://entrepairs.example.fr"
    award_badge(badge_class=make_badge_class(issuer), email="a@example.org", source="manual:1")
    settings.IS_PRODUCTION = True
    start()  # same origin: starts
    settings.SITE_URL = "https://nouveau.example.fr"
    with pytest.raises(ImproperlyConfigured, match="move_site_origin"):
        start()
    settings.IS_PRODUCTION = False
    start()  # outside production, runserver and `check` say it instead


@pytest.mark.django_db
def test_the_check_does_not_crash_before_migrate(settings, monkeypatch):
    # A fresh database: the table is not there yet (migrate runs the checks first). Simulated
    # by the error the database gives, not by dropping tables other tests share.
    from django.db import ProgrammingError

    from badges.models import BadgeClassVersion

    def missing_table(*args, **kwargs):
        raise ProgrammingError('relation "badges_badgeclassversion" does not exist')

    monkeypatch.setattr(BadgeClassVersion.objects, "order_by", missing_table)
    assert issued_origin() is None
    assert site_url_matches_issued_badges() == []


PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k" + "x9-Az_" * 10,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "entrepairs.example.fr",
}


@pytest.mark.parametrize(
    ("site_url", "message"),
    [
        ("", "SITE_URL"),
        ("http://entrepairs.example.fr", "https://"),
        ("https://autre.example.fr", "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_a_missing_or_unsafe_origin(site_url, message):
    result = _production_check(**PRODUCTION_ENV, SITE_URL=site_url, WAGTAILADMIN_BASE_URL="")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


# --- Moving a platform to a new domain ----------------------------------------------------

OLD, NEW = "http://127.0.0.1:8000", "https://entrepairs.example.fr"


def _documents_on(client, assertion):
    """Every id the verifier follows from the hosted assertion, and the baked image's JSON."""
    import json

    from badges.services.baking import read_baked

    document = json.loads(client.get(assertion.public_url + ".json").content)
    badge = json.loads(client.get(document["badge"]).content)
    assertion.refresh_from_db()
    assertion.image.open("rb")
    baked = read_baked(assertion.image.read())
    assertion.image.close()
    return document, badge, baked


def _all_urls(value):
    if isinstance(value, str):
        return [value] if value.startswith("http") else []
    if isinstance(value, list):
        return [url for item in value for url in _all_urls(item)]
    if isinstance(value, dict):
        return [url for item in value.values() for url in _all_urls(item)]
    return []


@pytest.fixture
def on_old_origin(settings, issuer):
    from badges.models import Assertion

    settings.SITE_URL = OLD
    badge_class = make_badge_class(issuer, criteria_url=OLD + "/ateliers/criteres/")
    award_badge(
        badge_class=badge_class,
        email="claire@example.org",
        source="manual:1",
        evidence=[{"type": "Evidence", "id": OLD + "/ateliers/seance/", "name": "Séance"}],
    )
    award_badge(
        badge_class=make_badge_class(issuer, name="SVG", svg=True),
        email="paul@example.org",
        source="manual:2",
    )
    return list(Assertion.objects.order_by("pk"))


@pytest.mark.django_db
def test_move_site_origin_moves_every_link_and_a_second_run_changes_nothing(
    client, settings, on_old_origin
):
    from wagtail.models import ModelLogEntry

    from badges.models import Assertion, BadgeClass, BadgeClassVersion

    settings.SITE_URL = NEW
    assert _origin_errors()  # refuses to start until moved

    dry = io.StringIO()
    call_command("move_site_origin", "--from", OLD, "--dry-run", stdout=dry)
    assert "2 badge class version(s)" in dry.getvalue() and "2 baked image(s)" in dry.getvalue()
    assert issued_origin() == OLD  # nothing changed

    out = io.StringIO()
    call_command("move_site_origin", "--from", OLD, "--to", NEW, "--batch-size", "1", stdout=out)
    assert "2 badge class version(s)" in out.getvalue()
    assert _origin_errors() == []

    png, svg = on_old_origin
    document, badge, baked = _documents_on(client, png)
    assert document["id"] == NEW + f"/badges/assertions/{png.uuid}"
    assert document["badge"].startswith(NEW + "/badges/classes/")
    assert document["evidence"][0]["id"] == NEW + "/ateliers/seance/"
    assert baked == json_roundtrip(document)
    urls = _all_urls(document) + _all_urls(badge) + _all_urls(baked)
    assert not [url for url in urls if url.startswith(OLD)]
    assert len([url for url in urls if url.startswith(NEW + "/")]) >= 8
    assert BadgeClass.objects.get(pk=png.badge_class_id).criteria_url == NEW + "/ateliers/criteres/"
    _, svg_badge, svg_baked = _documents_on(client, svg)
    assert svg_baked == svg.public_url and svg_baked.startswith(NEW + "/")
    assert svg_badge["id"].startswith(NEW + "/")
    assert ModelLogEntry.objects.filter(action="entrepairs.move_site_origin").count() == 4

    state = (
        list(BadgeClassVersion.objects.order_by("pk").values_list("document", flat=True)),
        list(Assertion.objects.order_by("pk").values_list("image", "evidence")),
    )
    again = io.StringIO()
    call_command("move_site_origin", "--from", OLD, stdout=again)
    assert "Nothing to move." in again.getvalue()
    assert state == (
        list(BadgeClassVersion.objects.order_by("pk").values_list("document", flat=True)),
        list(Assertion.objects.order_by("pk").values_list("image", "evidence")),
    )
    assert ModelLogEntry.objects.filter(action="entrepairs.move_site_origin").count() == 4


@pytest.mark.django_db
def test_move_site_origin_refuses_another_target_than_site_url(settings, on_old_origin):
    from django.core.management import CommandError

    settings.SITE_URL = OLD
    with pytest.raises(CommandError, match="SITE_URL"):
        call_command("move_site_origin", "--to", NEW, stdout=io.StringIO())
    assert issued_origin() == OLD


def json_roundtrip(document):
    import json

    return json.loads(json.dumps(document))
