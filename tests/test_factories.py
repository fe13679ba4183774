"""The factories make what the application would: roles through the real service, assertions
against a published version, PIX certifications that pass the model's validation."""

import pytest

from cotraining.constants import Role
from cotraining.models import RoleAssignment
from cotraining.roles import ROLE_GROUP_NAMES
from tests.factories import (
    AssertionFactory,
    BadgeClassFactory,
    CoordinatorFactory,
    IndicatorReaderFactory,
    PixCertificationFactory,
    PlatformAdminFactory,
    SchoolHeadFactory,
    TeacherFactory,
    TrainerFactory,
    academie,
    departement,
)

pytestmark = pytest.mark.django_db


def scopes(user):
    return [
        (a.role, a.academie_id, a.departement_id, a.establishment_id)
        for a in RoleAssignment.objects.filter(user=user)
    ]


def test_each_role_factory_grants_its_role_over_its_territory_with_its_group():
    poitiers, lyon, charente = academie("13"), academie("10"), departement("016")
    head = SchoolHeadFactory()
    made = {
        Role.TEACHER: (TeacherFactory(), (None, None, None)),
        Role.TRAINER: (TrainerFactory(academie=lyon), (lyon.pk, None, None)),
        Role.COORDINATOR: (CoordinatorFactory(), (poitiers.pk, None, None)),
        Role.INDICATOR_READER: (
            IndicatorReaderFactory(departement=charente),
            (None, charente.pk, None),
        ),
        Role.SCHOOL_HEAD: (head, (None, None, head.establishment_id)),
        Role.PLATFORM_ADMIN: (PlatformAdminFactory(), (None, None, None)),
    }
    for role, (user, territory) in made.items():
        assert scopes(user) == [(role, *territory)], role
        assert user.groups.filter(name=ROLE_GROUP_NAMES[role]).exists(), role
    assert made[Role.PLATFORM_ADMIN][0].is_superuser
    assert scopes(IndicatorReaderFactory()) == [(Role.INDICATOR_READER, poitiers.pk, None, None)]


def test_an_assertion_points_at_the_published_version_of_its_badge_class():
    badge_class = BadgeClassFactory(svg=True)
    assertion = AssertionFactory(badge_class=badge_class)
    assert assertion.version.badge_class == badge_class
    assert assertion.version.document["name"] == badge_class.name
    assert badge_class.image.name.endswith(".svg")
    assert assertion.recipient_email == assertion.recipient.email


def test_pix_certifications_are_valid_and_distinct():
    first, second = PixCertificationFactory.create_batch(2, level_1_1=3)
    for certification in (first, second):
        certification.full_clean()
    assert first.verification_code != second.verification_code
