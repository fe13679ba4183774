"""Bulk awards: a CSV file checked whole, then awarded by chunk tasks (one transaction each:
assertions, audit entries, counts and the chunk's record). Awards by hand are in
badges.services.awards.

The database is the outbox: a file is a BulkAward row first, its tasks are queued after commit,
and a job that stopped moving (its task never queued or lost) is queued again by beat.
"""

import logging
import math
from datetime import date, datetime, time, timedelta
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.csvio import CsvRows, parse_optional_date
from cotraining.exceptions import TRANSIENT_ERRORS, ServiceError

from ..constants import AuditAction
from ..models import Assertion, BadgeClassVersion, BulkAward, BulkAwardChunk
from .audit import log_many
from .awards import evidence_for, new_assertion, refuse_automatic_only
from .baking import badge_image, store_baked_image
from .emails import send_badge_emails_task
from .versions import publish_version

User = get_user_model()
logger = logging.getLogger(__name__)

# One award per badge and person by file: a re-run or a second file counts "already had it".
BULK_SOURCE = "bulk"
START_BULK_AWARD = "entrepairs.start_bulk_award"  # audit action, registered in wagtail_hooks
BULK_COLUMNS = ("email", "evidence_url", "narrative", "issued_on", "expires")
MAX_BULK_ROWS = 5000
MAX_REPORTED_ERRORS = 500
# Rows per chunk task: one transaction each (awards, audit entries, counts and the chunk's own
# record commit together), one email task each. Small enough that a file spreads over every
# worker process (1,260 rows: 13 chunks), large enough that per-task costs do not count.
BULK_CHUNK_ROWS = 100


class CsvInvalid(ServiceError):
    """A file refused as a whole: `errors` lists [(line, message)], header = line 1, 0 = file."""

    def __init__(self, errors, *, count=None):
        super().__init__(
            "csv_invalid",
            _(
                "Le fichier contient des erreurs : rien n'a été décerné. "
                "Corrigez-les et déposez-le à nouveau."
            ),
        )
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.count = count if count is not None else len(errors)


