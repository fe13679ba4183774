"""Reading the indicators as people do (issue 13 items 7, 9, 11): what each hidden value means,
masked means that do not read as counts, charts that say why they are empty, exports that state
their filters and the page's (Paris) time, and a UAI checked like on the profile."""

import csv
import io
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape
from openpyxl import load_workbook

from cotraining.validators import uai_check_letter, validate_uai
from indicators.report import LEGEND, Table, count, over, people, ratio, text
from tests.factories import academie

from .test_indicators import (  # noqa: F401 — fixtures
    URL,
    _frozen,
    _world_for_the_module,
    reader,
    report_for,
    world,
)
from .test_indicators_api import API, bearer, token  # noqa: F401 — fixtures

XLSX = "/indicateurs/export.xlsx"


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


# --- 7. What is hidden, and why --------------------------------------------------------------


def test_a_mean_over_fewer_than_5_people_never_reads_as_a_count():
    assert people(3).text == "< 5"  # a count of 1 to 4 people
    mean = over(384.7, 3)  # a mean score over 3 people: not "< 5", which reads "under 5 pix"
    assert mean.text == mean.export == "n. d."
    assert ratio(1, 2, 2).text == "n. d."
    assert over(None, 0).text == "—"  # nobody: nothing to compute
    assert mean.meaning.startswith("non diffusé") and people(3).meaning.startswith("moins de 5")
    assert {symbol for symbol, _meaning in LEGEND} == {"< 5", "s", "n. d.", "—"}


def test_the_page_has_a_legend_and_the_masked_mean_says_not_published(world, client):  # noqa: F811
    client.force_login(reader(academie=academie("13")))
    html = client.get(URL).content.decode()
    legend = html[html.index('id="legend"') : html.index('id="filters-title"')]
    for symbol, meaning in LEGEND:
        assert f"<strong>{escape(symbol)}</strong> : {escape(meaning)}" in legend
    # A year earlier one certification: its mean is "n. d." (with its meaning), not "< 5".
    tile = re.search(r"Score moyen \(pix\)</h3>\s*<p class=\"fr-tile__desc\">(.*?)</p>", html, re.S)
    assert "n. d.</abbr>" in tile.group(1) and "&lt; 5" not in tile.group(1)
    assert 'title="non diffusé' in tile.group(1)


def test_a_chart_whose_values_are_all_masked_says_so_not_that_there_are_none(world, client):  # noqa: F811
    report = report_for(reader(academie=academie("13")))
    issued = next(g for g in report.groups if g.slug == "badges").figures[0]
    assert issued.current.text == "8"  # the key figure beside the chart
    table = report.table("badges-par-badge")
    assert [row[2].text for row in table.rows] == ["s", "< 5"]  # 6 participants, 2 trainers
    assert table.summary == "Valeurs masquées (secret statistique) sur les 2 lignes."
    client.force_login(reader(academie=academie("13")))
    html = client.get(URL).content.decode()
    badges = html[html.index('id="badges-par-badge"') : html.index('id="badges-par-emetteur"')]
    assert "Aucune valeur à représenter" not in badges
    assert "Valeurs masquées (secret statistique)" in badges


def test_chart_summaries_count_the_masked_rows():
    table = Table(slug="t", title="t", columns=["Ligne", "Personnes"], chart_column=1)
    table.rows = [[text("a"), people(12)], [text("b"), people(3)], [text("c"), people(0)]]
    assert table.summary == (
        "Personnes : 3 lignes, dont 1 masquée(s) (secret statistique) ; la plus haute des "
        "autres, a, avec 12."
    )
    table.rows = [[text("a"), people(0)], [text("b"), people(3)]]
    assert table.summary.startswith("Valeurs masquées (secret statistique) : 1 ligne(s) sur 2")
    table.rows = [[text("a"), count(0)], [text("b"), count(0)]]
    assert table.summary == "Aucune valeur à représenter sur la période."


def test_secondary_masking_takes_the_smallest_other_modality_not_the_largest():
    from indicators.report import mask_complements

    table = Table(slug="t", title="t", columns=["Modalité", "Participations"])
    table.rows = [[text("Présentiel"), people(40)], [text("Distanciel"), people(3)],
                  [text("Hybride"), people(9)]]  # fmt: skip
    mask_complements(table)
    assert [row[1].text for row in table.rows] == ["40", "< 5", "s"]


# --- 9. Exports: the filters in words, the page's time ----------------------------------------


def _page_time(html):
    found = re.search(r"Chiffres au (.+?) à (\d\d:\d\d)\.", html)
    return found.group(1), found.group(2)


