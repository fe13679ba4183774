"""Use cases of the co-training layer. Views, commands, tasks and the admin call these."""

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..constants import AuditAction, Degree, EstablishmentType, Role, SectorKind
from ..csvio import CsvRows
from ..exceptions import ServiceError
from ..models import AcademieGroup, DataImport, Departement, Establishment, RoleAssignment, Sector
from ..roles import group_for_role
from ..validators import normalize_uai, validate_uai

# --- Territory -------------------------------------------------------------------------------

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


def _fold(text):
    """Lower-case and strip accents: "Collège" and "COLLEGE" both give "college"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


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
MAX_REPORTED_ERRORS = 500
BATCH_SIZE = 1000


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)  # [(line, message)], the first ones
    data_import: DataImport | None = None

    @property
    def ok(self):
        return self.error_count == 0

    def add_error(self, line, message):
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line, message))


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
    etype = _TYPE_BY_LABEL.get(_fold(col["type"]), EstablishmentType.OTHER)
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
            report.data_import = _record_import(report, filename, user)
    else:
        report.data_import = _record_import(report, filename, user)
    return report


def _record_import(report, filename, user):
    data_import = DataImport.objects.create(
        kind=DataImport.Kind.ESTABLISHMENTS,
        filename=filename[:255],
        status=DataImport.Status.DONE if report.ok else DataImport.Status.REJECTED,
        lines=report.lines,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        error_count=report.error_count,
        errors=[[line, message] for line, message in report.errors],
        user=user,
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


# --- Roles -----------------------------------------------------------------------------------

_SCOPE_RULES = {
    Role.TEACHER: set(),
    Role.PLATFORM_ADMIN: set(),
    Role.TRAINER: {"academie"},
    Role.COORDINATOR: {"academie"},
    Role.INDICATOR_READER: {"academie", "departement"},
    Role.SCHOOL_HEAD: {"establishment"},
}


def grant_role(*, user, role, academie=None, departement=None, establishment=None, by=None):
    """Give `user` a role over a territory and the permissions of its group. Idempotent."""
    role = Role(role)
    scope = {"academie": academie, "departement": departement, "establishment": establishment}
    given = {name for name, value in scope.items() if value is not None}
    allowed = _SCOPE_RULES[role]
    if (allowed and len(given) != 1) or not given <= allowed:
        raise ServiceError(
            "role_scope",
            _("Le rôle %(role)s s'attribue avec un périmètre : %(scope)s.")
            % {
                "role": role.label,
                "scope": ", ".join(sorted(str(_scope_label(s)) for s in allowed)) or _("aucun"),
            },
        )
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
        user.groups.add(group_for_role(role))
        if academie is not None:
            # The académie's own group carries its page permissions (see provision_academie).
            for team in AcademieGroup.objects.filter(academie=academie, role=role):
                user.groups.add(team.group_id)
        if role == Role.PLATFORM_ADMIN and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        if created:
            log(assignment, AuditAction.GRANT_ROLE, user=by, data={"role": role.value})
    return assignment


def _scope_label(name):
    return {
        "academie": _("académie"),
        "departement": _("département"),
        "establishment": _("établissement"),
    }[name]


def revoke_role(*, assignment, by=None):
    """Remove one role assignment; the group goes only with the user's last one of that role."""
    with transaction.atomic():
        user, role = assignment.user, Role(assignment.role)
        log(assignment, AuditAction.REVOKE_ROLE, user=by, data={"role": role.value})
        academie_id = assignment.academie_id
        assignment.delete()
        if academie_id is not None:
            for team in AcademieGroup.objects.filter(academie_id=academie_id, role=role):
                user.groups.remove(team.group_id)
        if not RoleAssignment.objects.filter(user=user, role=role).exists():
            user.groups.remove(group_for_role(role))
            if role == Role.PLATFORM_ADMIN:
                user.is_superuser = False
                user.save(update_fields=["is_superuser"])


# --- Profile ---------------------------------------------------------------------------------


def update_profile(*, user, first_name, last_name, degree, disciplines, establishment):
    """Save what a teacher says of themselves; roles are never changed here."""
    with transaction.atomic():
        user.first_name = first_name
        user.last_name = last_name
        user.degree = degree
        user.establishment = establishment
        user.save(update_fields=["first_name", "last_name", "degree", "establishment"])
        user.disciplines.set(disciplines)
        log(user, AuditAction.UPDATE_PROFILE, user=user)
    return user


# Accounts whose address only a platform administrator may change: taking over one of these by
# pointing its address elsewhere (and resetting the password) would give more than a teacher's.
_PRIVILEGED_ROLES = (Role.COORDINATOR, Role.PLATFORM_ADMIN, Role.INDICATOR_READER)


def change_email(*, user, email, by, request=None):
    """Correct a person's address (a coordinator fixing a typo an email bounced from).

    The address is the login: it must be valid and belong to no other account. allauth's
    addresses follow: the new one becomes the primary, unverified, and a verification email is
    sent to it once the transaction commits; the wrong one is dropped. A coordinator cannot
    change the address of an administrator's or another coordinator's account. Audited with
    both addresses. Idempotent: the same address again changes nothing.
    """
    from allauth.account.models import EmailAddress
    from django.core.validators import validate_email

    from ..models import User

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(
            "invalid_email", _("Saisissez une adresse électronique valide.")
        ) from None
    if email == user.email.lower():
        return user
    if not by.is_superuser and user.pk != by.pk:
        if (
            user.is_superuser
            or user.is_staff
            or user.role_assignments.filter(role__in=_PRIVILEGED_ROLES).exists()
        ):
            raise ServiceError(
                "privileged_account",
                _(
                    "L'adresse d'un compte de coordination ou d'administration ne peut être "
                    "corrigée que par l'administration de la plateforme."
                ),
            )
    taken = User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
    taken = taken or EmailAddress.objects.filter(email__iexact=email).exclude(user=user).exists()
    if taken:
        raise ServiceError(
            "email_taken",
            _("Cette adresse est déjà celle d'un autre compte : choisissez-en une autre."),
        )
    with transaction.atomic():
        previous = user.email
        user.email = email
        user.save(update_fields=["email"])
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
        address, _created = EmailAddress.objects.update_or_create(
            user=user,
            email=email,
            defaults={"primary": True, "verified": False},
        )
        log(
            user,
            AuditAction.CHANGE_EMAIL,
            user=by,
            data={"previous": previous, "email": email},
        )
        transaction.on_commit(lambda: _send_verification(address, request), robust=True)
    return user


def _send_verification(address, request=None):
    """allauth's verification email for `address`; outside a request (a shell, a task) one
    standing for the public origin gives allauth the site it names in the email."""
    from allauth.core import context
    from django.http import HttpRequest

    from ..origin import public_host_and_port

    if request is None:
        request = HttpRequest()
        host, port = public_host_and_port()
        request.META.update({"SERVER_NAME": host, "SERVER_PORT": str(port)})
    with context.request_context(request):
        address.send_confirmation(request=request, signup=False)
