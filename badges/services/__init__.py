"""Open Badges use cases: publish a badge class version, award, bake, revoke.

The JSON documents built here are what verifiers read at the hosted URLs (Open Badges 2.0,
hosted verification); they are built from the database each time except a badge class's, which
is frozen per version so that earlier assertions keep the criteria they were issued against.

The PIX and Pix+ Édu use cases live beside them in badges.services.pix.
"""

import csv
import io
import json
import math
import smtplib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, mailers
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openbadges_bakery import bake, unbake
from wagtail.log_actions import get_active_log_context, log
from wagtail.log_actions import registry as log_registry

from cotraining.csvio import detect_encoding
from cotraining.exceptions import ServiceError
from cotraining.models import Completion, Enrollment

from ..constants import AuditAction, BadgeKind
from ..models import (
    Assertion,
    BadgeClass,
    BadgeClassVersion,
    BulkAward,
    BulkAwardChunk,
    hash_identity,
    site_url,
)

User = get_user_model()
CONTEXT = "https://w3id.org/openbadges/v2"


def issuer_document(issuer):
    from django.urls import reverse

    document = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer.public_url,
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        document["description"] = issuer.description
    if issuer.image:
        document["image"] = site_url(reverse("badges:issuer_image", kwargs={"uuid": issuer.uuid}))
    return document


def badge_class_document(badge_class, *, number=None):
    """The BadgeClass as it stands now; `id` is the versioned URL when `number` is given."""
    from django.urls import reverse

    if number is None:
        badge_id = badge_class.public_url
    else:
        badge_id = site_url(
            reverse(
                "badges:badge_class_version", kwargs={"uuid": badge_class.uuid, "number": number}
            )
        )
    criteria = {"narrative": badge_class.criteria_narrative}
    if badge_class.criteria_url:
        criteria["id"] = badge_class.criteria_url
    document = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_id,
        "name": badge_class.name,
        "description": badge_class.description,
        "image": site_url(reverse("badges:badge_class_image", kwargs={"uuid": badge_class.uuid})),
        "criteria": criteria,
        "issuer": badge_class.issuer.public_url,
    }
    alignment = [
        {
            "targetName": f"{competence.code} {competence.name}",
            "targetUrl": _competence_url(competence),
            "targetFramework": competence.get_framework_display(),
            "targetCode": competence.code,
        }
        for competence in badge_class.competences.all()
    ]
    if alignment:
        document["alignment"] = alignment
    if badge_class.tag_list:
        document["tags"] = badge_class.tag_list
    return document


def _competence_url(competence):
    # The public references: the CRCN on pix.fr, Pix+ Édu on eduscol.
    if competence.framework == "pix-plus-edu":
        return "https://eduscol.education.fr/721/certification-pix-edu"
    return "https://pix.fr/competences"


def _comparable(document):
    return {key: value for key, value in document.items() if key != "id"}


def publish_version(*, badge_class, by=None):
    """The current version of a badge class, published anew if anything changed since the last.

    Called after each edit and before each award: assertions always point at a version that
    says exactly what the badge class said when they were issued.
    """
    # Fast path, no lock: nothing changed since the latest version (every award but the first
    # after an edit). Awards of one badge class then never queue behind each other.
    latest = badge_class.versions.order_by("-number").first()
    if latest and _comparable(latest.document) == _comparable(badge_class_document(badge_class)):
        return latest
    with transaction.atomic():
        locked = BadgeClass.objects.select_for_update().get(pk=badge_class.pk)
        latest = locked.versions.order_by("-number").first()
        current = badge_class_document(locked)
        if latest and _comparable(latest.document) == _comparable(current):
            return latest
        number = latest.number + 1 if latest else 1
        version = BadgeClassVersion.objects.create(
            badge_class=locked,
            number=number,
            document=badge_class_document(locked, number=number),
        )
        log(locked, AuditAction.PUBLISH_BADGE_VERSION, user=by, data={"version": number})
        return version


def assertion_document(assertion):
    document = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion.public_url,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": assertion.salt,
            "identity": assertion.identity,
        },
        "badge": assertion.version.document["id"],
        "issuedOn": assertion.issued_on.isoformat(),
        "verification": {"type": "hosted"},
        "image": assertion.image_url,
    }
    if assertion.expires:
        document["expires"] = assertion.expires.isoformat()
    if assertion.evidence:
        document["evidence"] = assertion.evidence
    if assertion.narrative:
        document["narrative"] = assertion.narrative
    return document


