"""The indicator dashboard at /indicateurs/ and its exports.

Anyone not signed in is sent to the login page; a signed-in person without a reader's role
(indicator reader, school head, platform admin) gets 403. The figures are computed in a constant
number of queries whatever the data size (tests pin it).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import exports
from .filters import IndicatorFilterSet
from .report import build_report, group_of_table
from .scope import reader_scope


def _filters(request):
    scope = reader_scope(request.user)
    if not scope.readable:
        raise PermissionDenied
    return IndicatorFilterSet(request.GET or None, scope=scope)


def _filename(report, suffix):
    return f"indicateurs-{report.period.start:%Y%m%d}-{report.period.last_day:%Y%m%d}{suffix}"


@login_required
def dashboard(request):
    filterset = _filters(request)
    criteria = filterset.criteria()
    report = build_report(criteria)
    query = request.GET.urlencode()
    return render(
        request,
        "badges/indicators/dashboard.html",
        {
            "filterset": filterset,
            "form": filterset.form,
            "report": report,
            "query": query,
            "invalid": filterset.is_bound and not filterset.is_valid(),
            "now": timezone.now(),
        },
    )


@login_required
def export_csv(request, slug):
    group = group_of_table(slug)
    if group is None:
        raise Http404
    report = build_report(_filters(request).criteria(), groups=[group])
    table = report.table(slug)
    if table is None:
        raise Http404
    response = HttpResponse(exports.table_csv(report, table), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "-" + slug)}.csv"'
    return response


@login_required
def export_xlsx(request):
    report = build_report(_filters(request).criteria())
    response = HttpResponse(exports.workbook(report), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "")}.xlsx"'
    return response
