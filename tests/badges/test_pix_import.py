"""Import of a Pix Orga export: validated whole before anything is written, idempotent, streamed."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges.constants import CRCN_CODES, PixStatus
from badges.models import PixCertification, PixImport, PixPlusEduResult
from badges.services import pix_import
from cotraining.models import User
from tests.factories import EstablishmentFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "email;date_certification;score;niveau_max;"
    + ";".join(CRCN_CODES)
    + ";code_verification;pixedu_volet;pixedu_niveau_auto;pixedu_niveau_jury;pixedu_date_jury"
)
ALPHABET = "2346789BCDFGHJKMPQRTVWXY"


def verified(user):
    """Results go to accounts whose address is verified (allauth), as a real one is."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def code(n):
    digits = []
    for _ in range(8):
        n, rest = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return "P-" + "".join(digits)


def line(email, n, *, score="400", levels="3", edu=";;;"):
    return f"{email};12/03/2026;{score};6;" + ";".join([levels] * 16) + f";{code(n)};{edu}"


@pytest.fixture
def people():
    school = EstablishmentFactory()
    return [
        verified(UserFactory(email=f"prof{i}@ac-test.fr", establishment=school)) for i in range(3)
    ]


def run(content, by, name="pix.csv"):
    upload = SimpleUploadedFile(name, content if isinstance(content, bytes) else content.encode())
    return pix_import.start_pix_import(file=upload, filename=name, by=by)


def test_a_clean_file_imports_verified_then_changes_nothing_again(coordinator, people):
    content = "\n".join(
        [
            HEADER,
            line("prof0@ac-test.fr", 1, edu="2nd degré;Avancé;Confirmé;15/06/2026"),
            line("PROF1@ac-test.fr", 2),
            line("prof2@ac-test.fr", 3, edu="CPE;Initié;;"),
        ]
    )
    first = run(content, coordinator)
    assert (first.status, first.created, first.updated) == (PixImport.Status.DONE, 3, 0)
    assert set(PixCertification.objects.values_list("status", flat=True)) == {PixStatus.VERIFIED}
    results = {r.scope: r for r in PixPlusEduResult.objects.all()}
    assert results["2d"].level == 2 and results["cpe"].level is None
    second = run(content, coordinator)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert PixCertification.objects.count() == 3


def test_ten_thousand_lines_with_five_bad_ones_write_nothing(
    coordinator, people, settings, django_capture_on_commit_callbacks
):
    settings.PIX_IMPORT_SYNC_MAX_LINES = 100  # the job path (eager here)
    bad = {
        101: lambda n: line("prof0@ac-test.fr", n, score="1100"),  # score over 1024
        2002: lambda n: line("prof1@ac-test.fr", n, levels="7"),  # above the maximum 6
        4003: lambda n: line("inconnu@ac-test.fr", n),  # unknown person
        6004: lambda n: line("prof2@ac-test.fr", n).replace(code(n), "P-AAAAAAAA"),
        9005: lambda n: line("prof0@ac-test.fr", n).replace("12/03/2026", "12/03/2099"),
    }
    rows = [HEADER]
    for n in range(2, 10_002):  # file line numbers 2 … 10,001
        rows.append(bad[n](n) if n in bad else line(f"prof{n % 3}@ac-test.fr", n))
    with django_capture_on_commit_callbacks(execute=True):
        refused = run("\n".join(rows), coordinator)
    refused.refresh_from_db()
    assert refused.status == PixImport.Status.REJECTED
    assert [error_line for error_line, _message in refused.errors] == sorted(bad)
    assert PixCertification.objects.count() == 0
    assert not refused.file  # the upload is not kept
    for n in bad:
        rows[n - 1] = line(f"prof{n % 3}@ac-test.fr", n)
    fixed = "\n".join(rows)
    with django_capture_on_commit_callbacks(execute=True):
        done = run(fixed, coordinator)
    done.refresh_from_db()
    assert (done.status, done.created) == (PixImport.Status.DONE, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        again = run(fixed, coordinator)
    again.refresh_from_db()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10_000)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_accepted_encodings(coordinator, people, encoding):
    people[0].email = "hélène@ac-test.fr"
    people[0].save()
    EmailAddress.objects.filter(user=people[0]).update(email=people[0].email)
    content = "\n".join([HEADER, line("hélène@ac-test.fr", 1, edu="1er degré;Confirmé;;")])
    assert run(content.encode(encoding), coordinator).status == PixImport.Status.DONE


