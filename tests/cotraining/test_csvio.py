"""The one CSV reader of every import: encodings, separators, header names, rows, dates."""

import io
from datetime import date

import pytest

from cotraining.csvio import CsvRows, normalize_column, parse_date, sniff_delimiter
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
