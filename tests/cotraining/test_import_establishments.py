import io

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import ModelLogEntry

from cotraining.constants import AuditAction, Degree, EstablishmentType, SectorKind
from cotraining.models import DataImport, Establishment
from cotraining.services import import_establishments
from cotraining.validators import uai_check_letter

HEADER = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Nom_commune;"
    "Code_departement;Code_academie"
)


def csv_file(*lines, header=HEADER, encoding="utf-8"):
    return io.BytesIO("\n".join([header, *lines]).encode(encoding))


@pytest.mark.django_db
def test_sample_file_imports_then_reimport_changes_nothing(sample_csv_path):
    with open(sample_csv_path, "rb") as handle:
        report = import_establishments(file=handle)
    assert report.ok, report.errors
    assert (report.lines, report.created, report.updated) == (6, 6, 0)
    henri4 = Establishment.objects.get(uai="0750654D")
    assert henri4.departement.code == "075"
    assert henri4.type == EstablishmentType.LYCEE and henri4.degree == Degree.SECOND
    ecole = Establishment.objects.get(uai="0860991K")
    assert ecole.degree == Degree.FIRST
    assert ecole.sector.kind == SectorKind.CIRCONSCRIPTION
    assert ecole.sector.name == "Poitiers Centre"

    with open(sample_csv_path, "rb") as handle:
        again = import_establishments(file=handle)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert Establishment.objects.count() == 6


@pytest.mark.django_db
def test_upsert_updates_changed_rows_and_records_the_import(user):
    import_establishments(file=csv_file("0750654D;Lycée Henri IV;Lycée;Paris;075;01"))
    report = import_establishments(
        file=csv_file("0750654D;Lycée Henri-IV;LYCEE;Paris;75;1"), user=user
    )
    assert (report.created, report.updated) == (0, 1)
    assert Establishment.objects.get(uai="0750654D").name == "Lycée Henri-IV"
    record = report.record
    assert record.status == DataImport.Status.DONE and record.user == user
    entry = ModelLogEntry.objects.get(action=AuditAction.IMPORT_ESTABLISHMENTS, user=user)
    assert entry.object_id == str(record.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0750654E;Lycée;Lycée;Paris;075;01", "lettre de contrôle devrait être D"),
        ("075065;Lycée;Lycée;Paris;075;01", "7 chiffres suivis d'une lettre"),
        ("0750654D;Lycée;Lycée;Paris;099;01", "Code_departement : département « 099 » inconnu"),
        ("0750654D;Lycée;Lycée;Paris;075;13", "Code_academie : l'académie « 13 »"),
        ("0750654D;;Lycée;Paris;075;01", "Nom_etablissement : le nom est vide"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_written(line, expected):
    good = "0752524L;Lycée Charlemagne;Lycée;Paris;075;01"
    report = import_establishments(file=csv_file(good, line))
    assert not report.ok
    assert report.errors[0][0] == 3  # the header is line 1
    assert expected in report.errors[0][1]
    assert not Establishment.objects.exists()
    assert report.record.status == DataImport.Status.REJECTED


@pytest.mark.django_db
def test_duplicate_uai_in_one_file_is_an_error():
    report = import_establishments(
        file=csv_file("0750654D;A;Lycée;Paris;075;01", "0750654D;B;Lycée;Paris;075;01")
    )
    assert report.errors == [(3, "UAI 0750654D en double (déjà ligne 2).")]
    assert not Establishment.objects.exists()


@pytest.mark.django_db
def test_wrong_header_is_refused():
    report = import_establishments(
        file=csv_file("0750654D,Lycée", header="uai,nom,type,commune,departement,academie")
    )
    assert not report.ok
    assert "En-tête incorrect" in report.errors[0][1]
    assert "identifiant_de_l_etablissement" in report.errors[0][1]


@pytest.mark.django_db
def test_windows_1252_is_read():
    """The same reader as every import: a file saved by a French spreadsheet is accepted."""
    report = import_establishments(
        file=csv_file("0750654D;Lycée Élisée;Lycée;Paris;075;01", encoding="cp1252")
    )
    assert report.ok, report.errors
    assert Establishment.objects.get(uai="0750654D").name == "Lycée Élisée"


@pytest.mark.django_db
def test_wrong_encoding_is_refused():
    report = import_establishments(
        file=csv_file("0750654D;Lycée Élisée;Lycée;Paris;075;01", encoding="utf-16")
    )
    assert not report.ok
    assert "Encodage du fichier non reconnu" in report.errors[0][1]
    assert not Establishment.objects.exists()


@pytest.mark.django_db
def test_bom_and_corsican_codes_are_accepted():
    bom = "\ufeff" + HEADER
    report = import_establishments(
        file=csv_file("6200002H;Lycée Fesch;Lycée;Ajaccio;620;27", header=bom)
    )
    assert report.ok, report.errors
    assert Establishment.objects.get(uai="6200002H").departement.code == "02A"


@pytest.mark.django_db
def test_empty_file_is_refused():
    report = import_establishments(file=csv_file())
    assert not report.ok


@pytest.mark.django_db
def test_command_reports_lines_and_fails(tmp_path, sample_csv_path):
    out = io.StringIO()
    call_command("import_establishments", str(sample_csv_path), stdout=out)
    assert "6 créés" in out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n0750654E;X;Lycée;Paris;075;01\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("import_establishments", str(bad), stderr=err)
    assert "Ligne 2 :" in err.getvalue()


@pytest.mark.django_db
def test_streams_many_lines_in_batches(django_assert_max_num_queries):
    lines = []
    for n in range(2500):
        first7 = f"086{n:04d}"
        lines.append(f"{first7}{uai_check_letter(first7)};École {n};Ecole;Poitiers;086;13")
    # Reads are batched: the query count does not grow with the number of lines.
    with django_assert_max_num_queries(40):
        report = import_establishments(file=csv_file(*lines))
    assert report.created == 2500
