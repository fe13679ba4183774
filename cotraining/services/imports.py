"""Imports of the co-training layer: establishments from the annuaire de l'éducation.

Every import reads its file with cotraining.csvio (`CsvRows`), validates every line before
writing anything, writes in one transaction, and keeps an `ImportReport` (line-numbered errors,
counts) in a `DataImport` row with an audit entry.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..constants import AuditAction, Degree, EstablishmentType, SectorKind
from ..csvio import CsvRows, ImportReport
from ..exceptions import ServiceError
from ..folding import fold
from ..models import DataImport, Departement, Establishment, Sector
from ..validators import normalize_uai, validate_uai

# Corsica's départements appear as 2A/2B, 02A/02B or, in UAIs, 620/720.
_DEPARTEMENT_ALIASES = {"620": "02A", "720": "02B", "20A": "02A", "20B": "02B"}


def normalize_departement_code(value: str) -> str:
    code = (value or "").strip().upper()
    if not code:
        return ""
    code = code.zfill(3)
    return _DEPARTEMENT_ALIASES.get(code, code)


def normalize_academie_code(value: str) -> str:
    code = (value or "").strip()
    return code.zfill(2) if code.isdigit() else code


_TYPE_BY_LABEL = {
    "ecole": EstablishmentType.ECOLE,
    "college": EstablishmentType.COLLEGE,
    "lycee": EstablishmentType.LYCEE,
    "erea": EstablishmentType.EREA,
    "service administratif": EstablishmentType.SERVICE,
}
_DEGREE_BY_TYPE = {
    EstablishmentType.ECOLE: Degree.FIRST,
    EstablishmentType.COLLEGE: Degree.SECOND,
    EstablishmentType.LYCEE: Degree.SECOND,
    EstablishmentType.EREA: Degree.SECOND,
}

# Columns read from the annuaire de l'éducation export (semicolon-separated, UTF-8).
ESTABLISHMENT_COLUMNS = {
    "uai": "Identifiant_de_l_etablissement",
    "name": "Nom_etablissement",
    "type": "Type_etablissement",
    "commune": "Nom_commune",
    "departement": "Code_departement",
    "academie": "Code_academie",
}
ESTABLISHMENT_OPTIONAL_COLUMNS = {
    "circonscription_code": "code_circonscription",
    "circonscription_name": "nom_circonscription",
    "bassin_code": "code_bassin_formation",
    "bassin_name": "libelle_bassin_formation",
}
BATCH_SIZE = 1000


def _parse_establishment_row(values, departements):
    """Return (fields, sector key or None) for one row, or raise ValueError(message)."""
    col = {key: values.get(name.lower(), "") for key, name in ESTABLISHMENT_COLUMNS.items()}
    opt = {
        key: values.get(name.lower(), "") for key, name in ESTABLISHMENT_OPTIONAL_COLUMNS.items()
    }
    uai = normalize_uai(col["uai"])
    try:
        validate_uai(uai)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc
    if not col["name"]:
        raise ValueError(_("%(column)s : le nom est vide.") % {"column": "Nom_etablissement"})
    departement = departements.get(normalize_departement_code(col["departement"]))
    if departement is None:
        raise ValueError(
            _("%(column)s : département « %(value)s » inconnu.")
            % {"column": "Code_departement", "value": col["departement"]}
        )
    academie_code = normalize_academie_code(col["academie"])
    if academie_code and academie_code != departement.academie.code:
        raise ValueError(
            _(
                "%(column)s : l'académie « %(value)s » ne correspond pas au département "
                "%(departement)s (académie %(expected)s)."
            )
            % {
                "column": "Code_academie",
                "value": col["academie"],
                "departement": departement,
                "expected": departement.academie.code,
            }
        )
    etype = _TYPE_BY_LABEL.get(fold(col["type"]), EstablishmentType.OTHER)
    sector = None
    if opt["circonscription_code"]:
        sector = (
            SectorKind.CIRCONSCRIPTION,
            opt["circonscription_code"],
            opt["circonscription_name"] or opt["circonscription_code"],
        )
    elif opt["bassin_code"]:
        sector = (SectorKind.BASSIN, opt["bassin_code"], opt["bassin_name"] or opt["bassin_code"])
    fields = {
        "uai": uai,
        "name": col["name"][:200],
        "type": etype,
        "degree": _DEGREE_BY_TYPE.get(etype, ""),
        "commune": col["commune"][:150],
        "departement": departement,
    }
    return fields, sector


def import_establishments(*, file, filename="", user=None) -> ImportReport:
    """Upsert establishments (by UAI) from an annuaire de l'éducation CSV export.

    The file is streamed twice: every line is validated first, and nothing is written unless
    the whole file is clean, so a bad line never leaves half an import behind. Re-importing the
    same file is a no-op (every row counted as unchanged).
    """
    filename = filename or Path(getattr(file, "name", "") or "import.csv").name
    report = ImportReport()
    seen = {}  # UAI -> first line: duplicates inside one file are an error
    try:
        rows = CsvRows(
            file,
            required=ESTABLISHMENT_COLUMNS.values(),
            optional=ESTABLISHMENT_OPTIONAL_COLUMNS.values(),
        )
        departements = {d.code: d for d in Departement.objects.select_related("academie")}
        for line, values in rows:
            report.lines += 1
            try:
                fields, _sector = _parse_establishment_row(values, departements)
            except ValueError as exc:
                report.add_error(line, str(exc))
                continue
            if fields["uai"] in seen:
                report.add_error(
                    line,
                    _("UAI %(uai)s en double (déjà ligne %(first)s).")
                    % {"uai": fields["uai"], "first": seen[fields["uai"]]},
                )
                continue
            seen[fields["uai"]] = line
    except ServiceError as exc:
        report.add_error(0, exc.message)
    del seen  # free the UAI index (one entry per line) before the write pass
    if report.lines == 0 and report.ok:
        report.add_error(0, _("Le fichier ne contient aucune ligne de données."))

    if report.ok:
        with transaction.atomic():
            _write_establishments(rows, departements, report)
            report.record = _record_import(report, filename, user)
    else:
        report.record = _record_import(report, filename, user)
    return report


def _record_import(report, filename, user):
    data_import = DataImport.objects.create(
        kind=DataImport.Kind.ESTABLISHMENTS,
        filename=filename[:255],
        status=DataImport.Status.DONE if report.ok else DataImport.Status.REJECTED,
        user=user,
        **report.counts(),
    )
    log(
        data_import,
        AuditAction.IMPORT_ESTABLISHMENTS,
        user=user,
        data={"created": report.created, "updated": report.updated, "errors": report.error_count},
    )
    return data_import


_COMPARED_FIELDS = ("name", "type", "degree", "commune", "departement_id", "sector_id")


def _write_establishments(rows, departements, report):
    sectors = {}
    batch = []

    def sector_for(key, departement):
        if key is None:
            return None
        kind, code, name = key
        cache_key = (departement.pk, kind, code)
        if cache_key not in sectors:
            sectors[cache_key], _created = Sector.objects.update_or_create(
                departement=departement, kind=kind, code=code, defaults={"name": name[:150]}
            )
        return sectors[cache_key]

    def flush():
        existing = Establishment.objects.in_bulk([f["uai"] for f in batch], field_name="uai")
        to_create, to_update = [], []
        for fields in batch:
            current = existing.get(fields["uai"])
            if current is None:
                to_create.append(Establishment(**fields))
                continue
            before = tuple(getattr(current, name) for name in _COMPARED_FIELDS)
            for name, value in fields.items():
                setattr(current, name, value)
            if tuple(getattr(current, name) for name in _COMPARED_FIELDS) == before:
                report.unchanged += 1
            else:
                to_update.append(current)
        Establishment.objects.bulk_create(to_create)
        Establishment.objects.bulk_update(
            to_update, ["name", "type", "degree", "commune", "departement", "sector"]
        )
        report.created += len(to_create)
        report.updated += len(to_update)
        batch.clear()

    for _line, values in rows:
        fields, sector_key = _parse_establishment_row(values, departements)
        fields["sector"] = sector_for(sector_key, fields["departement"])
        batch.append(fields)
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
