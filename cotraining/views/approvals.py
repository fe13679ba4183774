"""Line-manager approval: the school head (or the académie's coordination) agrees or refuses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
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