def _parse_bulk_row(values, today):
    """The row's fields, or ValueError with every problem found on it."""
    problems = []
    email = values.get("email", "").strip().lower()
    if not email:
        problems.append(_("l'adresse électronique est vide"))
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("adresse électronique invalide « %(value)s »") % {"value": email})
    url = values.get("evidence_url", "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            problems.append(_("lien de preuve invalide « %(value)s »") % {"value": url})
    dates = {}
    for column in ("issued_on", "expires"):
        try:
            dates[column] = parse_optional_date(values.get(column), column)
        except ValueError as exc:
            dates[column] = None
            problems.append(str(exc))
    issued_on, expires = dates["issued_on"], dates["expires"]
    if issued_on and issued_on > today:
        problems.append(_("issued_on : la date de délivrance est dans le futur"))
    if expires and expires < today:
        problems.append(_("expires : la date d'expiration est déjà passée"))
    elif expires and expires <= (issued_on or today):
        problems.append(_("expires : la date d'expiration doit suivre la date de délivrance"))
    if problems:
        raise ValueError(" ; ".join(problems))
    return {
        "email": email,
        "evidence_url": url,
        "narrative": values.get("narrative", "").strip(),
        "issued_on": issued_on.isoformat() if issued_on else "",
        "expires": expires.isoformat() if expires else "",
    }


def validate_bulk_award_csv(file):
    """Every row of a bulk-award file, checked before anything is awarded.

    Returns the rows (dicts with their line number) or raises CsvInvalid listing each bad line
    with its reasons, so that the whole file is fixed at once and never half awarded.
    Columns: email (required), evidence_url, narrative, issued_on, expires (dates JJ/MM/AAAA or
    AAAA-MM-JJ), in any order and letter case; read by cotraining.csvio (UTF-8 or Windows-1252,
    ";", "," or tab separated). An expiry date already past is refused.
    """
    errors, rows, seen = [], [], {}
    today = timezone.localdate()
    try:
        records = CsvRows(file, optional=BULK_COLUMNS)
    except ServiceError as exc:  # encoding, empty or unreadable: the file as a whole
        raise CsvInvalid([(0, exc.message)]) from exc
    if "email" not in records.columns:
        raise CsvInvalid(
            [
                (
                    1,
                    _("En-tête : colonne « email » manquante (colonnes possibles : %(columns)s).")
                    % {"columns": ", ".join(BULK_COLUMNS)},
                )
            ]
        )
    try:
        for line, values in records:
            if len(rows) + len(errors) >= MAX_BULK_ROWS:
                errors.append(
                    (line, _("Au plus %(max)s lignes par fichier.") % {"max": MAX_BULK_ROWS})
                )
                break
            try:
                row = _parse_bulk_row(values, today)
            except ValueError as exc:
                errors.append((line, str(exc)))
                continue
            if row["email"] in seen:
                errors.append(
                    (
                        line,
                        _("adresse %(email)s en double (déjà ligne %(first)s)")
                        % {"email": row["email"], "first": seen[row["email"]]},
                    )
                )
                continue
            seen[row["email"]] = line
            rows.append({"line": line, **row})
    except ServiceError as exc:
        raise CsvInvalid([(0, exc.message)]) from exc
    if errors:
        raise CsvInvalid(errors)
    if not rows:
        raise CsvInvalid([(0, _("Le fichier ne contient aucune ligne de données."))])
    return rows


def start_bulk_award(*, badge_class, rows, filename, by):
    """Record a validated file and enqueue its awards (after commit: the job must see the row)."""
    refuse_automatic_only(badge_class)
    with transaction.atomic():
        bulk = BulkAward.objects.create(
            badge_class=badge_class,
            uploaded_by=by,
            filename=Path(filename or "badges.csv").name[:255],
            rows=list(rows),
            total=len(rows),
        )
        log(bulk, START_BULK_AWARD, user=by, data={"badge": badge_class.name, "rows": len(rows)})
        # A broker that is down delays the work and never fails the upload: the row stays
        # pending, and resume_stalled_bulk_awards queues it again once the broker is back.
        run_bulk_award_task.enqueue_on_commit(bulk.pk)
    return bulk


def resume_stalled_bulk_awards(*, stalled_after=None):
    """Queue again the jobs that have not moved for BULK_AWARD_STALLED_MINUTES: never queued
    (broker down at upload), or whose task or chunk tasks were lost (worker killed, broker
    restarted). Safe however often it runs: run_bulk_award queues only the chunks not recorded
    yet, and a chunk delivered twice is a no-op (its unique record). Returns the job ids.

    The delay is above the longest chunk task (its time limit) and the broker's visibility
    timeout is above it too: a chunk still waiting or running is never counted as lost by both.
    """
    if stalled_after is None:
        stalled_after = timedelta(minutes=settings.BULK_AWARD_STALLED_MINUTES)
    now = timezone.now()
    stalled = list(
        BulkAward.objects.stalled(since=now - stalled_after)
        .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=now - stalled_after))
        .values_list("pk", flat=True)
    )
    for bulk_id in stalled:
        # Requeued now: the next beat leaves it alone while this requeue runs.
        claimed = (
            BulkAward.objects.filter(pk=bulk_id)
            .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lt=now - stalled_after))
            .update(requeued_at=now)
        )
        if claimed:
            logger.warning(
                "Bulk award %s had not moved for %s: queued again", bulk_id, stalled_after
            )
            run_bulk_award_task.enqueue(bulk_id)  # False, logged, while the broker is down
    return stalled


def _start_of_day(iso):
    return timezone.make_aware(datetime.combine(date.fromisoformat(iso), time.min))


def _end_of_day(iso):
    return timezone.make_aware(datetime.combine(date.fromisoformat(iso), time.max))


def bulk_chunk_count(total):
    return math.ceil(total / BULK_CHUNK_ROWS)


def run_bulk_award(*, bulk_id):
    """Start, or resume, the award of a validated file: publish the badge class's version once
    for the whole file, then fan its rows out to chunk tasks that every worker process shares.

    Only the chunks not yet recorded are queued, so a job retried, delivered twice or run again
    after a failure resumes where it stopped and never counts a row twice. The chunk that
    brings `processed` to `total` marks the job done (award_bulk_chunk).
    """
    bulk = BulkAward.objects.select_related("badge_class", "uploaded_by").filter(pk=bulk_id).first()
    if bulk is None or bulk.status == BulkAward.Status.DONE:
        return bulk
    # Assertions point at the version they were issued against: the badge class as it stood
    # when the file started, published at most once for its whole run.
    version = publish_version(badge_class=bulk.badge_class, by=bulk.uploaded_by)
    with transaction.atomic():
        BulkAward.objects.filter(pk=bulk.pk).exclude(status=BulkAward.Status.DONE).update(
            status=BulkAward.Status.RUNNING, finished_at=None, errors=[], moved_at=timezone.now()
        )
        recorded = set(bulk.chunks.values_list("index", flat=True))
        pending = [i for i in range(bulk_chunk_count(bulk.total)) if i not in recorded]
        for index in pending:
            award_bulk_chunk_task.enqueue_on_commit(bulk.pk, index, version.pk)
        if not pending:  # nothing left to award (an empty file, or only the marking was lost)
            _finish_bulk_award(bulk.pk)
    bulk.refresh_from_db()
    return bulk


