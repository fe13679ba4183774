"""One public origin (SITE_URL) for every absolute link: pages, emails, badge ids."""

import pytest
from wagtail.models import Site

from cms.models import HomePage
from cms.site_structure import ensure_site
from cotraining.origin import public_host_and_port, public_url


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("http://127.0.0.1:8791", ("127.0.0.1", 8791)),
        ("https://entrepairs.ac-poitiers.fr", ("entrepairs.ac-poitiers.fr", 443)),
        ("http://localhost/", ("localhost", 80)),
    ],
)
def test_public_host_and_port(settings, origin, expected):
    settings.SITE_URL = origin
    assert public_host_and_port() == expected
    assert public_url("/mes-badges/") == origin.rstrip("/") + "/mes-badges/"


@pytest.mark.django_db
def test_the_wagtail_site_follows_the_public_origin(settings):
    # Wagtail's moderation emails link to pages by their Site: it used to stay localhost:80.
    settings.SITE_URL = "http://127.0.0.1:8791"
    ensure_site()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8791)
    assert HomePage.objects.get().get_full_url() == "http://127.0.0.1:8791/"


def test_wagtail_admin_links_use_the_same_origin(settings):
    from django.conf import settings as live

    assert live.WAGTAILADMIN_BASE_URL == live.SITE_URL
