"""Factories for every domain, one module each; import them from here.

- `territory`: académies and départements of the reference data, establishments;
- `users`: people, and people with a role given by the real service (teacher, trainer,
  coordinator, indicator reader, school head, platform admin);
- `cotraining`: workshop pages, sessions, enrolments, completions;
- `badges`: issuers, badge classes and versions, assertions, bulk awards, PIX certifications.
"""

from .badges import (
    SVG,
    AssertionFactory,
    BadgeClassFactory,
    BadgeClassVersionFactory,
    BulkAwardFactory,
    IssuerFactory,
    PixCertificationFactory,
    PixPlusEduResultFactory,
    make_badge_class,
    png_bytes,
)
from .cotraining import (
    CompletionFactory,
    EnrollmentFactory,
    SessionFactory,
    workshop_index,
    workshop_page,
)
from .territory import EstablishmentFactory, academie, departement
from .users import (
    CoordinatorFactory,
    IndicatorReaderFactory,
    PlatformAdminFactory,
    SchoolHeadFactory,
    TeacherFactory,
    TrainerFactory,
    UserFactory,
    teacher,
)

__all__ = [
    "SVG",
    "AssertionFactory",
    "BadgeClassFactory",
    "BadgeClassVersionFactory",
    "BulkAwardFactory",
    "CompletionFactory",
    "CoordinatorFactory",
    "EnrollmentFactory",
    "EstablishmentFactory",
    "IndicatorReaderFactory",
    "IssuerFactory",
    "PixCertificationFactory",
    "PixPlusEduResultFactory",
    "PlatformAdminFactory",
    "SchoolHeadFactory",
    "SessionFactory",
    "TeacherFactory",
    "TrainerFactory",
    "UserFactory",
    "academie",
    "departement",
    "make_badge_class",
    "png_bytes",
    "teacher",
    "workshop_index",
    "workshop_page",
]
