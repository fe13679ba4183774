"""Attendance (émargement), self check-in with a rotating code, and workshop completion."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

import pyotp
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .. import school_year
from ..constants import (
    Attendance,
    AuditAction,
    EnrollmentMode,
    EnrollmentStatus,
    NotificationKind,
    SessionStatus,
)
from ..exceptions import ServiceError
from ..models import Completion, Enrollment, Session
from ..signals import completion_withdrawn, workshop_completed
from .notifications import queue_notification


def school_year_of(moment):
    """The French school year a date falls in, as '2026-2027'."""
    return school_year.label(moment)


# --- Check-in code --------------------------------------------------------------------------


def _totp(session):
    return pyotp.TOTP(session.checkin_secret, interval=settings.CHECKIN_CODE_SECONDS, digits=6)


def checkin_window(session):
    opens = session.start - timedelta(minutes=settings.CHECKIN_OPENS_MINUTES_BEFORE)
    closes = session.end + timedelta(minutes=settings.CHECKIN_CLOSES_MINUTES_AFTER)
    return opens, closes


def checkin_is_open(session, now=None):
    opens, closes = checkin_window(session)
    return not session.is_cancelled and opens <= (now or timezone.now()) <= closes


def checkin_code(*, session, now=None):
    """The code to show now (changes every CHECKIN_CODE_SECONDS). Creates the session's secret
    the first time, under a lock so that two trainers' screens show the same code."""
    if not session.checkin_secret:
        with transaction.atomic():
            locked = Session.objects.select_for_update().get(pk=session.pk)
            if not locked.checkin_secret:
                locked.checkin_secret = pyotp.random_base32()
                locked.save(update_fields=["checkin_secret"])
            session.checkin_secret = locked.checkin_secret
    return _totp(session).at(now or timezone.now())


def _wrong_codes_key(scope, *ids):
    return "checkin-wrong:" + scope + ":" + ":".join(str(pk) for pk in ids)


def _reserve_attempts(user, sessions):
    """Count this attempt against the account on each session before the code is looked at.

    The increment is atomic in the cache, so 60 requests sent at once get no more tries than 60
    sent one by one. The count starts with the first attempt and lasts CHECKIN_LOCKOUT_SECONDS;
    a right code gives its attempt back (`_release_attempts`), so only wrong codes add up.
    """
    counts = {}
    for session in sessions:
        key = _wrong_codes_key("account", session.pk, user.pk)
        cache.add(key, 0, timeout=settings.CHECKIN_LOCKOUT_SECONDS)
        try:
            counts[session.pk] = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window starts
            cache.set(key, 1, timeout=settings.CHECKIN_LOCKOUT_SECONDS)
            counts[session.pk] = 1
    return counts


def _release_attempts(user, sessions):
    for session in sessions:
        try:
            cache.decr(_wrong_codes_key("account", session.pk, user.pk))
        except ValueError:
            pass


def _session_wrong_codes(session):
    return cache.get(_wrong_codes_key("session", session.pk), 0)


def _count_session_wrong_code(session):
    key = _wrong_codes_key("session", session.pk)
    cache.add(key, 0, timeout=settings.CHECKIN_LOCKOUT_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=settings.CHECKIN_LOCKOUT_SECONDS)
        return 1


def _audit_refusal(action, obj, *, user, data):
    """Audit entries of refused attempts survive the refusal (the error is raised after)."""
    with transaction.atomic():
        log(obj, action, user=user, data=data)


def _lockout_error():
    minutes = max(1, round(settings.CHECKIN_LOCKOUT_SECONDS / 60))
    return ServiceError(
        "checkin_locked",
        _(
            "Trop de codes erronés : l'émargement en ligne est bloqué pendant %(minutes)s min. "
            "Demandez au formateur de relever votre présence."
        )
        % {"minutes": minutes},
    )


