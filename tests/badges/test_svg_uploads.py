"""Uploaded SVG badge and issuer images: stored, baked and served only once sanitised.

Each attack vector below passed the validator and was stored and baked as is: opened from the
site's origin, the image ran script as whoever looked at it (an administrator included) and
could read /mes-badges/export.json.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms import modelform_factory

from badges.models import Assertion, BadgeClass, Issuer
from badges.services.awards import award_badge
from badges.services.baking import read_baked
from badges.validators import sanitize_svg, svg_threats, validate_badge_image
from tests.factories import SVG, make_badge_class

pytestmark = pytest.mark.django_db

OPEN = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
OPEN += b'viewBox="0 0 100 100" width="100" height="100">'
CIRCLE = b'<circle cx="50" cy="50" r="45" fill="#000091"/>'
ATTACKS = {
    "script": b"<script>fetch('/mes-badges/export.json')</script>",
    "script-cdata": b"<script><![CDATA[alert(document.cookie)]]></script>",
    "onload": b'<g onload="alert(1)"><circle r="5"/></g>',
    "onclick": b'<rect width="10" height="10" onclick="alert(1)"/>',
    "foreignObject": (
        b'<foreignObject width="100" height="100"><body xmlns="http://www.w3.org/1999/xhtml">'
        b'<iframe src="javascript:alert(1)"></iframe></body></foreignObject>'
    ),
    "javascript-xlink": b'<a xlink:href="javascript:alert(1)"><rect width="9" height="9"/></a>',
    "javascript-href": b'<a href=" javascript:alert(1)"><rect width="9" height="9"/></a>',
    "external-image": b'<image href="https://evil.example/track.png" width="9" height="9"/>',
    "external-use": b'<use xlink:href="https://evil.example/sprite.svg#x"/>',
    "css-import": b"<style>@import url(https://evil.example/x.css);</style>",
    "css-url": b'<rect width="9" height="9" style="fill:url(https://evil.example/f)"/>',
    "animate-handler": b'<set attributeName="onmouseover" to="alert(1)"/>',
    "animate-href": b'<a><animate attributeName="href" values="javascript:alert(1)"/></a>',
    "data-html": b'<image href="data:text/html;base64,PHNjcmlwdD4=" width="9" height="9"/>',
}


def attack(name):
    return OPEN + ATTACKS[name] + CIRCLE + b"</svg>"


def read(field):
    field.open("rb")
    try:
        return field.read()
    finally:
        field.close()


def assert_clean(content):
    assert svg_threats(content) == []
    lowered = content.lower()
    for marker in (b"<script", b"foreignobject", b"onload", b"onclick", b"url(http", b"@import"):
        assert marker not in lowered
    assert b"<circle" in content  # the drawing itself is kept


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_every_attack_vector_is_detected(name):
    assert svg_threats(attack(name))


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_uploaded_svg_is_stored_baked_and_served_clean(name, issuer, client):
    upload = SimpleUploadedFile("badge.svg", attack(name), content_type="image/svg+xml")
    validate_badge_image(upload)  # the drawing is fine: sanitised, not refused
    badge_class = make_badge_class(issuer)
    badge_class.image.save("badge.svg", upload)
    assert_clean(read(badge_class.image))

    assertion, _ = award_badge(badge_class=badge_class, email="a@b.fr", source="manual:1")
    baked = read(assertion.image)
    assert_clean(baked)
    assert read_baked(baked) == assertion.public_url

    for url in (f"/badges/classes/{badge_class.uuid}/image", assertion.image_url):
        response = client.get(url)
        assert_clean(b"".join(response.streaming_content))


def test_the_admin_form_of_an_issuer_stores_the_clean_logo(issuer):
    form_class = modelform_factory(Issuer, fields=["name", "url", "email", "image"])
    data = {"name": issuer.name, "url": issuer.url, "email": issuer.email}
    upload = SimpleUploadedFile("logo.svg", attack("onload"), content_type="image/svg+xml")
    form = form_class(data, {"image": upload}, instance=issuer)
    assert form.is_valid(), form.errors
    form.save()
    issuer.refresh_from_db()
    assert_clean(read(issuer.image))


def test_a_file_stored_before_sanitising_is_never_baked_as_is(issuer):
    """A badge class whose file reached the storage unsanitised (uploaded before the fix)."""
    badge_class = make_badge_class(issuer)
    name = default_storage.save("badges/classes/old.svg", ContentFile(attack("script")))
    BadgeClass.objects.filter(pk=badge_class.pk).update(image=name)
    badge_class.refresh_from_db()
    assertion, _ = award_badge(badge_class=badge_class, email="a@b.fr", source="manual:1")
    assert_clean(read(assertion.image))


def test_a_clean_svg_keeps_its_drawing():
    drawing = (
        OPEN + b'<defs><linearGradient id="g"><stop offset="0" stop-color="#000091"/>'
        b'</linearGradient><circle id="dot" r="4"/></defs><rect width="100" height="100" '
        b'fill="url(#g)"/><use href="#dot"/><image href="data:image/png;base64,iVBORw0KGgo=" '
        b'width="9" height="9"/>' + CIRCLE + b"</svg>"
    )
    clean = sanitize_svg(drawing)
    assert svg_threats(clean) == []
    for kept in (b"linearGradient", b'fill="url(#g)"', b'href="#dot"', b"data:image/png"):
        assert kept in clean
    assert sanitize_svg(clean) == clean  # idempotent: the command rewrites a file once


def test_unreadable_or_non_square_svgs_are_still_refused():
    for content in (b"<svg", b"<html><script>alert(1)</script></html>"):
        with pytest.raises(ValidationError):
            validate_badge_image(SimpleUploadedFile("x.svg", content))
    wide = SVG.replace(b'viewBox="0 0 100 100"', b'viewBox="0 0 200 100"')
    with pytest.raises(ValidationError, match="carrée"):
        validate_badge_image(SimpleUploadedFile("x.svg", wide))


def test_the_command_sanitises_stored_images_and_rebakes_assertions(issuer, capsys):
    badge_class = make_badge_class(issuer, svg=True)
    assertion, _ = award_badge(badge_class=badge_class, email="a@b.fr", source="manual:1")
    # What an upload before the fix left behind: a dirty class image, logo and baked image.
    dirty = default_storage.save("badges/classes/dirty.svg", ContentFile(attack("script")))
    BadgeClass.objects.filter(pk=badge_class.pk).update(image=dirty)
    logo = default_storage.save("badges/issuers/dirty.svg", ContentFile(attack("onload")))
    Issuer.objects.filter(pk=issuer.pk).update(image=logo)
    default_storage.delete(assertion.image.name)
    default_storage.save(assertion.image.name, ContentFile(attack("foreignObject")))

    with pytest.raises(CommandError, match="3 unsafe"):
        call_command("sanitize_badge_images", "--check")
    assert svg_threats(default_storage.open(dirty).read())  # --check changes nothing

    call_command("sanitize_badge_images")
    badge_class.refresh_from_db()
    issuer.refresh_from_db()
    assertion = Assertion.objects.get(pk=assertion.pk)
    assert_clean(read(badge_class.image))
    assert_clean(read(issuer.image))
    baked = read(assertion.image)
    assert_clean(baked)
    assert read_baked(baked) == assertion.public_url
    call_command("sanitize_badge_images", "--check")  # nothing left to fix
    assert "0 SVG file(s) to fix" in capsys.readouterr().out
