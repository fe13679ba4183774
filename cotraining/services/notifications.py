"""Emails owed to people about their enrolments: recorded once, sent once, retried, visible.

A `Notification` row is written in the same transaction as the change it reports, and a task is
enqueued when that transaction commits. Sending locks the row and checks it was not sent already,
so beat firing twice, a worker retrying or two workers racing still send one email.
"""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..calendar import session_invitation
from ..constants import (
    AuditAction,
    EnrollmentStatus,
    Modality,
    NotificationKind,
    NotificationStatus,
    SessionStatus,
)
from ..exceptions import TRANSIENT_ERRORS, ServiceError
from ..models import Enrollment, Notification
from ..origin import public_url
from ..pdfs import convocation_pdf
from .people import change_email

logger = logging.getLogger(__name__)

# Kinds whose email carries the convocation PDF and a calendar invitation (METHOD:REQUEST).
WITH_CONVOCATION = {
    NotificationKind.CONVOCATION,
    NotificationKind.PROMOTED,
    NotificationKind.SESSION_UPDATED,
}
# Kinds whose email carries a calendar CANCEL for the session.
WITH_CANCEL = {NotificationKind.ENROLLMENT_CANCELLED, NotificationKind.SESSION_CANCELLED}
# Reminders lose their point once the person is no longer expected or the session has begun.
REMINDERS = {NotificationKind.REMINDER_DAYS, NotificationKind.REMINDER_HOUR}


def queue_notification(*, enrollment, kind, key="", recipient=None):
    """Record that an email is owed and send it once the current transaction commits.

    Idempotent: the same (enrolment, recipient, kind, key) is recorded and sent once.
    """
    recipient = recipient or enrollment.user
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(
                enrollment=enrollment, recipient=recipient, kind=kind, key=key
            )
    except IntegrityError:  # a concurrent call recorded it first
        return None
    if created:
        # A broker outage never fails the request once the change is committed: the row stays
        # pending and beat's retry_pending_notifications sends it later.
        deliver_notification_task.enqueue_on_commit(notification.pk)
    return notification


def _still_relevant(notification):
    enrollment = notification.enrollment
    session = enrollment.session
    if notification.kind in REMINDERS:
        return (
            enrollment.status == EnrollmentStatus.CONFIRMED
            and session.status == SessionStatus.SCHEDULED
            and session.start > timezone.now()
        )
    if notification.kind == NotificationKind.APPROVAL_REQUEST:
        return enrollment.status == EnrollmentStatus.PENDING_APPROVAL
    if notification.kind in WITH_CONVOCATION:
        # Cancelled in between: no convocation (an "ordre de mission") for a seat given back;
        # and only the latest one (cancel, enrol again: the first convocation is stale).
        current = (
            str(session.ical_sequence)
            if notification.kind == NotificationKind.SESSION_UPDATED
            else enrollment.confirmed_at and enrollment.confirmed_at.isoformat()
        )
        return (
            enrollment.status == EnrollmentStatus.CONFIRMED
            and session.status == SessionStatus.SCHEDULED
            and notification.key == current
        )
    return True


def build_message(notification) -> EmailMessage:
    """The email for a notification: subject and body from templates, documents attached."""
    enrollment = notification.enrollment
    session = enrollment.session
    context = {
        "notification": notification,
        "enrollment": enrollment,
        "session": session,
        "workshop": session.workshop,
        "recipient": notification.recipient,
        "person": enrollment.user,
        "site_url": public_url(),
        "show_visio": enrollment.status == EnrollmentStatus.CONFIRMED,
    }
    template = f"cotraining/email/{notification.kind}"
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    message = EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
    )
    if notification.kind in WITH_CONVOCATION:
        message.attach("convocation.pdf", convocation_pdf(enrollment), "application/pdf")
        message.attach(
            "invitation.ics",
            session_invitation(session, method="REQUEST", attendee=enrollment.user),
            "text/calendar; method=REQUEST",
        )
    elif notification.kind in WITH_CANCEL:
        message.attach(
            "annulation.ics",
            session_invitation(session, method="CANCEL", attendee=enrollment.user),
            "text/calendar; method=CANCEL",
        )
    return message


