"""Sessions of a workshop: scheduled, changed, cancelled, and deleted only while nobody enrolled."""

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..constants import AuditAction, NotificationKind, SessionStatus
from ..exceptions import ServiceError
from ..models import Session
from .enrollments import notify_session_change, promote_waitlist

# What a calendar invitation says: changing one of these sends everyone an updated invitation.
INVITATION_FIELDS = ("start", "end", "modality", "establishment_id", "address", "room", "visio_url")

SESSION_FIELDS = (
    "workshop",
    "start",
    "end",
    "modality",
    "establishment",
    "address",
    "room",
    "visio_url",
    "capacity",
    "enrollment_opens",
    "enrollment_closes",
)


def save_session(*, session=None, by=None, **values):
    """Create a session, or change one, after checking every rule; nothing is saved on error.

    Raises django's ValidationError (per field) so that admin forms show each message beside
    its field; the same checks are also database constraints.
    """
    unknown = set(values) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown session fields: {sorted(unknown)}")
    creating = session is None
    session = session or Session()
    if not creating and session.is_cancelled:
        raise ServiceError("session_cancelled", _("Une séance annulée ne peut plus être modifiée."))
    before = None if creating else {name: getattr(session, name) for name in INVITATION_FIELDS}
    for name, value in values.items():
        setattr(session, name, value)
    session.full_clean()
    with transaction.atomic():
        if not creating:
            # Lock before counting seats: a capacity change and enrolments never interleave.
            Session.objects.select_for_update().filter(pk=session.pk).first()
        changed = before is not None and any(
            getattr(session, name) != value for name, value in before.items()
        )
        if changed:
            session.ical_sequence += 1
        session.save()
        log(
            session,
            AuditAction.CREATE_SESSION if creating else AuditAction.UPDATE_SESSION,
            user=by,
            data={"workshop": session.workshop_id},
        )
        if not creating:
            promote_waitlist(session=session, by=by)  # capacity raised: the next in line get in
        if changed:
            notify_session_change(session=session, kind=NotificationKind.SESSION_UPDATED)
    return session


def cancel_session(*, session, reason="", by=None):
    """Cancel a session: it stays listed as cancelled, with its enrolments, and everyone enrolled
    or waiting is told (with an iCal CANCEL). Idempotent."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.is_cancelled:
            return session
        session.status = SessionStatus.CANCELLED
        session.cancellation_reason = reason
        session.ical_sequence += 1
        session.save(update_fields=["status", "cancellation_reason", "ical_sequence", "updated_at"])
        log(session, AuditAction.CANCEL_SESSION, user=by, data={"reason": reason})
        notify_session_change(session=session, kind=NotificationKind.SESSION_CANCELLED)
    return session


def delete_session(*, session, by=None):
    """Delete a session nobody enrolled in; one with enrolments must be cancelled instead."""
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.enrollments.exists():
            raise ServiceError(
                "session_has_enrollments",
                _(
                    "Cette séance a des inscriptions : elle ne peut pas être supprimée. "
                    "Annulez-la plutôt ; les personnes inscrites garderont la trace de "
                    "l'annulation."
                ),
            )
        log(session, AuditAction.DELETE_SESSION, user=by, data={"workshop": session.workshop_id})
        session.delete()