def test_xlsx_states_the_filters_in_words_and_the_time_the_page_shows(world, client):  # noqa: F811
    client.force_login(reader(academie=academie("13")))
    params = {"departement": "016", "degree": "2"}
    page = client.get(URL, params)
    assert not page.context["report"].withheld
    day, time = _page_time(page.content.decode())
    assert (day, time) == ("15 mars 2027", "12:00")  # NOW, Europe/Paris (11:00 UTC)
    book = load_workbook(io.BytesIO(client.get(XLSX, params).content))
    lines = [[cell.value for cell in row] for row in book["Chiffres clés"].iter_rows()]
    assert lines[0][0] == (
        f"Période du 1 septembre 2026 au 15 mars 2027 ; chiffres au {day} à {time}"
    )
    assert lines[1][0] == "Filtres"
    assert ["Année scolaire", "2026-2027"] == lines[2][:2]
    assert ["Département", "16 — Charente"] == lines[3][:2]  # the name, not the code alone
    assert ["Degré", "2nd degré"] == lines[4][:2]
    assert any(row[0] == "< 5 : moins de 5 personnes, masqué (secret statistique)" for row in lines)
    sheet = book["badges-par-badge"]
    assert sheet["B2"].value is None and f"à {time}" in sheet["A2"].value
    assert sheet["A3"].value == (
        "Filtres : Année scolaire : 2026-2027 ; Département : 16 — Charente ; Degré : 2nd degré"
    )


def test_xlsx_names_the_school_of_a_uai_filter_and_says_when_there_is_no_territory(world, client):  # noqa: F811
    client.force_login(reader(academie=academie("13")))
    book = load_workbook(io.BytesIO(client.get(XLSX).content))
    assert book["pix-niveaux"]["A3"].value == (
        "Filtres : Année scolaire : 2026-2027 ; Territoire : tout votre périmètre"
    )
    uai = world["a"].uai
    book = load_workbook(io.BytesIO(client.get(XLSX, {"establishment": uai.lower()}).content))
    assert f"Établissement (UAI) : Collège 0860901 ({uai})" in book["pix-niveaux"]["A3"].value


def test_csv_heads_with_the_paris_time_and_the_filters(world, client):  # noqa: F811
    client.force_login(reader(academie=academie("13")))
    day, time = _page_time(client.get(URL, {"departement": "016"}).content.decode())
    response = client.get("/indicateurs/export/badges-par-badge.csv", {"departement": "016"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[1][0].endswith(f"chiffres au {day} à {time}")
    assert "Département : 16 — Charente" in lines[2][0]
    assert lines[3][0].startswith("Légende : < 5 : moins de 5 personnes")


# --- 11. A UAI is checked as on the profile ---------------------------------------------------


def _wrong_letter(uai):
    return uai[:7] + next(letter for letter in "ABC" if letter != uai[7])


def _profile_message(value):
    with pytest.raises(ValidationError) as refused:
        validate_uai(value)
    return refused.value.messages[0]


def test_a_uai_with_a_wrong_check_letter_is_an_error_on_the_page_not_zeros(world, client):  # noqa: F811
    wrong = _wrong_letter(world["a"].uai)
    assert uai_check_letter(wrong[:7]) != wrong[7]
    message = _profile_message(wrong)
    assert "lettre de contrôle" in message
    client.force_login(reader(academie=academie("13")))
    response = client.get(URL, {"establishment": wrong})
    html = response.content.decode()
    assert escape(message) in html  # the profile form's message, word for word
    assert 'id="actions"' not in html  # no figures (no zeros) shown
    assert client.get(XLSX, {"establishment": wrong}).status_code == 400
    export = client.get("/indicateurs/export/badges-par-badge.csv", {"establishment": wrong})
    assert export.status_code == 400
    assert escape(message) in export.content.decode()
    # The right letter still works.
    right = client.get(URL, {"establishment": world["a"].uai})
    assert 'id="actions"' in right.content.decode()


def test_the_api_refuses_a_wrong_uai_with_the_same_message(token, world, client):  # noqa: F811
    wrong = _wrong_letter(world["a"].uai)
    response = client.get(API, {"establishment": wrong}, **bearer(token))
    assert response.status_code == 422
    assert _profile_message(wrong) in response.json()["detail"]
    table = client.get(f"{API}tables/pix-niveaux", {"establishment": wrong}, **bearer(token))
    assert table.status_code == 422
    body = client.get(API, **bearer(token)).json()
    assert body["computed_at"].endswith("+01:00")  # Europe/Paris in March
    assert {"symbol": "n. d.", "meaning": str(dict(LEGEND)["n. d."])} in body["legend"]


# --- English: a date and a time, not "… à 00:47" ----------------------------------------------


def test_the_english_page_reads_figures_as_of_a_date_at_a_time(world, client):  # noqa: F811
    client.force_login(reader(academie=academie("13")))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch
    html = client.get(URL).content.decode()
    assert "Figures as of March 15, 2027 at noon." in html
    assert " à " not in html[html.index('id="freshness"') : html.index('id="legend"')]
