"""Models of the co-training layer, one module per subject; this package only re-exports them.

territory (académies, départements, sectors, establishments), reference (disciplines,
competences), people (users, roles, académie groups), imports (file imports), pages (the
catalogue and workshop pages), sessions, enrollments (enrolments, completions, emails owed,
calendar feeds), search (synonyms).
"""

from .enrollments import CalendarFeed, Completion, Enrollment, Notification
from .identities import FederatedIdentity
from .imports import DataImport
from .pages import WorkshopIndexPage, WorkshopPage, WorkshopPageTag
from .people import AcademieGroup, RoleAssignment, User
from .reference import Competence, Discipline
from .search import SearchSynonym
from .sessions import Session
from .territory import Academie, Departement, Establishment, Sector

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
]
