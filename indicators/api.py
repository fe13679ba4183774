"""The read-only JSON API of the indicators, for BI tools (django-ninja, OpenAPI schema at
/api/indicateurs/openapi.json).

`Authorization: Bearer <token>` (tokens: `manage.py indicator_api_token`). The token acts for a
reader: the figures are the ones their dashboard shows, same scope, same filters, same
snapshots, and the same statistical secrecy ("< 5" instead of any count of 1 to 4 people, "n. d."
instead of a mean or rate over them; `legend` says what each symbol means). Invalid filters (a UAI
with a wrong check letter…) answer 422 with the same message as the page, never zeros.
"""

from datetime import date, datetime

from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from .filters import IndicatorFilterSet
from .report import (
    LEGEND,
    MASK,
    QUANTITY_MASK,
    SECONDARY_MASK,
    SECRECY_THRESHOLD,
    report_from_data,
)
from .scope import reader_scope
from .snapshots import read_figures
from .tokens import authenticate_api_token

Value = int | float | str | None


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = authenticate_api_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Entrepairs — indicateurs",
    version="1",
    description=(
        "Indicators of digital-skills training (issue 7), read-only. Counts of 1 to 4 people "
        f'read "{MASK}" (statistical secrecy); in a column with a single such cell, the smallest '
        f'other count reads "{SECONDARY_MASK}", so that none is recovered by subtraction; a mean, '
        f'median, total or rate over fewer than 5 people reads "{QUANTITY_MASK}" (not '
        'published); "legend" lists each symbol with its meaning; times are Europe/Paris. '
        "Invalid filters (such as a UAI whose check letter is wrong) answer 422 with the reason. "
        "Filters whose population (the staff of the territory, degree and discipline chosen) "
        "counts fewer than 5 people, or that would give such a population away by subtraction "
        "from their parent territory, answer 403 with the reason: no figures. "
        "Filters are those of /indicateurs/."
    ),
    urls_namespace="indicators_api",
    auth=TokenAuth(),
    docs_url=None,
)


class Filters(Schema):
    school_year: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    academie: str | None = None
    departement: str | None = None
    sector: str | None = None
    establishment: str | None = None
    degree: str | None = None
    discipline: str | None = None
    theme: str | None = None
    modality: str | None = None
    plan: str | None = None


class FigureOut(Schema):
    label: str
    value: Value
    previous: Value
    change: str


class TableOut(Schema):
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Value]]


class GroupOut(Schema):
    slug: str
    title: str
    figures: list[FigureOut]
    tables: list[TableOut]


class LegendOut(Schema):
    symbol: str
    meaning: str


class ReportOut(Schema):
    period_start: date
    period_end: date
    previous_start: date
    previous_end: date
    computed_at: datetime
    secrecy_threshold: int
    legend: list[LegendOut]
    groups: list[GroupOut]


def _report(request, filters):
    data = {key: value for key, value in filters.dict().items() if value not in (None, "")}
    filterset = IndicatorFilterSet(data or None, scope=reader_scope(request.user))
    if filterset.is_bound and not filterset.is_valid():  # the page's message, never zeros
        raise HttpError(422, filterset.error_text())
    figures = read_figures(filterset)
    report = report_from_data(figures.data, figures.period, generated_at=figures.computed_at)
    if report.withheld:  # statistical secrecy: no figures, the reason instead
        raise HttpError(403, report.withheld)
    return report


def _table(table):
    return {
        "slug": table.slug,
        "title": str(table.title),
        "columns": [str(column) for column in table.columns],
        "rows": [[cell.export for cell in row] for row in table.rows],
    }


@api.get("/", response=ReportOut, summary="Every indicator group, with the filters applied")
def indicators(request, filters: Query[Filters]):
    report = _report(request, filters)
    return {
        "period_start": report.period.start,
        "period_end": report.period.last_day,
        "previous_start": report.previous.start,
        "previous_end": report.previous.last_day,
        "computed_at": timezone.localtime(report.generated_at),
        "secrecy_threshold": SECRECY_THRESHOLD,
        "legend": [{"symbol": symbol, "meaning": str(meaning)} for symbol, meaning in LEGEND],
        "groups": [
            {
                "slug": group.slug,
                "title": str(group.title),
                "figures": [
                    {
                        "label": str(figure.label),
                        "value": figure.current.export,
                        "previous": figure.previous.export,
                        "change": figure.change,
                    }
                    for figure in group.figures
                ],
                "tables": [_table(table) for table in group.tables],
            }
            for group in report.groups
        ],
    }


@api.get("/tables/{slug}", response=TableOut, summary="One table, with the filters applied")
def table(request, slug: str, filters: Query[Filters]):
    found = _report(request, filters).table(slug)
    if found is None:
        raise Http404
    return _table(found)
