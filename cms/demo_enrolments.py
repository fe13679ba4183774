"""The demo's enrolments: every enrolment feature, visible to the role that uses it (the demo
teacher's path through the services, colleagues in line, a request to decide, attendance to
record, an email that failed)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from cms.demo_calendar import training_day
from cms.demo_people import DEMO_DOMAIN, colleague
from cotraining import school_year
from cotraining.constants import (
    Attendance,
    EnrollmentStatus,
    Modality,
    NotificationKind,
    NotificationStatus,
    SessionStatus,
)
from cotraining.models import Completion, Enrollment, Notification, Session, User
from cotraining.services import enroll, record_attendance

# The demo teacher's path through the enrolment features (workshop slugs of demo_content).
TEACHER_CONFIRMED = "cybersecurite-etablissement"  # hybrid, at the teacher's lycée
TEACHER_WAITLISTED = "inclusion-outils-numeriques"  # its next session is full
TEACHER_PENDING = "capytale-python-en-classe"  # approval_required: the lycée's head decides
TEACHER_ATTENDED_LAST_YEAR = "mutualiser-ressources-forge"  # present, previous school year
TEACHER_ATTENDED_PARTLY = "pix-accompagner-eleves"  # partly present, its recent past session
COLLEAGUE_PENDING = ("collegue007", "pilotage-tableaux-de-bord")  # collegue007 is at the lycée
# Full sessions that get a waiting list: workshop slug, colleagues (numbers) waiting in line.
WAITING_LISTS = [
    ("inclusion-outils-numeriques", [41, 42]),
    ("visio-classe-virtuelle", [51, 52, 53, 54]),
]
FAILED_EMAIL_TO = "collegue017"


def seed_enrolments(offer):
    """Every enrolment feature, visible to the role that uses it.

    Each step is skipped when its rows are already there (the demo teacher already has a row
    on the workshop, the colleague is already in line…), so a second run writes nothing.
    """
    now = timezone.now()
    teacher = User.objects.get(email=f"enseignant@{DEMO_DOMAIN}")
    trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
    # Rows bulk-created by an earlier version of this command had no confirmation time.
    Enrollment.objects.filter(
        user__email__endswith=f"@{DEMO_DOMAIN}",
        status=EnrollmentStatus.CONFIRMED,
        confirmed_at__isnull=True,
    ).update(confirmed_at=F("created_at"))
    for slug, numbers in WAITING_LISTS:
        _waiting_list(offer[slug], [colleague(number) for number in numbers], now)
    _teacher_enrols(teacher, offer[TEACHER_CONFIRMED], full=False)
    _teacher_enrols(teacher, offer[TEACHER_WAITLISTED], full=True)
    _teacher_enrols(teacher, offer[TEACHER_PENDING], full=False)
    _colleague_request(*COLLEAGUE_PENDING, offer)
    workshop = offer[TEACHER_ATTENDED_LAST_YEAR]
    if not _has_enrolment(teacher, workshop):
        last_year = _last_school_year_session(workshop, now)
        _teacher_attended(teacher, trainer, last_year, Attendance.PRESENT)
    recent = (
        offer[TEACHER_ATTENDED_PARTLY]
        .sessions.filter(end__lte=now, status=SessionStatus.SCHEDULED)
        .order_by("-start")
        .first()
    )
    _teacher_attended(teacher, trainer, recent, Attendance.PARTIAL)
    _failed_email(now)


def _next_session(workshop, *, full):
    upcoming = workshop.sessions.upcoming().with_seats().order_by("start")
    return (upcoming.filter(seats_left__lte=0).first() if full else None) or upcoming.first()


def _waiting_list(workshop, people, now):
    """Colleagues in line on a workshop's next full session, an hour apart (no emails)."""
    session = _next_session(workshop, full=True)
    if session is None or session.seats_left > 0:
        return
    taken = set(session.enrollments.values_list("user_id", flat=True))
    people = [person for person in people if person.pk not in taken]
    Enrollment.objects.bulk_create(
        Enrollment(
            session=session,
            user=person,
            status=EnrollmentStatus.WAITLISTED,
            waitlisted_at=now - timedelta(hours=len(people) - rank),
        )
        for rank, person in enumerate(people)
    )


