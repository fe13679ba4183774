"""The holder's backpack: showing their name on a badge's public page goes through a service,
idempotent, with an audit entry."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from badges.models import Assertion
from badges.services.awards import award_badge
from badges.services.backpack import EDIT, set_assertion_public
from tests.factories import UserFactory, make_badge_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def assertion(issuer):
    person = UserFactory(first_name="Claire", last_name="Dupont")
    awarded, _ = award_badge(
        badge_class=make_badge_class(issuer), email=person.email, recipient=person, source="x"
    )
    return awarded


def entries(assertion):
    return list(
        ModelLogEntry.objects.filter(object_id=str(assertion.pk), action=EDIT)
        .order_by("pk")
        .values_list("user_id", "data")
    )


def test_the_holder_shows_then_hides_their_name_each_change_audited_once(assertion):
    holder = assertion.recipient
    assert set_assertion_public(assertion=assertion, public=True, by=holder) is True
    assert assertion.public and Assertion.objects.get(pk=assertion.pk).public
    # Asked again: nothing written, nothing logged.
    assert set_assertion_public(assertion=assertion, public=True, by=holder) is False
    assert entries(assertion) == [(holder.pk, {"public": True})]

    assert set_assertion_public(assertion=assertion, public=False, by=holder) is True
    assert not Assertion.objects.get(pk=assertion.pk).public
    assert set_assertion_public(assertion=assertion, public=False, by=holder) is False
    assert entries(assertion) == [(holder.pk, {"public": True}), (holder.pk, {"public": False})]


def test_a_stale_copy_changes_nothing_when_the_row_already_says_so(assertion):
    """Two tabs: the row is public already, a stale copy asks the same: no second entry."""
    stale = Assertion.objects.get(pk=assertion.pk)
    set_assertion_public(assertion=assertion, public=True, by=assertion.recipient)
    assert set_assertion_public(assertion=stale, public=True, by=assertion.recipient) is False
    assert stale.public
    assert len(entries(assertion)) == 1


def test_the_toggle_page_goes_through_the_service(client, assertion):
    client.force_login(assertion.recipient)
    url = reverse("badges:toggle_public", kwargs={"uuid": assertion.uuid})
    response = client.post(url, follow=True)
    assert "Votre nom apparaît désormais sur la page publique de ce badge." in (
        response.content.decode()
    )
    assert Assertion.objects.get(pk=assertion.pk).public
    assert entries(assertion) == [(assertion.recipient.pk, {"public": True})]
    page = client.get(assertion.public_url, HTTP_ACCEPT="text/html").content.decode()
    assert "Claire Dupont" in page

    response = client.post(url, follow=True)
    assert "Votre nom n&#x27;apparaît plus sur la page publique de ce badge." in (
        response.content.decode()
    )
    assert not Assertion.objects.get(pk=assertion.pk).public
    assert [data for _user, data in entries(assertion)] == [{"public": True}, {"public": False}]
    client.logout()
    assert "Claire Dupont" not in (
        client.get(assertion.public_url, HTTP_ACCEPT="text/html").content.decode()
    )


def test_nobody_else_toggles_it(client, assertion):
    client.force_login(UserFactory())
    url = reverse("badges:toggle_public", kwargs={"uuid": assertion.uuid})
    assert client.post(url).status_code == 404
    assert (
        client.get(reverse("badges:toggle_public", kwargs={"uuid": assertion.uuid})).status_code
        == 405
    )
    assert not Assertion.objects.get(pk=assertion.pk).public
    assert entries(assertion) == []
