"""Statistical secrecy against differencing (issue 12): the "< 5" rule undone by subtraction.

The attack: an académie of 44 teachers, all trained this year; a lycée of 2. The lycée's own
dashboard read "< 5", but the académie's 44 minus its other schools' 6 and 36 gave the 2 back,
on the page, in the CSV / XLSX exports and through the API alike.
"""

import copy
import io
from datetime import date

import pytest
import time_machine
from openpyxl import load_workbook

from cotraining.constants import Degree
from cotraining.models import User
from indicators.filters import IndicatorFilterSet
from indicators.models import IndicatorSnapshot
from indicators.scope import reader_scope
from indicators.snapshots import snapshot_key, snapshot_request
from indicators.tokens import create_api_token
from tests.factories import UserFactory, academie, workshop_page
from tests.helpers import built_for_the_module

from .test_indicators import (  # noqa: F401 — _frozen: a fixture
    NOW,
    _frozen,
    figures,
    person,
    pix,
    present,
    reader,
    school,
    session,
)

URL = "/indicateurs/"
API = "/api/indicateurs/"
TOO_SMALL = "Population trop petite pour être publiée (moins de 5 personnes)"
TRAINED = "Enseignants formés"


def _build_academy():
    """Vienne (086), no circonscription: lycée L (2 teachers), C1 (6), C2 (36); all trained."""
    schools = {"L": school("0860911", "086"), "C1": school("0860912", "086"),
               "C2": school("0860913", "086")}  # fmt: skip
    workshop = workshop_page(title="Numérique", school_year="2026-2027")
    for key, size in (("L", 2), ("C1", 6), ("C2", 36)):
        held = session(workshop, date(2026, 11, 4), schools[key])
        for _n in range(size):
            present(held, person(schools[key]), 3)
    return schools


@pytest.fixture(scope="module")
def _academy_for_the_module(django_db_setup, django_db_blocker):
    def build():
        with time_machine.travel(NOW, tick=False):
            return _build_academy()

    yield from built_for_the_module(django_db_blocker, build)


@pytest.fixture
def academy(_academy_for_the_module, db):
    """The académie above, built once for the module; each test its own copies of the objects."""
    return copy.deepcopy(_academy_for_the_module)


def uai(academy, key):
    return academy[key].uai


def trained(response):
    return figures(response.context["report"], "heures")[TRAINED][0]


def test_the_page_no_longer_gives_the_small_lycee_away(academy, client):
    client.force_login(reader(academie=academie("13")))
    assert trained(client.get(URL)) == "44"
    # The lycée itself: refused, with the reason, on a page that still offers the filters.
    response = client.get(URL, {"establishment": uai(academy, "L")})
    assert response.status_code == 200
    page = response.content.decode()
    assert TOO_SMALL in page and "Appliquer les filtres" in page
    assert response.context["report"].groups == [] and TRAINED not in page
    # Its smallest sibling is refused too, so that 44 − (what is served) is not the lycée.
    response = client.get(URL, {"establishment": uai(academy, "C1")})
    assert response.context["report"].withheld and TRAINED not in response.content.decode()
    assert trained(client.get(URL, {"establishment": uai(academy, "C2")})) == "36"
    assert 44 - 36 == 8  # the lycée and C1 together: 8 people, never the lycée's 2


def test_the_exports_refuse_the_same_dashboards(academy, client):
    client.force_login(reader(academie=academie("13")))
    for key in ("L", "C1"):
        query = {"establishment": uai(academy, key)}
        response = client.get("/indicateurs/export/heures-repartition.csv", query)
        assert response.status_code == 403
        assert "text/csv" not in response["Content-Type"]
        assert "Content-Disposition" not in response
        response = client.get("/indicateurs/export.xlsx", query)
        assert response.status_code == 403 and "Content-Disposition" not in response
    served = client.get("/indicateurs/export.xlsx", {"establishment": uai(academy, "C2")})
    assert served.status_code == 200
    summary = load_workbook(io.BytesIO(served.content))["Chiffres clés"]
    values = {row[0].value: row[1].value for row in summary.iter_rows()}
    assert values[TRAINED] == 36


def test_the_api_refuses_the_same_dashboards(academy, client):
    key = create_api_token(user=reader(academie=academie("13")), name="BI")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    total = client.get(API, **auth).json()
    heures = next(g for g in total["groups"] if g["slug"] == "heures")
    assert next(f for f in heures["figures"] if f["label"] == TRAINED)["value"] == 44
    for school_key in ("L", "C1"):
        for path in (API, f"{API}tables/heures-repartition"):
            response = client.get(path, {"establishment": uai(academy, school_key)}, **auth)
            assert response.status_code == 403
            assert "groups" not in response.json() and "rows" not in response.json()
    response = client.get(API, {"establishment": uai(academy, "L")}, **auth)
    assert TOO_SMALL in response.json()["detail"]
    assert client.get(API, {"establishment": uai(academy, "C2")}, **auth).status_code == 200


