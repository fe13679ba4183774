"""Who reads which indicators: the territories of a person's roles, as querysets.

An indicator reader reads the académie or the département of their role assignment, a school
head their establishment, a platform admin (or a superuser) everything. A person may hold several
assignments: they read the union. Every indicator query is restricted to these establishments
(and, for sessions held without a host school, to the académies read as a whole), so a filter
can only narrow the figures further: filtering to another territory gives empty figures.
"""

from dataclasses import dataclass

from django.db.models import Q

from cotraining.constants import Role
from cotraining.models import Academie, Departement, Establishment, RoleAssignment, Sector

READER_ROLES = (Role.INDICATOR_READER, Role.SCHOOL_HEAD, Role.PLATFORM_ADMIN)


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    academies: frozenset = frozenset()
    departements: frozenset = frozenset()
    establishments: frozenset = frozenset()

    @property
    def readable(self):
        return self.everything or bool(self.academies or self.departements or self.establishments)

    def establishment_q(self, prefix=""):
        """Establishments in scope, as a Q on `prefix` (e.g. "user__establishment__")."""
        if self.everything:
            return Q()
        return (
            Q(**{f"{prefix}departement__academie__in": self.academies})
            | Q(**{f"{prefix}departement__in": self.departements})
            | Q(**{f"{prefix}pk__in": self.establishments})
        )


NOTHING = Scope()


def reader_scope(user):
    """The territories a person reads indicators for (one query; NOTHING when none)."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Scope(everything=True)
    rows = RoleAssignment.objects.filter(user=user, role__in=READER_ROLES).values_list(
        "role", "academie_id", "departement_id", "establishment_id"
    )
    everything, academies, departements, establishments = False, set(), set(), set()
    for role, academie, departement, establishment in rows:
        if role == Role.PLATFORM_ADMIN:
            everything = True
        elif role == Role.INDICATOR_READER:
            if academie:
                academies.add(academie)
            if departement:
                departements.add(departement)
        elif establishment:  # school head
            establishments.add(establishment)
    return Scope(
        everything, frozenset(academies), frozenset(departements), frozenset(establishments)
    )


# --- Choices offered by the filters: only what the person may read ---------------------------


def academies_in(scope):
    if scope.everything:
        return Academie.objects.all()
    return Academie.objects.filter(pk__in=scope.academies)


def departements_in(scope):
    if scope.everything:
        return Departement.objects.all()
    return Departement.objects.filter(
        Q(academie__in=scope.academies) | Q(pk__in=scope.departements)
    )


def sectors_in(scope):
    if scope.everything:
        return Sector.objects.all()
    return Sector.objects.filter(
        Q(departement__academie__in=scope.academies) | Q(departement__in=scope.departements)
    )


def establishments_in(scope):
    return Establishment.objects.filter(scope.establishment_q())
