"""Enrolment emails over real SMTP: what a mail server receives, and what happens when it fails.

A loopback SMTP server (aiosmtpd) receives the messages, which the tests parse as a mail client
would: the convocation PDF and the calendar invitation must survive MIME encoding. The `smtp_worker`
tests go the production way: the enrolment commits, its task goes through Redis to a real `celery
worker` process, which sends over SMTP. The others take the task's id from the broker and call the
delivery service in this process, whose MAILERS point at a closed port, at a server that refuses
the message, or at a server that accepts it.
"""

import email
import email.policy
import io
import threading
import time

import icalendar
import pytest
from django.core import mail
from django.db import connection
from pypdf import PdfReader

from cotraining.calendar import session_uid
from cotraining.constants import EnrollmentStatus, NotificationKind, NotificationStatus, Role
from cotraining.models import Notification
from cotraining.services import (
    cancel_enrollment,
    cancel_session,
    deliver_notification,
    enroll,
    grant_role,
)
from tests.factories import SessionFactory, UserFactory

# The worker reads only what is committed; serialized_rollback brings back the reference data
# that the flush after a transactional test removes.
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def teacher(**fields):
    user = UserFactory(**fields)
    grant_role(user=user, role=Role.TEACHER)
    return user


def wait_until_sent(notifications, timeout=45):
    """Wait for the worker to send them (it sets SENT after the SMTP server accepted the mail)."""
    ids = [n.pk for n in notifications]
    deadline = time.monotonic() + timeout
    while True:
        rows = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "status"))
        if all(rows[pk] == NotificationStatus.SENT for pk in ids):
            return
        assert time.monotonic() < deadline, f"not sent within {timeout} s: {rows}"
        time.sleep(0.1)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def attachments(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def pdf_text(data):
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() or "" for page in pages).split())


def calendar_event(part):
    """(METHOD, the VEVENT) of a text/calendar attachment."""
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


@transactional
def test_the_worker_sends_the_convocation_over_smtp(smtp_worker):
    session = SessionFactory(capacity=5)
    person = teacher(first_name="Hélène", last_name="Garnier")

    enrollment = enroll(user=person, session=session).enrollment  # commits: the task is published

    (notification,) = Notification.objects.filter(enrollment=enrollment)
    assert notification.kind == NotificationKind.CONVOCATION
    wait_until_sent([notification])
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.last_error == ""
    (raw,) = smtp_worker.sink.messages
    message = parse(raw)
    assert "Convocation" in message["Subject"]
    assert message["To"] == person.email
    assert message.get_body(("plain",)).get_content().startswith("Bonjour Hélène")

    files = attachments(message)
    assert set(files) == {"convocation.pdf", "invitation.ics"}
    assert files["convocation.pdf"].get_content_type() == "application/pdf"
    pdf = files["convocation.pdf"].get_content()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Hélène Garnier" in text
    assert "ordre de mission" in text

    invitation = files["invitation.ics"]
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    method, event = calendar_event(invitation)
    assert method == "REQUEST"
    assert (
        str(event["UID"]) == session_uid(session) == f"session-{session.pk}@entrepairs.education.fr"
    )
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == session.start
    assert str(event["ATTENDEE"]).lower() == f"mailto:{person.email}"


@transactional
def test_cancelling_a_session_sends_a_calendar_cancel_for_the_same_event(smtp_worker):
    session = SessionFactory(capacity=1)
    seated, waiting = teacher(), teacher()
    enroll(user=seated, session=session)
    enroll(user=waiting, session=session)
    wait_until_sent(Notification.objects.all())
    sent = {parse(raw)["To"]: parse(raw) for raw in smtp_worker.sink.messages}
    assert set(attachments(sent[waiting.email])) == set()  # waiting: no invitation yet
    _method, invitation = calendar_event(attachments(sent[seated.email])["invitation.ics"])
    smtp_worker.sink.messages.clear()

    cancel_session(session=session, reason="Formatrice absente")

    notices = Notification.objects.filter(kind=NotificationKind.SESSION_CANCELLED)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted([seated.pk, waiting.pk])
    wait_until_sent(notices)
    messages = {parse(raw)["To"]: parse(raw) for raw in smtp_worker.sink.messages}
    assert set(messages) == {seated.email, waiting.email}
    message = messages[seated.email]
    assert "Séance annulée" in message["Subject"]
    assert "Formatrice absente" in message.get_body(("plain",)).get_content()
    files = attachments(message)
    assert set(files) == {"annulation.ics"}  # no convocation for a session that will not happen
    assert files["annulation.ics"].get_param("method") == "CANCEL"
    method, cancel = calendar_event(files["annulation.ics"])
    assert method == "CANCEL"
    # The same UID with a higher SEQUENCE: calendar apps remove the event they were sent.
    assert cancel["UID"] == invitation["UID"]
    assert cancel["SEQUENCE"] > invitation["SEQUENCE"]
    assert str(cancel["STATUS"]) == "CANCELLED"


