"""Import of a school's Pix Orga export: every line validated before anything is written.

The file is streamed twice (validate, then write in one transaction), in batches, so memory stays
bounded whatever its length; a file with errors writes nothing and keeps a report with the line
numbers; a clean file imported again changes nothing (upsert by verification code).
"""

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.csvio import CsvRows, ImportReport, parse_date
from cotraining.exceptions import ServiceError
from cotraining.models import User

from ..constants import (
    CRCN_CODES,
    AuditAction,
    PixPlusEduLevel,
    PixPlusEduScope,
    PixSource,
    PixStatus,
    level_field,
)
from ..models import BadgeClass, PixCertification, PixImport, PixPlusEduResult
from ..permissions import pix_people
from .pix import (
    CertificationData,
    PixPlusEdu,
    check_certification,
    max_level_on,
    normalize_code,
    queue_pix_plus_edu_badges,
    report_code_conflict,
    save_pix_plus_edu,
)

IMPORT_IDENTITY_COLUMNS = ("email", "identifiant_externe")
IMPORT_REQUIRED_COLUMNS = ("date_certification", "score", "code_verification", *CRCN_CODES)
IMPORT_OPTIONAL_COLUMNS = (
    *IMPORT_IDENTITY_COLUMNS,
    "niveau_max",
    "pixedu_volet",
    "pixedu_niveau_auto",
    "pixedu_niveau_jury",
    "pixedu_date_jury",
)
IMPORT_MAX_LINES = 500_000
IMPORT_BATCH = 1000
IMPORT_PROGRESS_EVERY = 5000
MAX_REPORTED_ERRORS = 1000
SAMPLE_FILE = Path(__file__).resolve().parent.parent / "data" / "pix_import_exemple.csv"

logger = logging.getLogger(__name__)


def _fold(text):
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


_EDU_SCOPES = {
    **{_fold(v): v for v in PixPlusEduScope.values},
    "1erdegre": "1d",
    "premierdegre": "1d",
    "1": "1d",
    "2nddegre": "2d",
    "seconddegre": "2d",
    "2nd": "2d",
    "2": "2d",
}
_EDU_LEVELS = {
    "initie": 1,
    "initieentreedanslemetier": 1,
    "confirme": 2,
    "avance": 3,
    "expert": 4,
    **{str(level): level for level in PixPlusEduLevel.values},
}


def _parse_int(value, column, *, empty=None):
    value = (value or "").strip()
    if value in ("", "-") and empty is not None:
        return empty
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            _("%(column)s : « %(value)s » n'est pas un nombre entier.")
            % {"column": column, "value": value}
        ) from None


