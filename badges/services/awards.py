"""Awards: a badge to a person for one reason (its source), automatically or by hand.

`award_badge` is the one way an assertion is made (bulk files make theirs by chunk with the same
pieces, badges.services.bulk): idempotent per badge, recipient and source. A workshop's
completion earns its participant and trainer badges; people chosen on a page or typed addresses
get a badge by hand; an address proved by its owner brings them the badges awarded to it.
"""

from datetime import timedelta

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import TRANSIENT_ERRORS, ServiceError
from cotraining.models import Completion, Enrollment

from ..constants import AuditAction, AwardRights, BadgeKind
from ..models import Assertion, BadgeClass, hash_identity, site_url
from .baking import store_baked_image
from .emails import send_badge_email_task
from .versions import publish_version

User = get_user_model()

COMPLETION_SOURCE = "completion:"  # + completion pk: withdrawn then earned again, a new badge
MANUAL_SOURCE = "manual"  # one manual award per badge and person: a second one is a no-op


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
            send_badge_email_task.enqueue_on_commit(assertion.pk)
    except IntegrityError:  # awarded concurrently by another worker
        return Assertion.objects.get(
            badge_class=badge_class, recipient_email=email, source=source
        ), False
    return assertion, True


# --- A workshop's completion ----------------------------------------------------------------


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


def award_missing_completion_badges(*, limit=500):
    """Award the badges of completions whose award task was lost (run by beat); returns how
    many completions were looked at again. Idempotent: awards are."""
    missing = completions_missing_badges(limit=limit)
    for completion_id in missing:
        award_completion_badges(completion_id=completion_id)
    return len(missing)


@shared_task(
    name="badges.tasks.award_completion_badges",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=120,
    soft_time_limit=100,
)
def award_completion_badges_task(completion_id):
    """Award a completed workshop's badges. Safe to run twice: awards are idempotent."""
    return [a.pk for a in award_completion_badges(completion_id=completion_id)]


@shared_task(
    name="badges.tasks.award_missing_completion_badges",
    time_limit=600,
    soft_time_limit=540,
)
def award_missing_completion_badges_task():
    """Run by beat: award what a lost task did not (awards are idempotent)."""
    return award_missing_completion_badges()


# --- By hand: people chosen on a page, or typed addresses -----------------------------------


def evidence_for(*, url="", narrative=""):
    """The Open Badges Evidence of a manual or bulk award (nothing when neither is given)."""
    evidence = {"type": "Evidence"}
    if url:
        evidence["id"] = url
    if narrative:
        evidence["narrative"] = narrative
    return [evidence] if len(evidence) > 1 else []


def refuse_automatic_only(badge_class):
    """A badge whose criteria an automatic rule checks (a verified certification) is never
    awarded by hand, whoever asks: the award page and bulk files both stop here."""
    if badge_class.award_rights == AwardRights.AUTOMATIC:
        raise ServiceError(
            "automatic_only",
            _("Le badge « %(badge)s » n'est décerné qu'automatiquement.")
            % {"badge": badge_class.name},
        )


def award_manually(*, badge_class, people=(), emails=(), evidence_url="", narrative="", by):
    """Award one badge to chosen people and typed addresses; returns (awarded, already_had).

    Source "manual": a person gets a badge by hand once, so a second award is a no-op reported
    as "already had it" rather than a duplicate assertion. Permission is checked by the caller
    against `awardable_badge_classes`.
    """
    refuse_automatic_only(badge_class)
    recipients = {person.email.strip().lower(): person for person in people}
    typed = {email.strip().lower() for email in emails if email.strip()} - set(recipients)
    if typed:
        # Only an account whose address is verified: anyone may sign up with any address.
        accounts = User.objects.with_verified_email(typed)
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