def check_in(*, user, code, session=None, now=None):
    """A participant checks in with the code on the trainer's screen (or the QR code's link).

    Accepted only from a confirmed participant, while check-in is open, with the current code or
    the one just before or after it (clocks differ a little). A repeat is a no-op.

    The 6-digit code must not be guessable: an account gets CHECKIN_MAX_WRONG_PER_ACCOUNT wrong
    codes per session, and a session CHECKIN_MAX_WRONG_PER_SESSION across its participants
    (someone holding several accounts), per CHECKIN_LOCKOUT_SECONDS; past that even the right
    code is refused until the window ends. Counts live in the shared cache (REDIS_URL), so they
    hold across processes. Wrong codes and lockouts are audited.
    """
    now = now or timezone.now()
    code = "".join(ch for ch in str(code) if ch.isdigit())
    enrollments = Enrollment.objects.filter(
        user=user, status=EnrollmentStatus.CONFIRMED
    ).select_related("session__workshop")
    if session is not None:
        enrollments = enrollments.filter(session=session)
    open_now = [e for e in enrollments if checkin_is_open(e.session, now)]
    if not open_now:
        if session is not None and not enrollments.exists():
            raise ServiceError(
                "not_enrolled", _("Vous n'êtes pas inscrit(e) à cette séance : pas d'émargement.")
            )
        raise ServiceError(
            "checkin_closed",
            _("Aucune de vos séances n'est ouverte à l'émargement en ce moment."),
        )
    sessions = [e.session for e in open_now]
    tries = _reserve_attempts(user, sessions)
    limit = settings.CHECKIN_MAX_WRONG_PER_ACCOUNT
    if any(count > limit for count in tries.values()) or any(
        _session_wrong_codes(s) >= settings.CHECKIN_MAX_WRONG_PER_SESSION for s in sessions
    ):
        raise _lockout_error()
    for enrollment in open_now:
        secret = enrollment.session.checkin_secret  # none yet: no code was ever shown
        if secret and _totp(enrollment.session).verify(code, for_time=now, valid_window=1):
            break
    else:
        for enrollment in open_now:
            tried = tries[enrollment.session_id]
            _audit_refusal(
                AuditAction.CHECK_IN_WRONG_CODE, enrollment, user=user, data={"attempt": tried}
            )
            if tried == limit:
                _audit_refusal(
                    AuditAction.CHECK_IN_LOCKED, enrollment, user=user, data={"attempts": tried}
                )
            wrong = _count_session_wrong_code(enrollment.session)
            if wrong == settings.CHECKIN_MAX_WRONG_PER_SESSION:
                _audit_refusal(
                    AuditAction.CHECK_IN_SESSION_LOCKED,
                    enrollment.session,
                    user=user,
                    data={"attempts": wrong},
                )
        raise ServiceError(
            "bad_code", _("Ce code n'est pas (ou plus) valable : saisissez le code affiché.")
        )
    _release_attempts(user, sessions)
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.status != EnrollmentStatus.CONFIRMED:  # withdrew meanwhile
            raise ServiceError(
                "not_enrolled", _("Vous n'êtes pas inscrit(e) à cette séance : pas d'émargement.")
            )
        if enrollment.attended:
            return enrollment
        enrollment.checked_in_at = now
        _set_attendance(enrollment, Attendance.PRESENT, enrollment.session.hours, by=user, now=now)
        log(enrollment, AuditAction.CHECK_IN, user=user)
        evaluate_completion(user=user, workshop=enrollment.session.workshop)
    return enrollment


# --- Attendance sheet -----------------------------------------------------------------------


def _set_attendance(enrollment, attendance, hours, *, by, now):
    enrollment.attendance = attendance
    enrollment.hours_attended = hours
    enrollment.attendance_recorded_by = by
    enrollment.attendance_recorded_at = now
    enrollment.save()


def _parse_hours(value):
    try:
        return Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def record_attendance(*, enrollment, attendance, hours=None, by):
    """The trainer marks a participant present, partly present (with the hours) or absent.

    Corrections are allowed at any time after the start; each is logged, and completion is
    worked out again (it may be awarded, or withdrawn if attendance was corrected down).
    """
    now = timezone.now()
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("session__workshop", "user")
            .get(pk=enrollment.pk)
        )
        session = enrollment.session
        if enrollment.status != EnrollmentStatus.CONFIRMED:
            raise ServiceError(
                "not_confirmed", _("Seules les personnes inscrites (confirmées) sont émargées.")
            )
        if session.is_cancelled:
            raise ServiceError("session_cancelled", _("Cette séance est annulée."))
        if now < checkin_window(session)[0]:
            raise ServiceError(
                "session_not_started",
                _("La présence se relève à partir du début de la séance."),
            )
        if attendance not in Attendance.values:
            raise ServiceError("bad_attendance", _("Choisissez présent, partiel ou absent."))
        if attendance == Attendance.PRESENT:
            hours = session.hours
        elif attendance == Attendance.ABSENT:
            hours = Decimal(0)
        else:
            hours = _parse_hours(hours)
            if hours is None or not (0 < hours < session.hours):
                raise ServiceError(
                    "bad_hours",
                    _("Présence partielle : indiquez des heures entre 0 et %(max)s.")
                    % {"max": f"{session.hours.normalize():f}".replace(".", ",")},
                )
        _set_attendance(enrollment, attendance, hours, by=by, now=now)
        log(
            enrollment,
            AuditAction.RECORD_ATTENDANCE,
            user=by,
            data={"attendance": attendance, "hours": str(hours)},
        )
        evaluate_completion(user=enrollment.user, workshop=session.workshop, by=by)
    return enrollment


