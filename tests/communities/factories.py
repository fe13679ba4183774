"""Communities of practice: a community, its inspector, its members."""

import factory

from communities.constants import Access, CommunityKind, MembershipStatus, TerritoryLevel
from communities.models import Community, Membership
from cotraining.constants import Degree, Role
from cotraining.models import Discipline
from cotraining.services import grant_role
from tests.factories import EstablishmentFactory, UserFactory, academie, teacher


def maths():
    return Discipline.objects.get(code="mathematiques")


class CommunityFactory(factory.django.DjangoModelFactory):
    """An open mathematics group of the académie of Poitiers (2nd degré)."""

    class Meta:
        model = Community
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Mathématiques — groupe {n}")
    description = "Échanger sur nos pratiques."
    kind = CommunityKind.DISCIPLINE
    access = Access.OPEN
    discipline = factory.LazyFunction(maths)
    degree = Degree.SECOND
    level = TerritoryLevel.ACADEMIE
    academie = factory.LazyFunction(academie)


def inspector(**fields):
    """An IA-IPR of mathematics in the académie of Poitiers."""
    user = UserFactory(**fields)
    grant_role(user=user, role=Role.INSPECTOR, academie=academie(), discipline=maths())
    return user


def maths_teacher(**fields):
    """A 2nd-degré mathematics teacher working in a collège of the académie of Poitiers."""
    fields.setdefault("establishment", EstablishmentFactory())
    fields.setdefault("degree", Degree.SECOND)
    user = teacher(**fields)
    user.disciplines.add(maths())
    return user


def community_with_animator(**fields):
    animator = inspector()
    community = CommunityFactory(**fields)
    community.animators.add(animator)
    return community, animator


def member(community, user=None):
    from django.utils import timezone

    user = user or maths_teacher()
    Membership.objects.create(
        community=community,
        user=user,
        status=MembershipStatus.ACTIVE,
        joined_at=timezone.now(),
    )
    return user
