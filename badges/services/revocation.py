"""Revocation: a badge withdrawn with a reason, never deleted; verifiers then get 410 Gone and
`revoked: true` with the reason (public: it says nothing private)."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import TRANSIENT_ERRORS, ServiceError

from ..constants import AuditAction, BadgeKind
from ..models import Assertion
from .awards import COMPLETION_SOURCE
from .openbadges import forget_assertion

REASON_MAX_LENGTH = Assertion._meta.get_field("revocation_reason").max_length


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Indiquez le motif de la révocation."))
    return reason


def _revoke(pks, *, reason, by):
    """The one revocation loop, in the caller's transaction: lock the assertions not revoked
    yet (in pk order, so that two revocations never deadlock), revoke each with the reason
    (stored cut to the column's length, logged whole) and drop its cached hosted document
    after commit. Returns the assertions revoked now."""
    now = timezone.now()
    locked = list(
        Assertion.objects.select_for_update().filter(pk__in=pks, revoked=False).order_by("pk")
    )
    for assertion in locked:
        assertion.revoked = True
        assertion.revocation_reason = reason[:REASON_MAX_LENGTH]
        assertion.revoked_at = now
        assertion.save(update_fields=["revoked", "revocation_reason", "revoked_at"])
        log(assertion, AuditAction.REVOKE_ASSERTION, user=by, data={"reason": reason})
        forget_assertion(assertion.uuid)
    return locked


def revoke_assertion(*, assertion, reason, by):
    """Revoke with a reason: verifiers then get 410 Gone and `revoked: true`. Idempotent: an
    assertion already revoked keeps its first reason. Returns the assertion as it now stands."""
    reason = _reason(reason)
    with transaction.atomic():
        _revoke([assertion.pk], reason=reason, by=by)
        return Assertion.objects.get(pk=assertion.pk)


def revoke_assertions(*, assertions, reason, by):
    """Revoke several assertions with one reason, all or none; returns how many were revoked.

    Idempotent: assertions already revoked keep their first reason and are not counted.
    Permission is checked by the caller against `revocable_assertions`.
    """
    reason = _reason(reason)
    with transaction.atomic():
        return len(_revoke([a.pk for a in assertions], reason=reason, by=by))


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


@shared_task(
    name="badges.tasks.revoke_withdrawn_completion_badges",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=60,
    soft_time_limit=50,
)
def revoke_withdrawn_completion_badges_task(user_id, workshop_id):
    """Revoke the badges a withdrawn completion had earned. Safe to run twice: a revoked
    assertion is left as it is."""
    return revoke_withdrawn_completion_badges(user_id=user_id, workshop_id=workshop_id)
