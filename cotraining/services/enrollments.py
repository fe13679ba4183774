"""Enrolment: capacity, waiting list, line-manager approval, cancellation and promotion.

Capacity is counted under a row lock on the session (`SELECT … FOR UPDATE`): every write that
can take or free a seat locks the session row first, so two people can never both take the last
seat, and a freed seat goes to the first person waiting in the same transaction. On SQLite the
lock is a no-op and the database-wide write lock serialises writers instead; the PostgreSQL
integration suite proves the row lock with 100 concurrent connections.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..constants import (
    ACTIVE_ENROLLMENT_STATUSES,
    AuditAction,
    EnrollmentMode,
    EnrollmentStatus,
    NotificationKind,
    Role,
)
from ..exceptions import ServiceError
from ..models import Enrollment, RoleAssignment, Session
from .notifications import queue_notification


@dataclass
class EnrollResult:
    enrollment: Enrollment
    changed: bool  # False: the person was already enrolled (a repeat is a no-op)


def _lock_sessions(session_ids):
    """Lock session rows in id order (a fixed order: two course enrolments never deadlock)."""
    return list(
        Session.objects.select_for_update(of=("self",))
        .select_related("workshop")
        .filter(pk__in=session_ids)
        .order_by("pk")
    )


def _seats_taken(session):
    return session.enrollments.filter(status=EnrollmentStatus.CONFIRMED).count()


def _check_can_enroll(user, session, now):
    if not RoleAssignment.objects.filter(user=user, role=Role.TEACHER).exists():
        raise ServiceError(
            "not_a_teacher",
            _("Seuls les comptes enseignants peuvent s'inscrire à une séance."),
        )
    if session.is_cancelled:
        raise ServiceError("session_cancelled", _("Cette séance est annulée."))
    if session.start <= now:
        raise ServiceError("session_started", _("Cette séance a déjà commencé ou est passée."))
    if session.enrollment_opens and now < session.enrollment_opens:
        raise ServiceError(
            "enrollment_not_open",
            _("Les inscriptions ouvrent le %(date)s.")
            % {"date": timezone.localtime(session.enrollment_opens).strftime("%d/%m/%Y %H:%M")},
        )
    if session.enrollment_closes and now >= session.enrollment_closes:
        raise ServiceError("enrollment_closed", _("Les inscriptions à cette séance sont closes."))
    if session.workshop.approval_required and not user.establishment_id:
        raise ServiceError(
            "no_establishment",
            _(
                "Cet atelier demande l'accord de votre chef d'établissement : indiquez d'abord "
                "votre établissement d'exercice dans votre profil."
            ),
        )


def _take_seat_or_queue(enrollment, session, now):
    """Confirm if a seat is free, otherwise join the end of the waiting list (session locked)."""
    if _seats_taken(session) < session.capacity:
        enrollment.status = EnrollmentStatus.CONFIRMED
        enrollment.confirmed_at = now
        enrollment.waitlisted_at = None
    else:
        enrollment.status = EnrollmentStatus.WAITLISTED
        enrollment.waitlisted_at = now


def _notify_status(enrollment, *, promoted=False):
    if enrollment.status == EnrollmentStatus.CONFIRMED:
        queue_notification(
            enrollment=enrollment,
            kind=NotificationKind.PROMOTED if promoted else NotificationKind.CONVOCATION,
            key=enrollment.confirmed_at.isoformat(),
        )
    elif enrollment.status == EnrollmentStatus.WAITLISTED:
        queue_notification(
            enrollment=enrollment,
            kind=NotificationKind.WAITLISTED,
            key=enrollment.waitlisted_at.isoformat(),
        )


def _enroll_locked(user, session, now, by):
    existing = Enrollment.objects.filter(session=session, user=user).first()
    if existing and existing.is_active:
        return EnrollResult(existing, changed=False)
    if existing and existing.status == EnrollmentStatus.REFUSED:
        raise ServiceError(
            "enrollment_refused",
            _("Votre supérieur hiérarchique a refusé cette inscription."),
        )
    _check_can_enroll(user, session, now)
    enrollment = existing or Enrollment(session=session, user=user)
    enrollment.cancelled_at = None
    enrollment.cancelled_by = None
    if session.workshop.approval_required:
        enrollment.status = EnrollmentStatus.PENDING_APPROVAL
        enrollment.decided_by = None
        enrollment.decided_at = None
    else:
        _take_seat_or_queue(enrollment, session, now)
    enrollment.save()
    log(enrollment, AuditAction.ENROLL, user=by or user, data={"status": enrollment.status})
    if enrollment.status == EnrollmentStatus.PENDING_APPROVAL:
        _request_approval(enrollment)
    else:
        _notify_status(enrollment)
    return EnrollResult(enrollment, changed=True)


def _request_approval(enrollment):
    key = timezone.now().isoformat()
    queue_notification(enrollment=enrollment, kind=NotificationKind.PENDING_APPROVAL, key=key)
    heads = RoleAssignment.objects.filter(
        role=Role.SCHOOL_HEAD, establishment_id=enrollment.user.establishment_id
    ).select_related("user")
    for assignment in heads:
        queue_notification(
            enrollment=enrollment,
            kind=NotificationKind.APPROVAL_REQUEST,
            key=key,
            recipient=assignment.user,
        )


def enroll(*, user, session, by=None) -> EnrollResult:
    """Enrol a teacher in one session: a seat if one is free, else the waiting list.

    When the workshop needs line-manager approval the enrolment waits for it and holds no seat.
    Enrolling again while enrolled changes nothing (`changed` is False).
    """
    if session.workshop.enrollment_mode == EnrollmentMode.COURSE:
        results = enroll_in_workshop(user=user, workshop=session.workshop, by=by)
        return next(r for r in results if r.enrollment.session_id == session.pk)
    now = timezone.now()
    with transaction.atomic():
        (locked,) = _lock_sessions([session.pk])
        return _enroll_locked(user, locked, now, by)


def enroll_in_workshop(*, user, workshop, by=None) -> list[EnrollResult]:
    """Enrol in every upcoming session of a workshop that is one course over several dates.

    All or nothing: if one session refuses (closed, cancelled…), no enrolment is written.
    """
    now = timezone.now()
    ids = list(workshop.sessions.upcoming(now).values_list("pk", flat=True))
    if not ids:
        raise ServiceError("no_session", _("Cet atelier n'a pas de séance à venir."))
    with transaction.atomic():
        return [_enroll_locked(user, session, now, by) for session in _lock_sessions(ids)]


def promote_waitlist(*, session, by=None):
    """Give free seats to the first people waiting, in order. The caller holds the session lock.

    Returns the promoted enrolments. Each promotion is saved and notified in the caller's
    transaction, so nobody is promoted twice or skipped even with concurrent cancellations.
    """
    free = session.capacity - _seats_taken(session)
    if free <= 0:
        return []
    now = timezone.now()
    promoted = list(Enrollment.objects.filter(session=session).waiting_queue()[:free])
    for enrollment in promoted:
        enrollment.status = EnrollmentStatus.CONFIRMED
        enrollment.confirmed_at = now
        enrollment.waitlisted_at = None
        enrollment.save(update_fields=["status", "confirmed_at", "waitlisted_at", "updated_at"])
        log(enrollment, AuditAction.PROMOTE, user=by)
        _notify_status(enrollment, promoted=True)
    return promoted


def cancellation_deadline(session):
    """Until when a confirmed person may cancel on their own: the enrolment closing date."""
    return session.enrollment_closes or session.start


def _cancel_locked(enrollment, session, *, by, action, notify):
    was_confirmed = enrollment.status == EnrollmentStatus.CONFIRMED
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.cancelled_at = timezone.now()
    enrollment.cancelled_by = by
    enrollment.waitlisted_at = None
    enrollment.save()
    log(enrollment, action, user=by)
    if notify:
        queue_notification(
            enrollment=enrollment,
            kind=NotificationKind.ENROLLMENT_CANCELLED,
            key=enrollment.cancelled_at.isoformat(),
        )
    if was_confirmed:
        promote_waitlist(session=session, by=by)


def _locked_enrollment(enrollment):
    """Lock the session (seats), then the enrolment row itself: attendance and check-in lock the
    row too, so a withdrawal and a trainer's attendance mark never interleave."""
    (session,) = _lock_sessions([enrollment.session_id])
    locked = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=enrollment.pk)
    )
    return locked, session


