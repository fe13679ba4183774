"""Open Badges use cases: publish a badge class version, award, bake, revoke.

The JSON documents built here are what verifiers read at the hosted URLs (Open Badges 2.0,
hosted verification); they are built from the database each time except a badge class's, which
is frozen per version so that earlier assertions keep the criteria they were issued against.
"""

import io
import json

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openbadges_bakery import bake, unbake
from wagtail.log_actions import log

from cotraining.constants import Attendance, EnrollmentStatus
from cotraining.exceptions import ServiceError
from cotraining.models import Completion, Enrollment

from .constants import AuditAction, BadgeKind
from .models import Assertion, BadgeClass, BadgeClassVersion, site_url

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


def bake_image(assertion):
    """The badge class image with the assertion baked in, built in memory (PNG or SVG)."""
    badge_class = assertion.badge_class
    badge_class.image.open("rb")
    try:
        source = io.BytesIO(badge_class.image.read())
    finally:
        badge_class.image.close()
    output = io.BytesIO()
    bake(source, json.dumps(assertion_document(assertion)), output)
    return output.getvalue()


def image_extension(badge_class):
    return "svg" if badge_class.image.name.lower().endswith(".svg") else "png"


def read_baked(content):
    """What a baked image carries: the assertion JSON (PNG), or, for SVG as the Open Badges
    baking specification says of hosted badges, the assertion's URL (its `verify` attribute)."""
    baked = unbake(io.BytesIO(content))
    return baked if baked.startswith("http") else json.loads(baked)


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
    issued_on = issued_on or timezone.now()
    try:
        with transaction.atomic():
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
            assertion.save()
            ext = image_extension(badge_class)
            assertion.image.save(f"{assertion.uuid}.{ext}", ContentFile(bake_image(assertion)))
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
    from .tasks import send_badge_email

    send_badge_email.delay(assertion_id)


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
    return assertion


def completion_evidence(completion):
    """Evidence of real training: the workshop page, each session attended, the hours."""
    workshop = completion.workshop
    attended = (
        Enrollment.objects.filter(
            user=completion.user,
            session__workshop=workshop,
            status=EnrollmentStatus.CONFIRMED,
            attendance__in=[Attendance.PRESENT, Attendance.PARTIAL],
        )
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
    source = f"workshop:{workshop.pk}"
    for badge_class in BadgeClass.objects.filter(workshop=workshop).select_related("issuer"):
        if badge_class.kind == BadgeKind.PARTICIPANT:
            people = [completion.user]
            evidence = completion_evidence(completion)
        else:
            people = list(workshop.trainers.all())
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
            )
            if created:
                awarded.append(assertion)
    return awarded
