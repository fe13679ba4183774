"""Reports of inappropriate content: the service, the public form and the admin moderation."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from wagtail.models import ModelLogEntry, PageViewRestriction

from cms import services
from cms.models import ContentReport, HomePage
from cotraining.constants import Role
from cotraining.exceptions import ServiceError
from cotraining.services import grant_role
from tests.factories import UserFactory, academie, workshop_index, workshop_page

pytestmark = pytest.mark.django_db

POITIERS, LIMOGES = "13", "22"


@pytest.fixture(autouse=True)
def _eager(eager_tasks):
    # These tests read the outbox of this process: with a broker configured (the integration
    # run), the notification task still runs here rather than in a worker.
    return


@pytest.fixture(autouse=True)
def _clear_cache():
    # django-ratelimit counts in the default cache: each test starts with none sent.
    cache.clear()
    yield
    cache.clear()


def person(role=None, code=None, **fields):
    user = UserFactory(**fields)
    if role is not None:
        grant_role(user=user, role=role, academie=academie(code) if code else None)
    return user


@pytest.fixture
def page():
    return workshop_page(title="Tableur en classe", academie=academie(POITIERS))


@pytest.fixture
def coordinator():
    return person(Role.COORDINATOR, POITIERS, email="coord.poitiers@ac-test.fr")


def report_on(page, **kwargs):
    return services.report_content(page=page, reason=ContentReport.Reason.INACCURATE, **kwargs)


# --- Service -----------------------------------------------------------------------------------


def test_a_report_is_recorded_with_the_page_academie_and_audited(page, user):
    report = services.report_content(
        page=page, reason=ContentReport.Reason.SPAM, message="  Lien publicitaire.  ", reporter=user
    )
    assert (report.page_id, report.academie, report.reporter) == (page.pk, page.academie, user)
    assert (report.status, report.message) == (ContentReport.Status.OPEN, "Lien publicitaire.")
    entry = ModelLogEntry.objects.get(object_id=str(report.pk), action=services.REPORT_CONTENT)
    assert entry.user == user


def test_only_the_coordinators_of_the_page_academie_are_emailed(
    page, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    person(Role.COORDINATOR, LIMOGES, email="coord.limoges@ac-test.fr")
    person(Role.TRAINER, POITIERS, email="formateur@ac-test.fr")
    person(is_superuser=True, email="admin@ac-test.fr")
    with django_capture_on_commit_callbacks(execute=True):
        report_on(page, message="La date est fausse.")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["coord.poitiers@ac-test.fr"]
    assert "Tableur en classe" in mail.subject
    assert "Information erronée ou obsolète" in mail.body
    assert "La date est fausse." in mail.body
    assert reverse("contentreport:edit", args=[ContentReport.objects.get().pk]) in mail.body


def test_the_email_waits_for_the_commit(page, coordinator, mailoutbox):
    # Without the commit callbacks run, nothing is sent: the task is enqueued on commit.
    report_on(page)
    assert mailoutbox == []


def test_platform_admins_are_emailed_when_the_academie_has_no_coordinator(
    page, mailoutbox, django_capture_on_commit_callbacks
):
    person(Role.COORDINATOR, LIMOGES, email="coord.limoges@ac-test.fr")
    person(is_superuser=True, email="admin@ac-test.fr")
    person(is_superuser=True, is_active=False, email="ancien.admin@ac-test.fr")
    with django_capture_on_commit_callbacks(execute=True):
        report_on(page)
    assert [mail.to for mail in mailoutbox] == [["admin@ac-test.fr"]]


def test_the_notification_task_returns_quietly_when_the_report_is_gone(page, mailoutbox):
    from cms.tasks import send_report_notification

    report = report_on(page)
    report_id = report.pk
    report.delete()
    assert send_report_notification(report_id) == 0
    assert mailoutbox == []


def test_a_draft_page_cannot_be_reported(coordinator, mailoutbox):
    draft = workshop_page(live=False)
    with pytest.raises(ServiceError) as error:
        report_on(draft)
    assert error.value.code == "page_not_reportable"
    assert not ContentReport.objects.exists()


def test_a_page_of_another_kind_cannot_be_reported():
    with pytest.raises(ServiceError) as error:
        report_on(HomePage.objects.get())
    assert error.value.code == "page_not_reportable"


def test_an_unknown_reason_is_refused(page):
    with pytest.raises(ServiceError) as error:
        services.report_content(page=page, reason="boring")
    assert error.value.code == "report_reason"
    assert not ContentReport.objects.exists()


def test_a_double_submission_gives_back_the_open_report(
    page, user, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = report_on(page, reporter=user)
        again = report_on(page, reporter=user)
    assert again == first
    assert ContentReport.objects.count() == 1
    assert len(mailoutbox) == 1


def test_anonymous_reports_are_each_recorded(page):
    report_on(page)
    report_on(page)
    assert ContentReport.objects.filter(reporter=None).count() == 2


def test_handling_a_report_is_audited_and_idempotent(page, coordinator):
    report = report_on(page)
    handled = services.handle_report(
        report=report, status=ContentReport.Status.RESOLVED, note="Page corrigée.", by=coordinator
    )
    assert (handled.status, handled.resolution_note) == ("resolved", "Page corrigée.")
    assert handled.handled_by == coordinator and handled.handled_at is not None
    handled_at = handled.handled_at
    again = services.handle_report(
        report=report, status=ContentReport.Status.RESOLVED, note="Page corrigée.", by=coordinator
    )
    assert again.handled_at == handled_at
    logs = ModelLogEntry.objects.filter(object_id=str(report.pk), action=services.HANDLE_REPORT)
    assert logs.count() == 1


def test_a_report_is_not_reopened_nor_handled_from_another_academie(page):
    report = report_on(page)
    with pytest.raises(ServiceError) as error:
        services.handle_report(
            report=report, status=ContentReport.Status.OPEN, note="", by=person(is_superuser=True)
        )
    assert error.value.code == "report_status"
    outsider = person(Role.COORDINATOR, LIMOGES)
    with pytest.raises(ServiceError) as error:
        services.handle_report(
            report=report, status=ContentReport.Status.DISMISSED, note="", by=outsider
        )
    assert error.value.code == "report_forbidden"
    report.refresh_from_db()
    assert report.status == ContentReport.Status.OPEN


# --- Public form -------------------------------------------------------------------------------


def report_url(page):
    return reverse("report_content", args=[page.pk])


def test_the_form_shows_the_reasons_with_labelled_controls(client, page):
    response = client.get(report_url(page))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Signaler un contenu inapproprié" in html
    assert "Tableur en classe" in html
    assert 'type="radio"' in html and "Données personnelles exposées" in html
    assert '<label for="id_message" class="fr-label">' in html
    assert '<legend class="fr-fieldset__legend' in html  # the radios are a labelled group


def test_posting_the_form_creates_a_report_and_goes_back_to_the_page(client, page):
    response = client.post(
        report_url(page), {"reason": "personal_data", "message": "Un numéro de téléphone."}
    )
    assert response.status_code == 302
    assert response["Location"] == page.url
    report = ContentReport.objects.get()
    assert (report.reason, report.reporter, report.page_id) == ("personal_data", None, page.pk)
    followed = client.get(response["Location"])
    assert "votre signalement a été transmis" in followed.content.decode()


def test_a_signed_in_reporter_is_recorded(client, page, user):
    client.force_login(user)
    client.post(report_url(page), {"reason": "spam"})
    assert ContentReport.objects.get().reporter == user


def test_a_bad_reason_shows_the_error_and_creates_nothing(client, page):
    response = client.post(report_url(page), {"reason": "boring", "message": "?"})
    assert response.status_code == 200
    assert "fr-fieldset--error" in response.content.decode()
    assert not ContentReport.objects.exists()


def test_the_sixth_report_within_an_hour_is_refused(client, page):
    for _ in range(5):
        assert client.post(report_url(page), {"reason": "spam"}).status_code == 302
    response = client.post(report_url(page), {"reason": "spam", "message": "Encore"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Merci de réessayer dans une heure." in html
    assert "Encore" in html  # the form comes back as it was sent
    assert ContentReport.objects.count() == 5


def test_reading_the_form_is_not_rate_limited(client, page):
    for _ in range(8):
        assert client.get(report_url(page)).status_code == 200


@pytest.mark.parametrize("which", ["home", "index", "draft", "unknown"])
def test_pages_that_cannot_be_reported_are_404(client, which):
    page_id = {
        "home": lambda: HomePage.objects.get().pk,
        "index": lambda: workshop_index().pk,
        "draft": lambda: workshop_page(live=False).pk,
        "unknown": lambda: 999999,
    }[which]()
    url = reverse("report_content", args=[page_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "spam"}).status_code == 404
    assert not ContentReport.objects.exists()


def test_a_page_restricted_to_members_is_404_for_visitors(client, page, user):
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(report_url(page)).status_code == 404
    client.force_login(user)
    assert client.get(report_url(page)).status_code == 200


def test_the_report_link_points_to_the_form(page, rf):
    from django.template.loader import render_to_string

    html = render_to_string("includes/report_link.html", {"page": page}, request=rf.get("/"))
    assert f'href="{report_url(page)}"' in html
    assert "fr-icon-flag-line" in html


# --- Admin moderation --------------------------------------------------------------------------


@pytest.fixture
def reports(page):
    other = workshop_page(title="Robotique au collège", academie=academie(LIMOGES))
    return report_on(page), report_on(other)


def admin_url(name, *args):
    return reverse(f"contentreport:{name}", args=args)


def test_a_coordinator_sees_only_the_reports_of_their_academie(client, coordinator, reports):
    mine, theirs = reports
    client.force_login(coordinator)
    response = client.get(admin_url("index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tableur en classe" in html
    assert "Robotique au collège" not in html
    assert f'href="{mine.page.url}"' in html  # the live page is one click away


def test_a_coordinator_cannot_open_another_academie_report(client, coordinator, reports):
    _, theirs = reports
    client.force_login(coordinator)
    assert client.get(admin_url("edit", theirs.pk)).status_code == 404
    response = client.post(admin_url("edit", theirs.pk), {"status": "dismissed"})
    assert response.status_code == 404
    assert client.get(admin_url("history", theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ContentReport.Status.OPEN


def test_a_coordinator_handles_a_report_through_the_service(client, coordinator, reports):
    mine, _ = reports
    client.force_login(coordinator)
    assert client.get(admin_url("edit", mine.pk)).status_code == 200
    response = client.post(
        admin_url("edit", mine.pk), {"status": "resolved", "resolution_note": "Corrigé."}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.resolution_note, mine.handled_by) == (
        "resolved",
        "Corrigé.",
        coordinator,
    )
    assert ModelLogEntry.objects.filter(
        object_id=str(mine.pk), action=services.HANDLE_REPORT, user=coordinator
    ).exists()


def test_the_admin_form_requires_a_decision(client, coordinator, reports):
    mine, _ = reports
    client.force_login(coordinator)
    response = client.post(admin_url("edit", mine.pk), {"status": "", "resolution_note": "x"})
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.status == ContentReport.Status.OPEN


def test_nobody_adds_or_deletes_reports_in_the_admin(client, reports):
    mine, _ = reports
    client.force_login(person(is_superuser=True))
    assert client.get(admin_url("index")).status_code == 200
    assert client.get(admin_url("add")).status_code in (302, 403)
    assert client.get(admin_url("delete", mine.pk)).status_code in (302, 403, 404)
    assert ContentReport.objects.count() == 2


def test_a_platform_admin_sees_every_report(client, reports):
    client.force_login(person(Role.PLATFORM_ADMIN))
    html = client.get(admin_url("index")).content.decode()
    assert "Tableur en classe" in html and "Robotique au collège" in html


def test_a_teacher_has_no_access(client, reports):
    mine, _ = reports
    client.force_login(person(Role.TEACHER))
    for url in (admin_url("index"), admin_url("edit", mine.pk)):
        assert client.get(url).status_code in (302, 403), url