def revoked_document(assertion):
    return {
        "@context": CONTEXT,
        "id": assertion.public_url,
        "type": "Assertion",
        "revoked": True,
        "revocationReason": assertion.revocation_reason,
    }


def badge_image(badge_class):
    """The bytes of a badge class's image, read once through the storage API."""
    badge_class.image.open("rb")
    try:
        return badge_class.image.read()
    finally:
        badge_class.image.close()


def bake_image(assertion, *, image=None):
    """The badge class image with the assertion baked in, built in memory (PNG or SVG).

    `image` is the badge class image's bytes when the caller already read them (a bulk award
    reads them once for a whole chunk); otherwise they are read here.
    """
    source = badge_image(assertion.badge_class) if image is None else image
    output = io.BytesIO()
    bake(io.BytesIO(source), json.dumps(assertion_document(assertion)), output)
    return output.getvalue()


def store_baked_image(assertion, *, image=None):
    """Bake the assertion and store the image through the storage API (no temporary file),
    before the row's first INSERT: its uuid and identity exist already."""
    ext = image_extension(assertion.badge_class)
    assertion.image.save(
        f"{assertion.uuid}.{ext}", ContentFile(bake_image(assertion, image=image)), save=False
    )


def image_extension(badge_class):
    return "svg" if badge_class.image.name.lower().endswith(".svg") else "png"


def read_baked(content):
    """What a baked image carries: the assertion JSON (PNG), or, for SVG as the Open Badges
    baking specification says of hosted badges, the assertion's URL (its `verify` attribute)."""
    baked = unbake(io.BytesIO(content))
    return baked if baked.startswith("http") else json.loads(baked)


def log_many(instances, action, *, user=None, data=None):
    """`wagtail.log_actions.log` for many objects of one model, in one INSERT.

    The entries are those `log` writes one by one (same action, user, label, data and the
    active log context's uuid), without its per-entry `full_clean` (two queries) and INSERT:
    the action is checked once instead. Objects whose model has no log entry model are not
    logged, as with `log`.
    """
    instances = list(instances)
    if not instances:
        return []
    model = type(instances[0])
    entry_model = log_registry.get_log_model_for_model(model)
    if entry_model is None:
        return []
    if not log_registry.action_exists(action):
        raise ValueError(f"The log action {action!r} has not been registered.")
    context = get_active_log_context()
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    timestamp = timezone.now()
    return entry_model.objects.bulk_create(
        entry_model(
            content_type=content_type,
            object_id=str(instance.pk),
            label=entry_model.objects.get_instance_title(instance),
            action=action,
            timestamp=timestamp,
            data=data or {},
            user=user or context.user,
            uuid=context.uuid,
        )
        for instance in instances
    )


def new_assertion(
    *,
    badge_class,
    version,
    email,
    source,
    recipient=None,
    evidence=(),
    narrative="",
    issued_on=None,
    expires=None,
    awarded_by=None,
):
    """An unsaved Assertion, complete but for its baked image (`email` already normalised)."""
    issued_on = issued_on or timezone.now()
    assertion = Assertion(
        badge_class=badge_class,
        version=version,
        recipient=recipient,
        recipient_email=email,
        source=source,
        issued_on=issued_on,
        expires=expires or badge_class.expiry_for(issued_on),
        evidence=list(evidence),
        narrative=narrative,
        awarded_by=awarded_by,
    )
    # What Assertion.save() would compute: bulk_create does not call it.
    assertion.identity = hash_identity(email, assertion.salt)
    return assertion


