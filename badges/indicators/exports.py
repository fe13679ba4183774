"""CSV and XLSX files of the indicator tables, with the filters applied and the "< 5" rule kept
(the cells are the report's, already masked). Cells go through cotraining.spreadsheets: a badge
class or school name is never a live formula in the coordinator's spreadsheet."""

import io

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cotraining.spreadsheets import append_row, csv_writer

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period_line(report):
    return _("Période du %(start)s au %(end)s ; chiffres au %(at)s") % {
        "start": date_format(report.period.start, "j F Y"),
        "end": date_format(report.period.last_day, "j F Y"),
        "at": date_format(report.generated_at, "j F Y H:i"),
    }


def table_csv(report, table):
    """One table, semicolon-separated with a BOM: what a French spreadsheet opens as is."""
    output = io.StringIO()
    output.write("\ufeff")
    writer = csv_writer(output)
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


def workbook(report):
    """Every table of the report on its own sheet, after a sheet of key figures."""
    book = Workbook(write_only=False)
    summary = book.active
    summary.title = _("Chiffres clés")[:31]
    append_row(summary, [period_line(report)])
    append_row(summary, [])
    append_row(summary, [_("Indicateur"), _("Période"), _("Un an plus tôt"), _("Évolution")])
    for cell in summary[3]:
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
        append_row(sheet, [str(column) for column in table.columns])
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            append_row(sheet, [cell.export for cell in row])
        sheet.column_dimensions["A"].width = 45
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
