"""Use cases of the co-training layer. Views, commands, tasks and the admin call these."""

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
from .notifications import (
    deliver_notification,
    queue_due_reminders,
    retry_pending_notifications,
)
from .people import (
    ImportReport,
    grant_role,
    import_establishments,
    normalize_academie_code,
    normalize_departement_code,
    revoke_role,
    update_profile,
)
from .sessions import cancel_session, delete_session, save_session
from .spaces import ensure_workshop_section, provision_academie

__all__ = [
    "EnrollResult",
    "approve_enrollment",
    "cancel_enrollment",
    "cancellation_deadline",
    "check_in",
    "checkin_code",
    "checkin_is_open",
    "checkin_window",
    "complete_ended_attendance",
    "complete_ended_sessions",
    "deliver_notification",
    "enroll",
    "enroll_in_workshop",
    "evaluate_completion",
    "promote_waitlist",
    "queue_due_reminders",
    "record_attendance",
    "refuse_enrollment",
    "remove_participant",
    "retry_pending_notifications",
    "school_year_of",
    "ImportReport",
    "cancel_session",
    "delete_session",
    "ensure_workshop_section",
    "grant_role",
    "import_establishments",
    "normalize_academie_code",
    "normalize_departement_code",
    "provision_academie",
    "revoke_role",
    "save_session",
    "update_profile",
]