def _finish_bulk_award(bulk_id):
    """Mark the job done if every row is counted; true only for the call that marks it.

    The file's rows (addresses, narratives) are dropped then: the assertions hold what was
    awarded and the counts say what the file did; nothing else needs the addresses again.
    """
    return bool(
        BulkAward.objects.filter(pk=bulk_id, processed__gte=F("total"))
        .exclude(status=BulkAward.Status.DONE)
        .update(status=BulkAward.Status.DONE, finished_at=timezone.now(), errors=[], rows=[])
    )


def award_bulk_chunk(*, bulk_id, index, version_id):
    """Award one chunk of a file's rows (source "bulk") in one transaction; returns the chunk's
    record, or None when it was done already (or the file is gone).

    Batched: the badge image is read once, each assertion is baked from those bytes in memory
    and stored through the storage API, the assertions go in one INSERT, their audit entries in
    another, and their emails in one task. Idempotent and race-safe:
    - the chunk's record is written first, under a unique constraint: a retried or re-delivered
      chunk waits for the first to commit, then finds the record and does nothing;
    - the unique constraint on (badge, email, source) decides who gets each assertion
      (ON CONFLICT DO NOTHING): a row whose person had it already, or got it meanwhile from
      another file, counts "already had it", whichever worker wins;
    - the job's counters move by F() expressions, and the chunk that completes them marks the
      job done, once.
    """
    bulk = (
        BulkAward.objects.select_related("badge_class__issuer", "uploaded_by")
        .filter(pk=bulk_id)
        .first()
    )
    if bulk is None:
        return None
    badge_class = bulk.badge_class
    version = BadgeClassVersion.objects.get(pk=version_id)
    rows = bulk.rows[index * BULK_CHUNK_ROWS : (index + 1) * BULK_CHUNK_ROWS]
    image = badge_image(badge_class)
    stored = []  # baked images written: removed again if they end up belonging to no row
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    chunk = BulkAwardChunk.objects.create(bulk=bulk, index=index)
            except IntegrityError:
                return None
            emails = [row["email"] for row in rows]
            had = set(
                Assertion.objects.filter(
                    badge_class=badge_class, source=BULK_SOURCE, recipient_email__in=emails
                ).values_list("recipient_email", flat=True)
            )
            accounts = {
                account.lower_email: account for account in User.objects.with_verified_email(emails)
            }
            fresh = []
            # In email order: two files racing for the same people take the unique index's
            # locks in the same order, so they never deadlock.
            for row in sorted(rows, key=lambda row: row["email"]):
                if row["email"] in had:
                    continue
                assertion = new_assertion(
                    badge_class=badge_class,
                    version=version,
                    email=row["email"],
                    source=BULK_SOURCE,
                    recipient=accounts.get(row["email"]),
                    evidence=evidence_for(url=row["evidence_url"], narrative=row["narrative"]),
                    issued_on=_start_of_day(row["issued_on"]) if row["issued_on"] else None,
                    expires=_end_of_day(row["expires"]) if row["expires"] else None,
                    awarded_by=bulk.uploaded_by,
                )
                store_baked_image(assertion, image=image)
                stored.append(assertion.image.name)
                fresh.append(assertion)
            Assertion.objects.bulk_create(fresh, ignore_conflicts=True)
            # Which rows this chunk inserted: those whose uuid made it (the others lost to a
            # concurrent award of the same badge to the same person).
            inserted = dict(
                Assertion.objects.filter(uuid__in=[a.uuid for a in fresh]).values_list("uuid", "pk")
            )
            awarded = []
            for assertion in fresh:
                if assertion.uuid in inserted:
                    assertion.pk = inserted[assertion.uuid]
                    awarded.append(assertion)
            log_many(
                awarded,
                AuditAction.AWARD_BADGE,
                user=bulk.uploaded_by,
                data={"badge": badge_class.name, "source": BULK_SOURCE},
            )
            chunk.awarded, chunk.already_had = len(awarded), len(rows) - len(awarded)
            chunk.save(update_fields=["awarded", "already_had"])
            BulkAward.objects.filter(pk=bulk.pk).update(
                awarded=F("awarded") + chunk.awarded,
                already_had=F("already_had") + chunk.already_had,
                processed=F("processed") + len(rows),
                moved_at=timezone.now(),
            )
            # The UPDATE above holds the job's row until commit: chunks finishing together
            # add up one after the other, and only the one that completes the count sees it.
            _finish_bulk_award(bulk.pk)
            if awarded:
                send_badge_emails_task.enqueue_on_commit([assertion.pk for assertion in awarded])
    except BaseException:
        _delete_files(stored)
        raise
    _delete_files(set(stored) - {assertion.image.name for assertion in awarded})
    return chunk


