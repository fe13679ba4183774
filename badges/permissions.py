"""Who may award and revoke which badges in an issuer's name: object-level rules, as querysets.

A platform admin, or a coordinator of the issuer's académie, awards and revokes any of its
badges; a trainer of that académie awards (never revokes) the badges of the workshops they
train and the issuer's stand-alone badges (no workshop). Views look objects up in these
querysets and 404 on anything outside them, so a list never shows what an action would refuse.
"""

from django.db.models import Exists, OuterRef, Q

from cotraining.constants import Role
from cotraining.models import Enrollment, RoleAssignment, User, WorkshopPage
from cotraining.permissions import coordinated_academies

from .constants import AwardRights
from .models import Assertion, BadgeClass, BulkAward, PixCertification, PixImport


def trained_academies(user):
    """Ids of the académies a person trains in."""
    return RoleAssignment.objects.filter(
        user=user, role=Role.TRAINER, academie__isnull=False
    ).values("academie")


def awardable_badge_classes(user):
    """Badges this person may award by hand: never an automatic-only one (a certification badge);
    a coordinators-only one by the issuer's coordinators; the others by trainers too."""
    if not user.is_authenticated:
        return BadgeClass.objects.none()
    if user.is_superuser:
        return BadgeClass.objects.exclude(award_rights=AwardRights.AUTOMATIC)
    trains = WorkshopPage.trainers.through.objects.filter(
        workshoppage_id=OuterRef("workshop_id"), user_id=user.pk
    )
    return BadgeClass.objects.filter(
        Q(issuer__academie__in=coordinated_academies(user))
        | (
            Q(issuer__academie__in=trained_academies(user), award_rights=AwardRights.TRAINERS)
            & (Q(workshop__isnull=True) | Q(Exists(trains)))
        )
    ).exclude(award_rights=AwardRights.AUTOMATIC)


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


def findable_people(badge_class):
    """Whom the award page may find by name for a badge: people working in the issuer's
    académie or who enrolled in its workshops (anyone else is awarded by typing their address).
    An issuer with no académie (a national one) finds everyone."""
    people = User.objects.filter(is_active=True)
    academie = badge_class.issuer.academie_id if badge_class else None
    if badge_class is None:
        return people.none()
    if academie is None:
        return people
    took_part = Enrollment.objects.filter(
        user_id=OuterRef("pk"), session__workshop__academie_id=academie
    )
    return people.filter(Q(establishment__departement__academie_id=academie) | Exists(took_part))


# --- PIX certifications -----------------------------------------------------------------------
# Individual results are seen by the holder, the head of their school and the académie's
# authorised staff (coordination, or an indicator reader given the verify permission) for the
# territory of the holder's establishment; everyone else sees aggregates only (indicators).


def _reviewed_territory(user, holder="user__"):
    """Q over certifications (or, with holder="", people) of a territory this person reviews."""
    readers = RoleAssignment.objects.filter(user=user, role=Role.INDICATOR_READER)
    return (
        Q(**{f"{holder}establishment__departement__academie__in": coordinated_academies(user)})
        | Q(
            **{
                f"{holder}establishment__departement__academie__in": readers.filter(
                    academie__isnull=False
                ).values("academie")
            }
        )
        | Q(
            **{
                f"{holder}establishment__departement__in": readers.filter(
                    departement__isnull=False
                ).values("departement")
            }
        )
    )


def reviewable_certifications(user):
    """Certifications this person may verify or reject (never their own)."""
    if not user.is_authenticated:
        return PixCertification.objects.none()
    if user.is_superuser:
        return PixCertification.objects.all()
    if not user.has_perm("badges.verify_pixcertification"):
        return PixCertification.objects.none()
    return PixCertification.objects.filter(_reviewed_territory(user)).exclude(user=user)


def _headed(user):
    """Q over the certifications of the staff of the schools this person heads (read only)."""
    headed = RoleAssignment.objects.filter(
        user=user, role=Role.SCHOOL_HEAD, establishment__isnull=False
    ).values("establishment")
    return Q(user__establishment__in=headed)


def visible_certifications(user):
    """Individual results this person may read: their own, their school's, their territory's."""
    if not user.is_authenticated:
        return PixCertification.objects.none()
    if user.is_superuser:
        return PixCertification.objects.all()
    reviewed = (
        _reviewed_territory(user)
        if user.has_perm("badges.verify_pixcertification")
        else Q(pk__in=[])
    )
    return PixCertification.objects.filter(Q(user=user) | reviewed | _headed(user))


def can_review_pix(user):
    """Whether the review list and the import are offered at all."""
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("badges.verify_pixcertification")
    )


def can_read_pix_list(user):
    return can_review_pix(user) or (
        user.is_authenticated
        and RoleAssignment.objects.filter(user=user, role=Role.SCHOOL_HEAD).exists()
    )


def visible_pix_imports(user):
    if not can_review_pix(user):
        return PixImport.objects.none()
    if user.is_superuser:
        return PixImport.objects.all()
    return PixImport.objects.filter(user=user)


def pix_people(user):
    """People whose results this person may import: the holders of their reviewed territory."""
    if not can_review_pix(user):
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    return User.objects.filter(_reviewed_territory(user, holder=""))
