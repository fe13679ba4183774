"""Catalogue search as teachers type it: parts of words, accents, synonyms, exact matches first."""

import pytest
from django.core.exceptions import ValidationError

from cotraining.folding import fold
from cotraining.models import SearchSynonym
from cotraining.search import query_clauses
from tests.cotraining.test_catalogue import add_session, offer, section, titles  # noqa: F401

pytestmark = pytest.mark.django_db


def search(client, query):
    return titles(client.get("/ateliers/", {"q": query}))


def test_a_word_inside_a_compound_is_found(client, section):  # noqa: F811
    offer(section, "Cybersécurité au collège")
    offer(section, "Robotique")
    for query in ("sécurité", "securite", "SÉCURITÉ", "cyber", "sécu collège"):
        assert search(client, query) == ["Cybersécurité au collège"], query


def test_unaccented_forms_find_accented_text_in_every_field(client, section):  # noqa: F811
    offer(section, "Atelier A", summary="Créer des évaluations différenciées.")
    offer(section, "Atelier B", summary="Autre chose.")
    for query in ("evaluations differenciees", "différenc", "EVALUATION"):
        assert search(client, query) == ["Atelier A"], query


def test_short_words_match_whole_words_only(client, section):  # noqa: F811
    offer(section, "Le moment présent")
    offer(section, "L'ENT au quotidien")
    # "ent" is too short to be looked for inside words ("moment", "présent").
    assert search(client, "ent") == ["L'ENT au quotidien"]


def test_synonyms_from_the_editable_list_both_ways(client, section):  # noqa: F811
    offer(section, "Animer une visioconférence")
    offer(section, "Classe virtuelle : les bons réflexes")
    offer(section, "Découvrir l'espace numérique de travail")
    offer(section, "Robotique")
    assert sorted(search(client, "visio")) == [
        "Animer une visioconférence",
        "Classe virtuelle : les bons réflexes",
    ]
    assert search(client, "ENT") == ["Découvrir l'espace numérique de travail"]
    SearchSynonym.objects.create(terms="robot, Thymio")
    assert search(client, "thymio") == ["Robotique"]  # the cached listing was replaced


def test_full_text_matches_rank_before_partial_ones(client, section):  # noqa: F811
    # Listed by next session otherwise: the partial match comes first by date.
    offer(section, "Cybersécurité", days=2)
    offer(section, "La sécurité des données", days=20)
    assert search(client, "sécurité") == ["La sécurité des données", "Cybersécurité"]


def test_every_clause_must_match(client, section):  # noqa: F811
    offer(section, "Visioconférence en anglais")
    offer(section, "Visioconférence en maths")
    assert search(client, "visio anglais") == ["Visioconférence en anglais"]


def test_query_clauses_recognise_synonym_phrases():
    groups = [["ENT", "espace numérique de travail"], ["visio", "visioconférence"]]
    assert query_clauses("l'Espace numerique de travail en visio", groups) == [
        ["Espace numerique de travail", "ENT", "espace numérique de travail"],
        ["en"],
        ["visio", "visioconférence"],
    ]


def test_a_synonym_needs_two_different_terms():
    with pytest.raises(ValidationError):
        SearchSynonym(terms="visio, Visio").full_clean()
    synonym = SearchSynonym(terms=" vidéo ,  vidéoprojecteur,, VP ")
    synonym.full_clean()
    assert synonym.terms == "vidéo, vidéoprojecteur, VP"


def test_fold():
    assert fold("  Léa ÉLOÏSE  Œuvre ") == "lea eloise oeuvre"
