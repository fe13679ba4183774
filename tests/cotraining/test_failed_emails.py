"""A failed email in /admin/envois/: seen, explained, sent again, its address corrected."""

import re
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from cotraining.constants import (
    AuditAction,
    EnrollmentStatus,
    NotificationKind,
    NotificationStatus,
    Role,
)
from cotraining.exceptions import ServiceError
from cotraining.models import Notification
from cotraining.services import (
    cancel_enrollment,
    change_email,
    correct_address_and_resend,
    grant_role,
    resend_failed_notifications,
    resend_notification,
)
from tests.cotraining.test_admin_scope import refused
from tests.factories import (
    EnrollmentFactory,
    SessionFactory,
    UserFactory,
    academie,
    teacher,
    workshop_page,
)

pytestmark = pytest.mark.django_db

BOUNCE = "SMTPRecipientsRefused: {'prof@ac-poitiers.fr': (550, b'5.1.1 User unknown')}"


def failed_convocation(enrollment, **fields):
    return Notification.objects.create(
        enrollment=enrollment,
        recipient=enrollment.user,
        kind=NotificationKind.CONVOCATION,
        key=enrollment.confirmed_at.isoformat(),
        status=NotificationStatus.FAILED,
        attempts=5,
        last_error=BOUNCE,
        **fields,
    )


@pytest.fixture
def coordinator():
    person = UserFactory(email="coord@ac-poitiers.fr")
    grant_role(user=person, role=Role.COORDINATOR, academie=academie("13"))
    return person


@pytest.fixture
def failed(eager_tasks):
    person = teacher(email="prof@ac-poitiers.fr")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    return failed_convocation(EnrollmentFactory(user=person))


@pytest.fixture
def lyon_failed(eager_tasks):
    session = SessionFactory(
        workshop=workshop_page(title="Atelier lyonnais", academie=academie("10"))
    )
    return failed_convocation(
        EnrollmentFactory(session=session, user=teacher(email="lyon@ac-lyon.fr"))
    )


# --- Services ----------------------------------------------------------------------------------


