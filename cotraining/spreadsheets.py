"""Writing CSV and XLSX exports that a spreadsheet opens as data, never as formulas.

A name, a title or an error message is typed by someone; exported as is, `=HYPERLINK(...)` or
`@SUM(...)` runs as a formula in the coordinator's spreadsheet (CSV or formula injection). Every
export writes its cells through this module (OWASP's advice):
- CSV: a text starting with `=`, `+`, `-`, `@`, a tab or a carriage return (after any leading
  spaces) gets a leading `'`, which spreadsheets read as "this is text";
- XLSX: every text is a string cell (openpyxl would otherwise store `=...` as a formula), with
  Excel's quote prefix on those same risky texts so that editing the cell keeps it text.
Numbers stay numbers: `-3` or "-1,5" is a value, not a formula.
"""

import csv
import re

from django.utils.functional import Promise
from openpyxl.cell import WriteOnlyCell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain number written as text ("-1,5", "-12.50"): nothing a spreadsheet could run.
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*")


def is_formula_like(text):
    """Whether a spreadsheet could read this text as a formula (or a command, for DDE)."""
    if not text:
        return False
    if _NUMBER.fullmatch(text):
        return False
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS)


def csv_cell(value):
    """A value ready for a CSV cell: risky text prefixed with `'`, numbers and the rest as is."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose rows go through `csv_cell`: the only way exports write CSV."""

    def __init__(self, file, **kwargs):
        self._writer = csv.writer(file, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(file, *, delimiter=";", **kwargs):
    """The writer for every CSV export (';' by default: what a French spreadsheet opens as is)."""
    return SafeCsvWriter(file, delimiter=delimiter, **kwargs)


def xlsx_cell(sheet, value):
    """An openpyxl cell for `sheet`: text always stored as text, numbers and dates as themselves."""
    if isinstance(value, Promise):
        value = str(value)
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        # openpyxl turns a text starting with "=" into a formula and "#N/A" into an error.
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def append_row(sheet, values):
    """Append one row of values to an openpyxl sheet through `xlsx_cell`; return its cells."""
    cells = [xlsx_cell(sheet, value) for value in values]
    sheet.append(cells)
    return cells