def award_badge(
    *,
    badge_class,
    email,
    source,
    recipient=None,
    evidence=(),
    narrative="",
    issued_on=None,
    expires=None,
    awarded_by=None,
):
    """Award a badge to a person for one reason (`source`); returns (assertion, created).

    Idempotent: the same badge, recipient and source give the same assertion however many times
    it is asked (retries, duplicated signals), enforced by a unique constraint.
    """
    email = email.strip().lower()
    existing = Assertion.objects.filter(
        badge_class=badge_class, recipient_email=email, source=source
    ).first()
    if existing:
        return existing, False
    version = publish_version(badge_class=badge_class, by=awarded_by)
    try:
        with transaction.atomic():
            assertion = new_assertion(
                badge_class=badge_class,
                version=version,
                email=email,
                source=source,
                recipient=recipient,
                evidence=evidence,
                narrative=narrative,
                issued_on=issued_on,
                expires=expires,
                awarded_by=awarded_by,
            )
            # Baked before the first save (the uuid and identity exist already): one INSERT,
            # no UPDATE for the image.
            store_baked_image(assertion)
            assertion.save()
            log(
                assertion,
                AuditAction.AWARD_BADGE,
                user=awarded_by,
                data={"badge": badge_class.name, "source": source},
            )
            transaction.on_commit(lambda: _send_award_email(assertion.pk), robust=True)
    except IntegrityError:  # awarded concurrently by another worker
        return Assertion.objects.get(
            badge_class=badge_class, recipient_email=email, source=source
        ), False
    return assertion, True


def _send_award_email(assertion_id):
    from ..tasks import send_badge_email

    send_badge_email.delay(assertion_id)


def award_message(assertion):
    """The award email: the baked image attached and the public link (in the site's language).

    `assertion` comes with its badge class, issuer and recipient (select_related).
    """
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "assertion": assertion,
            "badge": assertion.badge_class,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = " ".join(render_to_string("badges/email/awarded_subject.txt", context).split())
        body = render_to_string("badges/email/awarded.txt", context)
    message = EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[assertion.recipient_email],
    )
    ext = image_extension(assertion.badge_class)
    assertion.image.open("rb")
    try:
        content = assertion.image.read()
    finally:
        assertion.image.close()
    message.attach(f"badge.{ext}", content, "image/svg+xml" if ext == "svg" else "image/png")
    return message