def _refuse_if_attended(enrollment, *, by=None):
    if enrollment.attendance and by is not None and by.pk == enrollment.user_id:
        # Checked in (even before the start): presence is recorded, the seat is used.
        raise ServiceError(
            "attendance_recorded",
            _(
                "Votre présence à cette séance est déjà enregistrée : l'inscription ne peut "
                "plus être annulée."
            ),
        )
    if enrollment.attendance:
        raise ServiceError(
            "attendance_recorded",
            _(
                "La présence de cette personne est déjà relevée : corrigez-la sur la feuille "
                "d'émargement plutôt que d'annuler l'inscription."
            ),
        )


def cancel_enrollment(*, enrollment, by):
    """The person withdraws. A confirmed seat can be given back until the closing date; a place
    on the waiting list or a request awaiting approval can be withdrawn until the start.
    Cancelling twice is a no-op."""
    with transaction.atomic():
        enrollment, session = _locked_enrollment(enrollment)
        if not enrollment.is_active:
            return enrollment
        _refuse_if_attended(enrollment, by=by)
        now = timezone.now()
        if session.start <= now:
            raise ServiceError(
                "session_started",
                _("La séance a commencé : l'inscription ne peut plus être annulée."),
            )
        if enrollment.status == EnrollmentStatus.CONFIRMED and now >= cancellation_deadline(
            session
        ):
            raise ServiceError(
                "cancellation_closed",
                _(
                    "La date limite d'annulation est passée : prévenez le formateur, qui peut "
                    "libérer votre place."
                ),
            )
        _cancel_locked(
            enrollment, session, by=by, action=AuditAction.CANCEL_ENROLLMENT, notify=True
        )
    return enrollment