def enroll_and_take_notification(notification_queue, capture):
    """Enrol a new teacher; return the id the on-commit callback published to the broker."""
    with capture(execute=True):
        enrollment = enroll(user=teacher(), session=SessionFactory()).enrollment
    assert enrollment.status == EnrollmentStatus.CONFIRMED
    (notification_id,) = notification_queue.notification_ids()
    return notification_id


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outage", "error"),
    [("port closed", "ConnectionRefusedError"), ("451 at DATA", "SMTPDataError")],
)
def test_an_smtp_outage_leaves_the_email_pending_then_failed(
    outage,
    error,
    settings,
    mailer_to,
    closed_smtp_port,
    smtp_server,
    notification_queue,
    django_capture_on_commit_callbacks,
):
    if outage == "port closed":
        mailer_to(closed_smtp_port)
    else:
        mailer_to(smtp_server.port)
        smtp_server.refuse_with = "451 4.3.0 Mailbox temporarily unavailable"
    notification_id = enroll_and_take_notification(
        notification_queue, django_capture_on_commit_callbacks
    )

    assert deliver_notification(notification_id=notification_id) == NotificationStatus.PENDING

    notification = Notification.objects.get(pk=notification_id)
    assert notification.attempts == 1
    assert notification.last_error.startswith(f"{error}: ")
    assert notification.sent_at is None
    assert notification in Notification.objects.due()  # beat's retry_pending_notifications
    maximum = settings.NOTIFICATION_MAX_ATTEMPTS
    statuses = [deliver_notification(notification_id=notification_id) for _ in range(maximum - 1)]
    assert statuses == [NotificationStatus.PENDING] * (maximum - 2) + [NotificationStatus.FAILED]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == maximum
    assert notification not in Notification.objects.due()
    # Failed is final: a stray task arriving once the server is back sends nothing.
    mailer_to(smtp_server.port)
    smtp_server.refuse_with = ""
    assert deliver_notification(notification_id=notification_id) == NotificationStatus.FAILED
    assert Notification.objects.get(pk=notification_id).attempts == maximum
    assert smtp_server.messages == []
    assert mail.outbox == []  # nothing went to the test runner's locmem mailer instead


@pytest.mark.django_db
def test_an_email_sent_on_a_later_attempt_is_never_sent_again(
    mailer_to, closed_smtp_port, smtp_server, notification_queue, django_capture_on_commit_callbacks
):
    mailer_to(closed_smtp_port)
    notification_id = enroll_and_take_notification(
        notification_queue, django_capture_on_commit_callbacks
    )
    assert deliver_notification(notification_id=notification_id) == NotificationStatus.PENDING

    mailer_to(smtp_server.port)  # the server is back
    assert deliver_notification(notification_id=notification_id) == NotificationStatus.SENT
    assert deliver_notification(notification_id=notification_id) == NotificationStatus.SENT
    assert deliver_notification(notification_id=notification_id) == NotificationStatus.SENT

    assert len(smtp_server.messages) == 1
    notification = Notification.objects.get(pk=notification_id)
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert notification.sent_at is not None
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_convocation_still_owed_when_the_teacher_withdraws_is_skipped(
    mailer_to, closed_smtp_port, smtp_server, notification_queue, django_capture_on_commit_callbacks
):
    mailer_to(closed_smtp_port)
    person = teacher()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll(user=person, session=SessionFactory()).enrollment
    (convocation_id,) = notification_queue.notification_ids()
    assert deliver_notification(notification_id=convocation_id) == NotificationStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        cancel_enrollment(enrollment=enrollment, by=person)
    (withdrawal_id,) = notification_queue.notification_ids()

    mailer_to(smtp_server.port)  # the server is back: the retries run
    # No ordre de mission for a seat given back; the withdrawal notice still goes out.
    assert deliver_notification(notification_id=convocation_id) == NotificationStatus.SKIPPED
    assert deliver_notification(notification_id=withdrawal_id) == NotificationStatus.SENT
    (raw,) = smtp_server.messages
    files = attachments(parse(raw))
    assert set(files) == {"annulation.ics"}
    assert calendar_event(files["annulation.ics"])[0] == "CANCEL"
    assert Notification.objects.get(pk=convocation_id).attempts == 1


@transactional
def test_concurrent_deliveries_of_one_email_send_it_once(smtp_mailer, notification_queue):
    assert connection.vendor == "postgresql"
    enroll(user=teacher(), session=SessionFactory())  # commits: its task is published
    (notification_id,) = notification_queue.notification_ids()
    callers = 8
    barrier = threading.Barrier(callers)
    statuses, errors = [], []

    def deliver():
        try:
            barrier.wait(timeout=30)
            statuses.append(deliver_notification(notification_id=notification_id))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, daemon=True) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    # The row lock makes the others wait for the first, then find it sent.
    assert statuses == [NotificationStatus.SENT] * callers
    assert len(smtp_mailer.messages) == 1
    assert Notification.objects.get(pk=notification_id).attempts == 1
