"""Open Badges use cases: publish a badge class version, award, bake, revoke.

The JSON documents built here are what verifiers read at the hosted URLs (Open Badges 2.0,
hosted verification); they are built from the database each time except a badge class's, which
is frozen per version so that earlier assertions keep the criteria they were issued against.

The PIX and Pix+ Édu use cases live beside them in badges.services.pix.
"""

import io
import json
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openbadges_bakery import bake, unbake
from wagtail.log_actions import get_active_log_context, log
from wagtail.log_actions import registry as log_registry

from cotraining.exceptions import ServiceError
from cotraining.models import Completion, Enrollment

from ..constants import AuditAction, BadgeKind
from ..models import (
    Assertion,
    BadgeClass,
    BadgeClassVersion,
    hash_identity,
    site_url,
)
from ..validators import sanitize_svg

User = get_user_model()
CONTEXT = "https://w3id.org/openbadges/v2"
# The language the documents' texts are written in (Open Badges 2.0, "@language").
LANGUAGE = "fr"


def issuer_document(issuer):
    from django.urls import reverse

    document = {
        "@context": CONTEXT,
        "@language": LANGUAGE,
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
    """The BadgeClass as it stands now; `id` is the versioned URL when `number` is given.

    Written in French (its "@language") whatever the language of the request or task that
    publishes it: a frozen version never switches language."""
    with translation.override(LANGUAGE):
        return _badge_class_document(badge_class, number=number)


def _badge_class_document(badge_class, *, number):
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
    if number is None:
        image = reverse("badges:badge_class_image", kwargs={"uuid": badge_class.uuid})
    else:  # each version keeps its image
        image = reverse(
            "badges:badge_class_version_image", kwargs={"uuid": badge_class.uuid, "number": number}
        )
    document = {
        "@context": CONTEXT,
        "@language": LANGUAGE,
        "type": "BadgeClass",
        "id": badge_id,
        "name": badge_class.name,
        "description": badge_class.description,
        "image": site_url(image),
        "criteria": criteria,
        "issuer": badge_class.issuer.public_url,
    }
    alignment = [_alignment(competence, badge_class) for competence in _aligned(badge_class)]
    if alignment:
        document["alignment"] = alignment
    if badge_class.tag_list:
        document["tags"] = badge_class.tag_list
    return document


PIX_PLUS_EDU = "pix-plus-edu"
CRCN_URL = "https://pix.fr/competences"
PIX_PLUS_EDU_URL = "https://eduscol.education.fr/721/certification-pix-edu"


def _aligned(badge_class):
    """The competences a badge class aligns to: those chosen, and for a Pix+ Édu badge the
    Pix+ Édu scope it certifies (aligned even when nobody ticked it)."""
    from cotraining.models import Competence

    competences = list(badge_class.competences.all())
    scope = badge_class.pix_plus_edu_scope
    if scope and not any(c.framework == PIX_PLUS_EDU and c.code == scope for c in competences):
        competences += list(Competence.objects.filter(framework=PIX_PLUS_EDU, code=scope))
    return sorted(competences, key=lambda c: (c.framework, c.code))


def _competence_url(competence):
    """One URL per competence: the public reference (the CRCN on pix.fr, Pix+ Édu on eduscol)
    and the competence's code as its fragment, so that two competences never share one."""
    base = PIX_PLUS_EDU_URL if competence.framework == PIX_PLUS_EDU else CRCN_URL
    return f"{base}#{competence.framework}-{competence.code.replace('.', '-')}"


def _alignment(competence, badge_class):
    if competence.framework == PIX_PLUS_EDU:
        description = _("Certification Pix+ Édu, volet %(scope)s") % {"scope": competence.name}
        if badge_class.pix_plus_edu_scope == competence.code and badge_class.pix_plus_edu_level:
            description += _(", niveau %(level)s ou au-delà") % {
                "level": badge_class.get_pix_plus_edu_level_display()
            }
    else:
        description = _("Compétence %(code)s du CRCN (domaine « %(domain)s ») : %(name)s") % {
            "code": competence.code,
            "domain": competence.domain,
            "name": competence.name,
        }
    return {
        "targetName": str(competence),
        "targetUrl": _competence_url(competence),
        "targetDescription": description,
        "targetFramework": competence.get_framework_display(),
        "targetCode": competence.code,
    }


def _comparable(document):
    # `id` and `image` name the version; whether the image changed is told by its stored file.
    return {key: value for key, value in document.items() if key not in ("id", "image")}


def _same(version, badge_class, document):
    return (
        _comparable(version.document) == _comparable(document)
        and version.image_source == badge_class.image.name
    )


def publish_version(*, badge_class, by=None):
    """The current version of a badge class, published anew if anything changed since the last.

    Called after each edit and before each award: assertions always point at a version that
    says exactly what the badge class said when they were issued.
    """
    # Fast path, no lock: nothing changed since the latest version (every award but the first
    # after an edit). Awards of one badge class then never queue behind each other.
    latest = badge_class.versions.order_by("-number").first()
    if latest and _same(latest, badge_class, badge_class_document(badge_class)):
        return latest
    with transaction.atomic():
        locked = BadgeClass.objects.select_for_update().get(pk=badge_class.pk)
        latest = locked.versions.order_by("-number").first()
        if latest and _same(latest, locked, badge_class_document(locked)):
            return latest
        number = latest.number + 1 if latest else 1
        version = BadgeClassVersion(
            badge_class=locked,
            number=number,
            document=badge_class_document(locked, number=number),
            image_source=locked.image.name,
        )
        # A copy of the image as it is now (an SVG sanitised again): a later upload leaves
        # this version, and the images baked against it, unchanged.
        version.image.save(
            f"{locked.uuid}-v{number}.{image_extension(locked)}",
            ContentFile(badge_image(locked)),
            save=False,
        )
        version.save()
        log(locked, AuditAction.PUBLISH_BADGE_VERSION, user=by, data={"version": number})
        return version


def assertion_document(assertion):
    document = {
        "@context": CONTEXT,
        "@language": LANGUAGE,
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


def badge_image(badge_class, *, version=None):
    """The bytes of a badge class's image — of `version`'s own copy when given — read once
    through the storage API; an SVG is sanitised again, so that a file stored before
    sanitising existed is never baked as is."""
    field = version.image_file if version is not None else badge_class.image
    field.open("rb")
    try:
        content = field.read()
    finally:
        field.close()
    if field.name.lower().endswith(".svg"):
        content = sanitize_svg(content)
    return content


def bake_image(assertion, *, image=None):
    """The badge class image with the assertion baked in, built in memory (PNG or SVG).

    `image` is the badge class image's bytes when the caller already read them (a bulk award
    reads them once for a whole chunk); otherwise they are read here.
    """
    if image is None:
        image = badge_image(assertion.badge_class, version=assertion.version)
    source = image
    output = io.BytesIO()
    bake(io.BytesIO(source), json.dumps(assertion_document(assertion)), output)
    return output.getvalue()


def store_baked_image(assertion, *, image=None):
    """Bake the assertion and store the image through the storage API (no temporary file),
    before the row's first INSERT: its uuid and identity exist already."""
    version = assertion.version if assertion.version_id else None
    source = (version.image_file if version else assertion.badge_class.image).name
    ext = "svg" if source.lower().endswith(".svg") else "png"
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
            "site_url": site_url(""),
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

    At most once per assertion, across concurrent deliveries, crashes and the catch-up:
    - each email is claimed first by a conditional UPDATE committed on its own
      (`emailing_started_at`, only where no email left and no live claim is held): of two
      deliveries or catch-ups running at once, one claims it and the other skips it;
    - `emailed_at` is committed right after each email leaves, so a worker killed mid-list
      leaves its sent emails recorded and at most the one in flight uncertain;
    - on a mail server failure the claims not used are released (the retry sends the rest);
      a claim left by a killed worker expires after EMAIL_CLAIM_TIMEOUT, and only then does
      the catch-up send that email (at least once).
    The emails are rendered before any claim; a revoked or deleted assertion is skipped.
    """
    candidates = (
        Assertion.objects.select_related("badge_class__issuer", "recipient")
        .filter(pk__in=assertion_ids, revoked=False, emailed_at__isnull=True)
        .order_by("pk")
    )
    messages = {assertion.pk: award_message(assertion) for assertion in candidates}
    if not messages:
        return 0
    now = timezone.now()
    claimable = Assertion.objects.filter(revoked=False, emailed_at__isnull=True).filter(
        Q(emailing_started_at__isnull=True) | Q(emailing_started_at__lt=now - EMAIL_CLAIM_TIMEOUT)
    )
    claimed = [pk for pk in messages if claimable.filter(pk=pk).update(emailing_started_at=now)]
    sent, in_flight = [], None
    try:
        if claimed:
            # Django 6.1's replacement for get_connection(): one backend instance, opened once
            # (one SMTP connection) for the whole list.
            with mailers.default as connection:
                for pk in claimed:
                    in_flight = pk
                    connection.send_messages([messages[pk]])
                    in_flight = None
                    Assertion.objects.filter(pk=pk).update(emailed_at=timezone.now())
                    sent.append(pk)
    except (OSError, smtplib.SMTPException):
        # Refused by the mail server: nothing left for the one in flight, retry them all.
        _release_email_claims(set(claimed) - set(sent))
        raise
    except BaseException:
        # Anything else (a time limit, a shutdown): the one in flight may have left, its claim
        # stays until EMAIL_CLAIM_TIMEOUT; the others are free for the retry or the catch-up.
        _release_email_claims(set(claimed) - set(sent) - {in_flight})
        raise
    return len(sent)


def _release_email_claims(pks):
    if pks:
        Assertion.objects.filter(pk__in=pks, emailed_at__isnull=True).update(
            emailing_started_at=None
        )


# A claimed award email whose task died is sent again by the catch-up after this delay (above
# the email task's time limit and the broker's visibility timeout).
EMAIL_CLAIM_TIMEOUT = timedelta(hours=2)
# An award whose email task was lost is emailed by beat after this delay (the task normally runs
# within seconds), and only while the award is recent: an old badge is not announced late.
UNSENT_EMAIL_AFTER = timedelta(minutes=15)
UNSENT_EMAIL_WITHIN = timedelta(days=7)


def unsent_award_emails(*, limit=1000):
    """Ids of recent, valid awards whose email was never sent (its task was lost)."""
    now = timezone.now()
    return list(
        Assertion.objects.filter(
            revoked=False,
            emailed_at__isnull=True,
            created_at__lt=now - UNSENT_EMAIL_AFTER,
        )
        .filter(
            # Not claimed by a task that may still be sending it (or may have sent it).
            Q(emailing_started_at__isnull=True)
            | Q(emailing_started_at__lt=now - EMAIL_CLAIM_TIMEOUT),
            created_at__gt=now - UNSENT_EMAIL_WITHIN,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# How long a hosted assertion's response is cached: in the shared cache (only revocation changes
# it, and clears it), and in each web process's memory in front of it, a few seconds only: a
# revocation reaches every process within ASSERTION_LOCAL_SECONDS (the response itself tells
# verifiers they may keep it 300 s), and the hot URL costs no round trip to Redis.
ASSERTION_CACHE_SECONDS = 60
ASSERTION_LOCAL_SECONDS = 5


def assertion_cache_key(uuid):
    return f"badges:assertion:{uuid}"


def drop_cached_assertion(uuid):
    """Drop a hosted assertion's cached response (shared cache, and this process's copy)."""
    from django.core.cache import cache, caches

    key = assertion_cache_key(uuid)
    cache.delete(key)
    caches["local"].delete(key)


def forget_assertion(uuid):
    """After a revocation commits: the next request reads the database and answers 410."""
    transaction.on_commit(lambda: drop_cached_assertion(uuid))


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


# --- Bulk revocation ------------------------------------------------------------------------


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


# --- Awards to an address, and the account that proves it owns it ---------------------------


def link_awards_to_verified_address(*, user, email):
    """Hand `user` the badges awarded to `email` before the address was theirs for certain.

    An award to a typed address goes to an account only when that account's address is
    verified (User.objects.with_verified_email); the others wait, unlinked, until someone
    proves the address is theirs: called when allauth confirms it. Idempotent: a badge
    already linked to an account stays with it. Returns how many were linked.
    """
    email = (email or "").strip().lower()
    if not email or not user.is_active:
        return 0
    return Assertion.objects.filter(recipient__isnull=True, recipient_email=email).update(
        recipient=user
    )
