"""The journeys that must answer while the cache is down (issue 15), shared by the unit test
(a Redis port where nothing listens) and the integration test (a Redis server stopped)."""

from django.conf import settings
from django.urls import reverse

from badges.models import Issuer
from badges.services.awards import award_badge
from cotraining.models import Enrollment
from tests.factories import SessionFactory, academie, make_badge_class, teacher, workshop_page


def resilient_cache(location):
    """CACHES with the platform's Redis backend at `location` (the production configuration)."""
    return {
        **settings.CACHES,
        "default": {
            "BACKEND": "cms.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }


def outage_fixtures():
    """A workshop with a seat, a teacher who may log in, and an awarded badge."""
    session = SessionFactory(capacity=5, workshop=workshop_page(title="Atelier hors cache"))
    person = teacher()
    issuer = Issuer.objects.create(
        name="DANE", url="https://www.ac-poitiers.fr", email="dane@ac.fr", academie=academie("13")
    )
    badge_class = make_badge_class(issuer)
    assertion, _ = award_badge(
        badge_class=badge_class,
        email=person.email,
        recipient=person,
        source="manual:1",
        evidence=[],
    )
    return session, person, assertion


def visit_everything(client, session, person, assertion):
    """Home, catalogue, login, enrolment, hosted assertion: each status code, by name."""
    codes = {
        "home": client.get("/").status_code,
        "catalogue": client.get(session.workshop.get_parent().url).status_code,
        "workshop": client.get(session.workshop.url).status_code,
        "login page": client.get(reverse("account_login")).status_code,
    }
    response = client.post(
        reverse("account_login"),
        {"login": person.email, "password": settings.DEMO_PASSWORD},
    )
    codes["login"] = response.status_code
    codes["enrolment"] = client.post(
        reverse("cotraining:enroll_session", args=[session.pk])
    ).status_code
    codes["enrolled"] = Enrollment.objects.filter(user=person, session=session).exists()
    codes["assertion"] = client.get(
        reverse("badges:assertion", kwargs={"uuid": assertion.uuid}),
        HTTP_ACCEPT="application/ld+json",
    ).status_code
    codes["assertion page"] = client.get(assertion.public_url.replace("http://testserver", ""))
    codes["assertion page"] = codes["assertion page"].status_code
    return codes


EVERYTHING_ANSWERS = {
    "home": 200,
    "catalogue": 200,
    "workshop": 200,
    "login page": 200,
    "login": 302,
    "enrolment": 302,
    "enrolled": True,
    "assertion": 200,
    "assertion page": 200,
}
