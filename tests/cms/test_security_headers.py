"""Content-Security-Policy on every response, a sandbox on every uploaded file served, and
request bodies refused (413) past their cap before anything reads them."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import re_path, reverse
from django.views.static import serve
from wagtail.documents.models import Document

from badges.models import Issuer, PixImport
from badges.services import pix
from badges.services.awards import award_badge
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.badges.test_pix import _pdf, data
from tests.factories import UserFactory, academie, make_badge_class, teacher

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def directives(response):
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, _, values in (part.strip().partition(" ") for part in policy.split(";"))
    }


def assert_sandboxed(response):
    policy = directives(response)
    assert "sandbox" in policy and policy["default-src"] == "'none'", response.headers
    assert "script-src" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"


def coordinator():
    person = UserFactory()
    grant_role(user=person, role=Role.COORDINATOR, academie=academie("13"))
    return person


# --- Pages ---------------------------------------------------------------------------------


def test_a_page_has_a_strict_policy(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]  # an injected <script> does not run
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'self'"
    assert "sandbox" not in policy


def test_scripts_come_from_our_files_and_carry_the_request_nonce(client):
    """The htmx progress page of a Pix Orga import: no inline script, and the htmx <script>
    carries the header's nonce (django-htmx's tag reads {{ csp_nonce }})."""
    staff = coordinator()
    staff.user_permissions.add(Permission.objects.get(codename="verify_pixcertification"))
    done = PixImport.objects.create(filename="pix.csv", user=staff)
    client.force_login(staff)
    response = client.get(reverse("badges:pix_import_detail", args=[done.pk]))
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", directives(response)["script-src"]).group(1)
    scripts = [
        tag
        for tag in re.findall(rb"<script[^>]*>", response.content)
        if b'type="application/json"' not in tag  # data (Wagtail's userbar), never run
    ]
    assert scripts and all(re.search(rb"\ssrc=", tag) for tag in scripts), scripts
    assert f'nonce="{nonce}"'.encode() in b"".join(tag for tag in scripts if b"htmx" in tag)
    second = client.get(reverse("badges:pix_import_detail", args=[done.pk]))
    assert nonce not in second["Content-Security-Policy"]  # a new nonce per response


def test_the_admin_keeps_its_inline_scripts(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_home"))
    policy = directives(response)
    assert response.status_code == 200
    assert "'unsafe-inline'" in policy["script-src"] and "nonce" not in policy["script-src"]
    assert "sandbox" not in policy


# --- Uploaded files ------------------------------------------------------------------------


def test_badge_and_issuer_images_are_sandboxed(client):
    issuer = Issuer.objects.create(
        name="DANE", url="https://www.ac-poitiers.fr", email="dane@ac-poitiers.fr"
    )
    badge_class = make_badge_class(issuer, svg=True)
    issuer.image.save("logo.svg", ContentFile(badge_class.image.read()))
    assertion, _ = award_badge(badge_class=badge_class, email="a@b.fr", source="manual:1")
    for url in (
        reverse("badges:issuer_image", args=[issuer.uuid]),
        reverse("badges:badge_class_image", args=[badge_class.uuid]),
        assertion.image_url,
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_sandboxed(response)


def test_a_pix_attestation_is_sandboxed(client):
    holder = teacher()
    certification = pix.declare_certification(
        user=holder, data=data(), attestation=SimpleUploadedFile("a.pdf", _pdf())
    )
    client.force_login(holder)
    response = client.get(reverse("badges:pix_attestation", args=[certification.pk]))
    assert response.status_code == 200
    assert_sandboxed(response)


def test_a_wagtail_document_is_sandboxed_and_downloaded(client):
    document = Document.objects.create(
        title="Guide", file=ContentFile(b"<html><script>alert(1)</script>", name="guide.txt")
    )
    response = client.get(document.url)
    assert response.status_code == 200
    assert_sandboxed(response)
    assert response["Content-Disposition"].startswith("attachment")


urlpatterns = [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": "."})]


def test_media_served_by_django_are_sandboxed(client, settings, tmp_path):
    """In DEBUG, cms.urls serves MEDIA_URL with django.views.static.serve (as here)."""
    (tmp_path / "x.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    urlpatterns[0].default_args["document_root"] = str(tmp_path)
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/media/x.svg")
    assert response.status_code == 200
    assert_sandboxed(response)


# --- Request bodies ------------------------------------------------------------------------


class UnreadBody:
    """A request body that records any read: a refused request must not be read at all."""

    def __init__(self):
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        return b""

    readline = read


def post(client, url, length, **extra):
    body = UnreadBody()
    response = client.generic(
        "POST",
        url,
        b"-",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": body},
        **extra,
    )
    return response, body


def test_an_anonymous_50_mb_post_is_refused_unread(client):
    response, body = post(client, reverse("account_login"), 50 * MB)
    assert response.status_code == 413
    assert body.reads == 0
    assert "trop volumineuse" in response.content.decode()


def test_caps_depend_on_who_sends_and_where(client):
    person = teacher()
    client.force_login(person)
    declare = reverse("badges:declare_certification")
    assert post(client, declare, 4 * MB)[0].status_code != 413  # an attestation fits
    assert post(client, declare, 6 * MB)[0].status_code == 413
    pix_import = reverse("badges:pix_import")
    assert post(client, pix_import, 30 * MB)[0].status_code == 413  # no right to import

    staff = coordinator()
    staff.user_permissions.add(Permission.objects.get(codename="verify_pixcertification"))
    client.force_login(staff)
    assert post(client, pix_import, 30 * MB)[0].status_code != 413  # a Pix Orga export
    assert post(client, pix_import, 60 * MB)[0].status_code == 413
    assert post(client, declare, 30 * MB)[0].status_code == 413  # only where files go


def test_the_admin_accepts_large_files_from_staff_only(client):
    url = reverse("wagtaildocs:add_multiple")
    client.force_login(teacher())
    assert post(client, url, 20 * MB)[0].status_code == 413
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert post(client, url, 20 * MB)[0].status_code != 413


@pytest.mark.django_db
def test_the_admin_sends_no_address_hash_to_gravatar(client):
    # A third party learned a hash of each staff address on every admin page (and the CSP
    # blocked the image anyway).
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    assert "gravatar" not in client.get("/admin/").content.decode()
