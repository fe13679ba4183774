"""PostgreSQL's side of search: parts of words through f_unaccent + pg_trgm, folded names."""

import pytest
from django.db import connection

from badges.forms import search_people
from cotraining.models import User
from tests.cotraining.test_catalogue import offer, section, titles  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_catalogue_finds_parts_of_words_and_synonyms(client, section):  # noqa: F811
    assert connection.vendor == "postgresql"
    offer(section, "Cybersécurité au collège", days=2)
    offer(section, "La sécurité des données", days=20)
    offer(section, "Animer une visioconférence")
    offer(section, "Robotique")
    assert titles(client.get("/ateliers/", {"q": "securite"})) == [
        "La sécurité des données",
        "Cybersécurité au collège",
    ]
    assert titles(client.get("/ateliers/", {"q": "visio"})) == ["Animer une visioconférence"]


def test_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'modelsearch_%_unaccent_trgm'"
        )
        assert {row[0] for row in cursor.fetchall()} == {
            "modelsearch_title_text_unaccent_trgm",
            "modelsearch_body_text_unaccent_trgm",
        }


def test_people_are_found_without_accents():
    lea = UserFactory(first_name="Léa", last_name="Œuvray")
    assert list(search_people("lea oeuv", within=User.objects.all())) == [lea]
