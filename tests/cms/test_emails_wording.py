"""Emails greet people in plain French, never "Salut" nor "c'est 127.0.0.1:8791 !"."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory


@pytest.mark.django_db
def test_allauth_emails_greet_without_the_host(client, mailoutbox):
    user = UserFactory(email="sophie@example.fr", first_name="Sophie")
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert body.startswith("Bonjour,")
    assert "c'est" not in body and "testserver !" not in body
    assert "L'équipe Entrepairs" in body


@pytest.mark.django_db
@pytest.mark.parametrize("template", ["base.txt", "base.html"])
def test_wagtail_moderation_emails_say_bonjour(template):
    user = UserFactory(first_name="Sophie", last_name="Durand")
    with translation.override("fr"):
        text = render_to_string(f"wagtailadmin/notifications/{template}", {"user": user})
    assert "Bonjour Sophie," in text
    assert "Salut" not in text
