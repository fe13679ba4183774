"""Which account single sign-on gives (cotraining.services.identities.sign_in_with_identity).

The provider proves who the person is (and that the address is theirs); the platform links only
to an account whose holder proved the same address, never to one that merely typed it, and
never changes what anyone may do.
"""

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from wagtail.models import ModelLogEntry

from cotraining.constants import AuditAction, Role
from cotraining.exceptions import ServiceError
from cotraining.models import FederatedIdentity, RoleAssignment, User
from cotraining.services import grant_role
from cotraining.services.identities import sign_in_with_identity
from tests.factories import UserFactory, academie

pytestmark = pytest.mark.django_db

PROCONNECT = "https://auth.agentconnect.gouv.fr/api/v2"
ACADEMIE_IDP = "https://sso.ac-test.fr/realms/agents"


def claims(sub="sub-1", email="camille.dupont@ac-test.fr", **more):
    return {
        "sub": sub,
        "email": email,
        "given_name": "Camille Anne",
        "usual_name": "Dupont",
        "uid": "cdupont",
        "siret": "13002526500013",
        "idp_id": "fia1v2",
        **more,
    }


def account(email, *, verified, **fields):
    user = UserFactory(email=email, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def roles(user):
    return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


def test_a_new_person_gets_a_teacher_account_with_a_verified_address_and_no_password():
    user = sign_in_with_identity(issuer=PROCONNECT, claims=claims())

    assert user.email == "camille.dupont@ac-test.fr"
    assert (user.first_name, user.last_name) == ("Camille Anne", "Dupont")
    assert not user.has_usable_password()
    assert roles(user) == {Role.TEACHER}
    address = EmailAddress.objects.get(user=user)
    assert address.verified and address.primary
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.issuer, identity.sub, identity.idp_id) == (PROCONNECT, "sub-1", "fia1v2")
    entry = ModelLogEntry.objects.get(action=AuditAction.LINK_IDENTITY)
    assert entry.data["new_account"] is True


def test_only_the_claims_needed_are_kept():
    user = sign_in_with_identity(issuer=PROCONNECT, claims=claims())
    identity = FederatedIdentity.objects.get(user=user)
    kept = {field.name for field in FederatedIdentity._meta.get_fields()}
    assert kept == {"id", "user", "issuer", "sub", "idp_id", "created_at", "last_login_at"}
    assert "13002526500013" not in str(
        FederatedIdentity.objects.filter(pk=identity.pk).values().first()
    )


def test_the_second_sign_in_finds_the_same_account():
    first = sign_in_with_identity(issuer=PROCONNECT, claims=claims())
    again = sign_in_with_identity(issuer=PROCONNECT, claims=claims())

    assert again == first
    assert User.objects.count() == 1
    assert FederatedIdentity.objects.count() == 1
    assert FederatedIdentity.objects.get().last_login_at is not None
    assert ModelLogEntry.objects.filter(action=AuditAction.LINK_IDENTITY).count() == 1


def test_an_account_with_the_same_verified_address_is_linked_and_keeps_its_roles():
    coordinator = account("camille.dupont@ac-test.fr", verified=True)
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie())
    before = roles(coordinator)

    user = sign_in_with_identity(
        issuer=PROCONNECT, claims=claims(email="Camille.DUPONT@ac-test.fr")
    )

    assert user == coordinator
    assert roles(user) == before == {Role.COORDINATOR}  # no teacher role added, none removed
    assert user.has_usable_password()  # their password still works (unless the setting says no)
    assert FederatedIdentity.objects.get().user == coordinator
    assert User.objects.count() == 1


def test_a_verified_secondary_address_links_too():
    user = account("camille.perso@ac-test.fr", verified=True)
    EmailAddress.objects.create(user=user, email="camille.dupont@ac-test.fr", verified=True)

    assert sign_in_with_identity(issuer=PROCONNECT, claims=claims()) == user


def test_a_new_sub_from_another_identity_provider_is_linked_by_the_verified_address():
    """ProConnect gives one sub per service and identity provider: an agent whose académie
    changes identity provider (or who uses the académie's own OpenID provider) comes back with
    another sub, and lands in the same account."""
    first = sign_in_with_identity(issuer=PROCONNECT, claims=claims(sub="sub-fia1"))
    second = sign_in_with_identity(
        issuer=PROCONNECT, claims=claims(sub="sub-fia2", idp_id="ac-test-idp")
    )
    third = sign_in_with_identity(issuer=ACADEMIE_IDP, claims=claims(sub="sub-fia1"))

    assert first == second == third
    assert set(FederatedIdentity.objects.values_list("issuer", "sub", "idp_id")) == {
        (PROCONNECT, "sub-fia1", "fia1v2"),
        (PROCONNECT, "sub-fia2", "ac-test-idp"),
        (ACADEMIE_IDP, "sub-fia1", "fia1v2"),
    }
    assert roles(first) == {Role.TEACHER}


