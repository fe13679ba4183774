"""The indicator dashboards (issue 7): each figure on a small data set checked by hand, the
secrecy rule, the reader's scope, the exports and the page's query count."""

import copy
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from badges.constants import BadgeKind, PixPlusEduScope, PixStatus
from cotraining.constants import Attendance, Degree, EnrollmentStatus, Role, SessionStatus
from cotraining.models import Academie, Establishment
from cotraining.services import grant_role
from cotraining.validators import uai_check_letter
from indicators.filters import IndicatorFilterSet
from indicators.models import IndicatorSnapshot
from indicators.queries import Criteria, Period, school_year_period
from indicators.report import build_report
from indicators.scope import Scope, reader_scope
from indicators.snapshots import refresh_snapshots
from tests.factories import (
    AssertionFactory,
    EnrollmentFactory,
    IssuerFactory,
    PixCertificationFactory,
    PixPlusEduResultFactory,
    SessionFactory,
    UserFactory,
    academie,
    departement,
    make_badge_class,
    workshop_page,
)
from tests.helpers import built_for_the_module

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 3, 15, 12, 0, tzinfo=PARIS)
URL = "/indicateurs/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def school(first7, dep):
    return Establishment.objects.create(
        uai=first7 + uai_check_letter(first7),
        name=f"Collège {first7}",
        degree=Degree.SECOND,
        departement=departement(dep),
    )


def at(day, hour=14):
    return datetime.combine(day, datetime.min.time(), tzinfo=PARIS).replace(hour=hour)


def person(establishment, degree=Degree.SECOND):
    user = UserFactory(establishment=establishment, degree=degree)
    grant_role(user=user, role=Role.TEACHER)
    return user


def session(workshop, day, establishment, hours=3, **fields):
    start = at(day)
    return SessionFactory(
        workshop=workshop, start=start, end=start + timedelta(hours=hours),
        establishment=establishment, capacity=10, **fields,
    )  # fmt: skip


def present(session, user, hours):
    return EnrollmentFactory(
        session=session, user=user, attendance=Attendance.PRESENT, hours_attended=Decimal(hours)
    )


def pix(user, score, *, status=PixStatus.VERIFIED, taken_on=date(2026, 11, 5), **levels):
    return PixCertificationFactory(
        user=user, score=score, status=status, taken_on=taken_on, **levels
    )


def assertion(badge_class, user, *, revoked=False, issued_on=None):
    return AssertionFactory(
        badge_class=badge_class, recipient=user, source=f"manual:{user.pk}", revoked=revoked,
        issued_on=issued_on or at(date(2026, 12, 1)),
    )  # fmt: skip


