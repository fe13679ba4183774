"""Cancelling an enrolment asks first, in a DSFR modal with JavaScript and on a page without;
going back keeps the enrolment (issue 13, item 16)."""

import re

from playwright.sync_api import expect

from cotraining.constants import EnrollmentStatus
from cotraining.models import Enrollment
from tests.e2e.helpers import check_a11y, login, make_teacher, visit
from tests.e2e.test_enrollment_journey import enrol, one_seat_workshop

QUESTION = re.compile("Annuler votre inscription à « Débuter avec la classe mobile")


def status_of(user):
    return Enrollment.objects.get(user=user).status


def test_cancelling_asks_in_a_modal_and_going_back_keeps_the_enrolment(
    new_page, live_server, demo_data
):
    workshop, _session = one_seat_workshop()
    alice = make_teacher("alice.martin", "Alice", "Martin")
    page = new_page()
    login(page, live_server, alice.email)
    enrol(page, live_server, workshop)
    assert status_of(alice) == EnrollmentStatus.CONFIRMED
    modal = page.locator("#ep-confirm-modal")

    # On the workshop page: the modal asks, "Revenir sans rien changer" sends nothing.
    page.get_by_role("button", name="Annuler mon inscription").click()
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_have_text(QUESTION)
    # DSFR fades the modal in: contrast is measured once it is fully shown.
    expect(modal).to_have_css("opacity", "1")
    check_a11y(page)
    modal.get_by_role("button", name="Revenir sans rien changer").click()
    expect(modal).to_be_hidden()
    assert status_of(alice) == EnrollmentStatus.CONFIRMED

    # On "Mon parcours": Escape closes the modal, nothing changes; "Oui" cancels.
    visit(page, live_server, "/mon-parcours/")
    page.get_by_role("button", name=re.compile("^Annuler")).click()
    expect(modal).to_be_visible()
    page.keyboard.press("Escape")
    expect(modal).to_be_hidden()
    assert status_of(alice) == EnrollmentStatus.CONFIRMED
    page.get_by_role("button", name=re.compile("^Annuler")).click()
    modal.get_by_role("button", name="Oui, annuler mon inscription").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre inscription est annulée")
    assert status_of(alice) == EnrollmentStatus.CANCELLED
