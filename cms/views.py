from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from cotraining.exceptions import ServiceError

from . import services
from .forms import ContentReportForm
from .health import run_checks
from .tasks import HEARTBEAT_KEY


@never_cache
@require_GET
def health(request):
    """200 when the database, the broker and a worker answer; 503 with the failing part if not."""
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": checks,
            # When beat last had a worker run its heartbeat (needs a shared cache: REDIS_URL).
            "last_heartbeat": cache.get(HEARTBEAT_KEY),
        },
        status=200 if healthy else 503,
    )


@ratelimit(key="user_or_ip", rate="5/h", method="POST", block=False)
@require_http_methods(["GET", "POST"])
def report_content(request, page_id):
    """Flag a live workshop, resource or RETEX page; anyone may, five times an hour at most."""
    page = get_object_or_404(services.reportable_pages(), pk=page_id).specific
    # A page behind a login or a password is not reported by someone who cannot see it.
    for restriction in page.get_view_restrictions():
        if not restriction.accept_request(request):
            raise Http404
    form = ContentReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if getattr(request, "limited", False):
            form.add_error(
                None,
                _(
                    "Vous avez envoyé beaucoup de signalements en peu de temps. "
                    "Merci de réessayer dans une heure."
                ),
            )
            status = 429
        elif form.is_valid():
            try:
                services.report_content(
                    page=page,
                    reason=form.cleaned_data["reason"],
                    message=form.cleaned_data["message"],
                    reporter=request.user if request.user.is_authenticated else None,
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Merci, votre signalement a été transmis à l'équipe de coordination."),
                )
                return redirect(page.get_url(request) or "/")
    response = render(
        request, "cms/report_form.html", {"form": form, "reported_page": page}, status=status
    )
    if status == 429:
        response["Retry-After"] = "3600"
    return response
