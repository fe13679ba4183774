"""Who may award each badge, in a real browser (issue 13, item 5): the certification badge
"Pix+ Édu 2nd degré — Confirmé" is offered to nobody on the award page, even by its URL."""

import pytest
from playwright.sync_api import expect

from badges.models import BadgeClass
from badges.permissions import awardable_badge_classes
from cotraining.models import User
from tests.e2e.helpers import demo_email, login, visit

PIX_BADGE = "Pix+ Édu 2nd degré — Confirmé"


@pytest.mark.parametrize("local", ["formateur", "coordination"])
def test_the_certification_badge_is_never_offered_by_hand(demo_data, live_server, new_page, local):
    pix_badge = BadgeClass.objects.get(name=PIX_BADGE)
    offered = awardable_badge_classes(User.objects.get(email=demo_email(local)))
    assert offered.exists()  # they do award other badges

    page = new_page()
    login(page, live_server, demo_email(local))
    visit(page, live_server, "/badges/decerner/")
    choices = page.locator("main select option").all_inner_texts()
    assert any(offered.first().name in choice for choice in choices)
    assert not any(PIX_BADGE in choice for choice in choices)

    response = page.goto(f"{live_server.url}/badges/decerner/?badge={pix_badge.pk}")
    assert response.status in (200, 404)
    expect(page.get_by_role("button", name="Décerner le badge")).to_have_count(0)