@pytest.mark.parametrize("with_allauth_address", [True, False])
def test_an_unverified_address_is_never_merged(with_allauth_address):
    """Anyone may sign up with someone else's address: linking would let whoever typed it (and
    holds its password) into the real owner's account. Nothing is created either."""
    if with_allauth_address:
        squatter = account("camille.dupont@ac-test.fr", verified=False)
    else:
        squatter = UserFactory(email="camille.dupont@ac-test.fr")

    with pytest.raises(ServiceError) as refused:
        sign_in_with_identity(issuer=PROCONNECT, claims=claims())

    assert refused.value.code == "identity_address_unverified"
    assert "confirm" in refused.value.message.lower()
    assert not FederatedIdentity.objects.exists()
    assert User.objects.get() == squatter


def test_an_address_unverified_on_another_account_blocks_a_new_account_too():
    other = UserFactory(email="autre@ac-test.fr")
    EmailAddress.objects.create(user=other, email="camille.dupont@ac-test.fr", verified=False)

    with pytest.raises(ServiceError) as refused:
        sign_in_with_identity(issuer=PROCONNECT, claims=claims())

    assert refused.value.code == "identity_address_unverified"
    assert User.objects.count() == 1


def test_once_the_address_is_confirmed_the_account_is_linked():
    user = account("camille.dupont@ac-test.fr", verified=False)
    EmailAddress.objects.filter(user=user).update(verified=True)

    assert sign_in_with_identity(issuer=PROCONNECT, claims=claims()) == user


def test_an_inactive_account_is_refused_whichever_way_it_is_found():
    user = account("camille.dupont@ac-test.fr", verified=True, is_active=False)
    with pytest.raises(ServiceError) as refused:
        sign_in_with_identity(issuer=PROCONNECT, claims=claims())
    assert refused.value.code == "identity_inactive"

    User.objects.filter(pk=user.pk).update(is_active=True)
    sign_in_with_identity(issuer=PROCONNECT, claims=claims())
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(ServiceError) as refused:
        sign_in_with_identity(issuer=PROCONNECT, claims=claims())
    assert refused.value.code == "identity_inactive"


@pytest.mark.parametrize("missing", ["sub", "email"])
def test_an_identity_without_sub_or_address_is_refused(missing):
    with pytest.raises(ServiceError) as refused:
        sign_in_with_identity(issuer=PROCONNECT, claims=claims(**{missing: ""}))
    assert refused.value.code == "identity_incomplete"
    assert not User.objects.exists()


def test_names_fill_an_account_that_has_none_and_never_overwrite_one():
    unnamed = account("camille.dupont@ac-test.fr", verified=True, first_name="", last_name="")
    sign_in_with_identity(issuer=PROCONNECT, claims=claims())
    unnamed.refresh_from_db()
    assert (unnamed.first_name, unnamed.last_name) == ("Camille Anne", "Dupont")

    named = account("lea.martin@ac-test.fr", verified=True, first_name="Léa", last_name="Martin")
    sign_in_with_identity(
        issuer=PROCONNECT, claims=claims(sub="sub-2", email="lea.martin@ac-test.fr")
    )
    named.refresh_from_db()
    assert (named.first_name, named.last_name) == ("Léa", "Martin")


def test_a_new_account_announces_its_verified_address(django_capture_on_commit_callbacks):
    """As when allauth confirms an address: what waited for it (badges awarded to the address,
    badges.receivers) reaches the new account, once the account is committed."""
    confirmed = []

    def receiver(sender, request, email_address, **kwargs):
        confirmed.append(email_address)

    email_confirmed.connect(receiver, dispatch_uid="test-identities")
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            user = sign_in_with_identity(issuer=PROCONNECT, claims=claims())
            assert confirmed == []  # not before the commit
        assert len(callbacks) >= 1
        assert [(a.user, a.email, a.verified) for a in confirmed] == [
            (user, "camille.dupont@ac-test.fr", True)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            sign_in_with_identity(issuer=PROCONNECT, claims=claims())
        assert len(confirmed) == 1  # a second sign-in announces nothing
    finally:
        email_confirmed.disconnect(dispatch_uid="test-identities")
