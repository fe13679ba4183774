"""The broker stopped while people use the site (issue 15, fault 2): an enrolment, a bulk-award
upload and a teacher's path completing a workshop answer with their usual page, their work waits
in the database, and once the broker is back a worker that starts (and beat) delivers every
convocation, award and email exactly once.

The broker is a Redis server of this test's own (never the shared one), stopped for real: this
process's Celery app publishes to it and fails to, as a web process would.
"""

import email
import email.policy
import html
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from badges.constants import BadgeKind
from badges.models import Assertion, BulkAward, Issuer
from cotraining.constants import Attendance, NotificationKind, NotificationStatus, Role
from cotraining.models import Completion, Notification
from cotraining.services import grant_role
from tests.factories import (
    EnrollmentFactory,
    SessionFactory,
    UserFactory,
    academie,
    make_badge_class,
    teacher,
    workshop_page,
)
from tests.integration.faults import (
    Worker,
    age,
    celery_app_on,
    mail_server,
    redis_server,
    run_task,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 130  # two chunks


def page_text(response):
    return " ".join(html.unescape(response.content.decode()).split())


def subjects(raw_messages, recipient):
    """The subjects of the messages sent to `recipient`, sorted."""
    found = []
    for raw in raw_messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if message["To"].lower() == recipient.lower():
            found.append(" ".join(str(message["Subject"]).split()))
    return sorted(found)


def test_work_asked_while_the_broker_is_down_is_delivered_once_when_it_is_back(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    session = SessionFactory(capacity=5, workshop=workshop_page(title="Atelier sans broker"))
    person = teacher()
    coordinator = UserFactory()
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    issuer = Issuer.objects.create(
        name="DANE", url="https://www.ac-poitiers.fr", email="dane@ac.fr", academie=academie("13")
    )
    badge = make_badge_class(issuer, name="Contributeur")
    emails = [f"collegue{i:03d}@ac-poitiers.fr" for i in range(ROWS)]
    # A session that ended an hour ago, attended: the workshop is completed when its participant
    # opens their path, and its badge is awarded then.
    graduate = teacher()
    ended = timezone.now() - timedelta(hours=1)
    past = SessionFactory(
        start=ended - timedelta(hours=3),
        end=ended,
        workshop=workshop_page(title="Atelier terminé"),
    )
    EnrollmentFactory(
        session=past, user=graduate, attendance=Attendance.PRESENT, hours_attended=past.hours
    )
    make_badge_class(issuer, name="Participant", workshop=past.workshop, kind=BadgeKind.PARTICIPANT)

    with redis_server() as broker, celery_app_on(broker.url()) as app, mail_server() as mailbox:
        broker.stop()

        client.force_login(person)
        response = client.post(reverse("cotraining:enroll_session", args=[session.pk]), follow=True)
        assert response.status_code == 200
        assert (
            "Inscription confirmée. Votre convocation et l'invitation d'agenda vous sont "
            "envoyées." in page_text(response)
        )
        (convocation,) = Notification.objects.filter(recipient=person)
        assert (convocation.kind, convocation.status) == (
            NotificationKind.CONVOCATION,
            NotificationStatus.PENDING,
        )
        assert convocation.attempts == 0

        client.force_login(coordinator)
        upload = SimpleUploadedFile("f.csv", ("email\n" + "\n".join(emails)).encode())
        response = client.post(
            reverse("badges:bulk_award"), {"badge_class": badge.pk, "file": upload}, follow=True
        )
        assert response.status_code == 200
        assert f"En attente : 0 ligne(s) traitée(s) sur {ROWS}" in page_text(response)
        (bulk,) = BulkAward.objects.all()
        assert (bulk.status, bulk.processed) == (BulkAward.Status.PENDING, 0)
        assert not Assertion.objects.exists()

        client.force_login(graduate)
        response = client.get(reverse("cotraining:my_journey"))
        assert response.status_code == 200
        (completion,) = Completion.objects.filter(user=graduate)
        assert completion.workshop_id == past.workshop_id
        assert not Assertion.objects.exists()  # its badge waits for the broker

        broker.start()  # back, empty: nothing that was asked meanwhile reached it
        # Twenty minutes later, past the catch-ups' delays (10 min for notifications, 15 for
        # bulk awards): a worker starting now queues both (cms.celery.resume_lost_work), and
        # beat awards the completion's badge (award_missing_completion_badges).
        age(Notification.objects.all(), timedelta(minutes=20), "created_at")
        age(BulkAward.objects.all(), timedelta(minutes=20), "moved_at", "created_at")
        worker = Worker(broker.url(), media_root=tmp_path, smtp_port=mailbox.port)
        try:
            worker.start(app)
            assert run_task(app, "badges.tasks.award_missing_completion_badges") == 1
            sent = Notification.objects.filter(status=NotificationStatus.SENT)
            wait_for(lambda: sent.count() == 2, "the convocation and the completion notice")
            bulk_done = BulkAward.objects.filter(pk=bulk.pk, status=BulkAward.Status.DONE)
            wait_for(bulk_done.exists, "the bulk award")
            unsent = Assertion.objects.filter(emailed_at__isnull=True)
            wait_for(lambda: not unsent.exists(), "the award emails")
            # Beat, again and again: nothing left to queue, nothing sent twice.
            age(Assertion.objects.all(), timedelta(minutes=20), "created_at")
            for _beat in range(2):
                assert run_task(app, "cotraining.tasks.retry_pending_notifications") == 0
                assert run_task(app, "badges.tasks.resume_stalled_bulk_awards") == 0
                assert run_task(app, "badges.tasks.email_unsent_awards") == 0
                assert run_task(app, "badges.tasks.award_missing_completion_badges") == 0
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
        finally:
            worker.stop()

    convocation.refresh_from_db()
    assert (convocation.status, convocation.attempts) == (NotificationStatus.SENT, 1)
    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed, bulk.awarded, bulk.already_had) == ("done", ROWS, ROWS, 0)
    bulk_awarded = Assertion.objects.filter(source="bulk")
    assert sorted(bulk_awarded.values_list("recipient_email", flat=True)) == emails
    (badge_earned,) = Assertion.objects.exclude(source="bulk")
    assert (badge_earned.recipient_id, badge_earned.badge_class.name) == (
        graduate.pk,
        "Participant",
    )
    # Exactly once each: the convocation to the teacher, the award email to each colleague, the
    # completion notice and the badge's email to the graduate.
    assert mailbox.recipients == {
        person.email.lower(): 1,
        **dict.fromkeys(emails, 1),
        graduate.email.lower(): 2,
    }
    graduate_subjects = subjects(mailbox.messages, graduate.email)
    assert len(set(graduate_subjects)) == 2
    assert any("Participant" in subject for subject in graduate_subjects)
