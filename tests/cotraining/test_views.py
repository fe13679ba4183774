import pytest
from django.urls import reverse

from cotraining.constants import Role
from cotraining.models import RoleAssignment, User
from tests.factories import EstablishmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_profile_needs_login(client):
    response = client.get(reverse("cotraining:profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_profile_edits_only_the_logged_in_user(client, user):
    other = UserFactory(first_name="Autre")
    school = EstablishmentFactory()
    client.force_login(user)
    response = client.post(
        reverse("cotraining:profile"),
        {
            "first_name": "Camille",
            "last_name": "Martin",
            "degree": "2",
            "establishment": school.uai.lower(),
            "disciplines": [],
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    other.refresh_from_db()
    assert (user.first_name, user.establishment) == ("Camille", school)
    assert other.first_name == "Autre"


@pytest.mark.parametrize(
    ("uai", "message"),
    [
        ("0860034X", "la lettre de contrôle devrait être V"),
        ("0750654D", "Aucun établissement n&#x27;a le code UAI 0750654D"),
    ],
)
def test_profile_rejects_a_bad_uai_and_saves_nothing(client, user, uai, message):
    client.force_login(user)
    before = user.first_name
    response = client.post(
        reverse("cotraining:profile"),
        {"first_name": "Changé", "last_name": "X", "degree": "", "establishment": uai},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.first_name == before


def test_signup_creates_a_teacher_and_refuses_a_duplicate_email(client):
    data = {
        "email": "Nouvelle.Prof@ac-poitiers.fr",
        "password1": "un-mot-de-passe-solide-42",
        "password2": "un-mot-de-passe-solide-42",
        "first_name": "Nadia",
        "last_name": "Roux",
    }
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get()
    assert user.email == "nouvelle.prof@ac-poitiers.fr"
    assert RoleAssignment.objects.filter(user=user, role=Role.TEACHER).exists()

    client.logout()
    response = client.post(
        reverse("account_signup"), {**data, "email": "NOUVELLE.PROF@ac-poitiers.fr"}
    )
    assert response.status_code == 200
    assert User.objects.count() == 1
    assert "Un autre utilisateur utilise déjà cette adresse e-mail" in response.content.decode()


def test_signup_can_be_closed(client, settings):
    settings.SIGNUP_OPEN = False
    response = client.get(reverse("account_signup"))
    assert "Inscriptions fermées" in response.content.decode()


def test_password_reset_sends_an_email(client, user, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": user.email.upper()})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert "/comptes/password/reset/key/" in mailoutbox[0].body