def test_a_small_departement_and_its_sibling_are_refused(academy, client):
    # Charente: one lycée of 3 teachers. The académie minus Vienne would give them.
    lycee = school("0160911", "016")
    held = session(workshop_page(title="Charente"), date(2026, 11, 5), lycee)
    for _n in range(3):
        present(held, person(lycee), 3)
    client.force_login(reader(academie=academie("13")))
    assert trained(client.get(URL)) == "47"
    assert TOO_SMALL in client.get(URL, {"departement": "016"}).content.decode()
    for query in ({"departement": "086"}, {"establishment": uai(academy, "C2")}):
        response = client.get(URL, query)  # Vienne, and every part of it: 47 − x = Charente
        assert response.context["report"].withheld, query


def test_a_degree_that_would_give_a_small_group_away_is_refused(academy, client):
    for _n in range(2):
        person(academy["C2"], degree=Degree.FIRST)
    client.force_login(reader(academie=academie("13")))
    assert TOO_SMALL in client.get(URL, {"degree": Degree.FIRST}).content.decode()
    # All degrees minus the 2nd degré would be the two 1er degré teachers.
    assert client.get(URL, {"degree": Degree.SECOND}).context["report"].withheld


def test_a_school_head_of_a_small_school_reads_nothing(academy, client):
    client.force_login(reader(establishment=academy["L"]))
    assert TOO_SMALL in client.get(URL).content.decode()
    assert client.get("/indicateurs/export.xlsx").status_code == 403


def test_snapshots_keep_the_verdict_and_old_ones_are_never_served(academy, client):
    user = reader(academie=academie("13"))
    client.force_login(user)
    query = {"establishment": uai(academy, "L")}
    filterset = IndicatorFilterSet(query, scope=reader_scope(user))
    described = snapshot_request(filterset)
    # A snapshot stored before the rule: figures, no verdict. It must not be served as is.
    client.get(URL, {"establishment": uai(academy, "C2")})
    figures_only = {k: v for k, v in IndicatorSnapshot.objects.get().data.items()
                    if k != "secrecy"}  # fmt: skip
    IndicatorSnapshot.objects.create(
        key=snapshot_key(described), request=described, data=figures_only,
        period_start=date(2026, 9, 1), period_end=date(2027, 3, 16),
        computed_at=IndicatorSnapshot.objects.get().computed_at,
        last_read_at=IndicatorSnapshot.objects.get().computed_at,
    )  # fmt: skip
    response = client.get(URL, query)
    assert TOO_SMALL in response.content.decode()
    stored = IndicatorSnapshot.objects.get(key=snapshot_key(described))
    assert stored.data == {"secrecy": {"served": False, "reason": "population_too_small"}}
    assert TOO_SMALL in client.get(URL, query).content.decode()  # served from it: still refused


def test_the_country_counts_people_without_a_school_only_when_they_are_five(academy):
    from indicators.report import build_report
    from indicators.scope import Scope

    schoolless = [UserFactory() for _n in range(2)]
    for user in schoolless:
        pix(user, 500)
    assert User.objects.filter(establishment__isnull=True).count() == 2
    criteria = IndicatorFilterSet(None, scope=Scope(everything=True)).criteria()
    # Country minus its académies would be these two people's certifications.
    assert figures(build_report(criteria), "pix")["Certifications PIX"][0] == "0"
    for user in [UserFactory() for _n in range(3)]:
        pix(user, 500)
    assert figures(build_report(criteria), "pix")["Certifications PIX"][0] == "5"


def test_refused_siblings_always_add_up_to_five_people():
    from indicators.secrecy import refused_siblings

    assert refused_siblings({"L": 2, "C1": 6, "C2": 36}) == {"L", "C1"}
    assert refused_siblings({"a": 2, "b": 2, "c": 0, "d": 9, "e": 40}) == {"a", "b", "d"}
    assert refused_siblings({"a": 3, "b": 4, "c": 40}) == {"a", "b"}
    assert refused_siblings({"a": 0, "b": 7}) == set()
    assert refused_siblings({"a": 3}) == {"a"}  # nothing left to add: the parent is small too


def test_a_lone_mask_in_a_row_that_adds_up_masks_another_cell():
    from indicators.report import Table, mask_complements, people, text

    # Levels of one competence add up to the certifications shown as a key figure (20).
    table = Table(slug="t", title="t", columns=["Compétence", "N0", "N1", "N2"], rows_add_up=True)
    table.rows = [[text("1.1"), people(0), people(18), people(2)],
                  [text("1.2"), people(10), people(10), people(0)]]  # fmt: skip
    mask_complements(table)
    # 1.1: 2 masked, 18 masked with it. Column N1 then has a lone "s": 10 of 1.2 goes too, and
    # row 1.2 then has a lone mask: its 10 at N0 as well.
    assert [[cell.text for cell in row[1:]] for row in table.rows] == [
        ["0", "s", "< 5"],
        ["s", "s", "0"],
    ]
