"""What a teacher does: enrol, withdraw, follow their path, download documents, check in.

Every object is looked up among the person's own rows: another teacher's enrolment, convocation
or certificate answers 404, never 403 (its existence is not disclosed either).
"""

from collections import OrderedDict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..calendar import calendar_feed, session_invitation
from ..confirmation import confirmation_page
from ..constants import ACTIVE_ENROLLMENT_STATUSES, EnrollmentMode, EnrollmentStatus, Role
from ..exceptions import ServiceError
from ..models import CalendarFeed, Completion, Enrollment, Session
from ..origin import public_url
from ..pdfs import certificate_pdf, convocation_pdf
from ..permissions import has_role


def _back_to_workshop(workshop):
    return redirect(f"{workshop.url}#sessions")


def _enrolled_message(result):
    enrollment = result.enrollment
    if not result.changed:
        return messages.INFO, _("Vous êtes déjà inscrit(e) : rien n'a changé.")
    if enrollment.status == EnrollmentStatus.CONFIRMED:
        return messages.SUCCESS, _(
            "Inscription confirmée. Votre convocation et l'invitation d'agenda vous sont envoyées."
        )
    if enrollment.status == EnrollmentStatus.WAITLISTED:
        position = (
            Enrollment.objects.with_waitlist_position().get(pk=enrollment.pk).waitlist_position
        )
        return messages.WARNING, _(
            "La séance est complète : vous êtes en liste d'attente, en position %(position)s. "
            "Vous serez inscrit(e) et prévenu(e) dès qu'une place se libère."
        ) % {"position": position}
    return messages.INFO, _(
        "Demande enregistrée : elle attend l'accord de votre chef d'établissement, qui en est "
        "informé. Vous recevrez sa réponse par courriel."
    )


@login_required
@require_POST
def enroll_session(request, pk):
    session = get_object_or_404(
        Session.objects.select_related("workshop").filter(workshop__live=True), pk=pk
    )
    workshop = session.workshop
    try:
        if workshop.enrollment_mode == EnrollmentMode.COURSE:
            results = services.enroll_in_workshop(user=request.user, workshop=workshop)
            result = next((r for r in results if r.enrollment.session_id == session.pk), results[0])
        else:
            result = services.enroll(user=request.user, session=session)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.add_message(request, *_enrolled_message(result))
    return _back_to_workshop(workshop)


@login_required
@require_POST
def cancel(request, pk):
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("session__workshop"), pk=pk, user=request.user
    )
    session = enrollment.session
    from_workshop = request.POST.get("next") == "workshop"
    unconfirmed = confirmation_page(
        request,
        question=_("Annuler votre inscription à « %(title)s » ?")
        % {"title": session.workshop.title},
        details=[
            _("Séance du %(date)s.")
            % {"date": date_format(timezone.localtime(session.start), "l j F Y, H:i")}
        ],
        confirm_label=_("Oui, annuler mon inscription"),
        back_url=f"{session.workshop.url}#sessions"
        if from_workshop
        else reverse("cotraining:my_journey"),
        keep=["next"],
    )
    if unconfirmed:
        return unconfirmed
    try:
        services.cancel_enrollment(enrollment=enrollment, by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Votre inscription est annulée."))
    if from_workshop:
        return _back_to_workshop(enrollment.session.workshop)
    return redirect("cotraining:my_journey")


@login_required
def my_journey(request):
    """ "Mon parcours": what is coming, what is done, hours per school year, certificates."""
    user = request.user
    now = timezone.now()
    services.complete_ended_attendance(user=user, now=now)
    enrollments = (
        Enrollment.objects.filter(user=user)
        .exclude(status=EnrollmentStatus.CANCELLED, session__start__lt=now)
        .select_related("session__workshop", "session__establishment")
        .with_waitlist_position()
        .order_by("session__start")
    )
    upcoming, past = [], []
    for enrollment in enrollments:
        enrollment.cancel_until = services.cancellation_deadline(enrollment.session)
        (upcoming if enrollment.session.end > now else past).append(enrollment)
    past.reverse()
    completions = Completion.objects.filter(user=user).select_related("workshop")
    hours_by_year = OrderedDict(
        (row["school_year"], row["hours"])
        for row in completions.order_by("-school_year")
        .values("school_year")
        .annotate(hours=Sum("hours"))
    )
    feed = CalendarFeed.objects.filter(user=user).first()
    return render(
        request,
        "cotraining/my_journey.html",
        {
            "upcoming": upcoming,
            "past": past,
            "completions": completions,
            "hours_by_year": hours_by_year,
            "total_hours": sum(hours_by_year.values(), Decimal(0)),
            "feed": feed,
            "feed_url": feed
            and public_url(reverse("cotraining:calendar_feed", kwargs={"token": feed.token})),
            "active_statuses": ACTIVE_ENROLLMENT_STATUSES,
            "now": now,
            "is_teacher": has_role(user, Role.TEACHER),
        },
    )


def _own_confirmed(request, pk):
    return get_object_or_404(
        Enrollment.objects.select_related(
            "session__workshop__academie", "session__establishment", "user__establishment"
        ),
        pk=pk,
        user=request.user,
        status=EnrollmentStatus.CONFIRMED,
    )


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def convocation(request, pk):
    enrollment = _own_confirmed(request, pk)
    return _download(
        convocation_pdf(enrollment), "application/pdf", f"convocation-{enrollment.pk}.pdf"
    )


@login_required
def invitation(request, pk):
    enrollment = _own_confirmed(request, pk)
    method = "CANCEL" if enrollment.session.is_cancelled else "REQUEST"
    return _download(
        session_invitation(enrollment.session, method=method, attendee=request.user),
        "text/calendar; charset=utf-8",
        f"seance-{enrollment.session_id}.ics",
    )


@login_required
def certificate(request, pk):
    completion = get_object_or_404(
        Completion.objects.select_related("workshop__academie", "user"), pk=pk, user=request.user
    )
    return _download(
        certificate_pdf(completion),
        "application/pdf",
        f"attestation-{completion.certificate_number}.pdf",
    )


@login_required
@require_POST
def reset_calendar_feed(request):
    """Create the private feed, or replace its secret address (the old one stops working)."""
    _feed, created = services.reset_calendar_feed(user=request.user)
    if not created:
        messages.success(
            request, _("Nouvelle adresse d'agenda créée : l'ancienne ne fonctionne plus.")
        )
    else:
        messages.success(request, _("Votre agenda personnel est prêt : copiez son adresse."))
    return redirect("cotraining:my_journey")


def calendar_feed_view(request, token):
    """The private calendar feed: no login (calendar apps cannot log in); the token is secret."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    response = HttpResponse(calendar_feed(feed.user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def check_in(request):
    """Self check-in: the code on the trainer's screen, typed or brought by the QR code's link."""
    session = None
    session_id = request.POST.get("seance") or request.GET.get("seance")
    if session_id and str(session_id).isdigit():
        session = Session.objects.filter(pk=session_id).first()
    code = request.POST.get("code") or request.GET.get("code") or ""
    if request.method == "POST":
        try:
            enrollment = services.check_in(user=request.user, code=code, session=session)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Présence enregistrée pour « %(title)s ». Bonne séance !")
                % {"title": enrollment.session.workshop.title},
            )
            return redirect("cotraining:my_journey")
    return render(request, "cotraining/check_in.html", {"code": code, "session": session})