def _parse_import_row(values):
    """(identity, CertificationData) for one line, or ValueError with every problem found."""
    problems = []
    identity = (values.get("email") or values.get("identifiant_externe") or "").strip().lower()
    if not identity:
        problems.append(_("email : vide (ou identifiant_externe)."))

    def attempt(parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except ValueError as exc:
            problems.append(str(exc))
            return None

    taken_on = attempt(parse_date, values.get("date_certification"), "date_certification")
    score = attempt(_parse_int, values.get("score"), "score")
    levels = {code: attempt(_parse_int, values.get(code), code, empty=0) for code in CRCN_CODES}
    max_level = attempt(_parse_int, values.get("niveau_max"), "niveau_max", empty=0)
    edu = None
    if any(values.get(c) for c in ("pixedu_volet", "pixedu_niveau_auto", "pixedu_niveau_jury")):
        scope = _EDU_SCOPES.get(_fold(values.get("pixedu_volet")))
        automated = _EDU_LEVELS.get(_fold(values.get("pixedu_niveau_auto")))
        jury_raw = _fold(values.get("pixedu_niveau_jury"))
        jury = _EDU_LEVELS.get(jury_raw) if jury_raw else None
        if scope is None:
            problems.append(
                _("pixedu_volet : « %(value)s » inconnu (1er degré, 2nd degré ou CPE).")
                % {"value": values.get("pixedu_volet", "")}
            )
        if automated is None:
            problems.append(
                _("pixedu_niveau_auto : « %(value)s » inconnu (Initié, Confirmé, Avancé, Expert).")
                % {"value": values.get("pixedu_niveau_auto", "")}
            )
        if jury_raw and jury is None:
            problems.append(
                _("pixedu_niveau_jury : « %(value)s » inconnu (Initié, Confirmé, Avancé, Expert).")
                % {"value": values.get("pixedu_niveau_jury", "")}
            )
        jury_on = None
        if values.get("pixedu_date_jury"):
            jury_on = attempt(parse_date, values.get("pixedu_date_jury"), "pixedu_date_jury")
        if scope and automated:
            edu = PixPlusEdu(scope, automated, jury, jury_on)
    if problems:
        raise ValueError(" ".join(problems))
    data = CertificationData(
        taken_on=taken_on,
        score=score,
        max_level=max_level or max_level_on(taken_on),
        levels=levels,
        verification_code=normalize_code(values.get("code_verification")),
        pix_plus_edu=edu,
    )
    problems = check_certification(data)
    if problems:
        raise ValueError(" ".join(problems))
    return identity, data


@dataclass
class PixImportReport(ImportReport):
    """The shared import report, with the certifications whose Pix+ Édu level is verified."""

    max_errors: ClassVar[int] = MAX_REPORTED_ERRORS

    verified_ids: list = field(default_factory=list)


def _rows(file):
    rows = CsvRows(
        file,
        required=IMPORT_REQUIRED_COLUMNS,
        optional=IMPORT_OPTIONAL_COLUMNS,
    )
    if not any(c in rows.columns for c in IMPORT_IDENTITY_COLUMNS):
        raise ServiceError(
            "csv_header",
            _("En-tête incorrect : il faut une colonne email ou identifiant_externe."),
        )
    return rows


def _batches(rows, report=None, on_progress=None):
    """Parsed lines in batches (memory stays bounded whatever the file's length)."""
    batch = []
    for line, values in rows:
        if report is not None:
            report.lines += 1
            if report.lines > IMPORT_MAX_LINES:
                raise ServiceError(
                    "too_many_lines",
                    _("Le fichier dépasse %(max)s lignes : découpez-le.")
                    % {"max": f"{IMPORT_MAX_LINES:,}".replace(",", " ")},
                )
            if on_progress and report.lines % IMPORT_PROGRESS_EVERY == 0:
                on_progress(report.lines)
        batch.append((line, values))
        if len(batch) >= IMPORT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _accounts(identities, people):
    """{lower-cased email: user id} among `people` (the importer's territory), whose address
    is verified: anyone may sign up with someone else's address, and a result (name, scores)
    must never reach an impostor. An unverified account reads like no account."""
    return dict(
        User.objects.with_verified_email(identities)
        .filter(pk__in=people.values("pk"))
        .values_list("lower_email", "pk")
    )


def validate_pix_import(file, *, people, on_progress=None, by=None):
    """First pass: every line checked (format, people, codes, duplicates); nothing written.

    `people` are those whose results the importer may record. The report says only what the
    importer may know: an address outside their territory reads like an address without an
    account, and a code another person holds is refused without a word about that person
    (the staff who review that person's certification see the attempt in its history).
    """
    report = PixImportReport()
    seen = {}  # code -> first line: a code twice in one file is an error
    try:
        rows = _rows(file)
        for batch in _batches(rows, report, on_progress):
            parsed = []
            for line, values in batch:
                try:
                    parsed.append((line, *_parse_import_row(values)))
                except ValueError as exc:
                    report.add_error(line, str(exc))
            identities = {identity for _line, identity, _data in parsed}
            accounts = _accounts(identities, people)
            owners = dict(
                PixCertification.objects.filter(
                    verification_code__in=[d.verification_code for _line, _i, d in parsed]
                ).values_list("verification_code", "user_id")
            )
            for line, identity, data in parsed:
                user_id = accounts.get(identity)
                code = data.verification_code
                if user_id is None:
                    report.add_error(
                        line,
                        _(
                            "« %(identity)s » : aucune personne de votre territoire n'a cette "
                            "adresse sur Entrepairs."
                        )
                        % {"identity": identity},
                    )
                elif code in seen:
                    report.add_error(
                        line,
                        _("Code %(code)s en double (déjà ligne %(first)s).")
                        % {"code": code, "first": seen[code]},
                    )
                elif owners.get(code, user_id) != user_id:
                    report_code_conflict(code=code, claimed_for=user_id, by=by)
                    report.add_error(
                        line,
                        _("Le code %(code)s ne peut pas être enregistré pour cette personne.")
                        % {"code": code},
                    )
                seen.setdefault(code, line)
    except ServiceError as exc:
        report.add_error(0, exc.message)
    if report.lines == 0 and report.ok:
        report.add_error(0, _("Le fichier ne contient aucune ligne de données."))
    return report


_COMPARED = (
    "taken_on",
    "score",
    "max_level",
    *[level_field(code) for code in CRCN_CODES],
)


def _write_import(file, report, by, people):
    """Second pass, in the caller's transaction: upsert by verification code."""
    now = timezone.now()
    for batch in _batches(_rows(file)):
        parsed = [_parse_import_row(values) for _line, values in batch]
        accounts = _accounts({identity for identity, _data in parsed}, people)
        existing = PixCertification.objects.select_related("pix_plus_edu").in_bulk(
            [data.verification_code for _identity, data in parsed], field_name="verification_code"
        )
        to_create, to_update, edu_for = [], [], {}
        for identity, data in parsed:
            current = existing.get(data.verification_code)
            if current is None:
                current = PixCertification(
                    user_id=accounts[identity],
                    status=PixStatus.VERIFIED,
                    source=PixSource.IMPORT,
                    recorded_by=by,
                    reviewed_by=by,
                    reviewed_at=now,
                    **data.fields(),
                )
                to_create.append(current)
            else:
                before = [getattr(current, name) for name in _COMPARED] + [current.status]
                edu_before = _edu_tuple(getattr(current, "pix_plus_edu", None))
                for name, value in data.fields().items():
                    setattr(current, name, value)
                if before == [getattr(current, name) for name in _COMPARED] + [
                    PixStatus.VERIFIED
                ] and edu_before == _edu_tuple(data.pix_plus_edu):
                    report.unchanged += 1
                    continue
                if current.status != PixStatus.VERIFIED:
                    current.status = PixStatus.VERIFIED
                    current.rejection_reason = ""
                    current.reviewed_by = by
                    current.reviewed_at = now
                to_update.append(current)
            edu_for[data.verification_code] = data.pix_plus_edu
        PixCertification.objects.bulk_create(to_create)
        PixCertification.objects.bulk_update(
            to_update,
            [*_COMPARED, "status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"],
        )
        report.created += len(to_create)
        report.updated += len(to_update)
        _write_pix_plus_edu(to_create, to_update, edu_for, report)


def _write_pix_plus_edu(created, updated, edu_for, report):
    """Pix+ Édu parts of a batch: inserted in bulk for new certifications, upserted (or removed)
    one by one for the few that changed."""
    ids = {c.verification_code: c.pk for c in updated}
    if created:
        # Read back by code: not every database returns primary keys from a bulk insert.
        ids.update(
            PixCertification.objects.filter(
                verification_code__in=[c.verification_code for c in created]
            ).values_list("verification_code", "pk")
        )
    new_codes = {c.verification_code for c in created}
    PixPlusEduResult.objects.bulk_create(
        [
            PixPlusEduResult(
                certification_id=ids[code],
                scope=edu.scope,
                automated_level=edu.automated_level,
                jury_level=edu.jury_level,
                jury_on=edu.jury_on,
                level=PixPlusEduResult.final_level(edu.automated_level, edu.jury_level),
            )
            for code, edu in edu_for.items()
            if code in new_codes and edu is not None
        ]
    )
    for code, edu in edu_for.items():
        if code not in new_codes:
            save_pix_plus_edu(PixCertification(pk=ids[code]), edu)
        if edu is not None and edu.jury_level is not None:
            report.verified_ids.append(ids[code])


def _edu_tuple(edu):
    if edu is None:
        return None
    return (edu.scope, edu.automated_level, edu.jury_level, edu.jury_on)


def count_lines(file):
    """Lines of a file, counted in chunks (to choose between the request and a job)."""
    file.seek(0)
    count = 0
    while chunk := file.read(1024 * 1024):
        count += chunk.count(b"\n")
    file.seek(0)
    return count


def start_pix_import(*, file, filename, by):
    """Record an uploaded Pix Orga export and run it: small files now, large ones in a job."""
    name = Path(filename or "pix.csv").name[:255]
    with transaction.atomic():
        # Lines after the header, for the progress bar (blank lines make it an upper bound).
        lines = max(count_lines(file) - 1, 0)
        pix_import = PixImport(filename=name, user=by, lines=lines)
        pix_import.file.save("import.csv", file, save=False)
        pix_import.save()
        if lines > settings.PIX_IMPORT_SYNC_MAX_LINES:
            # Robust: a broker that is down leaves the import pending (resumed later), never
            # fails the upload.
            run_pix_import_task.enqueue_on_commit(pix_import.pk)
            return pix_import
    return run_import(import_id=pix_import.pk)


def run_import(*, import_id):
    """Validate the whole file, then write it in one transaction (or nothing).

    Safe to run twice: a finished import is left alone, one under way is left to the run that
    claimed it (a conditional UPDATE: pending, or stalled past PIX_IMPORT_STALLED_MINUTES, whose
    run died), and writing is an upsert by code.
    """
    pix_import = PixImport.objects.select_related("user").filter(pk=import_id).first()
    if pix_import is None or pix_import.is_finished:
        return pix_import
    now = timezone.now()
    stalled = now - timedelta(minutes=settings.PIX_IMPORT_STALLED_MINUTES)
    claimed = (
        PixImport.objects.filter(pk=import_id)
        .filter(
            Q(status=PixImport.Status.PENDING)
            | Q(
                status__in=[PixImport.Status.VALIDATING, PixImport.Status.WRITING],
                moved_at__lt=stalled,
            )
        )
        .update(status=PixImport.Status.VALIDATING, processed=0, moved_at=now)
    )
    if not claimed:  # a second delivery while another run is under way, or finished meanwhile
        return pix_import

    def progress(lines):
        PixImport.objects.filter(pk=import_id).update(processed=lines, moved_at=timezone.now())

    pix_plus_edu_badges = BadgeClass.objects.exclude(pix_plus_edu_scope="").exists()
    try:
        with pix_import.file.open("rb"):
            file = pix_import.file.file
            people = pix_people(pix_import.user) if pix_import.user else User.objects.none()
            report = validate_pix_import(
                file, people=people, on_progress=progress, by=pix_import.user
            )
            if report.ok:
                PixImport.objects.filter(pk=import_id).update(
                    status=PixImport.Status.WRITING,
                    processed=report.lines,
                    lines=report.lines,
                    moved_at=timezone.now(),
                )
                with transaction.atomic():
                    _write_import(file, report, pix_import.user, people)
                    log(
                        pix_import,
                        AuditAction.IMPORT_PIX,
                        user=pix_import.user,
                        data={"created": report.created, "updated": report.updated},
                    )
                    for certification_id in report.verified_ids if pix_plus_edu_badges else ():
                        queue_pix_plus_edu_badges(PixCertification(pk=certification_id))
    except Exception as exc:
        PixImport.objects.filter(pk=import_id).update(
            status=PixImport.Status.FAILED,
            finished_at=timezone.now(),
            errors=[[0, _("Interrompu : %(error)s") % {"error": exc}]],
            error_count=1,
        )
        raise
    PixImport.objects.filter(pk=import_id).update(
        status=PixImport.Status.DONE if report.ok else PixImport.Status.REJECTED,
        processed=report.lines,
        **report.counts(),
        finished_at=timezone.now(),
    )
    # The uploaded file held personal data: it is not kept once the import is over.
    pix_import.file.delete(save=False)
    PixImport.objects.filter(pk=import_id).update(file="")
    pix_import.refresh_from_db()
    return pix_import


@shared_task(
    name="badges.tasks.run_pix_import",
    # 200,000 lines are read twice and written in batches: minutes, never an hour.
    time_limit=3600,
    soft_time_limit=3500,
)
def run_pix_import_task(import_id):
    """Validate then write a large Pix Orga export. Safe to run twice: a finished one is left."""
    pix_import = run_import(import_id=import_id)
    return pix_import.status if pix_import else None


def resume_stalled_pix_imports(*, stalled_after=None):
    """Queue again the large imports that have not moved for PIX_IMPORT_STALLED_MINUTES: never
    queued (broker down at upload), or whose task was lost (worker killed, broker restarted).
    Returns the ids queued. Safe however often it runs: run_import claims the import, so a
    second delivery does nothing, and writing is an upsert.

    The delay is above run_pix_import's time limit (an hour): an import still writing, which
    moves only when it commits, is never counted as lost.
    """
    if stalled_after is None:
        stalled_after = timedelta(minutes=settings.PIX_IMPORT_STALLED_MINUTES)
    now = timezone.now()
    not_requeued = Q(requeued_at__isnull=True) | Q(requeued_at__lt=now - stalled_after)
    stalled = PixImport.objects.stalled(since=now - stalled_after).filter(not_requeued)
    resumed = []
    for import_id in stalled.values_list("pk", flat=True):
        # Requeued now: the next beat leaves it alone while this requeue runs.
        if PixImport.objects.filter(pk=import_id).filter(not_requeued).update(requeued_at=now):
            logger.warning(
                "Pix import %s had not moved for %s: queued again", import_id, stalled_after
            )
            run_pix_import_task.enqueue(import_id)
            resumed.append(import_id)
    return resumed


@shared_task(
    name="badges.tasks.resume_stalled_pix_imports",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def resume_stalled_pix_imports_task():
    """Run by beat and at each worker's start: queue again the large Pix imports that stopped
    moving (never queued, or their task lost). Idempotent: an import runs once at a time."""
    return len(resume_stalled_pix_imports())
