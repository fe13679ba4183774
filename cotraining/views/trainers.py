"""What trainers and coordinators do with their sessions: fill, attendance, check-in code, export.

Every session is looked up in `managed_sessions(user)`: a trainer reaches the sessions of the
workshops they train, a coordinator those of their académie; anything else is a 404.
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import agenda, services
from ..constants import Attendance, EnrollmentStatus
from ..exceptions import ServiceError
from ..origin import public_url
from ..pdfs import attendance_sheet_pdf
from ..permissions import coordinated_academies, managed_sessions
from ..spreadsheets import csv_writer


@login_required
def my_sessions(request):
    """ "Mes séances": upcoming with fill rate and waiting list, past with attendance to take;
    for coordinators the same across their académie, and the sessions at risk."""
    now = timezone.now()
    scope = managed_sessions(request.user)
    if not request.user.is_superuser and not scope.exists():
        return render(request, "cotraining/my_sessions.html", {"empty": True}, status=200)
    sessions = agenda.with_counts(scope)
    upcoming = agenda.upcoming(sessions, now, limit=200)
    to_record = agenda.to_record(sessions, now, limit=100)
    recent = list(sessions.filter(end__lte=now).order_by("-start")[:30])
    coordinator = request.user.is_superuser or coordinated_academies(request.user).exists()
    at_risk = agenda.at_risk(upcoming, now) if coordinator else []
    return render(
        request,
        "cotraining/my_sessions.html",
        {
            "upcoming": upcoming,
            "to_record": to_record,
            "recent": recent,
            "at_risk": at_risk,
            "coordinator": coordinator,
            "at_risk_days": agenda.AT_RISK_DAYS,
            "now": now,
        },
    )


def _managed(request, pk):
    return get_object_or_404(
        managed_sessions(request.user).select_related("workshop__academie", "establishment"),
        pk=pk,
    )


def _participants(session):
    return (
        session.enrollments.filter(status=EnrollmentStatus.CONFIRMED)
        .select_related("user__establishment")
        .order_by("user__last_name", "user__first_name")
    )


@login_required
def attendance_sheet(request, pk):
    """The attendance sheet: each row saved on its own (htmx), the whole page works without JS."""
    session = _managed(request, pk)
    waiting = (
        session.enrollments.filter(
            status__in=[EnrollmentStatus.WAITLISTED, EnrollmentStatus.PENDING_APPROVAL]
        )
        .select_related("user__establishment")
        .with_waitlist_position()
        .order_by("status", "waitlisted_at", "pk")
    )
    return render(
        request,
        "cotraining/attendance_sheet.html",
        {
            "session": session,
            "participants": _participants(session),
            "waiting": waiting,
            "choices": Attendance.choices,
            "checkin_open": services.checkin_is_open(session),
            "can_record": timezone.now() >= services.checkin_window(session)[0]
            and not session.is_cancelled,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def record_attendance(request, pk, enrollment_pk):
    session = _managed(request, pk)
    enrollment = get_object_or_404(session.enrollments.select_related("user"), pk=enrollment_pk)
    hours = request.POST.get("hours", "").strip()
    # The row sends its status and hours together; hours typed without a status mean partial.
    attendance = request.POST.get("attendance") or (Attendance.PARTIAL if hours else "")
    error = None
    try:
        enrollment = services.record_attendance(
            enrollment=enrollment, attendance=attendance, hours=hours, by=request.user
        )
    except ServiceError as exc:
        error = exc.message
    if request.htmx:
        enrollment.refresh_from_db()
        if error:  # redraw what the trainer chose and typed, not the saved row
            enrollment.attendance = attendance if attendance in Attendance.values else ""
        return render(
            request,
            "cotraining/includes/attendance_row.html",
            {
                "session": session,
                "enrollment": enrollment,
                "choices": Attendance.choices,
                "error": error,
                "saved": error is None,
                "hours_typed": hours if error else None,
                "can_record": True,
                "now": timezone.now(),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("Présence enregistrée pour %(name)s.") % {"name": enrollment.user}
        )
    return redirect("cotraining:attendance_sheet", pk=session.pk)


@login_required
@require_POST
def remove_participant(request, pk, enrollment_pk):
    session = _managed(request, pk)
    enrollment = get_object_or_404(session.enrollments.select_related("user"), pk=enrollment_pk)
    try:
        services.remove_participant(enrollment=enrollment, by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s est désinscrit(e) ; la première personne en attente prend la place.")
            % {"name": enrollment.user},
        )
    return redirect("cotraining:attendance_sheet", pk=session.pk)


@login_required
def attendance_sheet_pdf_view(request, pk):
    session = _managed(request, pk)
    response = HttpResponse(attendance_sheet_pdf(session), content_type="application/pdf")
    name = slugify(session.workshop.title)[:40]
    response["Content-Disposition"] = (
        f'attachment; filename="emargement-{name}-{session.start:%Y%m%d}.pdf"'
    )
    return response


@login_required
def participants_csv(request, pk):
    """Participants and waiting list as CSV (UTF-8 with BOM and ';' so Excel opens it as is)."""
    session = _managed(request, pk)
    rows = (
        session.enrollments.exclude(status=EnrollmentStatus.CANCELLED)
        .select_related("user__establishment")
        .with_waitlist_position()
        .order_by("status", "user__last_name", "user__first_name")
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="participants-seance-{session.pk}.csv"'
    response.write("\ufeff")
    writer = csv_writer(response)
    writer.writerow(
        [
            _("Nom"),
            _("Prénom"),
            _("Adresse électronique"),
            _("Établissement"),
            _("UAI"),
            _("Statut"),
            _("Position en liste d'attente"),
            _("Présence"),
            _("Heures suivies"),
        ]
    )
    for row in rows:
        establishment = row.user.establishment
        writer.writerow(
            [
                row.user.last_name,
                row.user.first_name,
                row.user.email,
                establishment.name if establishment else "",
                establishment.uai if establishment else "",
                row.get_status_display(),
                row.waitlist_position or "",
                row.get_attendance_display() if row.attendance else "",
                row.hours_attended if row.hours_attended is not None else "",
            ]
        )
    return response


def _checkin_context(request, session):
    now = timezone.now()
    code = services.checkin_code(session=session, now=now)
    link = public_url(reverse("cotraining:check_in") + f"?seance={session.pk}&code={code}")
    return {
        "session": session,
        "code": code,
        "qr_svg": segno.make(link, error="m").svg_inline(scale=6, title=_("Code QR d'émargement")),
        "link": link,
        "open": services.checkin_is_open(session, now),
        "seconds": settings.CHECKIN_CODE_SECONDS,
        "checked_in": session.enrollments.filter(
            status=EnrollmentStatus.CONFIRMED, checked_in_at__isnull=False
        ).count(),
        "confirmed": session.enrollments.filter(status=EnrollmentStatus.CONFIRMED).count(),
    }


@login_required
def checkin_screen(request, pk):
    """The code to project in the room: refreshed every few seconds (htmx), QR code included."""
    session = _managed(request, pk)
    context = _checkin_context(request, session)
    if request.htmx:
        return render(request, "cotraining/includes/checkin_code.html", context)
    return render(request, "cotraining/checkin_screen.html", context)