def _build_world():
    """Poitiers: school A (Vienne, 086) and school B (Charente, 016); Paris: school P.

    This school year (1 Sept 2026 → 15 March 2027):
    - S1, PAF workshop, 10 Oct at A, 10 seats: A1…A5 present 3 h, A6 absent, W1 and W2 still
      waitlisted (unmet demand);
    - S2, PDF workshop, 15 Jan at B, 10 seats: B1 and B2 present 6 h, A1 present 6 h;
    - a cancelled session of a third workshop (no plan) at A, never counted;
    - in Paris, a session with one teacher present 3 h.
    A year earlier: S0 (PAF workshop, 10 Oct 2025 at A): A1 present 3 h.
    Three more teachers of B (B3…B5) and four of P (P2…P5) took no part in anything: each
    territory counts at least 5 people, so that statistical secrecy serves their dashboards.
    """
    issuer = IssuerFactory()
    a, b, p = school("0860901", "086"), school("0160901", "016"), school("0750901", "075")
    w = {
        "paf": workshop_page(title="PAF", training_plan="paf", school_year="2026-2027"),
        "pdf": workshop_page(title="PDF", training_plan="pdf", school_year="2026-2027"),
        "none": workshop_page(title="Hors plan"),
        "paris": workshop_page(title="Paris", academie=academie("01")),
    }
    people = {f"A{n}": person(a) for n in range(1, 7)}
    people |= {"W1": person(a), "W2": person(a), "B1": person(b), "B2": person(b)}
    people |= {f"B{n}": person(b) for n in range(3, 6)}
    people |= {f"P{n}": person(p) for n in range(1, 6)}
    s1 = session(w["paf"], date(2026, 10, 10), a)
    for n in range(1, 6):
        present(s1, people[f"A{n}"], 3)
    EnrollmentFactory(session=s1, user=people["A6"], attendance=Attendance.ABSENT)
    for key in ("W1", "W2"):
        EnrollmentFactory(session=s1, user=people[key], status=EnrollmentStatus.WAITLISTED)
    s2 = session(w["pdf"], date(2027, 1, 15), b, hours=6)
    for key in ("B1", "B2", "A1"):
        present(s2, people[key], 6)
    session(w["none"], date(2026, 11, 20), a, status=SessionStatus.CANCELLED)
    present(session(w["paris"], date(2026, 10, 12), p), people["P1"], 3)
    present(session(w["paf"], date(2025, 10, 10), a), people["A1"], 3)
    # PIX: six current certifications of A's teachers (one declared), one rejected, one last year.
    for n, score in enumerate((100, 200, 300, 400, 500), start=1):
        pix(people[f"A{n}"], score, level_1_1=3, level_1_2=1 if n <= 3 else 2)
    declared = pix(people["A6"], 600, status=PixStatus.DECLARED, level_1_1=3, level_1_2=2)
    pix(people["W1"], 900, status=PixStatus.REJECTED)
    pix(people["W2"], 150, taken_on=date(2025, 11, 5))
    PixPlusEduResultFactory(certification=declared, scope=PixPlusEduScope.SECOND, automated_level=2)
    pix(people["P1"], 700)
    # Badges: six participant badges to A's teachers, one revoked; two trainer badges.
    participant = make_badge_class(issuer, name="Participant")
    trainer = make_badge_class(issuer, name="Formateur", kind=BadgeKind.TRAINER)
    for n in range(1, 7):
        assertion(participant, people[f"A{n}"], revoked=n == 6)
    assertion(participant, people["W1"])
    assertion(trainer, people["B1"])
    assertion(trainer, people["B2"])
    assertion(participant, people["P1"])
    return {"a": a, "b": b, "p": p, "people": people}


@pytest.fixture(scope="module")
def _world_for_the_module(django_db_setup, django_db_blocker):
    def build():
        with time_machine.travel(NOW, tick=False):
            return _build_world()

    yield from built_for_the_module(django_db_blocker, build)


@pytest.fixture
def world(_world_for_the_module, db):
    """The world above, built once for the module; each test starts from it again, with its
    own copies of the objects (as Django's setUpTestData gives)."""
    return copy.deepcopy(_world_for_the_module)


def reader(**scope):
    user = UserFactory()
    role = Role.SCHOOL_HEAD if "establishment" in scope else Role.INDICATOR_READER
    grant_role(user=user, role=role, **scope)
    return user


def report_for(user, **params):
    filterset = IndicatorFilterSet(params or None, scope=reader_scope(user))
    return build_report(filterset.criteria())


def figures(report, group):
    found = next(g for g in report.groups if g.slug == group)
    return {str(f.label): (f.current.text, f.previous.text, f.change) for f in found.figures}


def rows(report, slug):
    return [[cell.text for cell in row] for row in report.table(slug).rows]


# --- Arithmetic -------------------------------------------------------------------------------


def test_period_defaults_to_the_school_year_so_far_and_compares_a_year_earlier(db):
    criteria = IndicatorFilterSet(None, scope=Scope(everything=True)).criteria()
    assert criteria.period == Period(date(2026, 9, 1), date(2027, 3, 16))
    assert criteria.previous == Period(date(2025, 9, 1), date(2026, 3, 16))
    assert len(school_year_period(2026).months()) == 12


