"""Joining a community: join at once (open) or ask (closed), animators approve or refuse, leave,
and a member's preferences (follow new questions, weekly digest)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import ServiceError

from ..constants import AuditAction, MembershipStatus
from ..models import Membership
from ..permissions import animated_communities, visible_communities


def join(*, community, user):
    """Join an open community at once, or ask to join a closed one (an animator decides).

    Only a community offered to the person (their disciplines, degree, territory) may be joined.
    Idempotent: a member or a pending request stays as it is; a refused request is made again.
    Returns the membership.
    """
    if not visible_communities(user).filter(pk=community.pk, is_active=True).exists():
        raise ServiceError(
            "community_not_offered", _("Cette communauté n'est pas ouverte à votre profil.")
        )
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            community=community,
            user=user,
            defaults={"status": MembershipStatus.REQUESTED},
        )
        if membership.status == MembershipStatus.ACTIVE:
            return membership
        if membership.status == MembershipStatus.REQUESTED and not created:
            return membership
        now = timezone.now()
        if community.is_closed:
            membership.status = MembershipStatus.REQUESTED
            membership.requested_at = now
            membership.save(update_fields=["status", "requested_at"])
            log(membership, AuditAction.REQUEST_MEMBERSHIP, user=user)
        else:
            membership.status = MembershipStatus.ACTIVE
            membership.joined_at = now
            membership.last_seen_at = now
            membership.save(update_fields=["status", "joined_at", "last_seen_at"])
            log(membership, AuditAction.JOIN, user=user)
    return membership


def _decided_membership(membership, by):
    """The membership, locked, if `by` animates its community."""
    found = (
        Membership.objects.select_for_update()
        .filter(pk=membership.pk, community__in=animated_communities(by).values("pk"))
        .select_related("community", "user")
        .first()
    )
    if found is None:
        raise ServiceError(
            "not_animator", _("Seuls les animateurs de la communauté décident des adhésions.")
        )
    return found


def approve_membership(*, membership, by):
    """An animator accepts a request (or a request refused earlier). Idempotent."""
    with transaction.atomic():
        membership = _decided_membership(membership, by)
        if membership.status == MembershipStatus.ACTIVE:
            return membership
        now = timezone.now()
        membership.status = MembershipStatus.ACTIVE
        membership.joined_at = now
        membership.decided_by = by
        membership.save(update_fields=["status", "joined_at", "decided_by"])
        log(membership, AuditAction.APPROVE_MEMBERSHIP, user=by)
    return membership


def refuse_membership(*, membership, by):
    """An animator refuses a pending request; a member is never refused afterwards."""
    with transaction.atomic():
        membership = _decided_membership(membership, by)
        if membership.status == MembershipStatus.REFUSED:
            return membership
        if membership.status == MembershipStatus.ACTIVE:
            raise ServiceError(
                "already_member", _("Cette personne est déjà membre de la communauté.")
            )
        membership.status = MembershipStatus.REFUSED
        membership.decided_by = by
        membership.save(update_fields=["status", "decided_by"])
        log(membership, AuditAction.REFUSE_MEMBERSHIP, user=by)
    return membership


def leave(*, community, user):
    """Leave a community (or withdraw a request). Idempotent: nothing to leave is a no-op.
    Their questions and answers stay, signed with their name."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(community=community, user=user).first()
        )
        if membership is None or membership.status == MembershipStatus.REFUSED:
            return False
        log(community, AuditAction.LEAVE, user=user, data={"status": membership.status})
        membership.delete()
    return True


def set_preferences(*, membership, follows=None, digest_opt_out=None):
    """A member follows the community's new questions or not, and receives the weekly digest
    or not (per community)."""
    fields = []
    if follows is not None:
        membership.follows = bool(follows)
        fields.append("follows")
    if digest_opt_out is not None:
        membership.digest_opt_out = bool(digest_opt_out)
        fields.append("digest_opt_out")
    if fields:
        membership.save(update_fields=fields)
    return membership


def mark_seen(*, membership, now=None):
    """What the member saw on the community's page is no longer new."""
    now = now or timezone.now()
    Membership.objects.filter(pk=membership.pk).update(last_seen_at=now)