def _teacher_enrols(teacher, workshop, *, full):
    """The demo teacher enrols through the service: a seat, the waiting list or a request
    for approval, with the emails and audit entries that go with it."""
    if _has_enrolment(teacher, workshop):
        return
    session = _next_session(workshop, full=full)
    if session is not None:
        enroll(user=teacher, session=session)


def _colleague_request(local, slug, offer):
    """A second request for the lycée's head to decide on (bulk row: no emails)."""
    colleague = User.objects.get(email=f"{local}@{DEMO_DOMAIN}")
    workshop = offer[slug]
    if _has_enrolment(colleague, workshop):
        return
    session = _next_session(workshop, full=False)
    if session is not None:
        Enrollment.objects.create(
            session=session, user=colleague, status=EnrollmentStatus.PENDING_APPROVAL
        )


def _last_school_year_session(workshop, now):
    """A session of the previous school year (a Wednesday in May), for hours per year."""
    today = timezone.localdate(now)
    may = date(school_year.first_year(today), 5, 13)
    day = training_day(may + timedelta(days=(2 - may.weekday()) % 7))
    start = datetime.combine(day, time(16), tzinfo=timezone.get_current_timezone())
    session, _ = Session.objects.get_or_create(
        workshop=workshop,
        start=start,
        defaults={
            "end": start + timedelta(hours=2),
            "modality": Modality.REMOTE,
            "visio_url": "https://visio.education.fr/meeting/demo-entrepairs",
            "capacity": 25,
        },
    )
    return session


def _teacher_attended(teacher, trainer, session, attendance):
    """A past session the demo teacher attended: the trainer records it through the service,
    which validates the workshop (Completion: certificate and hours)."""
    if session is None:
        return
    workshop = session.workshop
    if _has_enrolment(teacher, workshop):
        return
    enrollment = Enrollment(
        session=session,
        user=teacher,
        status=EnrollmentStatus.CONFIRMED,
        confirmed_at=session.start - timedelta(days=14),
    )
    if workshop.approval_required:  # the lycée's head agreed
        enrollment.decided_by = User.objects.get(email=f"direction@{DEMO_DOMAIN}")
        enrollment.decided_at = enrollment.confirmed_at
    enrollment.save()
    hours = None
    if attendance == Attendance.PARTIAL:
        hours = (session.hours * 3 / 4).quantize(Decimal("0.5"))
    record_attendance(enrollment=enrollment, attendance=attendance, hours=hours, by=trainer)
    # Validated when the session ended, not on the day the demo was loaded.
    Completion.objects.filter(user=teacher, workshop=workshop).update(completed_at=session.end)


def _failed_email(now):
    """A convocation the mail server refused after every attempt: what coordinators see in
    "Envois de courriels" (no email is sent: the row is written as it would end up)."""
    failed = Notification.objects.filter(
        status=NotificationStatus.FAILED, recipient__email__endswith=f"@{DEMO_DOMAIN}"
    )
    if failed.exists():
        return
    email = f"{FAILED_EMAIL_TO}@{DEMO_DOMAIN}"
    enrollment = (
        Enrollment.objects.filter(
            user__email=email,
            status=EnrollmentStatus.CONFIRMED,
            confirmed_at__isnull=False,
            session__start__gt=now,
        )
        .order_by("session__start")
        .first()
    )
    if enrollment is None:
        return
    Notification.objects.get_or_create(
        enrollment=enrollment,
        recipient=enrollment.user,
        kind=NotificationKind.CONVOCATION,
        key=enrollment.confirmed_at.isoformat(),
        defaults={
            "status": NotificationStatus.FAILED,
            "attempts": settings.NOTIFICATION_MAX_ATTEMPTS,
            "last_error": (
                f"SMTPRecipientsRefused: {{'{email}': (550, b'5.1.1 <{email}>: "
                "Recipient address rejected: User unknown in virtual mailbox table')}"
            ),
        },
    )


def _has_enrolment(user, workshop):
    """Any row, whatever its status: the demo never re-enrols someone who withdrew."""
    return Enrollment.objects.filter(user=user, session__workshop=workshop).exists()
