"""Who may award which badge, and the "Décerner un badge" page (search, typed addresses)."""

import pytest
from django.urls import reverse

from badges.models import Assertion
from badges.permissions import (
    awardable_badge_classes,
    revocable_assertions,
    revocable_badge_classes,
)
from badges.services.awards import award_badge, award_manually
from cotraining.constants import Role
from cotraining.exceptions import ServiceError
from cotraining.models import Departement, User
from cotraining.services import grant_role
from tests.factories import (
    EstablishmentFactory,
    UserFactory,
    academie,
    make_badge_class,
    teacher,
    workshop_page,
)

pytestmark = pytest.mark.django_db


def person(role, code="13"):
    user = UserFactory()
    grant_role(user=user, role=role, academie=academie(code))
    return user


@pytest.fixture
def badges(issuer):
    """The issuer's badges: one of a workshop trained by `trainer`, one of another workshop,
    one stand-alone; and a badge of another académie's issuer."""
    from tests.factories import IssuerFactory

    trainer = person(Role.TRAINER)
    mine = workshop_page(title="Atelier de la formatrice")
    mine.trainers.add(trainer)
    mine.save()  # a ParentalManyToManyField is written when its page is saved
    other_issuer = IssuerFactory(
        name="DANE de Lyon",
        url="https://www.ac-lyon.fr",
        email="dane@ac-lyon.fr",
        academie=academie("10"),
    )
    return {
        "trainer": trainer,
        "trained": make_badge_class(issuer, name="Formé", workshop=mine),
        "untrained": make_badge_class(issuer, name="Autre atelier", workshop=workshop_page()),
        "standalone": make_badge_class(issuer, name="Contributeur"),
        "elsewhere": make_badge_class(other_issuer, name="Lyon"),
    }


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_who_may_award_which_badge(badges):
    coordinator = person(Role.COORDINATOR)
    admin = UserFactory(is_superuser=True)
    outsider_trainer = person(Role.TRAINER, "10")  # trains in Lyon, not for this issuer
    assert names(awardable_badge_classes(badges["trainer"])) == {"Formé", "Contributeur"}
    assert names(awardable_badge_classes(coordinator)) == {
        "Formé",
        "Autre atelier",
        "Contributeur",
    }
    assert names(awardable_badge_classes(admin)) == {
        "Formé",
        "Autre atelier",
        "Contributeur",
        "Lyon",
    }
    assert names(awardable_badge_classes(outsider_trainer)) == {"Lyon"}
    assert not awardable_badge_classes(teacher()).exists()
    # Trainers award but never revoke; coordinators do both.
    assert not revocable_badge_classes(badges["trainer"]).exists()
    assert names(revocable_badge_classes(coordinator)) == {
        "Formé",
        "Autre atelier",
        "Contributeur",
    }
    assertion, _ = award_badge(badge_class=badges["trained"], email="a@b.fr", source="manual")
    assert list(revocable_assertions(coordinator)) == [assertion]
    assert not revocable_assertions(badges["trainer"]).exists()
    assert not revocable_assertions(outsider_trainer).exists()


def test_a_trainer_of_the_workshop_in_another_academie_may_not_award(badges):
    # Listed as a workshop's trainer, but without the trainer role in the issuer's académie.
    stranger = person(Role.TRAINER, "10")
    workshop = badges["trained"].workshop
    workshop.trainers.add(stranger)
    workshop.save()
    assert "Formé" not in names(awardable_badge_classes(stranger))


def test_manual_awards_are_once_per_badge_and_person(
    badges, mailoutbox, django_capture_on_commit_callbacks
):
    trainer = badges["trainer"]
    known = UserFactory(email="Claire.Dupont@ac-poitiers.fr")
    with django_capture_on_commit_callbacks(execute=True):
        awarded, already = award_manually(
            badge_class=badges["standalone"],
            people=[known],
            emails=["sans.compte@ac-poitiers.fr", "CLAIRE.DUPONT@ac-poitiers.fr"],
            evidence_url="https://example.org/sequence",
            narrative="A conçu une séquence.",
            by=trainer,
        )
    assert sorted(a.recipient_email for a in awarded) == [
        "claire.dupont@ac-poitiers.fr",
        "sans.compte@ac-poitiers.fr",
    ]
    assert already == []
    claire = next(a for a in awarded if a.recipient_email.startswith("claire"))
    assert claire.recipient == known and claire.awarded_by == trainer
    assert claire.source == "manual"
    assert claire.evidence == [
        {
            "type": "Evidence",
            "id": "https://example.org/sequence",
            "narrative": "A conçu une séquence.",
        }
    ]
    assert len(mailoutbox) == 2
    # A typed address that belongs to an account is linked to it.
    again_awarded, again_already = award_manually(
        badge_class=badges["standalone"], emails=["claire.dupont@ac-poitiers.fr"], by=trainer
    )
    assert again_awarded == [] and [a.pk for a in again_already] == [claire.pk]
    assert Assertion.objects.count() == 2