def remove_participant(*, enrollment, by):
    """A trainer or coordinator removes someone (any time before the end): the seat is freed."""
    with transaction.atomic():
        enrollment, session = _locked_enrollment(enrollment)
        if not enrollment.is_active:
            return enrollment
        _refuse_if_attended(enrollment)
        if session.end <= timezone.now():
            raise ServiceError(
                "session_over", _("La séance est terminée : corrigez plutôt la présence.")
            )
        _cancel_locked(
            enrollment, session, by=by, action=AuditAction.REMOVE_PARTICIPANT, notify=True
        )
    return enrollment


def _decide(enrollment, by):
    enrollment, session = _locked_enrollment(enrollment)
    if enrollment.status != EnrollmentStatus.PENDING_APPROVAL:
        return enrollment, session, False
    enrollment.decided_by = by
    enrollment.decided_at = timezone.now()
    return enrollment, session, True


def approve_enrollment(*, enrollment, by):
    """The line manager agrees: the teacher then takes a seat if one is free, or waits in line
    (approval never bypasses capacity). Deciding twice is a no-op."""
    with transaction.atomic():
        enrollment, session, pending = _decide(enrollment, by)
        if not pending:
            return enrollment
        if session.is_cancelled or session.start <= timezone.now():
            raise ServiceError(
                "session_unavailable", _("La séance est annulée ou passée : rien à valider.")
            )
        _take_seat_or_queue(enrollment, session, enrollment.decided_at)
        enrollment.save()
        log(enrollment, AuditAction.APPROVE_ENROLLMENT, user=by, data={"status": enrollment.status})
        _notify_status(enrollment)
    return enrollment


def refuse_enrollment(*, enrollment, by):
    """The line manager refuses; the teacher is told. Deciding twice is a no-op."""
    with transaction.atomic():
        enrollment, _session, pending = _decide(enrollment, by)
        if not pending:
            return enrollment
        enrollment.status = EnrollmentStatus.REFUSED
        enrollment.save()
        log(enrollment, AuditAction.REFUSE_ENROLLMENT, user=by)
        queue_notification(
            enrollment=enrollment,
            kind=NotificationKind.REFUSED,
            key=enrollment.decided_at.isoformat(),
        )
    return enrollment


def notify_session_change(*, session, kind):
    """Tell everyone still enrolled that a session changed or was cancelled (with the iCal update
    or CANCEL). Keyed by the invitation's sequence: one email per change and person."""
    for enrollment in session.enrollments.filter(status__in=ACTIVE_ENROLLMENT_STATUSES):
        if kind == NotificationKind.SESSION_UPDATED and (
            enrollment.status != EnrollmentStatus.CONFIRMED
        ):
            continue
        queue_notification(enrollment=enrollment, kind=kind, key=str(session.ical_sequence))
