"""The indicator dashboard at /indicateurs/ and its exports.

Anyone not signed in is sent to the login page; a signed-in person without a reader's role
(indicator reader, school head, platform admin) gets 403. The figures are computed in a constant
number of queries whatever the data size (tests pin it).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import exports
from .filters import IndicatorFilterSet
from .models import IndicatorSnapshot
from .report import LEGEND, report_from_data
from .scope import reader_scope
from .snapshots import (
    FILTER_NAMES,
    read_figures,
    refresh_snapshot,
    snapshot_key,
    snapshot_request,
)

# A reader may ask for fresh figures once a minute per dashboard, not more.
REFRESH_INTERVAL = timedelta(minutes=1)


def _filters(request):
    scope = reader_scope(request.user)
    if not scope.readable:
        raise PermissionDenied
    return IndicatorFilterSet(request.GET or None, scope=scope)


def _report(filterset):
    figures = read_figures(filterset)
    return report_from_data(
        figures.data, figures.period, generated_at=figures.computed_at, stale=figures.stale
    )


def _filename(report, suffix):
    return f"indicateurs-{report.period.start:%Y%m%d}-{report.period.last_day:%Y%m%d}{suffix}"


def _page(request, filterset, report, *, status=200):
    query = request.GET.urlencode()
    return render(
        request,
        "indicators/dashboard.html",
        {
            "filterset": filterset,
            "form": filterset.form,
            "report": report,
            "legend": LEGEND,
            "query": query,
            "invalid": filterset.is_bound and not filterset.is_valid(),
            "filter_items": [
                (name, value) for name, value in request.GET.items() if name in FILTER_NAMES
            ],
        },
        status=status,
    )


@login_required
def dashboard(request):
    """The figures, or (statistical secrecy) why they are not served, with the filters."""
    filterset = _filters(request)
    return _page(request, filterset, _report(filterset))


def _withheld(request, filterset, report):
    """An export of figures that may not be served: the page that says why, as a refusal."""
    return _page(request, filterset, report, status=403)


def _refused(request, filterset, report):
    """Why an export gives no file: figures withheld (403) or filters not valid (400, the page
    with each filter's message — never a file of zeros)."""
    if report.withheld:
        return _withheld(request, filterset, report)
    if filterset.is_bound and not filterset.is_valid():
        return _page(request, filterset, report, status=400)
    return None


@login_required
def export_csv(request, slug):
    filterset = _filters(request)
    report = _report(filterset)
    if refused := _refused(request, filterset, report):
        return refused
    table = report.table(slug)
    if table is None:
        raise Http404
    response = HttpResponse(
        exports.table_csv(report, table, filterset.describe()),
        content_type=exports.CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "-" + slug)}.csv"'
    return response


@login_required
def export_xlsx(request):
    filterset = _filters(request)
    report = _report(filterset)
    if refused := _refused(request, filterset, report):
        return refused
    response = HttpResponse(
        exports.workbook(report, filterset.describe()), content_type=exports.XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "")}.xlsx"'
    return response


@login_required
@require_POST
def refresh(request):
    """Fresh figures now (on demand), for the dashboard the posted filters describe."""
    scope = _filters(request).scope
    data = {name: value for name, value in request.POST.items() if name in FILTER_NAMES and value}
    filterset = IndicatorFilterSet(data or None, scope=scope)
    described = snapshot_request(filterset)
    if described is not None:
        key = snapshot_key(described)
        snapshot = IndicatorSnapshot.objects.filter(key=key).only("computed_at").first()
        if snapshot and timezone.now() - snapshot.computed_at > REFRESH_INTERVAL:
            refresh_snapshot(key=key, force=True)
    url = reverse("indicators:dashboard")
    return redirect(f"{url}?{urlencode(data)}" if data else url)
