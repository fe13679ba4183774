"""Printable documents of a workshop: convocation, feuille d'émargement, attestation de présence.

They are Django templates (templates/cotraining/pdf/) turned into PDF by WeasyPrint, so their
wording goes through gettext like any page and their layout is HTML and print CSS. Rendering
never reaches the network: a document must come out the same in a worker with no internet access,
and a template must not be able to leak anything to a remote server.
"""

from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .constants import Attendance, EnrollmentMode, EnrollmentStatus, SessionStatus
from .models import Enrollment

# Dates on a convocation are those of the place of training, whoever renders it and from where.
DOCUMENT_TIME_ZONE = "Europe/Paris"


def render_pdf(template_name, context):
    """Render a template to PDF bytes, offline, as a tagged PDF (PDF/UA) screen readers can read.

    WeasyPrint is imported here rather than at the top: it needs Pango, a system library, and the
    rest of the application must import this module on machines where Pango is missing.
    """
    from weasyprint import HTML

    with timezone.override(DOCUMENT_TIME_ZONE):
        html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=offline_url_fetcher())
    return document.write_pdf(pdf_variant="pdf/ua-1")


def offline_url_fetcher():
    """A WeasyPrint fetcher limited to inline data and the project's own files: no http(s)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def convocation_pdf(enrollment):
    """The convocation of a confirmed participant; it is also their ordre de mission.

    A course (parcours) convokes to all of its dates at once, so the document lists every session
    of the workshop the person holds a confirmed seat on; otherwise only the enrolment's session.
    """
    if enrollment.status != EnrollmentStatus.CONFIRMED:
        raise ValueError("Only a confirmed enrolment gets a convocation.")
    sessions = _convoked_sessions(enrollment)
    person = enrollment.user
    context = {
        **_workshop_context(enrollment.session.workshop),
        "person_name": person.get_full_name() or person.email,
        "establishment": person.establishment,
        "sessions": [{"session": s, "hours": format_hours(s.hours)} for s in sessions],
        "total_hours": format_hours(sum((s.hours for s in sessions), Decimal(0))),
        # Sequences only grow: their sum changes whenever any of the dates, places or links did.
        "number": f"C{enrollment.pk:06d}-{sum(s.ical_sequence for s in sessions)}",
        "issued_on": timezone.now(),
    }
    return render_pdf("cotraining/pdf/convocation.html", context)


def attendance_sheet_pdf(session):
    """The paper feuille d'émargement: one line per confirmed participant, signed on the day.

    Attendance already recorded online is printed in, so the sheet also serves as the record.
    """
    enrollments = (
        session.enrollments.filter(status=EnrollmentStatus.CONFIRMED)
        .select_related("user__establishment")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    rows = [
        {
            "name": e.user.get_full_name() or e.user.email,
            "establishment": e.user.establishment,
            "attendance": attendance_label(e),
        }
        for e in enrollments
    ]
    context = {
        **_workshop_context(session.workshop),
        "session": session,
        "hours": format_hours(session.hours),
        "rows": rows,
    }
    return render_pdf("cotraining/pdf/attendance_sheet.html", context)


def certificate_pdf(completion):
    """The attestation de présence of a completed workshop, listing the sessions attended.

    The hours stated are the completion's, computed once when the workshop was validated, so
    the attestation never changes afterwards; the sessions listed show where they come from.
    """
    attended = (
        Enrollment.objects.counted_for(user=completion.user, workshop=completion.workshop)
        .select_related("session")
        .order_by("session__start")
    )
    person = completion.user
    context = {
        **_workshop_context(completion.workshop),
        "completion": completion,
        "person_name": person.get_full_name() or person.email,
        "hours_text": hours_phrase(completion.hours),
        "sessions": [
            {"session": e.session, "hours": format_hours(_hours_attended(e))} for e in attended
        ],
        "issued_on": timezone.now(),
    }
    return render_pdf("cotraining/pdf/certificate.html", context)


def format_hours(value):
    """Hours as people write them: two decimals at most, no trailing zeros ("3", "1,5")."""
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01")).normalize()
    return formats.number_format(amount)


def hours_phrase(value):
    """Hours in a sentence ("3 heures", "1 heure"); a fractional amount reads as a plural."""
    amount = Decimal(str(value))
    count = int(amount) if amount == amount.to_integral_value() else 2
    return ngettext("%(hours)s heure", "%(hours)s heures", count) % {"hours": format_hours(amount)}


def attendance_label(enrollment):
    """What the sheet's attendance column says; blank while nothing is recorded."""
    if enrollment.attendance == Attendance.PARTIAL:
        if enrollment.hours_attended is None:
            return _("Partiel")
        return _("Partiel (%(hours)s h)") % {"hours": format_hours(enrollment.hours_attended)}
    if enrollment.attendance in (Attendance.PRESENT, Attendance.ABSENT):
        return str(Attendance(enrollment.attendance).label)
    return ""


def _hours_attended(enrollment):
    """Hours recorded, or the whole session for someone marked present without a figure."""
    if enrollment.hours_attended is not None:
        return enrollment.hours_attended
    return enrollment.session.hours if enrollment.attendance == Attendance.PRESENT else None


def _convoked_sessions(enrollment):
    """The sessions a convocation lists (see convocation_pdf), in date order."""
    session = enrollment.session
    if session.workshop.enrollment_mode != EnrollmentMode.COURSE:
        return [session]
    enrollments = (
        Enrollment.objects.filter(
            user_id=enrollment.user_id,
            session__workshop_id=session.workshop_id,
            session__status=SessionStatus.SCHEDULED,
            status=EnrollmentStatus.CONFIRMED,
        )
        .select_related("session__establishment")
        .order_by("session__start")
    )
    return [e.session for e in enrollments] or [session]


def _workshop_context(workshop):
    """What every document shows of the workshop: title, académie, plan, trainers."""
    return {
        "workshop": workshop,
        "academie": workshop.academie,
        "trainers": [t.get_full_name() or t.email for t in workshop.trainers.all()],
    }
