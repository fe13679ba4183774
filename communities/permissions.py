"""Who may see and do what in the communities, as querysets (object-level rules).

Views look every object up in these querysets and answer 404 outside them, so a list never
shows what a page would refuse:
- `offered_communities`: those a person is offered (their disciplines, degree and territory);
- `visible_communities`: those whose page they may open (offered, joined, requested, animated);
- `readable_communities`: those whose questions they may read (open and visible, or active
  member, or animator);
- `animated_communities`: those they animate (approve members, hide posts, answer escalations);
- `visible_escalations`: their own escalations and those of the communities they animate.
"""

from django.db.models import Exists, OuterRef, Q

from cotraining.constants import Role
from cotraining.models import RoleAssignment

from .constants import Access, MembershipStatus, TerritoryLevel
from .models import Answer, Comment, Community, Escalation, Membership, Question


def _territory_match(user):
    """Q over communities whose territory contains the person: national ones, and those of
    their establishment's académie, département, bassin or establishment, or of the territories
    they hold a role over (an inspector's, a trainer's académie)."""
    condition = Q(level=TerritoryLevel.NATIONAL)
    school = user.establishment
    if school is not None:
        departement = school.departement
        condition |= Q(level=TerritoryLevel.ACADEMIE, academie_id=departement.academie_id)
        condition |= Q(level=TerritoryLevel.DEPARTEMENT, departement_id=departement.pk)
        if school.sector_id:
            condition |= Q(level=TerritoryLevel.BASSIN, sector_id=school.sector_id)
        condition |= Q(level=TerritoryLevel.ESTABLISHMENT, establishment_id=school.pk)
    roles = RoleAssignment.objects.filter(user=user)
    condition |= Q(
        level=TerritoryLevel.ACADEMIE,
        academie__in=roles.filter(academie__isnull=False).values("academie"),
    )
    return condition


def offered_communities(user):
    """Active communities that match a person's disciplines, degree and territory."""
    if not user.is_authenticated:
        return Community.objects.none()
    disciplines = user.disciplines.values("pk")
    condition = _territory_match(user)
    condition &= Q(discipline__isnull=True) | Q(discipline__in=disciplines)
    if user.degree:
        condition &= Q(degree="") | Q(degree=user.degree)
    return Community.objects.filter(condition, is_active=True)


def _membership(user, *statuses):
    return Membership.objects.filter(community=OuterRef("pk"), user_id=user.pk, status__in=statuses)


def _animates(user):
    return Community.animators.through.objects.filter(community_id=OuterRef("pk"), user_id=user.pk)


def visible_communities(user):
    """Communities whose page a person may open."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    offered = offered_communities(user).values("pk")
    return Community.objects.filter(
        Q(pk__in=offered)
        | Q(Exists(_membership(user, MembershipStatus.ACTIVE, MembershipStatus.REQUESTED)))
        | Q(Exists(_animates(user)))
    )


def readable_communities(user):
    """Communities whose questions and answers a person may read."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return visible_communities(user).filter(
        Q(access=Access.OPEN, is_active=True)
        | Q(Exists(_membership(user, MembershipStatus.ACTIVE)))
        | Q(Exists(_animates(user)))
    )


def postable_communities(user):
    """Communities where a person may ask, answer, comment and escalate: active member or
    animator of an active community."""
    if not user.is_authenticated:
        return Community.objects.none()
    return Community.objects.filter(
        Q(Exists(_membership(user, MembershipStatus.ACTIVE))) | Q(Exists(_animates(user))),
        is_active=True,
    )


def animated_communities(user):
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(Exists(_animates(user)))


def readable_questions(user):
    """Questions a person may read: those of readable communities, hidden ones only for the
    community's animators."""
    questions = Question.objects.filter(community__in=readable_communities(user).values("pk"))
    return questions.filter(
        Q(hidden_at__isnull=True) | Q(community__in=animated_communities(user).values("pk"))
    )


def readable_answers(user):
    return Answer.objects.filter(question__in=readable_questions(user).values("pk"))


def readable_comments(user):
    return Comment.objects.filter(question__in=readable_questions(user).values("pk"))


def visible_escalations(user):
    """A person's own escalations, and those of the communities they animate."""
    if not user.is_authenticated:
        return Escalation.objects.none()
    if user.is_superuser:
        return Escalation.objects.all()
    return Escalation.objects.filter(
        Q(author=user) | Q(community__in=animated_communities(user).values("pk"))
    )


def is_inspector(user):
    return (
        user.is_authenticated
        and RoleAssignment.objects.filter(user=user, role=Role.INSPECTOR).exists()
    )
