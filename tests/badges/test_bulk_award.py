"""Awarding one badge from a CSV file: validate every line first, then a Celery job awards."""

import io
import smtplib
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from badges import tasks
from badges.constants import AuditAction
from badges.models import Assertion, BadgeClassVersion, BulkAward
from badges.services import audit, emails
from badges.services import bulk as bulk_awards
from badges.services.awards import award_badge
from badges.services.baking import read_baked
from badges.services.bulk import CsvInvalid, start_bulk_award, validate_bulk_award_csv
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.factories import UserFactory, academie, make_badge_class, teacher

pytestmark = pytest.mark.django_db


def csv_file(text, *, bom=False):
    data = text.encode("utf-8")
    return io.BytesIO(b"\xef\xbb\xbf" + data if bom else data)


def error_lines(text, **kwargs):
    with pytest.raises(CsvInvalid) as refused:
        validate_bulk_award_csv(csv_file(text, **kwargs))
    return dict(refused.value.errors)


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
        "d@b.fr;;31/02/2026;\n"  # 7
        "OK@b.fr;;;\n"  # 8
        ";https://example.org;;\n"  # 9
    )
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert "invalide" in errors[3]
    assert "lien de preuve" in errors[4]
    assert "futur" in errors[5]
    assert "expiration" in errors[6]
    assert "n'est pas une date" in errors[7]
    assert "déjà ligne 2" in errors[8]
    assert "vide" in errors[9]


def test_a_french_spreadsheet_file_is_read():
    """Excel in French saves CSV as Windows-1252, ";"-separated, with dd/mm/yyyy dates."""
    rows = validate_bulk_award_csv(
        io.BytesIO(
            (
                "Email;Narrative;Issued_on;Expires\r\n"
                "helene.leger@ac-poitiers.fr;Séquence « écrans »;02/01/2026;30/11/2027\r\n"
                "marc@ac-poitiers.fr;;2026-01-02;\r\n"
            ).encode("cp1252")
        )
    )
    assert [
        (r["line"], r["email"], r["narrative"], r["issued_on"], r["expires"]) for r in rows
    ] == [
        (
            2,
            "helene.leger@ac-poitiers.fr",
            "Séquence « écrans »",
            "2026-01-02",
            "2027-11-30",
        ),
        (3, "marc@ac-poitiers.fr", "", "2026-01-02", ""),
    ]


def test_tab_separated_files_are_read():
    rows = validate_bulk_award_csv(csv_file("email\tnarrative\nx@y.fr\tBravo, merci\n"))
    assert [(r["email"], r["narrative"]) for r in rows] == [("x@y.fr", "Bravo, merci")]


