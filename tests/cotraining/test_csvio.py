"""The one CSV reader of every import: encodings, separators, header names, rows, dates; and
the one report every import gives back."""

import io
from dataclasses import dataclass, field
from datetime import date

import pytest

from cotraining.csvio import (
    CsvRows,
    ImportReport,
    normalize_column,
    parse_date,
    sniff_delimiter,
)
from cotraining.exceptions import ServiceError


def rows(text, encoding="utf-8", **kwargs):
    reader = CsvRows(io.BytesIO(text.encode(encoding)), **kwargs)
    return reader, list(reader)


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ('"x;y",b,c', ","), ("email", ";")],
)
def test_the_header_gives_the_separator(header, delimiter):
    assert sniff_delimiter(header) == delimiter


def test_header_names_are_compared_without_case_accents_or_spaces():
    assert normalize_column("\ufeff  Date Certification ") == "date_certification"
    assert normalize_column("Évaluée") == "evaluee"
    reader, read = rows("Adresse Électronique,Nom\nx@y.fr,Léa\n", required=["adresse_electronique"])
    assert reader.delimiter == ","
    assert read == [(2, {"adresse_electronique": "x@y.fr"})]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_and_windows_1252_are_read(encoding):
    _reader, read = rows("nom;commune\nLéa;Orléans\n", encoding, required=["nom", "commune"])
    assert read == [(2, {"nom": "Léa", "commune": "Orléans"})]


def test_nul_bytes_are_refused():
    with pytest.raises(ServiceError) as refused:
        rows("nom\nLéa\n", "utf-16", required=["nom"])
    assert refused.value.code == "csv_encoding"


def test_rows_are_numbered_as_a_spreadsheet_numbers_them():
    _reader, read = rows('nom;note\nA;"deux\nlignes"\n\n;\nB;x\n', required=["nom"])
    assert [number for number, _values in read] == [2, 5]


def test_missing_columns_are_named_with_the_separator_read():
    with pytest.raises(ServiceError) as refused:
        rows("nom,prenom\nA,B\n", required=["email"])
    assert "email" in refused.value.message and "« , »" in refused.value.message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("30/11/2026", date(2026, 11, 30)),
        ("1/2/2026", date(2026, 2, 1)),
        ("2026-11-30", date(2026, 11, 30)),
    ],
)
def test_french_and_iso_dates(typed, expected):
    assert parse_date(typed, "expires") == expected


@pytest.mark.parametrize("typed", ["31/02/2026", "11/30/2026x", "30.11.26", ""])
def test_other_dates_are_refused_with_the_column(typed):
    with pytest.raises(ValueError, match="expires"):
        parse_date(typed, "expires")


def test_a_report_keeps_the_first_errors_and_counts_them_all():
    report = ImportReport()
    assert report.ok
    for line in range(2, ImportReport.max_errors + 12):
        report.add_error(line, f"ligne {line} fausse")

    assert not report.ok
    assert report.error_count == ImportReport.max_errors + 10
    assert len(report.errors) == ImportReport.max_errors and report.unreported_errors == 10
    assert report.errors[0] == (2, "ligne 2 fausse")


def test_a_report_gives_the_fields_an_import_record_keeps():
    report = ImportReport(lines=4, created=1, updated=2, unchanged=1)
    report.add_error(3, "UAI en double")

    assert report.counts() == {
        "lines": 4,
        "created": 1,
        "updated": 2,
        "unchanged": 1,
        "error_count": 1,
        "errors": [[3, "UAI en double"]],
    }


def test_an_import_with_more_to_say_extends_the_report():
    @dataclass
    class LongReport(ImportReport):
        max_errors = 2
        verified_ids: list = field(default_factory=list)

    report = LongReport()
    for line in (2, 3, 4):
        report.add_error(line, "faux")
    report.verified_ids.append(7)

    assert report.errors == [(2, "faux"), (3, "faux")] and report.error_count == 3
    assert ImportReport.max_errors == 500  # the base class keeps its own limit
    assert "verified_ids" not in report.counts()
