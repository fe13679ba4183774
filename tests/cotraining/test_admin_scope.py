"""A coordinator reads, in the Wagtail admin, only what belongs to their académie.

Two académies: Poitiers (13), whose coordinator is logged in, and Lyon (10), whose people,
emails, role assignments, issuers, badges, awards, sessions and PIX results must stay out of
every admin page the Poitiers coordinator opens — lists, inspect, history, usage and reports.
"""

from datetime import date

import pytest
from django.urls import reverse
from wagtail.log_actions import log

from badges.constants import CRCN_CODES
from badges.models import Issuer
from badges.services import pix
from badges.services.awards import award_badge
from cotraining.constants import AuditAction, NotificationKind, Role
from cotraining.models import Notification, RoleAssignment
from cotraining.services import grant_role
from cotraining.validators import uai_check_letter
from tests.factories import (
    EnrollmentFactory,
    EstablishmentFactory,
    SessionFactory,
    UserFactory,
    academie,
    departement,
    make_badge_class,
    teacher,
    workshop_page,
)

pytestmark = pytest.mark.django_db

LYON_TEACHER = "prof.secrete@ac-lyon.fr"
LYON_COORDINATOR = "dane.lyon@ac-lyon.fr"
LYON_NAME = "Zéphirine Lyonnaise"
LYON_PIX_CODE = "P-2HPVBCDF"
POITIERS_TEACHER = "prof.visible@ac-poitiers.fr"


def lyon_school():
    first7 = "0690001"
    return EstablishmentFactory(
        uai=first7 + uai_check_letter(first7),
        name="Lycée lyonnais",
        commune="Lyon",
        departement=departement("069"),
    )


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    coordinator = UserFactory(
        email="coord@ac-poitiers.fr", first_name="Paulette", last_name="Poitevine"
    )
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    mine = teacher(email=POITIERS_TEACHER, establishment=EstablishmentFactory())

    lyon_coordinator = UserFactory(
        email=LYON_COORDINATOR, first_name="Zéphirine", last_name="Lyonnaise"
    )
    grant_role(user=lyon_coordinator, role=Role.COORDINATOR, academie=academie("10"))
    theirs = teacher(email=LYON_TEACHER, establishment=lyon_school())

    poitiers_issuer = Issuer.objects.create(
        name="DANE de Poitiers", url="https://www.ac-poitiers.fr", email="dane@ac-poitiers.fr",
        academie=academie("13"),
    )  # fmt: skip
    lyon_issuer = Issuer.objects.create(
        name="DANE de Lyon", url="https://www.ac-lyon.fr", email="dane@ac-lyon.fr",
        academie=academie("10"),
    )  # fmt: skip
    poitiers_badge = make_badge_class(poitiers_issuer, name="Badge de Poitiers")
    lyon_badge = make_badge_class(lyon_issuer, name="Badge de Lyon")
    award_badge(badge_class=poitiers_badge, email=POITIERS_TEACHER, source="manual",
                recipient=mine, awarded_by=coordinator)  # fmt: skip
    award_badge(badge_class=lyon_badge, email=LYON_TEACHER, source="manual",
                recipient=theirs, awarded_by=lyon_coordinator)  # fmt: skip
    pix.declare_certification(
        user=theirs,
        data=pix.CertificationData(
            taken_on=date(2026, 3, 12),
            score=400,
            max_level=6,
            levels=dict.fromkeys(CRCN_CODES, 3),
            verification_code=LYON_PIX_CODE,
            pix_plus_edu=None,
        ),
    )

    lyon_session = SessionFactory(
        workshop=workshop_page(title="Atelier lyonnais", academie=academie("10"))
    )
    log(lyon_session, AuditAction.CREATE_SESSION, user=lyon_coordinator)
    lyon_enrollment = EnrollmentFactory(session=lyon_session, user=theirs)
    lyon_email = Notification.objects.create(
        enrollment=lyon_enrollment, recipient=theirs, kind=NotificationKind.CONVOCATION
    )
    return {
        "coordinator": coordinator,
        "lyon_issuer": lyon_issuer,
        "lyon_badge": lyon_badge,
        "lyon_session": lyon_session,
        "lyon_email": lyon_email,
        "lyon_teacher": theirs,
        "poitiers_issuer": poitiers_issuer,
        "poitiers_badge": poitiers_badge,
    }