def test_an_expiry_already_past_is_refused_with_its_line():
    today = timezone.localdate()
    long_ago, last_week = today - timedelta(days=400), today - timedelta(days=7)
    errors = error_lines(
        "email;issued_on;expires\n"
        f"ok@b.fr;{long_ago:%d/%m/%Y};{today + timedelta(days=1):%d/%m/%Y}\n"  # 2
        f"past@b.fr;{long_ago:%d/%m/%Y};{last_week:%d/%m/%Y}\n"  # 3
    )
    assert list(errors) == [3]
    assert "déjà passée" in errors[3]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"", 0),
        (b"nom;prenom\nDupont;Claire\n", 1),
        (b"email\n", 0),
        ("email\nclaire.dupont@ac-poitiers.fr;Hélène\n".encode("utf-16"), 0),
    ],
    ids=["empty", "no email column", "no rows", "UTF-16"],
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
    # Linked to the account because its holder verified the address (test_verified_awards.py).
    EmailAddress.objects.create(user=known, email=known.email, verified=True, primary=True)
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
    assert bulk.rows == []  # the addresses are not kept once the file is awarded
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


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 10 rows: a few dozen rows make several chunk tasks."""
    monkeypatch.setattr(bulk_awards, "BULK_CHUNK_ROWS", 10)
    return 10


def emails_file(emails):
    return validate_bulk_award_csv(csv_file("email\n" + "".join(f"{e}\n" for e in emails)))


def people(count):
    return [f"p{i:02d}@b.fr" for i in range(count)]


def run_job(bulk, capture):
    with capture(execute=True):
        tasks.run_bulk_award.delay(bulk.pk)
    bulk.refresh_from_db()
    return bulk


def test_a_chunked_job_counts_who_already_had_it_in_every_chunk(
    badge, coordinator, small_chunks, django_capture_on_commit_callbacks
):
    emails = people(35)
    had = emails[3::5]  # seven people, spread over the four chunks
    for email in had:
        award_badge(badge_class=badge, email=email, source="bulk")
    with django_capture_on_commit_callbacks(execute=True):
        bulk = start_bulk_award(
            badge_class=badge, rows=emails_file(emails), filename="f.csv", by=coordinator
        )
    bulk.refresh_from_db()
    assert (bulk.status, bulk.total, bulk.processed) == ("done", 35, 35)
    assert (bulk.awarded, bulk.already_had, bulk.errors) == (28, 7, [])
    assert bulk.finished_at is not None
    assert list(bulk.chunks.values_list("index", "awarded", "already_had")) == [
        (0, 8, 2),
        (1, 8, 2),
        (2, 8, 2),
        (3, 4, 1),
    ]
    assert Assertion.objects.filter(badge_class=badge, source="bulk").count() == 35
    # The seven kept the assertion they had; everyone else has a baked image that verifies.
    fresh = Assertion.objects.filter(source="bulk").exclude(recipient_email__in=had)
    for assertion in fresh:
        assertion.image.open("rb")
        assert read_baked(assertion.image.read())["id"] == assertion.public_url
        assertion.image.close()
    assert {a.version for a in fresh} == {BadgeClassVersion.objects.get(badge_class=badge)}


def test_a_redelivered_chunk_does_not_count_twice(
    badge, coordinator, small_chunks, mailoutbox, django_capture_on_commit_callbacks
):
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", rows=emails_file(people(25)), total=25
    )
    bulk = run_job(bulk, django_capture_on_commit_callbacks)
    assert (bulk.status, bulk.awarded, bulk.already_had, bulk.processed) == ("done", 25, 0, 25)
    finished_at, entries = bulk.finished_at, ModelLogEntry.objects.count()
    version = BadgeClassVersion.objects.get(badge_class=badge)
    # Every chunk delivered again (acks_late, a lost worker), and the job itself.
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(3):
            assert tasks.award_bulk_chunk.delay(bulk.pk, index, version.pk).get() is None
        tasks.run_bulk_award.delay(bulk.pk)
    bulk.refresh_from_db()
    assert (bulk.status, bulk.awarded, bulk.already_had, bulk.processed) == ("done", 25, 0, 25)
    assert bulk.finished_at == finished_at  # marked done once
    assert bulk.chunks.count() == 3
    assert ModelLogEntry.objects.count() == entries
    assert Assertion.objects.count() == 25 and len(mailoutbox) == 25


def test_a_chunk_failing_for_good_fails_the_job_then_a_rerun_finishes_it(
    badge, coordinator, small_chunks, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", rows=emails_file(people(25)), total=25
    )
    real_store = bulk_awards.store_baked_image

    def disk_full_in_chunk_1(assertion, **kwargs):
        if assertion.recipient_email == "p13@b.fr":
            raise OSError("disque plein")
        return real_store(assertion, **kwargs)

    monkeypatch.setattr(bulk_awards, "store_baked_image", disk_full_in_chunk_1)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_bulk_award.delay(bulk.pk)
    # Chunks are enqueued after commit, robustly: the eager chunk's error is logged, never
    # raised into the job that queued it, and the other chunks go on (as on real workers).
    assert any(
        record.levelname == "ERROR" and "disque plein" in record.getMessage()
        for record in caplog.records
    )
    bulk.refresh_from_db()
    assert bulk.status == "failed" and "disque plein" in bulk.errors[0][1]
    # Chunks 0 and 2 committed; chunk 1 left nothing behind, not even its baked images.
    assert list(bulk.chunks.values_list("index", flat=True)) == [0, 2]
    assert (bulk.processed, bulk.awarded) == (15, 15)
    stored = {p.name for p in (Path(settings.MEDIA_ROOT) / "badges" / "assertions").iterdir()}
    assert stored == {Path(a.image.name).name for a in Assertion.objects.all()}
    assert len(stored) == 15
    assert not Assertion.objects.filter(recipient_email__in=people(20)[10:]).exists()

    monkeypatch.setattr(bulk_awards, "store_baked_image", real_store)
    bulk = run_job(bulk, django_capture_on_commit_callbacks)
    assert (bulk.status, bulk.awarded, bulk.already_had, bulk.processed) == ("done", 25, 0, 25)
    assert bulk.errors == [] and bulk.chunks.count() == 3
    assert tasks.run_bulk_award(bulk_id=0) is None  # a row gone meanwhile


def test_a_person_awarded_by_another_worker_meanwhile_counts_as_already_had(
    badge, coordinator, small_chunks, monkeypatch, django_capture_on_commit_callbacks
):
    """Between the chunk's read of who has the badge and its INSERT, another worker awards it
    to one of its people: the unique constraint decides, the row counts "already had it"."""
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", rows=emails_file(people(5)), total=5
    )
    real_store = bulk_awards.store_baked_image
    raced = {}

    def concurrent_award(assertion, **kwargs):
        if assertion.recipient_email == "p02@b.fr" and not raced:
            raced["assertion"] = None  # award_badge bakes through this function too
            raced["assertion"], _created = award_badge(
                badge_class=badge, email="p02@b.fr", source="bulk"
            )
        return real_store(assertion, **kwargs)

    monkeypatch.setattr(bulk_awards, "store_baked_image", concurrent_award)
    bulk = run_job(bulk, django_capture_on_commit_callbacks)
    assert (bulk.status, bulk.awarded, bulk.already_had) == ("done", 4, 1)
    assert Assertion.objects.get(recipient_email="p02@b.fr") == raced["assertion"]
    # The chunk's own baked image for that row was removed again.
    stored = {p.name for p in (Path(settings.MEDIA_ROOT) / "badges" / "assertions").iterdir()}
    assert stored == {Path(a.image.name).name for a in Assertion.objects.all()}


def test_award_emails_are_queued_once_per_assertion_one_task_per_chunk(
    badge, coordinator, small_chunks, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    award_badge(badge_class=badge, email="p04@b.fr", source="bulk")
    mailoutbox.clear()
    queued = []
    real_apply_async = tasks.send_badge_emails.apply_async

    def apply_async(args=None, kwargs=None, **options):
        queued.append(args[0])
        return real_apply_async(args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(tasks.send_badge_emails, "apply_async", apply_async)
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", rows=emails_file(people(25)), total=25
    )
    bulk = run_job(bulk, django_capture_on_commit_callbacks)
    assert len(queued) == 3  # one task per chunk
    awarded = Assertion.objects.filter(source="bulk").exclude(recipient_email="p04@b.fr")
    assert sorted(pk for ids in queued for pk in ids) == sorted(a.pk for a in awarded)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(a.recipient_email for a in awarded)
    assert all(len(m.attachments) == 1 for m in mailoutbox)
    assert not awarded.filter(emailed_at__isnull=True).exists()
    # The tasks delivered again: nobody is told twice.
    for ids in list(queued):
        assert tasks.send_badge_emails.delay(ids).get() == 0
    assert len(mailoutbox) == 24


def test_an_email_task_failing_midway_sends_only_the_rest_when_retried(
    badge, mailoutbox, monkeypatch
):
    ids = [
        award_badge(badge_class=badge, email=email, source="manual")[0].pk for email in people(3)
    ]
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def refuse_p01(self, messages):
        if messages[0].to == ["p01@b.fr"]:
            raise smtplib.SMTPServerDisconnected("connexion perdue")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_p01)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        emails.send_award_emails(assertion_ids=ids)
    assert [m.to for m in mailoutbox] == [["p00@b.fr"]]
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert emails.send_award_emails(assertion_ids=ids) == 2
    assert sorted(m.to[0] for m in mailoutbox) == people(3)


def test_each_bulk_assertion_has_the_audit_entry_of_a_single_award(
    badge, coordinator, small_chunks, django_capture_on_commit_callbacks
):
    single, _created = award_badge(
        badge_class=badge, email="seul@b.fr", source="bulk", awarded_by=coordinator
    )
    reference = ModelLogEntry.objects.get(action=AuditAction.AWARD_BADGE)
    bulk = BulkAward.objects.create(
        badge_class=badge,
        filename="f.csv",
        rows=emails_file(people(25)),
        total=25,
        uploaded_by=coordinator,
    )
    run_job(bulk, django_capture_on_commit_callbacks)
    entries = ModelLogEntry.objects.filter(action=AuditAction.AWARD_BADGE).exclude(pk=reference.pk)
    assertions = Assertion.objects.exclude(pk=single.pk)
    assert sorted(e.object_id for e in entries) == sorted(str(a.pk) for a in assertions)
    by_id = {str(a.pk): a for a in assertions}
    for entry in entries:
        assert entry.content_type == reference.content_type
        assert (entry.user, entry.data) == (coordinator, reference.data)
        assert entry.label == str(by_id[entry.object_id])
        assert entry.timestamp is not None
    # As the admin's history shows them.
    assert {entry.message for entry in entries} == {reference.message}


def test_log_many_refuses_an_unregistered_action(badge):
    assertion, _created = award_badge(badge_class=badge, email="a@b.fr", source="x")
    with pytest.raises(ValueError, match="not been registered"):
        audit.log_many([assertion], "entrepairs.nothing")
    assert audit.log_many([], "entrepairs.nothing") == []


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
