"""Models of the co-training layer: territory and people, then workshops and their sessions."""

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
from .workshops import (
    Enrollment,
    Session,
    WorkshopIndexPage,
    WorkshopPage,
    WorkshopPageTag,
    validate_school_year,
)

__all__ = [
    "Academie",
    "AcademieGroup",
    "Competence",
    "DataImport",
    "Departement",
    "Discipline",
    "Enrollment",
    "Establishment",
    "RoleAssignment",
    "Sector",
    "Session",
    "User",
    "WorkshopIndexPage",
    "WorkshopPage",
    "WorkshopPageTag",
    "validate_school_year",
]