def test_training_actions_by_plan(world):
    report = report_for(reader(academie=academie("13")))
    assert figures(report, "actions")["Ateliers tenus"][:2] == ("2", "1")
    assert figures(report, "actions")["Séances tenues"] == ("2", "1", "+100 %")
    assert rows(report, "actions-par-plan") == [
        ["PAF (plan académique de formation)", "1", "1", "1", "1"],
        ["PDF (plan départemental de formation)", "1", "0", "1", "0"],
        ["Hors plan de formation", "0", "0", "0", "0"],  # its only session was cancelled
    ]
    monthly = {row[0]: row[1:] for row in rows(report, "actions-par-mois")}
    assert monthly["octobre 2026"] == ["1", "1", "1", "1"]  # S1, and S0 a year earlier
    assert monthly["janvier 2027"] == ["1", "0", "1", "0"]


def test_participation(world):
    report = report_for(reader(academie=academie("13")))
    got = figures(report, "participation")
    assert got["Inscriptions confirmées"][0] == "9"  # 6 on S1, 3 on S2
    assert got["Participations (présences)"][:2] == ("8", "< 5")
    assert got["Taux de remplissage"][0] == "45,0 %"  # 9 of 20 seats
    assert got["Taux d'absence"][0] == "11,1 %"  # 1 absent of 9 recorded
    assert got["Demande non satisfaite"][0] == "< 5"  # W1 and W2
    assert rows(report, "participation-par-modalite") == [
        ["Présentiel", "9", "8", "< 5", "45,0 %", "11,1 %", "< 5"]
    ]


def test_pix(world):
    report = report_for(reader(academie=academie("13")))
    got = figures(report, "pix")
    assert got["Certifications PIX"][:2] == ("6", "< 5")  # the rejected one never counts
    assert got["dont vérifiées"][0] == "5"
    assert got["dont déclarées, à vérifier"][0] == "< 5"
    assert got["Score moyen (pix)"][:2] == ("350,0", "n. d.")  # (100+…+600)/6; a year earlier: 1
    assert got["Score médian (pix)"][0] == "350,0"
    levels = {row[0].split()[0]: row[1:] for row in rows(report, "pix-niveaux")}
    assert levels["1.1"][3] == "6"  # six at level 3
    assert levels["1.2"][1:3] == ["< 5", "< 5"]  # three at level 1, three at level 2
    assert levels["1.3"][0] == "6"
    assert rows(report, "pix-plus-edu") == [["2nd degré — en attente du volet jury", "< 5", "0"]]


def test_badges(world):
    report = report_for(reader(academie=academie("13")))
    got = figures(report, "badges")
    assert got["Open Badges délivrés"][0] == "8"  # 5 + W1 + 2 trainers, revoked excluded
    assert got["Titulaires différents"][0] == "8"
    assert got["Formateurs reconnus"][0] == "< 5"
    # The trainers' "< 5" would be 8 − 6: the participants' 6 is masked too ("s").
    assert rows(report, "badges-par-badge") == [
        ["Participant", "DANE de l'académie de Poitiers", "s", "0", "s"],
        ["Formateur", "DANE de l'académie de Poitiers", "< 5", "0", "< 5"],
    ]


