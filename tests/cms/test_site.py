import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from cms.models import HomePage, ResourcePage, RetexPage
from cotraining.constants import Modality, Theme
from cotraining.models import Enrollment, RoleAssignment, Session, User, WorkshopPage

ROOT = Path(__file__).resolve().parents[2]


class TestHomePage(WagtailPageTestCase):
    def test_home_page_is_the_site_root_and_renders(self):
        home = Site.objects.get(is_default_site=True).root_page.specific
        assert isinstance(home, HomePage)
        self.assertPageIsRenderable(home)

    def test_only_one_home_page(self):
        self.assertCanNotCreateAt(HomePage, HomePage)


@pytest.mark.django_db
def test_home_page_is_french_dsfr_with_the_academie(client):
    call_command("seed_demo", stdout=io.StringIO())
    html = client.get("/").content.decode()
    assert '<html lang="fr"' in html
    assert "fr-header" in html and "dsfr" in html
    assert "Académie de Poitiers" in html
    assert 'href="#content"' in html  # skip link


@pytest.mark.django_db
def test_english_is_available(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en"' in html
    assert "Log in" in html


def test_english_catalogue_is_complete():
    with open(ROOT / "locale/en/LC_MESSAGES/django.po", encoding="utf-8") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


@pytest.mark.django_db
def test_404_is_a_dsfr_page(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()


@pytest.mark.django_db
def test_health_reports_each_part(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default; tests/integration: a worker
    response = client.get(reverse("health"))
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["checks"]["database"]["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "workers"}


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_down(client, settings, monkeypatch):
    from cms.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    connect = app.connection_for_write
    monkeypatch.setattr(app, "connection_for_write", lambda: connect(url="redis://127.0.0.1:1/0"))
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    def counts():
        return (
            User.objects.count(),
            RoleAssignment.objects.count(),
            Page.objects.count(),
            Session.objects.count(),
            Enrollment.objects.count(),
        )

    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert "enseignant@demo.entrepairs.fr" in out.getvalue()
    # One account per role, and the colleagues enrolled in the demo sessions.
    assert RoleAssignment.objects.filter(user__email__startswith="collegue").count() == 0
    assert User.objects.exclude(email__startswith="collegue").count() == 6


@pytest.mark.django_db
def test_seed_demo_shows_the_offer_to_every_role():
    call_command("seed_demo", stdout=io.StringIO())
    live = WorkshopPage.objects.live()
    assert live.count() == 20
    assert {w.theme for w in live} == set(Theme.values)
    assert {w.modality for w in live} == set(Modality.values)
    assert {w.degree for w in live} == {"", "1", "2"}
    now = timezone.now()
    assert Session.objects.filter(start__lt=now).exists()
    assert Session.objects.filter(start__gt=now).exists()
    full = Session.objects.with_seats().filter(seats_left=0, start__gt=now)
    assert full.exists()
    assert ResourcePage.objects.live().count() == 3
    assert RetexPage.objects.live().count() == 2
    pending = WorkshopPage.objects.filter(live=False).get()
    assert pending.current_workflow_state.status == "in_progress"


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())


def _production_check(**env):
    dropped = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update(DJANGO_SETTINGS_MODULE="cms.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_its_settings():
    result = _production_check(DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr


def test_production_passes_check_deploy():
    result = _production_check(
        DJANGO_SECRET_KEY="k" + "x9-Az_" * 10,
        DATABASE_URL="postgres://u@127.0.0.1:5432/never_connected",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="entrepairs.example.fr",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_french_whatever_the_browser_says(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr"' in html
    assert "Se connecter" in html
