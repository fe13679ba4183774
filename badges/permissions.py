"""Who may award and revoke which badges in an issuer's name: object-level rules, as querysets.

A platform admin, or a coordinator of the issuer's académie, awards and revokes any of its
badges; a trainer of that académie awards (never revokes) the badges of the workshops they
train and the issuer's stand-alone badges (no workshop). Views look objects up in these
querysets and 404 on anything outside them, so a list never shows what an action would refuse.
"""

from django.db.models import Exists, OuterRef, Q

from cotraining.constants import Role
from cotraining.models import RoleAssignment, WorkshopPage
from cotraining.permissions import coordinated_academies

from .models import Assertion, BadgeClass, BulkAward


def trained_academies(user):
    """Ids of the académies a person trains in."""
    return RoleAssignment.objects.filter(
        user=user, role=Role.TRAINER, academie__isnull=False
    ).values("academie")


def awardable_badge_classes(user):
    if not user.is_authenticated:
        return BadgeClass.objects.none()
    if user.is_superuser:
        return BadgeClass.objects.all()
    trains = WorkshopPage.trainers.through.objects.filter(
        workshoppage_id=OuterRef("workshop_id"), user_id=user.pk
    )
    return BadgeClass.objects.filter(
        Q(issuer__academie__in=coordinated_academies(user))
        | (
            Q(issuer__academie__in=trained_academies(user))
            & (Q(workshop__isnull=True) | Q(Exists(trains)))
        )
    )


def revocable_badge_classes(user):
    """Badges whose assertions this person may revoke: the issuer's admins only."""
    if not user.is_authenticated:
        return BadgeClass.objects.none()
    if user.is_superuser:
        return BadgeClass.objects.all()
    return BadgeClass.objects.filter(issuer__academie__in=coordinated_academies(user))


def revocable_assertions(user):
    if not user.is_authenticated:
        return Assertion.objects.none()
    if user.is_superuser:
        return Assertion.objects.all()
    return Assertion.objects.filter(badge_class__in=revocable_badge_classes(user))


def visible_bulk_awards(user):
    """A file's progress and result: to whoever uploaded it and to the issuer's admins."""
    if not user.is_authenticated:
        return BulkAward.objects.none()
    if user.is_superuser:
        return BulkAward.objects.all()
    return BulkAward.objects.filter(
        Q(uploaded_by=user) | Q(badge_class__in=revocable_badge_classes(user))
    )


def can_award(user, badge_class):
    return awardable_badge_classes(user).filter(pk=badge_class.pk).exists()


def can_revoke(user, assertion):
    return revocable_assertions(user).filter(pk=assertion.pk).exists()
