"""Use cases of the co-training layer. Views, commands, tasks and the admin call these.

One module per subject (attendance, enrollments, imports, notifications, people, sessions,
spaces), each with the tasks that wrap its use cases; this package only re-exports them.
"""

from .attendance import (
    check_in,
    checkin_code,
    checkin_is_open,
    checkin_window,
    complete_ended_attendance,
    complete_ended_sessions,
    evaluate_completion,
    record_attendance,
    school_year_of,
)
from .enrollments import (
    EnrollResult,
    approve_enrollment,
    cancel_enrollment,
    cancellation_deadline,
    enroll,
    enroll_in_workshop,
    promote_waitlist,
    refuse_enrollment,
    remove_participant,
)
from .imports import import_establishments, normalize_academie_code, normalize_departement_code
from .notifications import (
    correct_address_and_resend,
    deliver_notification,
    queue_due_reminders,
    resend_failed_notifications,
    resend_notification,
    retry_pending_notifications,
)
from .people import change_email, grant_role, reset_calendar_feed, revoke_role, update_profile
from .sessions import cancel_session, delete_session, save_session
from .spaces import ensure_workshop_section, provision_academie

__all__ = [
    "approve_enrollment",
    "cancel_enrollment",
    "cancel_session",
    "cancellation_deadline",
    "change_email",
    "check_in",
    "checkin_code",
    "checkin_is_open",
    "checkin_window",
    "complete_ended_attendance",
    "complete_ended_sessions",
    "correct_address_and_resend",
    "delete_session",
    "deliver_notification",
    "enroll",
    "enroll_in_workshop",
    "EnrollResult",
    "ensure_workshop_section",
    "evaluate_completion",
    "grant_role",
    "import_establishments",
    "normalize_academie_code",
    "normalize_departement_code",
    "promote_waitlist",
    "provision_academie",
    "queue_due_reminders",
    "record_attendance",
    "refuse_enrollment",
    "remove_participant",
    "resend_failed_notifications",
    "resend_notification",
    "reset_calendar_feed",
    "retry_pending_notifications",
    "revoke_role",
    "save_session",
    "school_year_of",
    "update_profile",
]
