"""Awarding one badge from a CSV file: validate every line first, then a Celery job awards."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from badges import tasks
from badges.models import Assertion, BulkAward
from badges.services import (
    CsvInvalid,
    award_badge,
    run_bulk_award,
    start_bulk_award,
    validate_bulk_award_csv,
)
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.badges.conftest import make_badge_class
from tests.factories import UserFactory, academie, teacher

pytestmark = pytest.mark.django_db


def csv_file(text, *, bom=False):
    data = text.encode("utf-8")
    return io.BytesIO(b"\xef\xbb\xbf" + data if bom else data)


def error_lines(text, **kwargs):
    with pytest.raises(CsvInvalid) as refused:
        validate_bulk_award_csv(csv_file(text, **kwargs))
    return dict(refused.value.errors)


@pytest.fixture
def coordinator():
    user = UserFactory()
    grant_role(user=user, role=Role.COORDINATOR, academie=academie("13"))
    return user


@pytest.fixture
def badge(issuer):
    return make_badge_class(issuer, name="Contributeur")


def test_a_clean_file_gives_its_rows():
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    rows = validate_bulk_award_csv(
        csv_file(
            "Email;Evidence_URL;NARRATIVE;issued_on;expires\r\n"
            f'A@B.fr;https://example.org/p;"Deux lignes\nde récit";{yesterday};2099-01-01\r\n'
            "\r\n"
            "c@d.fr;;;;\r\n",
            bom=True,
        )
    )
    assert rows == [
        {
            "line": 2,
            "email": "a@b.fr",
            "evidence_url": "https://example.org/p",
            "narrative": "Deux lignes\nde récit",
            "issued_on": yesterday,
            "expires": "2099-01-01",
        },
        # Line 3 is blank; a spreadsheet numbers rows, not the lines inside a cell.
        {
            "line": 4,
            "email": "c@d.fr",
            "evidence_url": "",
            "narrative": "",
            "issued_on": "",
            "expires": "",
        },
    ]


def test_commas_and_a_lone_email_column_are_read_too():
    rows = validate_bulk_award_csv(csv_file("narrative,email\nBravo,x@y.fr\n"))
    assert [(r["email"], r["narrative"]) for r in rows] == [("x@y.fr", "Bravo")]
    assert [r["email"] for r in validate_bulk_award_csv(csv_file("email\nx@y.fr\n"))] == ["x@y.fr"]


def test_every_bad_line_is_reported_with_its_reasons():
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    errors = error_lines(
        "email;evidence_url;issued_on;expires\n"
        "ok@b.fr;;;\n"  # 2
        "pas-une-adresse;;;\n"  # 3
        "u@b.fr;ftp://x;;\n"  # 4
        f"f@b.fr;;{tomorrow};\n"  # 5
        "e@b.fr;;2026-01-10;2026-01-10\n"  # 6
        "d@b.fr;;10/01/2026;\n"  # 7
        "OK@b.fr;;;\n"  # 8
        ";https://example.org;;\n"  # 9
    )
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert "invalide" in errors[3]
    assert "lien de preuve" in errors[4]
    assert "futur" in errors[5]
    assert "expiration" in errors[6]
    assert "AAAA-MM-JJ" in errors[7]
    assert "déjà ligne 2" in errors[8]
    assert "vide" in errors[9]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"", 0),
        (b"nom;prenom\nDupont;Claire\n", 1),
        (b"email\n", 0),
        ("email\nclaire.dupont@ac-poitiers.fr;Hélène\n".encode("cp1252"), 0),
    ],
    ids=["empty", "no email column", "no rows", "not UTF-8"],
)
def test_unusable_files_are_refused(content, line):
    with pytest.raises(CsvInvalid) as refused:
        validate_bulk_award_csv(io.BytesIO(content))
    assert [error[0] for error in refused.value.errors] == [line]


def test_the_job_awards_with_source_bulk_and_counts_who_already_had_it(
    badge, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    award_badge(badge_class=badge, email="deja@b.fr", source="bulk")
    known = UserFactory(email="Connu@ac-poitiers.fr")
    rows = validate_bulk_award_csv(
        csv_file(
            "email;evidence_url;narrative;issued_on;expires\n"
            "deja@b.fr;;;;\n"
            "connu@ac-poitiers.fr;https://example.org/p;Bravo;2026-01-15;2030-06-30\n"
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        bulk = start_bulk_award(badge_class=badge, rows=rows, filename="a/b.csv", by=coordinator)
    bulk.refresh_from_db()
    assert (bulk.status, bulk.total, bulk.awarded, bulk.already_had) == ("done", 2, 1, 1)
    assert bulk.filename == "b.csv" and bulk.finished_at is not None
    assertion = Assertion.objects.get(recipient_email="connu@ac-poitiers.fr")
    assert assertion.recipient == known and assertion.source == "bulk"
    assert assertion.awarded_by == coordinator
    assert timezone.localtime(assertion.issued_on).date().isoformat() == "2026-01-15"
    assert timezone.localtime(assertion.expires).date().isoformat() == "2030-06-30"
    assert assertion.evidence == [
        {"type": "Evidence", "id": "https://example.org/p", "narrative": "Bravo"}
    ]
    assert [m.to for m in mailoutbox] == [["connu@ac-poitiers.fr"]]
    # The same file again: nobody gets it twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = start_bulk_award(badge_class=badge, rows=rows, filename="b.csv", by=coordinator)
    again.refresh_from_db()
    assert (again.awarded, again.already_had) == (0, 2)
    assert Assertion.objects.count() == 2


def test_a_retried_job_resumes_after_its_last_committed_rows(badge, coordinator):
    rows = validate_bulk_award_csv(csv_file("email\n" + "".join(f"p{i}@b.fr\n" for i in range(30))))
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", rows=rows, total=30, uploaded_by=coordinator
    )
    for row in rows[:20]:  # what a first, interrupted run committed
        award_badge(badge_class=badge, email=row["email"], source="bulk")
    BulkAward.objects.filter(pk=bulk.pk).update(
        status=BulkAward.Status.FAILED, awarded=20, processed=20
    )
    bulk = run_bulk_award(bulk_id=bulk.pk)
    assert (bulk.status, bulk.awarded, bulk.already_had, bulk.errors) == ("done", 30, 0, [])
    assert run_bulk_award(bulk_id=bulk.pk).awarded == 30  # a finished job is left alone
    assert tasks.run_bulk_award(bulk_id=0) is None  # a row gone meanwhile


def test_a_failing_job_is_marked_failed(badge, coordinator, monkeypatch):
    rows = validate_bulk_award_csv(csv_file("email\na@b.fr\n"))
    bulk = BulkAward.objects.create(badge_class=badge, filename="f.csv", rows=rows, total=1)

    def broken(**kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr("badges.services.award_badge", broken)
    with pytest.raises(OSError):
        run_bulk_award(bulk_id=bulk.pk)
    bulk.refresh_from_db()
    assert bulk.status == "failed" and "disque plein" in bulk.errors[0][1]
    assert bulk.processed == 0


def thousand_lines(bad=()):
    lines = ["email;evidence_url;narrative"]
    for i in range(1000):
        line_number = i + 2
        if line_number in bad:
            lines.append(f"personne{i}.ac-poitiers.fr;https://example.org/{i};Atelier")
        else:
            lines.append(f"personne{i}@ac-poitiers.fr;https://example.org/{i};Atelier")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_thousand_lines_file_is_refused_for_three_bad_lines_then_awarded(
    client, badge, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    url = reverse("badges:bulk_award")
    assert client.get(url, {"badge": badge.pk}).status_code == 200
    bad = (17, 500, 1001)
    response = client.post(
        url,
        {
            "badge_class": badge.pk,
            "file": SimpleUploadedFile("liste.csv", thousand_lines(bad), "text/csv"),
        },
    )
    assert response.status_code == 422
    refused = response.context["refused"]
    assert [line for line, _message in refused.errors] == list(bad)
    assert not BulkAward.objects.exists() and not Assertion.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "badge_class": badge.pk,
                "file": SimpleUploadedFile("liste.csv", thousand_lines(), "text/csv"),
            },
        )
    bulk = BulkAward.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("badges:bulk_award_detail", kwargs={"pk": bulk.pk})
    assert (bulk.status, bulk.total, bulk.awarded, bulk.already_had) == ("done", 1000, 1000, 0)
    assert Assertion.objects.filter(badge_class=badge, source="bulk").count() == 1000
    assert len(mailoutbox) == 1000


def test_the_progress_fragment_polls_until_done(client, badge, coordinator):
    bulk = BulkAward.objects.create(
        badge_class=badge,
        filename="f.csv",
        total=40,
        processed=10,
        awarded=10,
        status=BulkAward.Status.RUNNING,
        uploaded_by=coordinator,
    )
    client.force_login(coordinator)
    page = client.get(reverse("badges:bulk_award_detail", kwargs={"pk": bulk.pk}))
    html = page.content.decode()
    assert 'hx-trigger="every 2s"' in html and "htmx" in html
    fragment = client.get(reverse("badges:bulk_award_progress", kwargs={"pk": bulk.pk}))
    html = fragment.content.decode()
    assert '<progress id="bulk-progress-bar"' in html and 'value="10"' in html
    assert "<html" not in html
    BulkAward.objects.filter(pk=bulk.pk).update(
        status=BulkAward.Status.DONE,
        processed=40,
        awarded=30,
        already_had=10,
        finished_at=timezone.now(),
    )
    html = client.get(reverse("badges:bulk_award_progress", kwargs={"pk": bulk.pk})).content
    html = html.decode()
    assert "hx-trigger" not in html and "<progress" not in html
    assert "Attribution terminée" in html


def test_a_file_and_its_progress_are_404_to_others(client, badge, coordinator):
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", total=1, uploaded_by=coordinator
    )
    elsewhere = UserFactory()
    grant_role(user=elsewhere, role=Role.TRAINER, academie=academie("04"))
    # A trainer of this académie did not upload it and is no admin of the issuer.
    colleague = UserFactory()
    grant_role(user=colleague, role=Role.TRAINER, academie=academie("13"))
    for user in (teacher(), elsewhere, colleague):
        client.force_login(user)
        for name in ("badges:bulk_award_detail", "badges:bulk_award_progress"):
            assert client.get(reverse(name, kwargs={"pk": bulk.pk})).status_code == 404


def test_a_trainer_cannot_upload_for_a_badge_out_of_reach(client, issuer, coordinator):
    from tests.factories import workshop_page

    trainer = UserFactory()
    grant_role(user=trainer, role=Role.TRAINER, academie=academie("13"))
    make_badge_class(issuer, name="Libre")  # makes the page reachable for them
    theirs_not = make_badge_class(issuer, name="Atelier d'autrui", workshop=workshop_page())
    client.force_login(trainer)
    response = client.post(
        reverse("badges:bulk_award"),
        {
            "badge_class": theirs_not.pk,
            "file": SimpleUploadedFile("l.csv", b"email\na@b.fr\n", "text/csv"),
        },
    )
    assert response.status_code == 404
    assert not BulkAward.objects.exists()
