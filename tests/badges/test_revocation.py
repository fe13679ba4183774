"""Revoking badges, one or many, with a reason; only the issuer's admins may."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from badges.constants import AuditAction
from badges.models import Assertion, Issuer
from badges.services.awards import award_badge
from badges.services.revocation import revoke_assertion, revoke_assertions
from cotraining.constants import Role
from cotraining.exceptions import ServiceError
from cotraining.services import grant_role
from tests.factories import UserFactory, academie, make_badge_class, teacher

pytestmark = pytest.mark.django_db


def person(role, code="13"):
    user = UserFactory()
    grant_role(user=user, role=role, academie=academie(code))
    return user


@pytest.fixture
def awarded(issuer):
    badge_class = make_badge_class(issuer)
    return [
        award_badge(badge_class=badge_class, email=f"p{i}@b.fr", source="manual")[0]
        for i in range(3)
    ]


def test_revoking_several_is_one_audited_idempotent_operation(awarded):
    admin = UserFactory(is_superuser=True)
    assert revoke_assertions(assertions=awarded[:2], reason=" Plagiat ", by=admin) == 2
    assert revoke_assertions(assertions=awarded, reason="Autre motif", by=admin) == 1
    revoked = {a.recipient_email: a for a in Assertion.objects.all()}
    assert revoked["p0@b.fr"].revocation_reason == "Plagiat"  # the first reason stays
    assert revoked["p2@b.fr"].revocation_reason == "Autre motif"
    assert all(a.revoked and a.revoked_at for a in revoked.values())
    entries = ModelLogEntry.objects.filter(action=AuditAction.REVOKE_ASSERTION)
    assert entries.count() == 3 and {e.user_id for e in entries} == {admin.pk}


def test_one_or_many_revocations_keep_the_same_reason_cut_to_its_column(awarded):
    reason = "Erreur de saisie : " + "x" * 300
    one = revoke_assertion(assertion=awarded[0], reason=f"  {reason}  ", by=None)
    assert revoke_assertions(assertions=awarded[1:], reason=reason, by=None) == 2
    stored = set(Assertion.objects.values_list("revocation_reason", flat=True))
    assert stored == {reason[:255]} and one.revocation_reason == reason[:255]
    assert one.revoked and one.revoked_at
    # The audit entry keeps the reason whole.
    logged = ModelLogEntry.objects.filter(action=AuditAction.REVOKE_ASSERTION)
    assert [entry.data["reason"] for entry in logged] == [reason] * 3
    # Again: nothing changes, nothing is logged twice.
    assert (
        revoke_assertion(assertion=awarded[0], reason="Autre", by=None).revocation_reason
        == (reason[:255])
    )
    assert revoke_assertions(assertions=awarded, reason="Autre", by=None) == 0
    assert logged.count() == 3


def test_a_reason_is_required(awarded):
    with pytest.raises(ServiceError) as error:
        revoke_assertions(assertions=awarded, reason="  ", by=None)
    assert error.value.code == "reason_required"
    assert not Assertion.objects.filter(revoked=True).exists()


def test_a_coordinator_revokes_from_the_list_and_verifiers_get_410(client, awarded):
    coordinator = person(Role.COORDINATOR)
    client.force_login(coordinator)
    page = client.get(reverse("badges:awarded_list"), {"q": "p1@"})
    assert [a.pk for a in page.context["page"].object_list] == [awarded[1].pk]
    response = client.post(
        reverse("badges:revoke"),
        {
            "assertions": [awarded[0].pk, awarded[1].pk],
            "reason": "Erreur de saisie",
            "confirm": "1",
        },
        follow=True,
    )
    assert "2 badges révoqués" in response.content.decode()
    assert set(Assertion.objects.filter(revoked=True).values_list("pk", flat=True)) == {
        awarded[0].pk,
        awarded[1].pk,
    }
    hosted = client.get(
        reverse("badges:assertion", kwargs={"uuid": awarded[0].uuid}),
        HTTP_ACCEPT="application/ld+json",
    )
    assert hosted.status_code == 410 and hosted.json()["revoked"] is True
    assert hosted.json()["revocationReason"] == "Erreur de saisie"


def test_revoking_without_a_reason_or_a_choice_changes_nothing(client, awarded):
    client.force_login(person(Role.COORDINATOR))
    response = client.post(
        reverse("badges:revoke"), {"assertions": [awarded[0].pk], "reason": ""}, follow=True
    )
    assert response.status_code == 200
    response = client.post(reverse("badges:revoke"), {"reason": "Motif"}, follow=True)
    assert "Cochez au moins un badge" in response.content.decode()
    assert not Assertion.objects.filter(revoked=True).exists()


@pytest.mark.parametrize("who", ["trainer", "coordinator elsewhere", "teacher"])
def test_others_get_404_and_revoke_nothing(client, awarded, who):
    user = {
        "trainer": lambda: person(Role.TRAINER),  # awards, never revokes
        "coordinator elsewhere": lambda: person(Role.COORDINATOR, "04"),
        "teacher": teacher,
    }[who]()
    if who == "coordinator elsewhere":
        # They administer an issuer of their own, so the list exists for them, empty of ours.
        from tests.factories import IssuerFactory

        theirs = IssuerFactory(
            name="DANE d'Aix-Marseille",
            url="https://www.ac-aix-marseille.fr",
            email="dane@ac-aix-marseille.fr",
            academie=academie("04"),
        )
        make_badge_class(theirs)
    client.force_login(user)
    listing = client.get(reverse("badges:awarded_list"))
    if who == "coordinator elsewhere":
        assert listing.status_code == 200 and not listing.context["page"].object_list
    else:
        assert listing.status_code == 404
    response = client.post(
        reverse("badges:revoke"), {"assertions": [awarded[0].pk], "reason": "Motif"}
    )
    assert response.status_code == 404
    assert not Assertion.objects.filter(revoked=True).exists()


def test_the_list_filters_by_badge_class(client, issuer, awarded, django_assert_max_num_queries):
    other = make_badge_class(issuer, name="Autre")
    extra, _ = award_badge(badge_class=other, email="q@b.fr", source="manual")
    client.force_login(person(Role.COORDINATOR))
    page = client.get(reverse("badges:awarded_list"), {"badge": other.pk})
    assert [a.pk for a in page.context["page"].object_list] == [extra.pk]
    for i in range(10):
        award_badge(badge_class=other, email=f"r{i}@b.fr", source="manual")
    with django_assert_max_num_queries(20):  # the layout's ~15 and 2 for the list, not 1 a row
        page = client.get(reverse("badges:awarded_list"))
    assert page.context["page"].paginator.count == 14


def test_the_list_filters_by_address_and_never_by_a_badge_out_of_reach(client, issuer, awarded):
    theirs = Issuer.objects.create(
        name="DANE d'Aix-Marseille",
        url="https://www.ac-aix-marseille.fr",
        email="dane@ac-aix-marseille.fr",
        academie=academie("04"),
    )
    elsewhere = make_badge_class(theirs, name="Ailleurs")
    award_badge(badge_class=elsewhere, email="p1@b.fr", source="manual")
    client.force_login(person(Role.COORDINATOR))
    url = reverse("badges:awarded_list")
    page = client.get(url, {"q": "P1@B"})  # any letter case
    assert [a.pk for a in page.context["page"].object_list] == [awarded[1].pk]
    choices = [badge.pk for badge in page.context["filters"].form.fields["badge"].queryset]
    assert choices == [awarded[0].badge_class_id]
    # Another académie's badge is no choice: the form says so and the list is not filtered,
    # by it or by the address (as before the FilterSet), and never shows that badge's awards.
    page = client.get(url, {"badge": elsewhere.pk, "q": "p1@"})
    assert page.context["filters"].form.errors["badge"]
    assert sorted(a.pk for a in page.context["page"].object_list) == sorted(a.pk for a in awarded)
    html = page.content.decode()
    assert 'name="q"' in html and 'name="badge"' in html  # the filters' form, DSFR-rendered


def test_revoking_from_the_list_asks_for_confirmation_first(client, awarded):
    client.force_login(person(Role.COORDINATOR))
    listing = client.get(reverse("badges:awarded_list")).content.decode()
    assert 'data-confirm="Révoquer les badges cochés ?"' in listing
    assert 'id="ep-confirm-modal"' in listing

    response = client.post(
        reverse("badges:revoke"),
        {"assertions": [awarded[0].pk, awarded[2].pk], "reason": "Doublon", "query": "q=p"},
    )

    assert response.status_code == 200
    assert not Assertion.objects.filter(revoked=True).exists()
    html = response.content.decode()
    assert "Révoquer définitivement 2 badges ?" in html and "p2@b.fr" in html
    for hidden in (
        f'name="assertions" value="{awarded[0].pk}"',
        f'name="assertions" value="{awarded[2].pk}"',
        'name="reason" value="Doublon"',
        'name="confirm" value="1"',
    ):
        assert hidden in html
    assert f'href="{reverse("badges:awarded_list")}?q=p"' in html