def test_hours_per_teacher(world):
    report = report_for(reader(academie=academie("13")))
    got = figures(report, "heures")
    # A1 9 h (3 + 6), A2…A5 3 h, B1 and B2 6 h: 7 teachers, 33 h.
    assert got["Enseignants formés"][:2] == ("7", "< 5")
    assert got["Heures de formation suivies"][:2] == ("33,0", "n. d.")  # a year earlier: A1 alone
    assert got["Heures moyennes par enseignant formé"][0] == "4,7"
    assert got["Heures médianes par enseignant formé"][0] == "3,0"
    assert got["Part des enseignants ayant suivi au moins 18 h"][0] == "0,0 %"
    monthly = {row[0]: row[1:] for row in rows(report, "heures-par-mois")}
    # A1…A5 3 h; A1 a year earlier. Their 5 is masked ("s"): January's "< 5" would be 7 − 5.
    assert monthly["octobre 2026"] == ["15,0", "n. d.", "s", "< 5"]
    assert monthly["janvier 2027"] == ["n. d.", "—", "< 5", "0"]  # three people: hours hidden too
    assert rows(report, "heures-repartition") == [
        ["de 0 h à moins de 3 h", "0", "0"],
        ["de 3 h à moins de 6 h", "< 5", "< 5"],
        ["de 6 h à moins de 12 h", "< 5", "0"],
        ["de 12 h à moins de 18 h", "0", "0"],
        ["de 18 h à moins de 36 h", "0", "0"],
        ["36 h ou plus", "0", "0"],
    ]


def test_share_reaching_the_threshold(world, settings):
    settings.INDICATORS_HOURS_THRESHOLD = 6
    report = report_for(reader(academie=academie("13")))
    # A1, B1, B2 of the 13 teachers registered in Poitiers' schools (23.08, cut to one decimal).
    assert figures(report, "heures")["Part des enseignants ayant suivi au moins 6 h"][0] == (
        "23,0 %"
    )


# --- Scope ------------------------------------------------------------------------------------


def test_academie_reader_never_sees_another_academie(world):
    report = report_for(reader(academie=academie("13")))
    assert figures(report, "pix")["Certifications PIX"][0] == "6"  # not P1's
    everything = report_for(UserFactory(is_superuser=True))
    assert figures(everything, "pix")["Certifications PIX"][0] == "7"
    assert figures(everything, "actions")["Séances tenues"][0] == "3"


def test_filtering_into_another_territory_gives_nothing(world, client):
    user = reader(academie=academie("13"))
    for params in ({"academie": "01"}, {"departement": "075"}, {"establishment": "0750901K"}):
        report = report_for(user, **params)
        assert figures(report, "pix")["Certifications PIX"][0] == "0"
        assert figures(report, "actions")["Séances tenues"][0] == "0"
        assert figures(report, "heures")["Enseignants formés"][0] == "0"
    client.force_login(user)
    response = client.get(URL, {"academie": "01"})
    assert response.status_code == 200
    assert "Paris" not in response.content.decode()


def test_departement_reader(world):
    report = report_for(reader(departement=departement("016")))
    assert figures(report, "actions")["Séances tenues"][0] == "1"  # S2, at B
    assert figures(report, "heures")["Enseignants formés"][0] == "< 5"  # B1, B2
    assert figures(report, "pix")["Certifications PIX"][0] == "0"


def test_school_head_reads_only_their_school(world):
    report = report_for(reader(establishment=world["a"]))
    assert figures(report, "actions")["Séances tenues"][0] == "1"  # S1
    assert figures(report, "heures")["Enseignants formés"][0] == "5"  # A1…A5
    assert figures(report, "badges")["Open Badges délivrés"][0] == "6"  # A1…A5 and W1


def test_filters_by_departement_and_degree(world):
    user = reader(academie=academie("13"))
    report = report_for(user, departement="086", degree=Degree.SECOND)
    assert figures(report, "heures")["Enseignants formés"][0] == "5"
    report = report_for(user, departement="086", degree=Degree.FIRST)
    assert figures(report, "heures")["Enseignants formés"][0] == "0"


def test_a_person_without_a_degree_takes_their_schools(world):
    world["people"]["A1"].degree = ""
    world["people"]["A1"].save()
    user = reader(academie=academie("13"))
    report = report_for(user, departement="086", degree=Degree.SECOND)
    assert figures(report, "heures")["Enseignants formés"][0] == "5"  # A1 still, through A


