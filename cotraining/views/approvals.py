"""Line-manager approval: the school head (or the académie's coordination) agrees or refuses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..confirmation import confirmation_page
from ..exceptions import ServiceError
from ..permissions import approvable_enrollments


@login_required
def approvals(request):
    pending = (
        approvable_enrollments(request.user)
        .select_related("user__establishment", "session__workshop", "session__establishment")
        .order_by("session__start", "created_at")
    )
    return render(request, "cotraining/approvals.html", {"pending": pending})


@login_required
@require_POST
def decide(request, pk, decision):
    if decision not in ("accorder", "refuser"):
        raise Http404
    enrollment = get_object_or_404(
        approvable_enrollments(request.user).select_related("user", "session__workshop"), pk=pk
    )
    if decision == "refuser":
        unconfirmed = confirmation_page(
            request,
            question=_("Refuser l'inscription de %(name)s ?") % {"name": enrollment.user},
            details=[
                _("Atelier « %(title)s », séance du %(date)s. La personne en sera informée.")
                % {
                    "title": enrollment.session.workshop.title,
                    "date": date_format(timezone.localtime(enrollment.session.start), "j F Y H:i"),
                }
            ],
            confirm_label=_("Oui, refuser"),
            back_url=reverse("cotraining:approvals"),
        )
        if unconfirmed:
            return unconfirmed
    try:
        if decision == "accorder":
            enrollment = services.approve_enrollment(enrollment=enrollment, by=request.user)
            messages.success(
                request,
                _("Accord donné à %(name)s, qui en est informé(e).") % {"name": enrollment.user},
            )
        else:
            services.refuse_enrollment(enrollment=enrollment, by=request.user)
            messages.success(
                request,
                _("Inscription de %(name)s refusée ; la personne en est informée.")
                % {"name": enrollment.user},
            )
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("cotraining:approvals")
