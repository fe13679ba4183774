"""A badge awarded to an address reaches an account only once its holder verified the address.

The attack: someone signs up with the address of a colleague (verification is optional in
development, and the sign-up form accepts any address); a badge is then awarded to that address
by hand or from a file. Before, the badge went to the impostor's account and showed in their
"Mes badges". Now it waits, unlinked, until someone confirms the address.
"""

import io

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.urls import reverse

from badges.models import Assertion
from badges.services.awards import award_manually
from badges.services.bulk import start_bulk_award, validate_bulk_award_csv
from cotraining.models import User
from tests.factories import UserFactory, make_badge_class

pytestmark = pytest.mark.django_db

VICTIM = "claire.victime@ac-poitiers.fr"
PASSWORD = "Un-mot-de-passe-solide-42"  # noqa: S105


@pytest.fixture
def badge(issuer):
    return make_badge_class(issuer, name="Contributeur")


@pytest.fixture
def impostor(client, settings):
    """Signs up with the victim's address through allauth's form, without verifying it."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"  # development's setting: logged in at once
    settings.SIGNUP_OPEN = True
    response = client.post(
        reverse("account_signup"),
        {
            "email": VICTIM,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "first_name": "Claire",
            "last_name": "Victime",
        },
    )
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(email=VICTIM)
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()
    return user


def my_badges(client):
    return client.get(reverse("badges:my_badges")).content.decode()


def test_a_badge_typed_to_an_unverified_address_is_not_handed_to_the_impostor(
    client, impostor, badge, coordinator
):
    (assertion,), _ = award_manually(badge_class=badge, emails=[VICTIM], by=coordinator)
    assert assertion.recipient is None
    assert "Contributeur" not in my_badges(client)


def test_a_bulk_award_to_an_unverified_address_is_not_handed_to_the_impostor(
    client, impostor, badge, coordinator, django_capture_on_commit_callbacks
):
    rows = validate_bulk_award_csv(io.BytesIO(f"email\n{VICTIM}\n".encode()))
    with django_capture_on_commit_callbacks(execute=True):
        start_bulk_award(badge_class=badge, rows=rows, filename="a.csv", by=coordinator)
    assert Assertion.objects.get(recipient_email=VICTIM).recipient is None
    assert "Contributeur" not in my_badges(client)


def test_the_badge_reaches_whoever_confirms_the_address(client, impostor, badge, coordinator):
    award_manually(badge_class=badge, emails=[VICTIM], by=coordinator)
    # The confirmation link only reaches the address's real holder.
    address = EmailAddress.objects.get(user=impostor, email=VICTIM)
    key = EmailConfirmationHMAC(address).key
    client.post(reverse("account_confirm_email", args=[key]))
    assert EmailAddress.objects.get(pk=address.pk).verified
    assert Assertion.objects.get(recipient_email=VICTIM).recipient == impostor
    assert "Contributeur" in my_badges(client)


def test_a_verified_account_gets_a_typed_award_at_once(badge, coordinator):
    holder = UserFactory(email=VICTIM)
    EmailAddress.objects.create(user=holder, email=VICTIM, verified=True, primary=True)
    (assertion,), _ = award_manually(badge_class=badge, emails=[VICTIM.upper()], by=coordinator)
    assert assertion.recipient == holder
