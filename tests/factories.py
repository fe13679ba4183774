from datetime import timedelta
from decimal import Decimal

import factory
from django.conf import settings
from django.utils import timezone

from cotraining.constants import Degree, EnrollmentStatus, EstablishmentType, Modality
from cotraining.models import (
    Academie,
    Completion,
    Departement,
    Enrollment,
    Establishment,
    Session,
    User,
)
from cotraining.validators import uai_check_letter


def academie(code="13"):
    return Academie.objects.get(code=code)


def departement(code="086"):
    return Departement.objects.get(code=code)


def _uai(n):
    first7 = f"086{n:04d}"
    return first7 + uai_check_letter(first7)


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment
        django_get_or_create = ("uai",)

    uai = factory.Sequence(lambda n: _uai(n + 5000))
    name = factory.Sequence(lambda n: f"Collège numéro {n}")
    type = EstablishmentType.COLLEGE
    degree = Degree.SECOND
    commune = "Poitiers"
    departement = factory.LazyFunction(departement)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@ac-test.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def teacher(**fields):
    """A person with the teacher role (the only one that may enrol)."""
    from cotraining.constants import Role
    from cotraining.services import grant_role

    user = UserFactory(**fields)
    grant_role(user=user, role=Role.TEACHER)
    return user


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
