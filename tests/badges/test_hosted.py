"""Hosted verification: JSON-LD for machines, pages for people, 410 for revoked, ETag, CORS."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from badges.services.awards import award_badge
from badges.services.revocation import revoke_assertion
from tests.factories import UserFactory, make_badge_class

pytestmark = pytest.mark.django_db

JSON_LD = "application/ld+json"


@pytest.fixture
def assertion(issuer):
    person = UserFactory(first_name="Claire", last_name="Dupont")
    awarded, _ = award_badge(
        badge_class=make_badge_class(issuer),
        email=person.email,
        recipient=person,
        source="manual:1",
        evidence=[{"type": "Evidence", "id": "https://example.org/seance", "name": "Séance"}],
    )
    return awarded


def get(client, url, accept=JSON_LD, **headers):
    return client.get(url, HTTP_ACCEPT=accept, **headers)


def test_machines_get_json_ld_with_cors_cache_and_etag(client, assertion):
    url = reverse("badges:assertion", kwargs={"uuid": assertion.uuid})
    response = get(client, url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(JSON_LD)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["type"] == "Assertion"
    assert document["id"] == assertion.public_url == "http://testserver" + url
    assert document["verification"] == {"type": "hosted"}
    assert document["recipient"]["identity"].startswith("sha256$")
    assert document["evidence"][0]["id"] == "https://example.org/seance"
    again = get(client, url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_every_id_resolves_to_its_document(client, assertion):
    document = json.loads(get(client, assertion.public_url).content)
    badge = json.loads(get(client, document["badge"]).content)
    assert badge["type"] == "BadgeClass"
    assert badge["criteria"]["narrative"]
    issuer = json.loads(get(client, badge["issuer"]).content)
    assert (issuer["type"], issuer["email"]) == ("Issuer", "dane@ac-poitiers.fr")
    image = client.get(document["image"])
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_browsers_get_a_page_and_json_can_be_forced(client, assertion):
    url = assertion.public_url
    page = get(client, url, accept="text/html,application/xhtml+xml,*/*;q=0.8")
    html = page.content.decode()
    assert page["Content-Type"].startswith("text/html")
    assert "Co-formateur numérique" in html
    assert f'rel="alternate" type="application/ld+json" href="{url}"' in html
    assert "Claire Dupont" not in html  # not public until the holder says so
    assert "linkedin.com" not in html  # only the holder is offered to add it
    assert get(client, url + ".json", accept="text/html")["Content-Type"].startswith(JSON_LD)
    assert get(client, url + "?format=json", accept="text/html")["Content-Type"].startswith(JSON_LD)


def test_a_revoked_assertion_is_gone(client, assertion):
    revoke_assertion(assertion=assertion, reason="Attribué par erreur", by=None)
    response = get(client, assertion.public_url)
    assert response.status_code == 410
    assert json.loads(response.content) == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": assertion.public_url,
        "type": "Assertion",
        "revoked": True,
        "revocationReason": "Attribué par erreur",
    }
    page = get(client, assertion.public_url, accept="text/html")
    assert page.status_code == 410
    assert "Badge révoqué" in page.content.decode()


def test_my_badges_lists_mine_and_the_public_toggle_shows_my_name(client, assertion, issuer):
    other, _ = award_badge(
        badge_class=make_badge_class(issuer, name="Badge d'un autre"),
        email="autre@ac-poitiers.fr",
        source="manual:9",
    )
    client.force_login(assertion.recipient)
    html = client.get(reverse("badges:my_badges")).content.decode()
    assert "Co-formateur numérique" in html
    assert "Badge d&#x27;un autre" not in html and "Badge d'un autre" not in html
    client.post(reverse("badges:toggle_public", kwargs={"uuid": assertion.uuid}))
    page = get(client, assertion.public_url, accept="text/html").content.decode()
    assert "Claire Dupont" in page
    assert (
        client.post(reverse("badges:toggle_public", kwargs={"uuid": other.uuid})).status_code == 404
    )
    exported = json.loads(client.get(reverse("badges:export_badges")).content)
    assert [item["id"] for item in exported] == [assertion.public_url]


def test_my_badges_shows_square_badge_images_whole(client, assertion):
    """The card's 16:9 frame used to crop the square emblem (object-fit: cover)."""
    client.force_login(assertion.recipient)
    html = client.get(reverse("badges:my_badges")).content.decode()
    image = reverse("badges:badge_class_image", kwargs={"uuid": assertion.badge_class.uuid})
    assert f'<img src="{image}" alt="" class="ep-card__img--badge">' in html
    css = (Path(__file__).resolve().parents[2] / "cms/static/css/entrepairs.css").read_text()
    assert re.search(r"\.fr-card__img \.ep-card__img--badge \{[^}]*object-fit: contain", css)