def refused(response):
    """403, 404, or Wagtail's answer to a refused admin page: back to the dashboard."""
    return response.status_code in (403, 404) or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


def assert_nothing_of_lyon(response):
    body = response.content.decode()
    for secret in (LYON_TEACHER, LYON_COORDINATOR, LYON_NAME, LYON_PIX_CODE, "Badge de Lyon"):
        assert secret not in body, secret


def test_the_users_list_shows_only_the_people_of_the_academie(client, world):
    client.force_login(world["coordinator"])
    response = client.get("/admin/users/")
    assert response.status_code == 200
    assert POITIERS_TEACHER in response.content.decode()
    assert_nothing_of_lyon(response)
    searched = client.get("/admin/users/", {"q": "lyon"})
    assert_nothing_of_lyon(searched)
    history = client.get(reverse("wagtailusers_users:history", args=[world["lyon_teacher"].pk]))
    assert refused(history)
    assert_nothing_of_lyon(history)


def test_the_site_history_keeps_to_the_academie(client, world):
    client.force_login(world["coordinator"])
    for url in (
        reverse("wagtailadmin_reports:site_history"),
        reverse("wagtailadmin_reports:site_history_results"),
        reverse("wagtailadmin_reports:site_history") + "?export=csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response).decode() if response.streaming else response.content.decode()
        assert POITIERS_TEACHER in body, url  # their own académie's award is there
        for secret in (LYON_TEACHER, LYON_COORDINATOR, LYON_NAME, LYON_PIX_CODE):
            assert secret not in body, (url, secret)
    # A platform admin still reads the whole country's history.
    client.force_login(UserFactory(is_superuser=True))
    body = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert LYON_TEACHER in body and LYON_PIX_CODE in body


def test_an_email_of_another_academie_cannot_be_inspected(client, world):
    client.force_login(world["coordinator"])
    response = client.get(f"/admin/envois/inspect/{world['lyon_email'].pk}/")
    assert refused(response)
    assert_nothing_of_lyon(response)


def test_role_assignments_of_another_academie_are_neither_listed_nor_inspected(client, world):
    client.force_login(world["coordinator"])
    listing = client.get("/admin/roleassignment/")
    assert listing.status_code == 200
    assert "Paulette Poitevine" in listing.content.decode()
    assert_nothing_of_lyon(listing)
    theirs = RoleAssignment.objects.get(user__email=LYON_COORDINATOR)
    inspect = client.get(reverse("roleassignment:inspect", args=[theirs.pk]))
    assert refused(inspect)
    assert_nothing_of_lyon(inspect)


@pytest.mark.parametrize(
    "url_name, key",
    [
        ("issuer:history", "lyon_issuer"),
        ("issuer:usage", "lyon_issuer"),
        ("badgeclass:history", "lyon_badge"),
        ("badgeclass:usage", "lyon_badge"),
        ("sessions:history", "lyon_session"),
        ("sessions:usage", "lyon_session"),
    ],
)
def test_history_and_usage_of_another_academie_are_refused(client, world, url_name, key):
    client.force_login(world["coordinator"])
    response = client.get(reverse(url_name, args=[world[key].pk]))
    assert refused(response), response.status_code
    assert_nothing_of_lyon(response)
    mine = {"lyon_issuer": "poitiers_issuer", "lyon_badge": "poitiers_badge"}.get(key)
    if mine:  # their own académie's stay open
        assert client.get(reverse(url_name, args=[world[mine].pk])).status_code == 200