# --- Completion -----------------------------------------------------------------------------


def evaluate_completion(*, user, workshop, by=None):
    """Award, update or withdraw a person's completion of a workshop from their attendance.

    One session of its dates suffices for a workshop whose sessions are occurrences; a course
    over several dates needs the workshop's share (completion_threshold %) of its sessions that
    were not cancelled. The rest of the platform hears of it after commit, through signals.
    """
    attended = Enrollment.objects.counted_for(user=user, workshop=workshop)
    totals = attended.aggregate(hours=Sum("hours_attended"))
    count = attended.count()
    if workshop.enrollment_mode == EnrollmentMode.COURSE:
        held = workshop.sessions.exclude(status=SessionStatus.CANCELLED).count()
        complete = held > 0 and count * 100 >= workshop.completion_threshold * held
    else:
        complete = count > 0
    existing = Completion.objects.filter(user=user, workshop=workshop).first()
    if not complete:
        if existing:
            existing.delete()
            log(workshop, AuditAction.WITHDRAW_COMPLETION, user=by, data={"user": user.pk})
            transaction.on_commit(
                lambda: completion_withdrawn.send(sender=Completion, user=user, workshop=workshop)
            )
        return None
    last = attended.order_by("-session__start").select_related("session").first()
    values = {
        "hours": totals["hours"] or Decimal(0),
        "sessions_attended": count,
        "school_year": school_year_of(last.session.start),
    }
    if existing:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
        return existing
    # Dated by the training itself, not by when the trainer got round to the attendance sheet.
    completed_at = min(last.session.end, timezone.now())
    completion = Completion.objects.create(
        user=user, workshop=workshop, completed_at=completed_at, **values
    )
    log(workshop, AuditAction.COMPLETE_WORKSHOP, user=by, data={"user": user.pk})
    queue_notification(enrollment=last, kind=NotificationKind.COMPLETED, key=str(completion.pk))
    transaction.on_commit(lambda: workshop_completed.send(sender=Completion, completion=completion))
    return completion


def complete_ended_sessions(*, now=None, limit=500):
    """Run by beat: work out the completions of the sessions that ended since the last run.

    Attendance taken before the end (an early check-in, the trainer's sheet during the session)
    is presence, not training done: the workshop is completed only once the session is over.
    Each session is handled once (completion_evaluated_at); a second beat skips what the first
    holds locked, and evaluate_completion is idempotent anyway.
    """
    now = now or timezone.now()
    due = list(
        Session.objects.filter(end__lte=now, completion_evaluated_at__isnull=True)
        .order_by("end")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            session = (
                Session.objects.select_for_update(skip_locked=True)
                .select_related("workshop")
                .filter(pk=pk, completion_evaluated_at__isnull=True)
                .first()
            )
            if session is None:
                continue
            if not session.is_cancelled:
                _evaluate_attendees(
                    session.enrollments.filter(
                        status=EnrollmentStatus.CONFIRMED,
                        attendance__in=[Attendance.PRESENT, Attendance.PARTIAL],
                    )
                )
            Session.objects.filter(pk=pk).update(completion_evaluated_at=now)
            done += 1
    return done


@shared_task(name="cotraining.tasks.complete_ended_sessions", time_limit=300, soft_time_limit=280)
def complete_ended_sessions_task():
    """Run by beat: completions of the sessions that ended since the last run (idempotent)."""
    return complete_ended_sessions()


def complete_ended_attendance(*, user, now=None):
    """The same for one person, when they open their path: their attestation is there as soon
    as the session is over, even before beat's next run (or with no beat at all, the embedded
    default). Only workshops they have not completed yet are looked at."""
    now = now or timezone.now()
    owed = (
        Enrollment.objects.filter(
            user=user,
            status=EnrollmentStatus.CONFIRMED,
            attendance__in=[Attendance.PRESENT, Attendance.PARTIAL],
            session__end__lte=now,
            session__completion_evaluated_at__isnull=True,
        )
        .exclude(session__status=SessionStatus.CANCELLED)
        .exclude(session__workshop__completions__user=user)
    )
    if owed.exists():
        with transaction.atomic():
            _evaluate_attendees(owed)


def _evaluate_attendees(enrollments):
    seen = set()
    for enrollment in enrollments.select_related("user", "session__workshop").order_by("pk"):
        key = (enrollment.user_id, enrollment.session.workshop_id)
        if key not in seen:
            seen.add(key)
            evaluate_completion(user=enrollment.user, workshop=enrollment.session.workshop)