def test_the_assertion_json_is_served_from_cache_until_revoked(
    client, assertion, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first = get(client, assertion.public_url)
    with django_assert_num_queries(0):
        again = get(client, assertion.public_url)
    assert again.content == first.content
    with django_capture_on_commit_callbacks(execute=True):
        revoke_assertion(assertion=assertion, reason="Doublon", by=None)
    assert get(client, assertion.public_url).status_code == 410


def test_a_revocation_in_another_process_reaches_this_one_within_seconds(client, assertion):
    """Another web process revoked it (the shared cache cleared, this process's copy not):
    this process answers from its copy at most ASSERTION_LOCAL_SECONDS, then 410."""
    import time_machine
    from django.core.cache import cache
    from django.utils import timezone

    from badges.models import Assertion
    from badges.services.openbadges import ASSERTION_LOCAL_SECONDS, assertion_cache_key

    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert get(client, assertion.public_url).status_code == 200
        Assertion.objects.filter(pk=assertion.pk).update(revoked=True, revocation_reason="X")
        cache.delete(assertion_cache_key(assertion.uuid))  # what the other process did
        assert get(client, assertion.public_url).status_code == 200
        clock.shift(ASSERTION_LOCAL_SECONDS + 1)
        assert get(client, assertion.public_url).status_code == 410


# --- HEAD, OPTIONS, JSON errors, canonical ids, alignment (issue 16) -----------------------


def _hosted_urls(assertion):
    version = assertion.version
    return [
        assertion.public_url,
        assertion.image_url,
        version.document["id"],
        version.document["image"],
        assertion.badge_class.public_url,
        assertion.badge_class.issuer.public_url,
    ]


def test_hosted_urls_answer_head_and_a_cors_preflight(client, assertion):
    for url in _hosted_urls(assertion):
        head = client.head(url, HTTP_ACCEPT=JSON_LD)
        assert head.status_code == 200, url
        assert head["Access-Control-Allow-Origin"] == "*"
        preflight = client.options(
            url,
            HTTP_ORIGIN="https://backpack.example.org",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept",
        )
        assert preflight.status_code == 204, url
        assert preflight["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight["Access-Control-Allow-Methods"]
        assert "Accept" in preflight["Access-Control-Allow-Headers"]
        assert client.post(url).status_code == 405


def test_json_clients_get_json_errors(client, assertion):
    missing = "/badges/assertions/00000000-0000-4000-8000-000000000000"
    for url in (missing, missing + ".json", missing.replace("assertions", "classes") + "/v1"):
        response = get(client, url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")
        assert json.loads(response.content)["error"] == "not_found"
    assert "text/html" in get(client, missing, accept="text/html")["Content-Type"]
    revoke_assertion(assertion=assertion, reason="Erreur de saisie", by=None)
    gone = get(client, assertion.public_url + ".json")
    assert gone.status_code == 410 and json.loads(gone.content)["revoked"] is True


def test_the_json_link_serves_the_canonical_id_and_an_upper_case_uuid_resolves(client, assertion):
    canonical = assertion.public_url
    for url in (canonical + ".json", canonical + "?format=json"):
        response = client.get(url)
        assert json.loads(response.content)["id"] == canonical
        assert response["Link"] == f'<{canonical}>; rel="canonical"'
    upper = canonical.replace(str(assertion.uuid), str(assertion.uuid).upper())
    response = get(client, upper)
    assert response.status_code == 200
    assert json.loads(response.content)["id"] == canonical
    image = assertion.image_url.replace(str(assertion.uuid), str(assertion.uuid).upper())
    assert client.get(image).status_code == 200
    assert get(client, "/badges/assertions/" + "-" * 36).status_code == 404  # not a UUID


def test_documents_are_french_and_aligned_per_competence(client, issuer):
    from cotraining.models import Competence

    badge_class = make_badge_class(issuer)
    badge_class.competences.set(Competence.objects.filter(code__in=["1.1", "2.1"]))
    person = UserFactory()
    awarded, _ = award_badge(
        badge_class=badge_class, email=person.email, recipient=person, source="manual:1"
    )
    document = json.loads(get(client, awarded.public_url).content)
    badge = json.loads(get(client, document["badge"]).content)
    assert document["@language"] == badge["@language"] == "fr"
    alignment = badge["alignment"]
    assert [a["targetCode"] for a in alignment] == ["1.1", "2.1"]
    assert len({a["targetUrl"] for a in alignment}) == 2  # one URL per competence
    assert all(a["targetUrl"].startswith("https://") for a in alignment)
    assert "Mener une recherche" in alignment[0]["targetDescription"]
    issuer_document = json.loads(get(client, badge["issuer"]).content)
    assert issuer_document["@language"] == "fr"


def test_pix_plus_edu_badges_are_aligned_to_their_scope(issuer):
    from badges.services.versions import publish_version

    badge_class = make_badge_class(issuer, pix_plus_edu_scope="2d", pix_plus_edu_level=2)
    document = publish_version(badge_class=badge_class).document
    (alignment,) = document["alignment"]
    assert alignment["targetCode"] == "2d"
    assert "eduscol" in alignment["targetUrl"]
    assert "Confirmé" in alignment["targetDescription"]
