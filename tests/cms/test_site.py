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
from django.utils.html import escape
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from badges.constants import BadgeKind, ExpiryRule
from badges.models import Assertion, BadgeClass, BadgeClassVersion, Issuer
from cms.models import HomePage, ResourcePage, RetexPage
from cotraining.constants import (
    Attendance,
    EnrollmentMode,
    EnrollmentStatus,
    Modality,
    NotificationStatus,
    Role,
    Theme,
)
from cotraining.models import (
    Completion,
    Enrollment,
    Notification,
    RoleAssignment,
    Session,
    User,
    WorkshopPage,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # seed_demo writes badge images (and baked assertions): never into the working tree's media/.
    settings.MEDIA_ROOT = tmp_path / "media"


class TestHomePage(WagtailPageTestCase):
    def test_home_page_is_the_site_root_and_renders(self):
        home = Site.objects.get(is_default_site=True).root_page.specific
        assert isinstance(home, HomePage)
        self.assertPageIsRenderable(home)

    def test_only_one_home_page(self):
        self.assertCanNotCreateAt(HomePage, HomePage)


def test_home_page_is_french_dsfr_with_the_academie(client, seeded_demo):
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
    settings.HEALTH_TOKEN = "monitor-token"
    response = client.get(
        reverse("health"), {"details": "1"}, headers={"Authorization": "Bearer monitor-token"}
    )
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["checks"]["database"]["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "workers", "backlog"}


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_down(client, settings, monkeypatch):
    from cms.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    connect = app.connection_for_write
    monkeypatch.setattr(app, "connection_for_write", lambda: connect(url="redis://127.0.0.1:1/0"))
    client.force_login(User.objects.create_superuser("ops@example.org", "x"))
    response = client.get(reverse("health"), {"details": "1"})
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["broker"]["ok"] is False


def test_seed_demo_is_idempotent(seeded_demo):
    def counts():
        return (
            User.objects.count(),
            RoleAssignment.objects.count(),
            Page.objects.count(),
            Session.objects.count(),
            Enrollment.objects.count(),
            Completion.objects.count(),
            Notification.objects.count(),
            # What each row says, not only how many there are.
            sorted(Enrollment.objects.values_list("pk", "status", "attendance", "waitlisted_at")),
        )

    first = counts()  # after the first run (the module's demo)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == first
    assert Completion.objects.exists() and Notification.objects.exists()
    assert "enseignant@demo.entrepairs.fr" in out.getvalue()
    # One account per role, and the colleagues enrolled in the demo sessions.
    assert RoleAssignment.objects.filter(user__email__startswith="collegue").count() == 0
    assert (
        User.objects.exclude(email__startswith="collegue").count() == 7
    )  # the inspector too (issue 18)


def test_seed_demo_shows_the_offer_to_every_role(seeded_demo):
    live = WorkshopPage.objects.live()
    assert live.count() == 21
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
    # Enrolment modes in the catalogue: a course over several dates, workshops needing approval.
    course = live.get(enrollment_mode=EnrollmentMode.COURSE)
    assert course.sessions.filter(start__gt=now).count() >= 2
    assert live.filter(approval_required=True, sessions__start__gt=now).exists()


def _demo_account(local):
    return User.objects.get(email=f"{local}@demo.entrepairs.fr")


def test_seed_demo_shows_the_teacher_her_path(client, seeded_demo):
    teacher = _demo_account("enseignant")
    client.force_login(teacher)
    html = client.get(reverse("cotraining:my_journey")).content.decode()
    mine = Enrollment.objects.filter(user=teacher)
    confirmed = mine.get(status=EnrollmentStatus.CONFIRMED, session__start__gt=timezone.now())
    assert reverse("cotraining:convocation", args=[confirmed.pk]) in html
    assert reverse("cotraining:invitation", args=[confirmed.pk]) in html
    assert reverse("cotraining:cancel_enrollment", args=[confirmed.pk]) in html
    assert "Liste d'attente : position 3" in html  # two colleagues were in line before her
    assert "En attente d'accord" in html
    attended = mine.exclude(attendance="").values_list("attendance", flat=True)
    assert sorted(attended) == [Attendance.PARTIAL, Attendance.PRESENT]
    completions = Completion.objects.filter(user=teacher)
    assert completions.count() == 2
    assert len({c.school_year for c in completions}) == 2  # hours over two school years
    for completion in completions:
        assert reverse("cotraining:certificate", args=[completion.pk]) in html
        assert completion.school_year in html


def test_seed_demo_gives_the_school_head_requests_to_decide(client, seeded_demo):
    head = _demo_account("direction")
    teacher = _demo_account("enseignant")
    headed = RoleAssignment.objects.get(user=head, role=Role.SCHOOL_HEAD).establishment
    assert headed == teacher.establishment
    request = Enrollment.objects.get(user=teacher, status=EnrollmentStatus.PENDING_APPROVAL)
    assert request.session.workshop.approval_required
    client.force_login(head)
    html = client.get(reverse("cotraining:approvals")).content.decode()
    assert reverse("cotraining:decide", args=[request.pk, "accorder"]) in html
    assert Enrollment.objects.filter(status=EnrollmentStatus.PENDING_APPROVAL).count() == 2


def test_seed_demo_gives_the_trainer_attendance_to_record_and_waiting_lists(client, seeded_demo):
    client.force_login(_demo_account("formateur"))
    response = client.get(reverse("cotraining:my_sessions"))
    assert "Présences à relever" in response.content.decode()
    assert response.context["to_record"]
    assert any(session.n_waitlisted for session in response.context["upcoming"])


def test_seed_demo_shows_the_coordinator_risks_and_a_failed_email(client, seeded_demo, settings):
    client.force_login(_demo_account("coordination"))
    response = client.get(reverse("cotraining:my_sessions"))
    assert "Séances à risque" in response.content.decode()
    assert response.context["at_risk"]
    failed = Notification.objects.get(status=NotificationStatus.FAILED)
    assert failed.attempts == settings.NOTIFICATION_MAX_ATTEMPTS
    assert failed.last_error.startswith("SMTPRecipientsRefused: ")
    response = client.get("/admin/envois/", {"status": NotificationStatus.FAILED})
    assert response.status_code == 200
    assert str(failed.recipient) in response.content.decode()


def _badge_rows():
    return (
        sorted(Issuer.objects.values_list("pk", "name", "image")),
        sorted(BadgeClass.objects.values_list("pk", "name", "kind", "workshop", "image")),
        sorted(BadgeClassVersion.objects.values_list("pk", "badge_class", "number")),
        sorted(
            Assertion.objects.values_list(
                "pk", "badge_class", "recipient_email", "source", "public", "revoked", "image"
            )
        ),
    )


@pytest.mark.django_db
def test_seed_demo_badges_are_idempotent(
    mailoutbox, eager_tasks, django_capture_on_commit_callbacks
):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    first = _badge_rows()
    badge_mails = [m for m in mailoutbox if m.attachments and m.attachments[0][0] == "badge.svg"]
    assert 1 <= len(badge_mails) <= 5  # a handful, printed to the console in development
    assert all(m.to[0].split("@")[0] in ("enseignant", "formateur") for m in badge_mails)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert _badge_rows() == first
    assert [m.subject for m in mailoutbox if m.attachments] == []
    issuer = Issuer.objects.get()
    assert (issuer.name, issuer.academie.code) == ("DANE de l'académie de Poitiers", "13")
    assert (issuer.url, issuer.email) == ("https://www.ac-poitiers.fr", "dane@ac-poitiers.fr")
    assert issuer.image.name.endswith(".svg")
    participants = BadgeClass.objects.filter(kind=BadgeKind.PARTICIPANT, workshop__isnull=False)
    assert 3 <= participants.count() <= 4
    for badge_class in participants:
        assert badge_class.name.endswith(" — participant")
        assert badge_class.criteria_narrative
        assert set(badge_class.competences.all()) == set(badge_class.workshop.competences.all())
    trainer = BadgeClass.objects.get(kind=BadgeKind.TRAINER)
    assert trainer.name == "Formateur·rice co-formation numérique" and trainer.workshop
    standalone = BadgeClass.objects.get(workshop__isnull=True, pix_plus_edu_scope="")
    assert (standalone.expiry_rule, standalone.expires_after_months) == (ExpiryRule.MONTHS, 24)
    revoked = Assertion.objects.get(revoked=True)
    assert revoked.revocation_reason == "Attribué par erreur"
    assert revoked.recipient.email.startswith("collegue")
    assert Assertion.objects.filter(badge_class=trainer, recipient__email__startswith="formateur")
    assert "/mes-badges/" in out.getvalue()
    public = Assertion.objects.get(public=True)
    assert public.public_url in out.getvalue()
    # The Pix+ Édu badge, earned by the demo teacher's verified certification.
    pix_badge = BadgeClass.objects.get(pix_plus_edu_scope="2d")
    assert Assertion.objects.get(badge_class=pix_badge).recipient.email.startswith("enseignant")


def test_seed_demo_shows_the_teacher_her_badges(client, seeded_demo):
    teacher = _demo_account("enseignant")
    mine = Assertion.objects.filter(recipient=teacher, revoked=False)
    completed = Completion.objects.filter(user=teacher).values_list("workshop", flat=True)
    # A participant badge for each completed workshop that has one, and the stand-alone badge.
    assert set(completed) <= set(mine.values_list("badge_class__workshop", flat=True))
    assert mine.filter(expires__isnull=False).exists()
    client.force_login(teacher)
    response = client.get(reverse("badges:my_badges"))
    assert response.status_code == 200
    html = response.content.decode()
    for assertion in mine:
        assert escape(assertion.badge_class.name) in html
        assert reverse("badges:assertion", args=[assertion.uuid]) in html


def test_seed_demo_public_badge_shows_the_teachers_name(client, seeded_demo):
    teacher = _demo_account("enseignant")
    public = Assertion.objects.get(recipient=teacher, public=True)
    page = {"HTTP_ACCEPT": "text/html"}  # a browser, anonymous: the page for people
    response = client.get(reverse("badges:assertion", args=[public.uuid]), **page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Badge valide" in html
    assert teacher.get_full_name() == "Camille Martin"
    assert "Camille Martin" in html
    hidden = Assertion.objects.filter(recipient=teacher, public=False).first()
    response = client.get(reverse("badges:assertion", args=[hidden.uuid]), **page)
    assert "Camille Martin" not in response.content.decode()
    revoked = Assertion.objects.get(revoked=True)
    response = client.get(reverse("badges:assertion", args=[revoked.uuid]), **page)
    assert response.status_code == 410
    assert "Attribué par erreur" in response.content.decode()


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


PRODUCTION_CHECK_DATABASE = os.environ.get(
    "PRODUCTION_CHECK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def _postgres_answers(url):
    import psycopg

    try:
        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def test_production_passes_check_deploy():
    # The checks of PostgreSQL's generated columns ask the server its version: a real server.
    if not _postgres_answers(PRODUCTION_CHECK_DATABASE):
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL does not answer at {PRODUCTION_CHECK_DATABASE}")
        pytest.skip("no PostgreSQL here (PRODUCTION_CHECK_DATABASE_URL): check --deploy skipped")
    result = _production_check(
        DJANGO_SECRET_KEY="k" + "x9-Az_" * 10,
        DATABASE_URL=PRODUCTION_CHECK_DATABASE,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="entrepairs.example.fr",
        SITE_URL="https://entrepairs.example.fr",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_french_whatever_the_browser_says(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr"' in html
    assert "Se connecter" in html
