"""The Open Badges origin is checked: production needs an https SITE_URL on an allowed host,
and no process starts on an origin other than the one the badges were issued on."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from badges.checks import issued_origin, site_url_matches_issued_badges
from badges.services import award_badge
from tests.badges.conftest import make_badge_class
from tests.cms.test_site import _production_check


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
def test_production_workers_refuse_another_origin(settings, issuer):
    import cms.wsgi

    settings.SITE_URL = "https://entrepairs.example.fr"
    award_badge(badge_class=make_badge_class(issuer), email="a@example.org", source="manual:1")
    settings.IS_PRODUCTION = True
    cms.wsgi._refuse_another_origin()  # same origin: starts
    settings.SITE_URL = "https://nouveau.example.fr"
    with pytest.raises(ImproperlyConfigured, match="move_site_origin"):
        cms.wsgi._refuse_another_origin()


@pytest.mark.django_db(transaction=True)
def test_the_check_does_not_crash_before_migrate(settings):
    # A fresh database: the table is not there yet (migrate runs the checks first).
    with connection.schema_editor() as editor:
        from badges.models import Assertion, BadgeClassVersion

        editor.delete_model(Assertion)
        editor.delete_model(BadgeClassVersion)
    try:
        assert issued_origin() is None
        assert site_url_matches_issued_badges() == []
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(BadgeClassVersion)
            editor.create_model(Assertion)


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