def test_resend_sends_again_after_commit_and_is_audited(
    failed, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resend_notification(notification=failed, by=coordinator)
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT
    assert failed.attempts == 1 and failed.last_error == ""
    assert [m.to for m in mail.outbox] == [["prof@ac-poitiers.fr"]]
    entry = ModelLogEntry.objects.get(action=AuditAction.RESEND_NOTIFICATION)
    assert entry.user == coordinator and entry.object_id == str(failed.pk)


def test_resend_is_idempotent(failed, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resend_notification(notification=failed, by=coordinator)
        resend_notification(notification=failed, by=coordinator)  # already pending: no-op
    assert len(callbacks) == 1
    assert ModelLogEntry.objects.filter(action=AuditAction.RESEND_NOTIFICATION).count() == 1


def test_a_sent_email_is_not_sent_twice(failed, coordinator):
    Notification.objects.filter(pk=failed.pk).update(status=NotificationStatus.SENT)
    with pytest.raises(ServiceError) as error:
        resend_notification(notification=failed, by=coordinator)
    assert error.value.code == "already_sent"


def test_a_convocation_for_a_seat_given_back_is_refused(failed, coordinator):
    cancel_enrollment(enrollment=failed.enrollment, by=failed.recipient)
    with pytest.raises(ServiceError) as error:
        resend_notification(notification=failed, by=coordinator)
    assert error.value.code == "stale"
    assert "place a été rendue" in error.value.message
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.FAILED and failed.attempts == 5


def test_bulk_resend_skips_the_stale_ones(failed, coordinator, django_capture_on_commit_callbacks):
    stale = failed_convocation(EnrollmentFactory(user=teacher()))
    stale.enrollment.status = EnrollmentStatus.CANCELLED
    stale.enrollment.save()
    with django_capture_on_commit_callbacks(execute=True):
        resent, refused = resend_failed_notifications(
            notifications=Notification.objects.all(), by=coordinator
        )
    assert (resent, refused) == (1, 1)
    stale.refresh_from_db()
    assert stale.status == NotificationStatus.FAILED


def test_correcting_the_address_keeps_allauth_in_step(
    failed, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        correct_address_and_resend(
            notification=failed, email=" Prof.Bonne@AC-Poitiers.fr ", by=coordinator
        )
    person = failed.recipient
    person.refresh_from_db()
    assert person.email == "prof.bonne@ac-poitiers.fr"
    address = EmailAddress.objects.get(user=person)
    assert (address.email, address.primary, address.verified) == (person.email, True, False)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["prof.bonne@ac-poitiers.fr", "prof.bonne@ac-poitiers.fr"]
    confirm = reverse("account_confirm_email", args=["KEY"]).removesuffix("KEY/")
    assert any(f"http://testserver{confirm}" in m.body for m in mail.outbox)
    entry = ModelLogEntry.objects.get(action=AuditAction.CHANGE_EMAIL)
    assert entry.data == {"previous": "prof@ac-poitiers.fr", "email": person.email}
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT


@pytest.mark.parametrize(
    ("email", "code"),
    [("pas-une-adresse", "invalid_email"), ("autre@ac-poitiers.fr", "email_taken")],
)
def test_a_bad_address_changes_nothing(failed, coordinator, email, code):
    UserFactory(email="autre@ac-poitiers.fr")
    with pytest.raises(ServiceError) as error:
        correct_address_and_resend(notification=failed, email=email, by=coordinator)
    assert error.value.code == code
    failed.refresh_from_db()
    assert failed.recipient.email == "prof@ac-poitiers.fr"
    assert failed.status == NotificationStatus.FAILED
    assert EmailAddress.objects.get(user=failed.recipient).verified


def test_a_stale_email_does_not_rewrite_the_address(failed, coordinator):
    cancel_enrollment(enrollment=failed.enrollment, by=failed.recipient)
    with pytest.raises(ServiceError):
        correct_address_and_resend(notification=failed, email="new@ac-poitiers.fr", by=coordinator)
    failed.recipient.refresh_from_db()
    assert failed.recipient.email == "prof@ac-poitiers.fr"


def test_a_coordinator_cannot_repoint_another_coordinators_account(coordinator):
    other = UserFactory(email="other.coord@ac-poitiers.fr")
    grant_role(user=other, role=Role.COORDINATOR, academie=academie("13"))
    with pytest.raises(ServiceError) as error:
        change_email(user=other, email="mine@example.org", by=coordinator)
    assert error.value.code == "privileged_account"
    other.refresh_from_db()
    assert other.email == "other.coord@ac-poitiers.fr"


# --- Views -------------------------------------------------------------------------------------


def test_the_list_shows_failures_and_paris_times(client, failed, coordinator):
    Notification.objects.filter(pk=failed.pk).update(
        created_at=datetime(2026, 11, 30, 23, 47, tzinfo=UTC)
    )
    client.force_login(coordinator)
    body = client.get(reverse("notifications:index")).content.decode()
    assert "entrepairs-failed" in body
    assert "Voir l&#x27;envoi en échec (1)" in body or "envoi en échec (1)" in body
    assert "Pas encore envoyée" in body
    assert "00:47" in body and "23:47" not in body
    inspect = client.get(reverse("notifications:inspect", args=[failed.pk])).content.decode()
    assert not re.search(r">\s*None\s*<", inspect)
    assert "Pas encore envoyée" in inspect
    assert "00:47" in inspect and "23:47" not in inspect
    assert "adresse du destinataire" in inspect
    assert reverse("notifications:resend", args=[failed.pk]) in inspect
    assert reverse("notifications:correct_address", args=[failed.pk]) in inspect


def test_resend_and_correct_through_the_admin(
    client, failed, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:resend", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT

    again = client.post(reverse("notifications:resend", args=[failed.pk]), follow=True)
    assert "déjà été envoyé" in again.content.decode()

    Notification.objects.filter(pk=failed.pk).update(status=NotificationStatus.FAILED)
    invalid = client.post(
        reverse("notifications:correct_address", args=[failed.pk]), {"email": "x@"}
    )
    assert invalid.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notifications:correct_address", args=[failed.pk]),
            {"email": "prof.bonne@ac-poitiers.fr"},
        )
    assert response.status_code == 302
    failed.recipient.refresh_from_db()
    assert failed.recipient.email == "prof.bonne@ac-poitiers.fr"


@pytest.mark.parametrize("name", ["notifications:resend", "notifications:correct_address"])
def test_another_academies_email_is_refused(client, coordinator, lyon_failed, name):
    client.force_login(coordinator)
    url = reverse(name, args=[lyon_failed.pk])
    # Refused as Wagtail refuses every admin page (PermissionDenied: back to the dashboard).
    for response in (client.get(url), client.post(url, {"email": "pirate@example.org"})):
        assert refused(response)
        assert "lyon@ac-lyon.fr" not in response.content.decode()
    lyon_failed.refresh_from_db()
    assert lyon_failed.status == NotificationStatus.FAILED
    assert lyon_failed.recipient.email == "lyon@ac-lyon.fr"


def test_bulk_resend_keeps_to_the_academie(
    client, coordinator, failed, lyon_failed, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    assert (
        "1 courriel a échoué" in client.get(reverse("notifications:resend_failed")).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:resend_failed"))
    failed.refresh_from_db()
    lyon_failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT
    assert lyon_failed.status == NotificationStatus.FAILED


def test_a_teacher_cannot_resend(client, failed):
    client.force_login(failed.recipient)
    response = client.post(reverse("notifications:resend_failed"))
    assert response.status_code in (302, 403)
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.FAILED