def _delete_files(names):
    storage = Assertion._meta.get_field("image").storage
    for name in names:
        storage.delete(name)


ORPHAN_IMAGE_AGE = timedelta(hours=1)  # above any chunk's time limit: never one in flight


def delete_orphan_assertion_images(*, older_than=ORPHAN_IMAGE_AGE, batch=1000):
    """Delete the baked images that belong to no assertion; returns how many.

    A chunk stores its images before its transaction commits and removes them when it fails,
    but a worker killed mid-chunk (kill -9, out of memory) removes nothing: its rows rolled
    back, its files stayed. Only files older than `older_than` are considered, so a chunk
    still running never loses an image it is about to commit.
    """
    field = Assertion._meta.get_field("image")
    storage = field.storage
    folder = field.upload_to.rstrip("/")
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    deleted = 0
    for start in range(0, len(files), batch):
        names = {f"{folder}/{name}" for name in files[start : start + batch]}
        owned = set(Assertion.objects.filter(image__in=names).values_list("image", flat=True))
        for name in sorted(names - owned):
            try:
                if storage.get_modified_time(name) >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            storage.delete(name)
            deleted += 1
    if deleted:
        logger.warning("Deleted %s baked images that belonged to no assertion", deleted)
    return deleted


def fail_bulk_award(*, bulk_id, error):
    """A job or one of its chunks failed for good: say so on the job, with the reason."""
    BulkAward.objects.filter(pk=bulk_id).exclude(status=BulkAward.Status.DONE).update(
        status=BulkAward.Status.FAILED,
        finished_at=timezone.now(),
        errors=[[0, _("Interrompu : %(error)s") % {"error": error}]],
    )


# --- Tasks ----------------------------------------------------------------------------------


def _retry_or_fail(task, bulk_id, exc):
    """Retry a transient failure with backoff; past the last try, or for any other error, the
    bulk award is marked failed with the reason before the error is raised."""
    if isinstance(exc, TRANSIENT_ERRORS) and task.request.retries < task.max_retries:
        if not task.request.is_eager:
            raise task.retry(exc=exc, countdown=2**task.request.retries)
    fail_bulk_award(bulk_id=bulk_id, error=exc)
    raise exc


@shared_task(
    name="badges.tasks.run_bulk_award",
    bind=True,
    max_retries=3,
    time_limit=300,
    soft_time_limit=270,
)
def run_bulk_award_task(self, bulk_id):
    """Start a validated file's award: its chunks go to award_bulk_chunk. Safe to run twice:
    only the chunks not yet recorded are queued, and awards are idempotent."""
    try:
        bulk = run_bulk_award(bulk_id=bulk_id)
    except Exception as exc:
        _retry_or_fail(self, bulk_id, exc)
    return bulk.status if bulk else None


@shared_task(
    name="badges.tasks.award_bulk_chunk",
    bind=True,
    max_retries=3,
    # One chunk: BULK_CHUNK_ROWS baked images, a fraction of a second; minutes at worst.
    time_limit=300,
    soft_time_limit=270,
)
def award_bulk_chunk_task(self, bulk_id, index, version_id):
    """Award one chunk of a file's rows. Safe to run twice: a chunk already recorded is a no-op."""
    try:
        chunk = award_bulk_chunk(bulk_id=bulk_id, index=index, version_id=version_id)
    except Exception as exc:
        _retry_or_fail(self, bulk_id, exc)
    return chunk and chunk.awarded


@shared_task(
    name="badges.tasks.resume_stalled_bulk_awards",
    time_limit=120,
    soft_time_limit=100,
)
def resume_stalled_bulk_awards_task():
    """Run by beat and at each worker's start: queue again the bulk awards that stopped moving
    (never queued, or their task lost). Idempotent: recorded chunks are never redone."""
    return len(resume_stalled_bulk_awards())


@shared_task(
    name="badges.tasks.delete_orphan_assertion_images",
    time_limit=600,
    soft_time_limit=540,
)
def delete_orphan_assertion_images_task():
    """Run by beat: the images a killed chunk stored for rows that never committed."""
    return delete_orphan_assertion_images()