def test_manual_award_without_anyone_is_refused(badges):
    with pytest.raises(ServiceError) as error:
        award_manually(badge_class=badges["standalone"], by=badges["trainer"])
    assert error.value.code == "no_recipient"


def test_award_page_searches_and_awards(client, badges, mailoutbox):
    trainer = badges["trainer"]
    found = UserFactory(
        first_name="Zoé",
        last_name="Marchand",
        email="zoe.marchand@ac-poitiers.fr",
        establishment=EstablishmentFactory(),  # in the issuer's académie (Poitiers)
    )
    # Someone of another académie, who never took part in Poitiers' workshops: not findable.
    far = Departement.objects.exclude(academie__code="13").first()
    UserFactory(
        first_name="Yves",
        last_name="Marchand",
        email="yves.marchand@ac-lille.fr",
        establishment=EstablishmentFactory(departement=far, uai="0750654D"),
    )
    client.force_login(trainer)
    url = reverse("badges:award")
    page = client.get(url)
    assert page.status_code == 200
    assert "Autre atelier" not in page.content.decode()  # not theirs to award
    badge = badges["trained"]
    page = client.get(url, {"badge": badge.pk, "q": "marchand"})
    assert "zoe.marchand@ac-poitiers.fr" in page.content.decode()
    assert "yves.marchand" not in page.content.decode()
    response = client.post(
        f"{url}?badge={badge.pk}&q=marchand",
        {
            "badge_class": badge.pk,
            "recipients": [found.pk],
            "emails": "autre@ac-poitiers.fr",
            "evidence_url": "https://example.org/preuve",
            "narrative": "Bravo",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{url}?badge={badge.pk}"
    assert "décerné à 2 personnes" in response.content.decode()
    assert set(Assertion.objects.values_list("recipient_email", flat=True)) == {
        "zoe.marchand@ac-poitiers.fr",
        "autre@ac-poitiers.fr",
    }
    assert Assertion.objects.get(recipient=found).awarded_by == trainer
    # The same again: a clear "already had it", no duplicate.
    response = client.post(url, {"badge_class": badge.pk, "recipients": [found.pk]}, follow=True)
    assert "Déjà titulaires de ce badge" in response.content.decode()
    assert Assertion.objects.count() == 2


def test_award_page_validates(client, badges):
    client.force_login(badges["trainer"])
    badge = badges["standalone"]
    url = f"{reverse('badges:award')}?badge={badge.pk}"
    response = client.post(
        url, {"badge_class": badge.pk, "emails": "pas-une-adresse", "evidence_url": "nope"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"emails", "evidence_url"}
    response = client.post(url, {"badge_class": badge.pk})
    assert response.context["form"].non_field_errors()
    assert not Assertion.objects.exists()


def test_award_page_refuses_badges_out_of_reach(client, badges):
    client.force_login(badges["trainer"])
    response = client.post(
        reverse("badges:award"),
        {"badge_class": badges["untrained"].pk, "emails": "a@b.fr"},
    )
    assert response.status_code == 404
    assert not Assertion.objects.exists()


@pytest.mark.parametrize("who", ["teacher", "trainer elsewhere", "anonymous"])
def test_award_pages_are_404_for_people_without_awardable_badges(client, badges, who):
    # The Lyon badge exists, but a trainer of Lyon… may award it: use another académie.
    if who == "teacher":
        client.force_login(teacher())
    elif who == "trainer elsewhere":
        client.force_login(person(Role.TRAINER, "04"))
    for name in ("badges:award", "badges:bulk_award"):
        response = client.get(reverse(name))
        if who == "anonymous":
            assert response.status_code == 302
        else:
            assert response.status_code == 404


def test_people_findable_for_a_badge(badges):
    """Those working in the issuer's académie, or who enrolled in one of its workshops."""
    from badges.permissions import findable_people
    from tests.factories import EnrollmentFactory, SessionFactory

    badge = badges["trained"]
    colleague = UserFactory(establishment=EstablishmentFactory())
    participant = UserFactory()  # no school on record, but took part in a Poitiers workshop
    EnrollmentFactory(user=participant, session=SessionFactory(workshop=badge.workshop))
    stranger = UserFactory()
    findable = set(findable_people(badge))
    assert {colleague, participant} <= findable and stranger not in findable
    assert participant not in set(findable_people(badges["elsewhere"]))


# --- Who may award each badge class by hand (issue 13, item 5) ------------------------------


def test_a_certification_badge_is_never_awarded_by_hand(client, badges, issuer):
    """The reproduction: a trainer awarded "Pix+ Édu 2nd degré — Confirmé" to anyone, though
    its criteria require a verified certification."""
    from badges.services.bulk import start_bulk_award

    pix_badge = make_badge_class(
        issuer, name="Pix+ Édu 2nd degré — Confirmé", pix_plus_edu_scope="2d", pix_plus_edu_level=2
    )
    coordinator = person(Role.COORDINATOR)
    admin = UserFactory(is_superuser=True)
    for who in (badges["trainer"], coordinator, admin):
        assert pix_badge not in awardable_badge_classes(who)
    client.force_login(badges["trainer"])
    response = client.post(
        reverse("badges:award"), {"badge_class": pix_badge.pk, "emails": "a@b.fr"}
    )
    assert response.status_code == 404
    # The service refuses it whoever calls, by hand or by file.
    for call in (
        lambda: award_manually(badge_class=pix_badge, emails=["a@b.fr"], by=admin),
        lambda: start_bulk_award(badge_class=pix_badge, rows=[], filename="f.csv", by=admin),
    ):
        with pytest.raises(ServiceError) as refused:
            call()
        assert refused.value.code == "automatic_only"
    assert not Assertion.objects.exists()


def test_a_coordinators_only_badge_is_not_awarded_by_its_workshop_trainers(client, badges):
    from badges.constants import AwardRights

    trained = badges["trained"]
    trained.award_rights = AwardRights.COORDINATORS
    trained.save()
    assert trained not in awardable_badge_classes(badges["trainer"])
    assert trained in awardable_badge_classes(person(Role.COORDINATOR))
    client.force_login(badges["trainer"])
    response = client.post(reverse("badges:award"), {"badge_class": trained.pk, "emails": "a@b.fr"})
    assert response.status_code == 404
    assert not Assertion.objects.exists()


def test_a_pix_plus_edu_badge_must_be_automatic_only(issuer):
    from django.db import IntegrityError, transaction

    from badges.constants import AwardRights

    badge = make_badge_class(issuer, name="Pix+ Édu", pix_plus_edu_scope="2d", pix_plus_edu_level=2)
    badge.award_rights = AwardRights.TRAINERS
    with pytest.raises(IntegrityError), transaction.atomic():
        badge.save()


@pytest.mark.parametrize("typed", ["zoe", "ZOÉ", "zoe march", "Marchand Zoé", "ac-poitiers.fr zoe"])
def test_award_page_finds_people_as_they_are_typed(client, badges, typed):
    """Accents and letter case aside, every word in the name or the address."""
    UserFactory(
        first_name="Zoé",
        last_name="Marchand",
        email="z.marchand@ac-poitiers.fr",
        establishment=EstablishmentFactory(),
    )
    UserFactory(first_name="Zoé", last_name="Lefèvre", establishment=EstablishmentFactory())
    client.force_login(badges["trainer"])
    page = client.get(reverse("badges:award"), {"badge": badges["trained"].pk, "q": typed})
    content = page.content.decode()
    assert "z.marchand@ac-poitiers.fr" in content
    assert ("Lefèvre" in content) == (typed.lower() in ("zoe", "zoé"))


def test_the_folded_name_follows_every_change():
    person = UserFactory(first_name="Lea", last_name="Martin")
    User.objects.filter(pk=person.pk).update(first_name="Léa", last_name="ÉLUARD")
    assert User.objects.get(pk=person.pk).search_name.startswith("lea eluard ")
