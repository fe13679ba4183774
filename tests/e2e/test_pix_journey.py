"""The PIX journey in a real browser: a teacher declares a certification and sees it with its
levels in "Mon parcours"; the coordination verifies it in one click (the refusal reason, required
only to refuse, must not block it: the browser's own validation once did); the teacher then reads
it as verified."""

import pytest
from playwright.sync_api import expect

from badges.constants import CRCN_CODES, PixStatus, level_field
from badges.models import PixCertification
from cotraining.models import Establishment
from tests.e2e.helpers import demo_email, login, make_teacher, visit

CODE = "P-9XYW8VTR"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_declare_then_verify(demo_data, live_server, new_page):
    person = make_teacher("nadia.pix", "Nadia", "Roux")
    person.establishment = Establishment.objects.get(uai__startswith="0860034")
    person.save()

    page = new_page()
    login(page, live_server, person.email)
    visit(page, live_server, "/mes-certifications/declarer/")
    page.get_by_label("Date de la certification").fill("2026-03-12")
    page.get_by_label("Score (nombre de pix)").fill("400")
    page.get_by_label("Code de vérification").fill(CODE.lower())
    for code in CRCN_CODES:
        page.locator(f"#id_{level_field(code)}").fill("3")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Certification enregistrée")).to_be_visible()
    expect(page.get_by_role("cell", name=CODE, exact=True)).to_be_visible()
    expect(page.get_by_text("À vérifier").first).to_be_visible()
    visit(page, live_server, "/mon-parcours/")
    expect(page.get_by_role("heading", name="Ma certification PIX")).to_be_visible()
    expect(
        page.get_by_role("table", name="Niveau obtenu par compétence du CRCN (0 à 8)")
    ).to_be_visible()

    staff = new_page()
    login(staff, live_server, demo_email("coordination"))
    visit(staff, live_server, "/certifications-pix/")
    row = staff.get_by_role("row").filter(has_text=CODE)
    row.get_by_role("button", name="Vérifier").click()
    expect(staff.get_by_text("1 certification vérifiée.")).to_be_visible()
    assert PixCertification.objects.get(verification_code=CODE).status == PixStatus.VERIFIED

    page.goto(live_server.url + "/mes-certifications/")
    expect(page.get_by_text("Vérifiée").first).to_be_visible()


def test_the_downloadable_sample_imports_cleanly_on_the_demo(demo_data, live_server, new_page):
    """What a coordinator downloads to see the format is accepted as it is by the demo."""
    staff = new_page()
    login(staff, live_server, demo_email("coordination"))
    visit(staff, live_server, "/certifications-pix/import/")
    with staff.expect_download() as download_info:
        staff.get_by_role("link", name="Télécharger un fichier d'exemple").click()
    staff.get_by_label("Export Pix Orga (CSV)").set_input_files(download_info.value.path())
    staff.get_by_role("button", name="Vérifier et importer").click()
    expect(staff.get_by_role("heading", name="Import terminé")).to_be_visible()
    expect(staff.get_by_text("3 créée(s)")).to_be_visible()
    assert (
        PixCertification.objects.filter(
            user__email__startswith="collegue09", status=PixStatus.VERIFIED
        ).count()
        == 3
    )