def test_an_invalid_filter_shows_no_figures(world):
    report = report_for(reader(academie=academie("13")), degree="9")
    assert figures(report, "pix")["Certifications PIX"][0] == "0"


def test_who_may_open_the_page(world, client):
    assert client.get(URL).status_code == 302
    client.force_login(world["people"]["A1"])  # a teacher
    assert client.get(URL).status_code == 403
    assert client.get("/indicateurs/export.xlsx").status_code == 403
    client.force_login(reader(academie=academie("13")))
    response = client.get(URL)
    assert response.status_code == 200
    assert "Chiffres au" in response.content.decode()


def test_empty_criteria_count_nothing(world):
    criteria = Criteria.empty(school_year_period(2026))
    report = build_report(criteria)
    assert figures(report, "badges")["Open Badges délivrés"][0] == "0"


# --- Exports ----------------------------------------------------------------------------------


def test_csv_export_keeps_the_filters_and_the_secrecy_rule(world, client):
    client.force_login(reader(academie=academie("13")))
    response = client.get("/indicateurs/export/badges-par-badge.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Badges délivrés par badge"  # then period, filters, legend, a blank line
    assert lines[5] == "Badge;Émetteur;Délivrés;Délivrés, un an plus tôt;Titulaires"
    assert lines[7] == "Formateur;DANE de l'académie de Poitiers;< 5;0;< 5"
    filtered = client.get("/indicateurs/export/badges-par-badge.csv", {"departement": "016"})
    assert filtered.content.decode("utf-8-sig").splitlines()[6:] == [
        "Formateur;DANE de l'académie de Poitiers;< 5;0;< 5"
    ]
    assert client.get("/indicateurs/export/inconnu.csv").status_code == 404


def test_xlsx_export_has_every_table(world, client):
    client.force_login(reader(academie=academie("13")))
    response = client.get("/indicateurs/export.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert "pix-niveaux" in book.sheetnames and "heures-repartition" in book.sheetnames
    assert len(book.sheetnames) == 1 + 12
    sheet = book["badges-par-badge"]
    assert [c.value for c in sheet[6]] == [
        "Formateur", "DANE de l'académie de Poitiers", "< 5", 0, "< 5"
    ]  # fmt: skip
    assert sheet[5][2].value == "s"  # masked so that the "< 5" below is not 8 − 6


# --- Snapshots ----------------------------------------------------------------------------------


def test_the_page_is_served_from_its_snapshot_then_refreshed_when_stale(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(reader(academie=academie("13")))
    client.get(URL)
    snapshot = IndicatorSnapshot.objects.get()
    assert snapshot.data["pix"]["totals"]["verified_cur"] == 5
    # New data is not in the snapshot until it is refreshed.
    pix(world["people"]["W2"], 800)
    assert "Une mise à jour est en cours" not in client.get(URL).content.decode()
    assert IndicatorSnapshot.objects.get().data["pix"]["totals"]["verified_cur"] == 5
    IndicatorSnapshot.objects.update(computed_at=NOW - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(URL)
    assert "Une mise à jour est en cours" in response.content.decode()
    assert len(callbacks) == 1
    refreshed = IndicatorSnapshot.objects.get()
    assert refreshed.data["pix"]["totals"]["verified_cur"] == 6
    assert refreshed.computed_at == NOW


def test_a_stale_page_answers_while_the_broker_is_down(
    world, client, monkeypatch, django_capture_on_commit_callbacks
):
    """Its refresh cannot be queued: the page still answers, from the snapshot (issue 15)."""
    from kombu.exceptions import OperationalError

    from indicators.tasks import refresh_indicator_snapshot

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    client.force_login(reader(academie=academie("13")))
    client.get(URL)
    IndicatorSnapshot.objects.update(computed_at=NOW - timedelta(hours=1))
    monkeypatch.setattr(refresh_indicator_snapshot, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert IndicatorSnapshot.objects.get().computed_at == NOW - timedelta(hours=1)


def test_readers_of_two_academies_never_share_a_snapshot(world, client):
    client.force_login(reader(academie=academie("13")))
    client.get(URL)
    client.force_login(reader(academie=academie("01")))
    response = client.get(URL)
    assert IndicatorSnapshot.objects.count() == 2
    report = response.context["report"]
    assert figures(report, "pix")["Certifications PIX"][0] == "< 5"  # P1 only


def test_refresh_on_demand(world, client):
    client.force_login(reader(academie=academie("13")))
    client.get(URL, {"departement": "016"})
    IndicatorSnapshot.objects.update(computed_at=NOW - timedelta(minutes=2))
    response = client.post("/indicateurs/actualiser/", {"departement": "016"})
    assert response.status_code == 302
    assert response["Location"] == "/indicateurs/?departement=016"
    assert IndicatorSnapshot.objects.get().computed_at == NOW
    assert client.get("/indicateurs/actualiser/").status_code == 405


def test_beat_warms_the_defaults_and_refreshes_what_was_read(world):
    assert refresh_snapshots() == 1 + Academie.objects.count()  # the country, each académie
    assert refresh_snapshots() == 0  # all fresh
    IndicatorSnapshot.objects.update(computed_at=NOW - timedelta(hours=1))
    assert refresh_snapshots(limit=3) == 3
    IndicatorSnapshot.objects.update(last_read_at=NOW - timedelta(days=30))
    refresh_snapshots()
    assert IndicatorSnapshot.objects.count() == 1 + Academie.objects.count()  # warmed again


# --- Query count ------------------------------------------------------------------------------


def _grow(world):
    workshop = workshop_page(title="Encore")
    for n in range(20):
        s = session(workshop, date(2026, 9, 15) + timedelta(days=n), world["a"])
        for _ in range(3):
            present(s, person(world["a"]), 2)


def test_live_dashboard_query_count_does_not_grow_with_the_data(
    world, client, django_assert_max_num_queries
):
    client.force_login(reader(academie=academie("13")))
    client.get(URL)  # warm caches (site, settings)
    IndicatorSnapshot.objects.all().delete()
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"departement": "086"})
    # 45 for the figures, and a few for the secrecy verdict (one grouped count per level of the
    # territory's path), computed once per dashboard and kept in its snapshot.
    assert len(small.captured_queries) <= 52
    _grow(world)
    IndicatorSnapshot.objects.all().delete()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL, {"departement": "086"})
    assert response.status_code == 200


def test_dashboard_from_its_snapshot_costs_a_few_queries(world, client):
    client.force_login(reader(academie=academie("13")))
    client.get(URL)
    with CaptureQueriesContext(connection) as live:
        client.get(URL, {"degree": "2"})
    _grow(world)
    with CaptureQueriesContext(connection) as served:
        client.get(URL, {"degree": "2"})
    assert len(served.captured_queries) <= len(live.captured_queries) - 15


def test_a_lone_small_count_in_a_column_masks_the_next_smallest():
    from indicators.report import Table, count, mask_complements, people, text

    table = Table(slug="t", title="t", columns=["Ligne", "Personnes", "Séances"])
    table.rows = [
        [text("a"), people(12), count(3)],
        [text("b"), people(7), count(2)],
        [text("c"), people(2), count(1)],
        [text("d"), people(0), count(0)],
    ]
    mask_complements(table)
    assert [[cell.text for cell in row[1:]] for row in table.rows] == [
        ["12", "3"],
        ["s", "2"],  # the smallest other count of people; sessions are not people
        ["< 5", "1"],
        ["0", "0"],
    ]
    mask_complements(table)  # two masked cells now: nothing more to hide
    assert [row[1].text for row in table.rows] == ["12", "s", "< 5", "0"]
