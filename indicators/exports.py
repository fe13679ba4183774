"""CSV and XLSX files of the indicator tables, with the filters applied and the "< 5" rule kept
(the cells are the report's, already masked). Cells go through cotraining.spreadsheets: a badge
class or school name is never a live formula in the coordinator's spreadsheet.

Each file starts with what a reader needs to read it alone: the period, when the figures were
computed (Europe/Paris, as on the page), the filters in words and the legend of the secrecy
symbols."""

import io

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cotraining.spreadsheets import append_row, csv_writer

from .report import legend_lines

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def local(moment):
    """A moment as the page shows it: Europe/Paris (TIME_ZONE), never UTC."""
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def period_line(report):
    return _("Période du %(start)s au %(end)s ; chiffres au %(day)s à %(time)s") % {
        "start": date_format(report.period.start, "DATE_FORMAT"),
        "end": date_format(report.period.last_day, "DATE_FORMAT"),
        "day": date_format(local(report.generated_at), "DATE_FORMAT"),
        "time": date_format(local(report.generated_at), "TIME_FORMAT"),
    }


def filters_line(filters):
    """The filters in words on one line: "Filtres : Académie : Poitiers ; Degré : 2nd degré"."""
    return _("Filtres : %(filters)s") % {
        "filters": " ; ".join(f"{label} : {value}" for label, value in filters)
    }


def header_lines(report, filters):
    """What heads every file: the period and time of the figures, the filters, the legend."""
    return [period_line(report), filters_line(filters), _("Légende : %(legend)s") % {
        "legend": " ; ".join(legend_lines())
    }]  # fmt: skip


def table_csv(report, table, filters=()):
    """One table, semicolon-separated with a BOM: what a French spreadsheet opens as is. The
    header lines (title, period, filters, legend) come first, then an empty line, then the
    columns."""
    output = io.StringIO()
    output.write("\ufeff")
    writer = csv_writer(output)
    writer.writerow([str(table.title)])
    for line in header_lines(report, filters):
        writer.writerow([line])
    writer.writerow([])
    writer.writerow([str(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([cell.text if cell.masked else _csv_value(cell) for cell in row])
    return output.getvalue().encode("utf-8")


def _csv_value(cell):
    value = cell.export
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return value


def workbook(report, filters=()):
    """Every table of the report on its own sheet, after a sheet of key figures headed by the
    period, the filters (one per line) and the legend."""
    book = Workbook(write_only=False)
    summary = book.active
    summary.title = _("Chiffres clés")[:31]
    append_row(summary, [period_line(report)])
    append_row(summary, [_("Filtres")])
    summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    for label, value in filters:
        append_row(summary, [label, value])
    append_row(summary, [_("Légende")])
    summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    for line in legend_lines():
        append_row(summary, [line])
    append_row(summary, [])
    append_row(summary, [_("Indicateur"), _("Période"), _("Un an plus tôt"), _("Évolution")])
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)
    for group in report.groups:
        append_row(summary, [str(group.title)])
        summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
        for figure in group.figures:
            append_row(
                summary,
                [str(figure.label), figure.current.export, figure.previous.export, figure.change],
            )
    summary.column_dimensions["A"].width = 55
    for table in report.tables:
        sheet = book.create_sheet(title=table.slug[:31])
        append_row(sheet, [str(table.title)])
        sheet.cell(row=1, column=1).font = Font(bold=True)
        append_row(sheet, [period_line(report)])
        append_row(sheet, [filters_line(filters)])
        append_row(sheet, [str(column) for column in table.columns])
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for row in table.rows:
            append_row(sheet, [cell.export for cell in row])
        sheet.column_dimensions["A"].width = 45
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