def send_award_emails(*, assertion_ids):
    """Tell the recipients of these assertions, each once, over one mail connection; returns
    how many emails left.

    Idempotent per assertion: `emailed_at` is set for each email sent, and an assertion that
    has it (an earlier delivery of the task), is revoked or is gone is skipped. The emails are
    rendered before any lock; the rows are then claimed with SKIP LOCKED, so two deliveries
    running at once never both send one. On a mail server failure, what was sent is recorded
    before the error is raised: a retry sends only the rest.
    """
    candidates = (
        Assertion.objects.select_related("badge_class__issuer", "recipient")
        .filter(pk__in=assertion_ids, revoked=False, emailed_at__isnull=True)
        .order_by("pk")
    )
    messages = {assertion.pk: award_message(assertion) for assertion in candidates}
    if not messages:
        return 0
    sent, failure = [], None
    with transaction.atomic():
        claimed = list(
            Assertion.objects.select_for_update(skip_locked=True)
            .filter(pk__in=messages, revoked=False, emailed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        try:
            if claimed:
                # Django 6.1's replacement for get_connection(): one backend instance, opened
                # once (one SMTP connection) for the whole list.
                with mailers.default as connection:
                    for pk in claimed:
                        connection.send_messages([messages[pk]])
                        sent.append(pk)
        except (OSError, smtplib.SMTPException) as exc:
            failure = exc
        if sent:
            Assertion.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    if failure is not None:
        raise failure
    return len(sent)


# How long a hosted assertion document is cached (only revocation changes it, and clears it).
ASSERTION_CACHE_SECONDS = 60


def assertion_cache_key(uuid):
    return f"badges:assertion:{uuid}"


def forget_assertion(uuid):
    """After a revocation commits: the next request reads the database and answers 410."""
    from django.core.cache import cache

    transaction.on_commit(lambda: cache.delete(assertion_cache_key(uuid)))


def revoke_assertion(*, assertion, reason, by):
    """Revoke with a reason: verifiers then get 410 Gone and `revoked: true`. Idempotent."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Indiquez le motif de la révocation."))
    with transaction.atomic():
        assertion = Assertion.objects.select_for_update().get(pk=assertion.pk)
        if assertion.revoked:
            return assertion
        assertion.revoked = True
        assertion.revocation_reason = reason
        assertion.revoked_at = timezone.now()
        assertion.save(update_fields=["revoked", "revocation_reason", "revoked_at"])
        log(assertion, AuditAction.REVOKE_ASSERTION, user=by, data={"reason": reason})
        forget_assertion(assertion.uuid)
    return assertion


def completion_evidence(completion):
    """Evidence of real training: the workshop page, each session attended, the hours."""
    workshop = completion.workshop
    attended = (
        Enrollment.objects.counted_for(user=completion.user, workshop=workshop)
        .select_related("session")
        .order_by("session__start")
    )
    sessions = "; ".join(
        f"{timezone.localtime(e.session.start):%d/%m/%Y} ({e.hours_attended} h)" for e in attended
    )
    return [
        {
            "type": "Evidence",
            "id": site_url(workshop.url),
            "name": workshop.title,
            "narrative": _("Séances suivies : %(sessions)s. Total : %(hours)s heures.")
            % {"sessions": sessions, "hours": completion.hours},
        }
    ]


COMPLETION_SOURCE = "completion:"


def revoke_withdrawn_completion_badges(*, user_id, workshop_id):
    """Attendance corrected down: the participant badges earned by that completion no longer
    stand. Revoked with a reason (verifiers then see 410), never deleted."""
    assertions = Assertion.objects.filter(
        recipient_id=user_id,
        badge_class__workshop_id=workshop_id,
        badge_class__kind=BadgeKind.PARTICIPANT,
        source__startswith=COMPLETION_SOURCE,
        revoked=False,
    )
    return revoke_assertions(
        assertions=list(assertions),
        reason=_("Présence corrigée : l'atelier n'est plus validé."),
        by=None,
    )


def completions_missing_badges(*, limit=500):
    """Completions whose participant badges were never awarded: the signal's task was lost
    (broker down at that moment, a worker killed before it acked). Beat awards them."""
    candidates = list(
        Completion.objects.filter(
            workshop__badge_classes__kind=BadgeKind.PARTICIPANT,
            completed_at__gte=timezone.now() - timedelta(days=90),
        )
        .distinct()
        .order_by("-completed_at")
        .values_list("pk", flat=True)[:limit]
    )
    awarded = set(
        Assertion.objects.filter(
            source__in=[f"{COMPLETION_SOURCE}{pk}" for pk in candidates]
        ).values_list("source", flat=True)
    )
    return [pk for pk in candidates if f"{COMPLETION_SOURCE}{pk}" not in awarded]


def award_completion_badges(*, completion_id):
    """On a workshop's completion: its participant badges to the person, its trainer badges to
    its trainers (one per workshop each, whatever the number of sessions or retries)."""
    completion = (
        Completion.objects.select_related("user", "workshop").filter(pk=completion_id).first()
    )
    if completion is None:  # withdrawn meanwhile
        return []
    workshop = completion.workshop
    awarded = []
    for badge_class in BadgeClass.objects.filter(workshop=workshop).select_related("issuer"):
        if badge_class.kind == BadgeKind.PARTICIPANT:
            # Keyed by the completion: withdrawn (its badge revoked) then earned again, the
            # person gets a new, valid assertion rather than the revoked one back.
            source = f"{COMPLETION_SOURCE}{completion.pk}"
            people = [completion.user]
            evidence = completion_evidence(completion)
            issued_on = completion.completed_at  # dated by the training, not by the task
        else:
            source = f"workshop:{workshop.pk}"
            people = list(workshop.trainers.all())
            issued_on = None
            evidence = [
                {
                    "type": "Evidence",
                    "id": site_url(workshop.url),
                    "name": workshop.title,
                    "narrative": _("A animé l'atelier « %(title)s ».") % {"title": workshop.title},
                }
            ]
        for person in people:
            assertion, created = award_badge(
                badge_class=badge_class,
                email=person.email,
                recipient=person,
                source=source,
                evidence=evidence,
                issued_on=issued_on,
            )
            if created:
                awarded.append(assertion)
    return awarded


# --- Manual and bulk awards, bulk revocation -----------------------------------------------

MANUAL_SOURCE = "manual"  # one manual award per badge and person: a second one is a no-op
BULK_SOURCE = "bulk"  # likewise for files: a re-run or a second file counts "already had it"
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


def evidence_for(*, url="", narrative=""):
    """The Open Badges Evidence of a manual or bulk award (nothing when neither is given)."""
    evidence = {"type": "Evidence"}
    if url:
        evidence["id"] = url
    if narrative:
        evidence["narrative"] = narrative
    return [evidence] if len(evidence) > 1 else []


def award_manually(*, badge_class, people=(), emails=(), evidence_url="", narrative="", by):
    """Award one badge to chosen people and typed addresses; returns (awarded, already_had).

    Source "manual": a person gets a badge by hand once, so a second award is a no-op reported
    as "already had it" rather than a duplicate assertion. Permission is checked by the caller
    against `awardable_badge_classes`.
    """
    recipients = {person.email.strip().lower(): person for person in people}
    typed = {email.strip().lower() for email in emails if email.strip()} - set(recipients)
    if typed:
        accounts = User.objects.annotate(lower_email=Lower("email")).filter(
            lower_email__in=typed, is_active=True
        )
        recipients.update({account.lower_email: account for account in accounts})
        recipients.update({email: None for email in typed if email not in recipients})
    if not recipients:
        raise ServiceError("no_recipient", _("Choisissez au moins une personne."))
    evidence = evidence_for(url=evidence_url, narrative=narrative)
    awarded, already_had = [], []
    for email, person in sorted(recipients.items()):
        assertion, created = award_badge(
            badge_class=badge_class,
            email=email,
            recipient=person,
            source=MANUAL_SOURCE,
            evidence=evidence,
            awarded_by=by,
        )
        (awarded if created else already_had).append(assertion)
    return awarded, already_had


def _decoded_records(file):
    """(record number, cells) for each CSV record of an uploaded file, header included.

    Records are numbered as a spreadsheet numbers its rows (header = 1, a cell spanning several
    lines still one row), not by physical line; the delimiter is the header's (; or ,).
    """
    encoding = detect_encoding(file)
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        header = text.readline()
        delimiter = ";" if header.count(";") > header.count(",") else ","
        text.seek(0)
        yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)
    except csv.Error as exc:
        raise ServiceError("csv_unreadable", _("Fichier CSV illisible : %s") % exc) from exc
    finally:
        text.detach()


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
        raw = values.get(column, "").strip()
        if not raw:
            dates[column] = None
            continue
        try:
            dates[column] = date.fromisoformat(raw)
        except ValueError:
            dates[column] = None
            problems.append(
                _("%(column)s : date « %(value)s » invalide (format AAAA-MM-JJ)")
                % {"column": column, "value": raw}
            )
    if dates["issued_on"] and dates["issued_on"] > today:
        problems.append(_("issued_on : la date de délivrance est dans le futur"))
    if dates["expires"] and dates["expires"] <= (dates["issued_on"] or today):
        problems.append(_("expires : la date d'expiration doit suivre la date de délivrance"))
    if problems:
        raise ValueError(" ; ".join(problems))
    return {
        "email": email,
        "evidence_url": url,
        "narrative": values.get("narrative", "").strip(),
        "issued_on": dates["issued_on"].isoformat() if dates["issued_on"] else "",
        "expires": dates["expires"].isoformat() if dates["expires"] else "",
    }


def validate_bulk_award_csv(file):
    """Every row of a bulk-award file, checked before anything is awarded.

    Returns the rows (dicts with their line number) or raises CsvInvalid listing each bad line
    with its reasons, so that the whole file is fixed at once and never half awarded.
    Columns: email (required), evidence_url, narrative, issued_on, expires (ISO dates), in any
    order and letter case; UTF-8 with or without BOM; ";" or "," separated.
    """
    errors, rows, seen = [], [], {}
    today = timezone.localdate()
    records = _decoded_records(file)
    try:
        _number, header = next(records, (1, []))
        columns = [name.strip().lower() for name in header]
        if not any(columns):
            raise CsvInvalid([(0, _("Le fichier est vide."))])
        if "email" not in columns:
            raise CsvInvalid(
                [
                    (
                        1,
                        _(
                            "En-tête : colonne « email » manquante "
                            "(colonnes possibles : %(columns)s)."
                        )
                        % {"columns": ", ".join(BULK_COLUMNS)},
                    )
                ]
            )
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(errors) >= MAX_BULK_ROWS:
                errors.append(
                    (line, _("Au plus %(max)s lignes par fichier.") % {"max": MAX_BULK_ROWS})
                )
                break
            values = {
                name: cells[i]
                for i, name in enumerate(columns)
                if name in BULK_COLUMNS and i < len(cells)
            }
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
    except CsvInvalid:
        raise
    except ServiceError as exc:
        raise CsvInvalid([(0, exc.message)]) from exc
    finally:
        records.close()  # hands the file back (detached) even when left half read
    if errors:
        raise CsvInvalid(errors)
    if not rows:
        raise CsvInvalid([(0, _("Le fichier ne contient aucune ligne de données."))])
    return rows


def start_bulk_award(*, badge_class, rows, filename, by):
    """Record a validated file and enqueue its awards (after commit: the job must see the row)."""
    from ..tasks import run_bulk_award

    with transaction.atomic():
        bulk = BulkAward.objects.create(
            badge_class=badge_class,
            uploaded_by=by,
            filename=Path(filename or "badges.csv").name[:255],
            rows=list(rows),
            total=len(rows),
        )
        log(bulk, START_BULK_AWARD, user=by, data={"badge": badge_class.name, "rows": len(rows)})
        run_bulk_award.delay_on_commit(bulk.pk)
    return bulk


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
    from ..tasks import award_bulk_chunk

    bulk = BulkAward.objects.select_related("badge_class", "uploaded_by").filter(pk=bulk_id).first()
    if bulk is None or bulk.status == BulkAward.Status.DONE:
        return bulk
    # Assertions point at the version they were issued against: the badge class as it stood
    # when the file started, published at most once for its whole run.
    version = publish_version(badge_class=bulk.badge_class, by=bulk.uploaded_by)
    with transaction.atomic():
        BulkAward.objects.filter(pk=bulk.pk).exclude(status=BulkAward.Status.DONE).update(
            status=BulkAward.Status.RUNNING, finished_at=None, errors=[]
        )
        recorded = set(bulk.chunks.values_list("index", flat=True))
        pending = [i for i in range(bulk_chunk_count(bulk.total)) if i not in recorded]
        for index in pending:
            award_bulk_chunk.delay_on_commit(bulk.pk, index, version.pk)
        if not pending:  # nothing left to award (an empty file, or only the marking was lost)
            _finish_bulk_award(bulk.pk)
    bulk.refresh_from_db()
    return bulk


def _finish_bulk_award(bulk_id):
    """Mark the job done if every row is counted; true only for the call that marks it."""
    return bool(
        BulkAward.objects.filter(pk=bulk_id, processed__gte=F("total"))
        .exclude(status=BulkAward.Status.DONE)
        .update(status=BulkAward.Status.DONE, finished_at=timezone.now(), errors=[])
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
                account.lower_email: account
                for account in User.objects.annotate(lower_email=Lower("email")).filter(
                    lower_email__in=emails, is_active=True
                )
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
            )
            # The UPDATE above holds the job's row until commit: chunks finishing together
            # add up one after the other, and only the one that completes the count sees it.
            _finish_bulk_award(bulk.pk)
            if awarded:
                ids = [assertion.pk for assertion in awarded]
                transaction.on_commit(lambda: _send_award_emails(ids), robust=True)
    except BaseException:
        _delete_files(stored)
        raise
    _delete_files(set(stored) - {assertion.image.name for assertion in awarded})
    return chunk


def _delete_files(names):
    storage = Assertion._meta.get_field("image").storage
    for name in names:
        storage.delete(name)


def _send_award_emails(assertion_ids):
    from ..tasks import send_badge_emails

    send_badge_emails.delay(assertion_ids)


def fail_bulk_award(*, bulk_id, error):
    """A job or one of its chunks failed for good: say so on the job, with the reason."""
    BulkAward.objects.filter(pk=bulk_id).exclude(status=BulkAward.Status.DONE).update(
        status=BulkAward.Status.FAILED,
        finished_at=timezone.now(),
        errors=[[0, _("Interrompu : %(error)s") % {"error": error}]],
    )


def revoke_assertions(*, assertions, reason, by):
    """Revoke several assertions with one reason, all or none; returns how many were revoked.

    Idempotent: assertions already revoked keep their first reason and are not counted.
    Permission is checked by the caller against `revocable_assertions`.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Indiquez le motif de la révocation."))
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Assertion.objects.select_for_update()
            .filter(pk__in=[a.pk for a in assertions], revoked=False)
            .order_by("pk")
        )
        for assertion in locked:
            assertion.revoked = True
            assertion.revocation_reason = reason[:255]
            assertion.revoked_at = now
            assertion.save(update_fields=["revoked", "revocation_reason", "revoked_at"])
            log(assertion, AuditAction.REVOKE_ASSERTION, user=by, data={"reason": reason})
            forget_assertion(assertion.uuid)
    return len(locked)
