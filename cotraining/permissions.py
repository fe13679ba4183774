"""Who may act on which sessions and enrolments: object-level rules, as querysets.

Visibility is enforced in the queryset, so a list can never show what a single-object view would
refuse: views call these and 404 on anything outside them.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .constants import EnrollmentStatus, Role, SessionStatus
from .models import (
    Enrollment,
    Establishment,
    Notification,
    RoleAssignment,
    Session,
    User,
    WorkshopPage,
)


def has_role(user, role):
    if not user.is_authenticated:
        return False
    return user.role_assignments.filter(role=role).exists()


def coordinated_academies(user):
    """Ids of the académies a person coordinates."""
    return RoleAssignment.objects.filter(
        user=user, role=Role.COORDINATOR, academie__isnull=False
    ).values("academie")


def managed_sessions(user):
    """Sessions a person runs: trainer of the workshop, coordinator of its académie, or admin."""
    if not user.is_authenticated:
        return Session.objects.none()
    if user.is_superuser:
        return Session.objects.all()
    # EXISTS rather than a join on the trainers: a workshop with two trainers must not count
    # each enrolment twice in the annotated lists built on this queryset.
    trains = WorkshopPage.trainers.through.objects.filter(
        workshoppage_id=OuterRef("workshop_id"), user_id=user.pk
    )
    return Session.objects.filter(
        Q(Exists(trains)) | Q(workshop__academie__in=coordinated_academies(user))
    )


def approvable_enrollments(user):
    """Enrolments waiting for this person's approval.

    The line manager is the head of the teacher's establishment; the académie's coordinators
    decide too, so that a school without a head on the platform never blocks anyone.
    """
    if not user.is_authenticated:
        return Enrollment.objects.none()
    # Requests for sessions that began or were cancelled have nothing left to decide.
    pending = Enrollment.objects.filter(
        status=EnrollmentStatus.PENDING_APPROVAL,
        session__status=SessionStatus.SCHEDULED,
        session__start__gt=timezone.now(),
    )
    if user.is_superuser:
        return pending
    headed = RoleAssignment.objects.filter(
        user=user, role=Role.SCHOOL_HEAD, establishment__isnull=False
    ).values("establishment")
    return pending.filter(
        Q(user__establishment__in=headed)
        | Q(session__workshop__academie__in=coordinated_academies(user))
    ).exclude(user=user)


# --- The académie's people and records, as the Wagtail admin lists them ---------------------


def _in_coordinated(user, prefix=""):
    """Q over rows whose académie, département or establishment lies in an académie this person
    coordinates (`prefix` leads from the model to a RoleAssignment-like triple of fields)."""
    academies = coordinated_academies(user)
    return (
        Q(**{f"{prefix}academie__in": academies})
        | Q(**{f"{prefix}departement__academie__in": academies})
        | Q(**{f"{prefix}establishment__departement__academie__in": academies})
    )


def academie_people(user):
    """People a coordinator may read: those working in an establishment of their académie or
    holding a role scoped to it, and themselves. Everyone for a platform admin."""
    if not user.is_authenticated:
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    roles_there = RoleAssignment.objects.filter(_in_coordinated(user), user_id=OuterRef("pk"))
    return User.objects.filter(
        Q(pk=user.pk)
        | Q(establishment__departement__academie__in=coordinated_academies(user))
        | Q(Exists(roles_there))
    )


def visible_role_assignments(user):
    """Role assignments within the territory a person coordinates (all for a platform admin)."""
    if not user.is_authenticated:
        return RoleAssignment.objects.none()
    if user.is_superuser:
        return RoleAssignment.objects.all()
    return RoleAssignment.objects.filter(_in_coordinated(user))


def visible_notifications(user):
    """Emails about the enrolments in the sessions of the académies a person coordinates."""
    if not user.is_authenticated:
        return Notification.objects.none()
    if user.is_superuser:
        return Notification.objects.all()
    return Notification.objects.filter(
        enrollment__session__workshop__academie__in=coordinated_academies(user)
    )


def worked_academies(user):
    """Ids of the académies a person works in through a role (coordinator, trainer…)."""
    return RoleAssignment.objects.filter(user=user, academie__isnull=False).values("academie")


def choosable_establishments(user):
    """Establishments the admin offers this person (a session's venue): those of the académies
    they coordinate or train in; every one for a platform admin."""
    if not user.is_authenticated:
        return Establishment.objects.none()
    if user.is_superuser:
        return Establishment.objects.all()
    return Establishment.objects.filter(departement__academie__in=worked_academies(user))