def test_other_encodings_are_refused_clearly(coordinator, people):
    refused = run("\n".join([HEADER, line("prof0@ac-test.fr", 1)]).encode("utf-16"), coordinator)
    assert refused.status == PixImport.Status.REJECTED
    assert "Encodage du fichier non reconnu" in refused.errors[0][1]


def test_a_wrong_header_is_refused(coordinator, people):
    refused = run("mail;date\nprof0@ac-test.fr;12/03/2026\n", coordinator)
    assert refused.status == PixImport.Status.REJECTED
    assert "En-tête incorrect" in refused.errors[0][1]


def test_duplicated_lines_and_codes_of_others_are_reported(coordinator, people):
    first = run("\n".join([HEADER, line("prof0@ac-test.fr", 1)]), coordinator)
    assert first.status == PixImport.Status.DONE
    refused = run(
        "\n".join(
            [
                HEADER,
                line("prof1@ac-test.fr", 2),
                line("prof1@ac-test.fr", 2),  # the same line twice
                line("prof2@ac-test.fr", 1),  # prof0's code
            ]
        ),
        coordinator,
    )
    messages = dict(refused.errors)
    assert "en double (déjà ligne 2)" in messages[3]
    assert "ne peut pas être enregistré" in messages[4]
    assert PixCertification.objects.count() == 1


def test_people_outside_the_territory_are_reported(coordinator, people):
    from tests.badges.test_pix import other_academie_departement

    far = EstablishmentFactory(departement=other_academie_departement(), uai="0750654D")
    verified(UserFactory(email="loin@ac-test.fr", establishment=far))
    refused = run("\n".join([HEADER, line("loin@ac-test.fr", 1)]), coordinator)
    assert "aucune personne de votre territoire" in refused.errors[0][1]


def test_validation_streams_the_file(coordinator, people):
    """Memory stays bounded: lines are read in batches, never the whole file at once."""
    rows = "\n".join([HEADER] + [line(f"prof{n % 3}@ac-test.fr", n) for n in range(3000)])
    batches = list(pix_import._batches(pix_import._rows(io.BytesIO(rows.encode()))))
    assert [len(batch) for batch in batches] == [1000, 1000, 1000]


def test_the_import_pages(client, coordinator, people):
    client.force_login(coordinator)
    assert client.get(reverse("badges:pix_import")).status_code == 200
    sample = client.get(reverse("badges:pix_import_sample"))
    assert b"code_verification" in b"".join(sample.streaming_content)
    content = "\n".join([HEADER, line("prof0@ac-test.fr", 1), line("nobody@ac-test.fr", 2)])
    response = client.post(
        reverse("badges:pix_import"), {"file": SimpleUploadedFile("pix.csv", content.encode())}
    )
    detail = response.url
    assert "Fichier refusé" in client.get(detail).content.decode()
    pk = PixImport.objects.get().pk
    report = client.get(reverse("badges:pix_import_report", args=[pk])).content.decode()
    assert "3;« nobody@ac-test.fr » : aucune personne de votre territoire" in report
    teacher = User.objects.get(email="prof0@ac-test.fr")
    client.force_login(teacher)
    assert client.get(reverse("badges:pix_import")).status_code == 403
    assert client.get(reverse("badges:pix_import_report", args=[pk])).status_code == 403


def test_a_result_never_reaches_an_account_whose_address_is_not_verified(coordinator, people):
    """The attack: someone signs up (unverified) with a colleague's address in the territory;
    the colleague's PIX result must not be attached to that account."""
    impostor = UserFactory(email="victime@ac-test.fr", establishment=people[0].establishment)
    refused = run("\n".join([HEADER, line("victime@ac-test.fr", 1)]), coordinator)
    assert not PixCertification.objects.filter(user=impostor).exists()
    # read like an address without an account
    assert "aucune personne de votre territoire" in refused.errors[0][1]