def _load(notification_id, *, lock=False):
    queryset = Notification.objects.select_related(
        "recipient",
        "enrollment__user__establishment",
        "enrollment__session__workshop__academie",
        "enrollment__session__establishment",
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.filter(pk=notification_id).first()


def deliver_notification(*, notification_id):
    """Send one owed email, at most once. Returns the notification's status afterwards
    (PENDING means: failed this time, try again later), or None when the row is gone.

    The email (and its PDF) is built before any lock is taken: rendering takes a tenth of a
    second, and a lock held that long would stall enrolments (on SQLite, every writer). Only the
    check-and-send is done under the row lock, so two workers never both send it.
    """
    notification = _load(notification_id)
    if notification is None or notification.status != NotificationStatus.PENDING:
        return notification and notification.status
    message = None
    if _still_relevant(notification):
        with translation.override(settings.LANGUAGE_CODE):
            message = build_message(notification)
    with transaction.atomic():
        notification = _load(notification_id, lock=True)
        if notification is None or notification.status != NotificationStatus.PENDING:
            return notification and notification.status
        if message is None or not _still_relevant(notification):
            notification.status = NotificationStatus.SKIPPED
            notification.save(update_fields=["status"])
            return notification.status
        notification.attempts += 1
        try:
            message.send()
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning(
                "Email %s failed (attempt %s): %s", notification.pk, notification.attempts, exc
            )
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.status = (
                NotificationStatus.FAILED
                if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
                else NotificationStatus.PENDING
            )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        return notification.status


def queue_due_reminders(*, now=None):
    """Record the reminders that are due and enqueue them (run by beat every few minutes).

    Reminders are keyed by the session's start: if a session moves, a new reminder is due for
    the new date; if beat runs twice, the second run finds every row already there.
    """
    now = now or timezone.now()
    confirmed = Enrollment.objects.filter(
        status=EnrollmentStatus.CONFIRMED,
        session__status=SessionStatus.SCHEDULED,
        session__start__gt=now,
    ).select_related("session", "user")
    days = confirmed.filter(
        session__start__lte=now + timedelta(days=settings.REMINDER_DAYS_BEFORE)
    ).exclude(
        # Confirmed less than a day before: the convocation is the reminder.
        confirmed_at__gt=now - timedelta(days=1),
        confirmed_at__isnull=False,
    )
    hour = confirmed.filter(
        session__modality__in=[Modality.REMOTE, Modality.HYBRID],
        session__start__lte=now + timedelta(minutes=settings.REMINDER_REMOTE_MINUTES_BEFORE),
    )
    queued = 0
    for kind, enrollments in (
        (NotificationKind.REMINDER_DAYS, days),
        (NotificationKind.REMINDER_HOUR, hour),
    ):
        already = Notification.objects.filter(kind=kind).filter(Q(enrollment__in=enrollments))
        sent_keys = set(already.values_list("enrollment_id", "key"))
        for enrollment in enrollments:
            key = enrollment.session.start.isoformat()
            if (enrollment.pk, key) in sent_keys:
                continue
            with transaction.atomic():
                if queue_notification(enrollment=enrollment, kind=kind, key=key):
                    queued += 1
    return queued


def retry_pending_notifications(*, now=None):
    """Enqueue again the emails still pending a while after they were recorded: those whose
    attempt failed, and any whose task was lost (a worker killed, eager mode's single try)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.due()
        .filter(created_at__lte=now - timedelta(minutes=10))
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        deliver_notification_task.enqueue_on_commit(pk)
    return len(ids)


# --- Failed emails, seen from the admin ---------------------------------------------------------


def _stale_reason(notification):
    """Why an email no longer makes sense, in words for the coordinator (None: still relevant)."""
    if _still_relevant(notification):
        return None
    enrollment = notification.enrollment
    session = enrollment.session
    if session.status != SessionStatus.SCHEDULED:
        return _("La séance a été annulée : ce courriel n'a plus d'objet.")
    if notification.kind == NotificationKind.APPROVAL_REQUEST:
        return _("La demande d'accord a déjà été traitée : ce courriel n'a plus d'objet.")
    if enrollment.status != EnrollmentStatus.CONFIRMED:
        return _("La place a été rendue (inscription annulée) : ce courriel n'a plus d'objet.")
    if notification.kind in REMINDERS:
        return _("La séance a commencé : ce rappel n'a plus d'objet.")
    return _("Un envoi plus récent remplace celui-ci : il n'est pas renvoyé.")


def _check_resendable(notification):
    if notification.status == NotificationStatus.SENT:
        raise ServiceError(
            "already_sent", _("Ce courriel a déjà été envoyé : il n'est pas renvoyé.")
        )
    reason = _stale_reason(notification)
    if reason is not None:
        raise ServiceError("stale", reason)


def resend_notification(*, notification, by):
    """Send again an email that failed after every attempt (a coordinator asked for it).

    Its attempts start again from zero and the delivery task is queued once the transaction
    commits. Idempotent: an email already waiting to be sent is left as it is; one already sent,
    or one that no longer makes sense (the seat was given back, the session cancelled or begun,
    a newer convocation exists) is refused with the reason, and nothing changes.
    """
    with transaction.atomic():
        notification = _load(notification.pk, lock=True)
        if notification is None:
            raise ServiceError("gone", _("Ce courriel n'existe plus."))
        if notification.status == NotificationStatus.PENDING:
            return notification
        _check_resendable(notification)
        notification.status = NotificationStatus.PENDING
        notification.attempts = 0
        notification.last_error = ""
        notification.save(update_fields=["status", "attempts", "last_error"])
        log(
            notification,
            AuditAction.RESEND_NOTIFICATION,
            user=by,
            data={"recipient": notification.recipient.email},
        )
        deliver_notification_task.enqueue_on_commit(notification.pk)
    return notification


def resend_failed_notifications(*, notifications, by):
    """Send again every failed email of `notifications` (a queryset the caller scoped to what
    the person may see). Returns (resent, refused): refused are the stale ones, left failed."""
    resent, refused = 0, 0
    ids = notifications.filter(status=NotificationStatus.FAILED).values_list("pk", flat=True)
    for notification in Notification.objects.filter(pk__in=list(ids)):
        try:
            resend_notification(notification=notification, by=by)
        except ServiceError:
            refused += 1
        else:
            resent += 1
    return resent, refused


def correct_address_and_resend(*, notification, email, by, request=None):
    """Fix the address an email bounced from, then send that email again.

    The address is the person's login: it is changed through `change_email` (validation,
    uniqueness, the new address unverified with a verification email, audit). Nothing changes
    when the email cannot be resent, so a coordinator never rewrites an address for nothing.
    """
    with transaction.atomic():
        locked = _load(notification.pk, lock=True)
        if locked is None:
            raise ServiceError("gone", _("Ce courriel n'existe plus."))
        _check_resendable(locked)
        change_email(user=locked.recipient, email=email, by=by, request=request)
        return resend_notification(notification=locked, by=by)


# --- Tasks (registered as cotraining.tasks.*, re-exported there) ----------------------------


@shared_task(
    name="cotraining.tasks.deliver_notification",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=6,
    time_limit=120,
    soft_time_limit=100,
)
def deliver_notification_task(self, notification_id):
    """Send one owed email. A failed attempt is retried with exponential backoff (1, 2, 4…
    minutes); after NOTIFICATION_MAX_ATTEMPTS it is marked failed for coordinators to see."""
    status = deliver_notification(notification_id=notification_id)
    if status == NotificationStatus.PENDING and not self.request.is_eager:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return status


@shared_task(name="cotraining.tasks.send_due_reminders", time_limit=300, soft_time_limit=280)
def send_due_reminders_task():
    """Run by beat: record and send the reminders that are due (idempotent)."""
    return queue_due_reminders()


@shared_task(
    name="cotraining.tasks.retry_pending_notifications", time_limit=120, soft_time_limit=100
)
def retry_pending_notifications_task():
    """Run by beat: enqueue again emails still pending (failed attempts, lost tasks)."""
    return retry_pending_notifications()
