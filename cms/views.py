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
from .health import (
    HEARTBEAT_KEY,
    check_backlog,
    may_see_details,
    presents_bearer_token,
    public_status,
    run_checks,
)


@never_cache
@require_GET
def health(request):
    """Liveness for anyone: {"status": "ok"} (200) or {"status": "error"} (503), one `SELECT 1`.

    `?details=1` adds the database, the broker, the workers and the last heartbeat, for staff or
    a monitor bearing HEALTH_TOKEN; anyone else (a wrong token included) gets a 403. Pinging the
    workers takes up to two seconds and names the machines: never on the anonymous path.
    """
    wants_details = request.GET.get("details", "") not in ("", "0")
    if (wants_details or presents_bearer_token(request)) and not may_see_details(request):
        return JsonResponse({"status": "forbidden"}, status=403)
    if not wants_details:
        status = public_status()
        return JsonResponse({"status": status}, status=503 if status == "error" else 200)
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    # Late work makes it "degraded", still 200: the site answers (OPERATIONS.md says what to do).
    checks["backlog"] = check_backlog()
    status = ("ok" if checks["backlog"]["ok"] else "degraded") if healthy else "error"
    return JsonResponse(
        {
            "status": status,
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
