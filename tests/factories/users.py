"""People, and people with a role.

Roles are given by the application's own service (`cotraining.services.grant_role`), so that a
factory-made coordinator has exactly the groups, permissions and académie teams a real one has:

    TeacherFactory()                              # may enrol
    TrainerFactory(academie=academie("04"))       # Poitiers ("13") unless told
    CoordinatorFactory()                          # of Poitiers
    IndicatorReaderFactory(departement=departement("016"))  # or academie=…; Poitiers by default
    SchoolHeadFactory(establishment=school)       # heads (and works at) a new collège unless told
    PlatformAdminFactory()                        # a superuser
    UserFactory(verified_email=True)              # can log in with allauth (address verified)
"""

import factory
from django.conf import settings

from cotraining.constants import Role
from cotraining.models import User
from cotraining.services import grant_role

from .territory import EstablishmentFactory, academie


class UserFactory(factory.django.DjangoModelFactory):
    """A person without a role, whose password is the demo one."""

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

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        """`verified_email=True`: the address is verified (allauth), as after a real signup."""
        if create and extracted:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


def _granted(role, scope=None):
    """A post-generation step granting `role`; `scope` names its territory keyword (académie
    of Poitiers when the test gives none)."""

    def grant(user, create, extracted, **kwargs):
        if not create:
            return
        territory = {}
        if scope == "academie":
            if getattr(user, "_scoped_by_departement", False):
                return  # IndicatorReaderFactory(departement=…): granted there
            territory = {"academie": extracted if extracted is not None else academie("13")}
        elif scope == "departement":
            if extracted is None:
                return
            user._scoped_by_departement = True
            territory = {"departement": extracted}
        grant_role(user=user, role=role, **territory)

    return factory.PostGeneration(grant)


class TeacherFactory(UserFactory):
    """A teacher (the only role that may enrol)."""

    role = _granted(Role.TEACHER)


class TrainerFactory(UserFactory):
    """A trainer of an académie: Poitiers unless `academie=` says otherwise."""

    academie = _granted(Role.TRAINER, "academie")


class CoordinatorFactory(UserFactory):
    """A coordinator (the DANE's team) of an académie: Poitiers unless `academie=`."""

    academie = _granted(Role.COORDINATOR, "academie")


class IndicatorReaderFactory(UserFactory):
    """A reader of the indicators of a département (`departement=`) or an académie
    (`academie=`, Poitiers by default)."""

    departement = _granted(Role.INDICATOR_READER, "departement")
    academie = _granted(Role.INDICATOR_READER, "academie")


class SchoolHeadFactory(UserFactory):
    """The head of an establishment, who works there: a new collège unless `establishment=`."""

    establishment = factory.SubFactory(EstablishmentFactory)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            grant_role(user=obj, role=Role.SCHOOL_HEAD, establishment=obj.establishment)


class PlatformAdminFactory(UserFactory):
    """A platform administrator (a superuser, through the role)."""

    role = _granted(Role.PLATFORM_ADMIN)


def teacher(**fields):
    """A person with the teacher role (the only one that may enrol): TeacherFactory(**fields)."""
    return TeacherFactory(**fields)
