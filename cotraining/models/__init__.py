"""Models of the co-training layer: territory and people, then workshops and their sessions."""

from .enrollments import CalendarFeed, Completion, Enrollment, Notification
from .identities import FederatedIdentity
from .people import (
    Academie,
    AcademieGroup,
    Competence,
    DataImport,
    Departement,
    Discipline,
    Establishment,
    RoleAssignment,
    Sector,
    User,
)
from .search import SearchSynonym
from .workshops import (
    Session,
    WorkshopIndexPage,
    WorkshopPage,
    WorkshopPageTag,
    validate_school_year,
)

__all__ = [
    "Academie",
    "AcademieGroup",
    "CalendarFeed",
    "Completion",
    "Competence",
    "DataImport",
    "Departement",
    "Discipline",
    "Enrollment",
    "Establishment",
    "FederatedIdentity",
    "Notification",
    "RoleAssignment",
    "SearchSynonym",
    "Sector",
    "Session",
    "User",
    "WorkshopIndexPage",
    "WorkshopPage",
    "WorkshopPageTag",
    "validate_school_year",
]
