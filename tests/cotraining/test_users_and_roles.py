import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from wagtail.models import ModelLogEntry

from cotraining.constants import AuditAction, Role
from cotraining.exceptions import ServiceError
from cotraining.models import CalendarFeed, RoleAssignment, User
from cotraining.roles import ROLE_GROUP_NAMES, ROLE_PERMISSIONS
from cotraining.services import grant_role, reset_calendar_feed, revoke_role
from tests.factories import UserFactory, academie, departement


@pytest.mark.django_db
def test_email_is_unique_whatever_its_case():
    User.objects.create_user("Camille.Martin@ac-poitiers.fr", password="x")
    assert User.objects.get().email == "camille.martin@ac-poitiers.fr"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="CAMILLE.MARTIN@ac-poitiers.fr")
    duplicate = User(email="CAMILLE.martin@AC-POITIERS.FR")
    with pytest.raises(ValidationError) as info:
        duplicate.full_clean()
    assert "Un compte utilise déjà cette adresse électronique." in str(info.value)


@pytest.mark.django_db
def test_login_by_email_ignores_case():
    User.objects.create_user("prof@ac-poitiers.fr", password="secret-123-abc")
    assert authenticate(username="PROF@ac-poitiers.fr", password="secret-123-abc") is not None


@pytest.mark.django_db
def test_role_groups_carry_the_declared_permissions():
    from django.contrib.auth.models import Group

    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
        got = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert got == set(names), role


@pytest.mark.django_db
def test_grant_role_gives_group_permissions_and_is_idempotent(user):
    admin = UserFactory()
    first = grant_role(user=user, role=Role.COORDINATOR, academie=academie(), by=admin)
    again = grant_role(user=user, role=Role.COORDINATOR, academie=academie(), by=admin)
    assert first == again
    assert RoleAssignment.objects.count() == 1
    user = User.objects.get(pk=user.pk)  # permission cache
    assert user.has_perm("wagtailadmin.access_admin")
    assert ModelLogEntry.objects.filter(action=AuditAction.GRANT_ROLE, user=admin).count() == 1


@pytest.mark.django_db
def test_revoke_keeps_the_group_while_another_scope_remains(user):
    poitiers = grant_role(user=user, role=Role.INDICATOR_READER, academie=academie())
    vienne = grant_role(user=user, role=Role.INDICATOR_READER, departement=departement("086"))
    revoke_role(assignment=poitiers)
    assert user.groups.filter(name=ROLE_GROUP_NAMES[Role.INDICATOR_READER]).exists()
    revoke_role(assignment=vienne)
    assert not user.groups.filter(name=ROLE_GROUP_NAMES[Role.INDICATOR_READER]).exists()
    assert ModelLogEntry.objects.filter(action=AuditAction.REVOKE_ROLE).count() == 2


@pytest.mark.django_db
def test_platform_admin_is_superuser_until_revoked(user):
    assignment = grant_role(user=user, role=Role.PLATFORM_ADMIN)
    user.refresh_from_db()
    assert user.is_superuser
    revoke_role(assignment=assignment)
    user.refresh_from_db()
    assert not user.is_superuser


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.COORDINATOR, {}),
        (Role.TRAINER, {"departement": "086"}),
        (Role.SCHOOL_HEAD, {"academie": "13"}),
        (Role.TEACHER, {"academie": "13"}),
        (Role.INDICATOR_READER, {"academie": "13", "departement": "086"}),
    ],
)
def test_a_role_takes_only_its_own_scope(user, role, scope):
    kwargs = {}
    if "academie" in scope:
        kwargs["academie"] = academie(scope["academie"])
    if "departement" in scope:
        kwargs["departement"] = departement(scope["departement"])
    with pytest.raises(ServiceError) as info:
        grant_role(user=user, role=role, **kwargs)
    assert info.value.code == "role_scope"
    assert not RoleAssignment.objects.exists()


@pytest.mark.django_db
def test_database_refuses_a_scope_that_does_not_fit_the_role(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.SCHOOL_HEAD, academie=academie())


# --- Private calendar feed --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_calendar_feed_is_created_once_and_audited_without_its_token():
    person = UserFactory()

    feed, created = reset_calendar_feed(user=person)

    assert created and feed.user == person and len(feed.token) >= 40
    entry = ModelLogEntry.objects.get(action=AuditAction.RESET_CALENDAR_FEED)
    assert entry.user == person and entry.object_id == str(person.pk)
    assert entry.data == {"created": True}
    assert feed.token not in str(entry.data)


@pytest.mark.django_db
def test_resetting_a_calendar_feed_replaces_its_token_and_keeps_one_feed():
    person, other = UserFactory(), UserFactory()
    first, _created = reset_calendar_feed(user=person)
    others, _created = reset_calendar_feed(user=other)

    again, created = reset_calendar_feed(user=person)

    assert not created and again.pk == first.pk
    assert again.token != first.token
    assert CalendarFeed.objects.filter(user=person).count() == 1
    assert CalendarFeed.objects.get(user=other).token == others.token  # nobody else's changes
    entries = ModelLogEntry.objects.filter(
        action=AuditAction.RESET_CALENDAR_FEED, object_id=str(person.pk)
    )
    assert [entry.data for entry in entries.order_by("pk")] == [
        {"created": True},
        {"created": False},
    ]
