"""What each person has to do next: the queries behind "Mes séances" and the home page.

Read-only, built on the object-level querysets of `permissions.py`, so a list here never shows
what the pages behind its links would refuse.
"""

from datetime import timedelta

from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from .constants import ACTIVE_ENROLLMENT_STATUSES, EnrollmentStatus, Modality, SessionStatus
from .models import Enrollment, Session, WorkshopPage

# A session is "at risk" when it starts within this many days and is less than half full.
AT_RISK_DAYS = 21
AT_RISK_FILL = 0.5


def with_counts(sessions):
    """Sessions annotated with their confirmed, waiting, pending and unrecorded people."""
    return sessions.annotate(
        n_confirmed=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.CONFIRMED)),
        n_waitlisted=Count(
            "enrollments", filter=Q(enrollments__status=EnrollmentStatus.WAITLISTED)
        ),
        n_pending=Count(
            "enrollments", filter=Q(enrollments__status=EnrollmentStatus.PENDING_APPROVAL)
        ),
        n_unrecorded=Count(
            "enrollments",
            filter=Q(enrollments__status=EnrollmentStatus.CONFIRMED, enrollments__attendance=""),
        ),
        has_trainer=Exists(
            WorkshopPage.trainers.through.objects.filter(workshoppage_id=OuterRef("workshop_id"))
        ),
    ).select_related("workshop", "establishment")


def upcoming(sessions, now, limit):
    """The next sessions (annotated), each with its fill rate in percent."""
    rows = list(sessions.filter(end__gt=now).order_by("start")[:limit])
    for session in rows:
        session.fill = round(100 * session.n_confirmed / session.capacity)
    return rows


def to_record(sessions, now, limit):
    """Held sessions whose attendance is still to be taken."""
    return list(
        sessions.filter(end__lte=now, status=SessionStatus.SCHEDULED, n_unrecorded__gt=0).order_by(
            "-start"
        )[:limit]
    )


def at_risk(upcoming_sessions, now):
    """Among upcoming sessions: no trainer, or soon and less than half full."""
    return [
        session
        for session in upcoming_sessions
        if session.status == SessionStatus.SCHEDULED
        and (
            not session.has_trainer
            or (
                session.start <= now + timedelta(days=AT_RISK_DAYS)
                and session.fill < 100 * AT_RISK_FILL
            )
        )
    ]


def next_enrollments(user, now=None, limit=5):
    """A person's coming sessions: seats held, waiting-list places and requests awaiting a yes."""
    return list(
        Enrollment.objects.filter(
            user=user,
            status__in=ACTIVE_ENROLLMENT_STATUSES,
            session__status=SessionStatus.SCHEDULED,
            session__end__gt=now or timezone.now(),
        )
        .select_related("session__workshop", "session__establishment")
        .order_by("session__start")[:limit]
    )


def suggested_sessions(user, now=None, limit=3):
    """Workshops a teacher could join next: open seats, not already chosen, nearest first.

    "Near" is the teacher's département (a session held there or a workshop meant for it), then
    the rest of their académie; remote sessions are near everyone. One session per workshop (the
    soonest), live workshops only. EXISTS subqueries rather than joins, so that the seats count
    annotated by `with_free_seats` is never multiplied by a join.
    """
    now = now or timezone.now()
    chosen_workshops = Enrollment.objects.filter(
        user=user, status__in=ACTIVE_ENROLLMENT_STATUSES
    ).values("session__workshop_id")
    trains = WorkshopPage.trainers.through.objects.filter(
        workshoppage_id=OuterRef("workshop_id"), user_id=user.pk
    )
    sessions = (
        Session.objects.upcoming(now)
        .with_free_seats()
        .filter(workshop__live=True)
        .exclude(workshop_id__in=chosen_workshops)
        .exclude(Exists(trains))
        .select_related("workshop", "establishment")
    )
    ordering = ["start"]
    establishment = getattr(user, "establishment", None)
    if establishment is not None:
        departement = establishment.departement
        meant_for = WorkshopPage.departements.through.objects.filter(
            workshoppage_id=OuterRef("workshop_id"), departement_id=departement.pk
        )
        local = Q(establishment__departement_id=departement.pk) | Q(Exists(meant_for))
        sessions = sessions.filter(
            local | Q(workshop__academie_id=departement.academie_id) | Q(modality=Modality.REMOTE)
        ).annotate(near=Case(When(local, then=Value(1)), default=Value(0)))
        ordering = ["-near", "start"]
    suggestions, seen = [], set()
    for session in sessions.order_by(*ordering)[: limit * 5]:
        if session.workshop_id not in seen:
            seen.add(session.workshop_id)
            suggestions.append(session)
        if len(suggestions) == limit:
            break
    return suggestions
