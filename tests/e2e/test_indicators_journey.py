"""Issue 7's journey in a real browser: the demo indicator reader opens /indicateurs/, sees the
five indicator groups for the demo académie with charts and their tables, filters by département
and degree, exports XLSX, and cannot see another académie."""

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from cotraining.models import Academie
from tests.e2e.helpers import demo_email, login, visit


def test_the_reader_reads_filters_and_exports(demo_data, live_server, new_page):
    page = new_page()
    login(page, live_server, demo_email("indicateurs"))
    visit(page, live_server, "/indicateurs/")
    for number in range(1, 6):
        expect(page.get_by_role("heading", name=f"{number}.").first).to_be_visible()
    assert page.locator("figure").count() >= 5 and page.locator("table").count() >= 5
    academie_choices = page.get_by_label("Académie").locator("option").all_inner_texts()
    assert "Poitiers" in academie_choices and "Lyon" not in academie_choices

    page.get_by_label("Département").select_option(value="086")  # Vienne
    page.get_by_label("Degré").select_option(label="2nd degré")
    page.get_by_role("button", name="Appliquer les filtres").click()
    assert "departement=" in page.url and "degree=2" in page.url
    check_url = page.url
    expect(page.get_by_role("heading", name="1.").first).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Tout exporter (XLSX)").click()
    workbook = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert len(workbook.sheetnames) >= 5

    # Another académie, asked for in the address: no figure and no name of it leaks.
    lyon = Academie.objects.get(code="10")
    page.goto(check_url.split("?")[0] + f"?academie={lyon.code}")
    assert "Lyon" not in page.content()
