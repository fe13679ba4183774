"""The co-training domain: workshop pages, sessions, enrolments and completions."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from cotraining.constants import EnrollmentStatus, Modality
from cotraining.models import Completion, Enrollment, Session

from .territory import EstablishmentFactory, academie
from .users import UserFactory

# --- Pages ------------------------------------------------------------------------------------
# Local imports: only the tests that build pages need the page models.


def workshop_index():
    """The workshop catalogue under the site's home page, created on first use."""
    from cms.models import HomePage
    from cms.site_structure import ensure_site
    from cotraining.models import WorkshopIndexPage

    index = WorkshopIndexPage.objects.first()
    if index is None:
        ensure_site()
        index = WorkshopIndexPage(title="Ateliers", slug="ateliers")
        HomePage.objects.get().add_child(instance=index)
    return index


def workshop_page(*, parent=None, **fields):
    """A published workshop of the académie of Poitiers unless `fields` say otherwise
    (live=False gives a draft)."""
    from decimal import Decimal
    from uuid import uuid4

    from cotraining.constants import Modality, Theme
    from cotraining.models import WorkshopPage

    values = {
        "title": "Atelier de co-formation",
        "slug": f"atelier-{uuid4().hex[:12]}",
        "summary": "Concevoir ensemble une séquence avec le numérique.",
        "theme": Theme.TEACHING,
        "modality": Modality.IN_PERSON,
        "duration_hours": Decimal("3"),
        "academie": academie(),
        **fields,
    }
    page = WorkshopPage(**values)
    (parent or workshop_index()).add_child(instance=page)
    return page


# --- Sessions, enrolments, completions --------------------------------------------------------


def _in_ten_days():
    return timezone.now().replace(second=0, microsecond=0) + timedelta(days=10)


class SessionFactory(factory.django.DjangoModelFactory):
    """An in-person session of three hours, ten days ahead, in a new workshop unless given one."""

    class Meta:
        model = Session

    workshop = factory.LazyFunction(workshop_page)
    start = factory.LazyFunction(_in_ten_days)
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=3))
    modality = Modality.IN_PERSON
    establishment = factory.SubFactory(EstablishmentFactory)
    capacity = 12


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A confirmed seat unless `status` says otherwise (a waiting-list row gets its time)."""

    class Meta:
        model = Enrollment

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)
    status = EnrollmentStatus.CONFIRMED
    confirmed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == EnrollmentStatus.CONFIRMED else None
    )
    waitlisted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == EnrollmentStatus.WAITLISTED else None
    )


class CompletionFactory(factory.django.DjangoModelFactory):
    """A validated workshop of three hours."""

    class Meta:
        model = Completion

    user = factory.SubFactory(UserFactory)
    workshop = factory.LazyFunction(workshop_page)
    hours = Decimal("3")
    sessions_attended = 1
    completed_at = factory.LazyFunction(timezone.now)
    school_year = "2026-2027"
