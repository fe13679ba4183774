"""PIX and Pix+ Édu: every validation rule, declare / verify / reject / delete, visibility, and
the badge a verified Pix+ Édu level earns."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from wagtail.models import ModelLogEntry

from badges.constants import CRCN_CODES, PixPlusEduLevel, PixSource, PixStatus, level_field
from badges.models import Assertion, PixCertification, PixPlusEduResult
from badges.permissions import reviewable_certifications, visible_certifications
from badges.services import pix
from cotraining.constants import Role
from cotraining.exceptions import ServiceError
from cotraining.models import Academie, Departement
from cotraining.services import grant_role
from tests.factories import EstablishmentFactory, UserFactory, academie, make_badge_class, teacher

pytestmark = pytest.mark.django_db

LEVELS = dict.fromkeys(CRCN_CODES, 3)  # 48 levels: 384 to 496 pix
CODES = iter(
    f"P-{a}{b}{c}{d}BCDF" for a in "2346789BCDFG" for b in "HJKM" for c in "PQRT" for d in "VWXY"
)


def data(**changes):
    values = {
        "taken_on": date(2026, 3, 12),
        "score": 400,
        "max_level": 6,
        "levels": dict(LEVELS),
        "verification_code": next(CODES),
        "pix_plus_edu": None,
    }
    values.update(changes)
    return pix.CertificationData(**values)


@pytest.fixture
def school():
    return EstablishmentFactory()


@pytest.fixture
def holder(school):
    return teacher(establishment=school)


def other_academie_departement():
    other = Academie.objects.exclude(code="13").order_by("code").first()
    return Departement.objects.filter(academie=other).first()


# --- Validation rules -----------------------------------------------------------------------


def test_a_valid_certification_has_no_problem():
    assert pix.check_certification(data()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"score": 1025}, "entre 0 et 1024"),
        ({"taken_on": date.today() + timedelta(days=1)}, "dans le futur"),
        ({"max_level": 9}, "niveau maximal atteignable est compris entre 1 et 8"),
        ({"levels": {**LEVELS, "3.4": 7}}, "3.4 : le niveau 7 dépasse le niveau maximal"),
        ({"verification_code": "P-2BC4DF6"}, "ne convient pas"),
        ({"verification_code": "P-2BC4DF6A"}, "ne convient pas"),  # a vowel
        ({"verification_code": "P-0BC4DF6G"}, "ne convient pas"),  # a zero
        ({"score": 300}, "trop bas"),  # 16 × 3 levels need 384 pix at least
        ({"score": 600}, "trop élevé"),  # and 496 at most
    ],
)
def test_each_rule_is_checked(changes, expected):
    problems = pix.check_certification(data(**changes))
    assert any(expected in problem for problem in problems), problems


def test_pix_plus_edu_rules():
    taken = date(2026, 3, 12)
    assert pix.check_pix_plus_edu(pix.PixPlusEdu("2d", 2, 2, date(2026, 1, 1)), taken_on=taken) == [
        "Pix+ Édu : le jury ne peut précéder la certification."
    ]
    assert pix.check_pix_plus_edu(pix.PixPlusEdu("2d", 2, None, taken), taken_on=taken) == [
        "Pix+ Édu : indiquez le niveau décidé par le jury."
    ]


def test_the_database_refuses_a_level_above_the_maximum(holder):
    certification = pix.declare_certification(user=holder, data=data())
    setattr(certification, level_field("1.1"), 7)
    with pytest.raises(IntegrityError), transaction.atomic():
        certification.save()


def test_the_model_validates_the_code_format(holder):
    certification = PixCertification(user=holder, verification_code="X-123", **_fields())
    with pytest.raises(ValidationError) as error:
        certification.full_clean()
    assert "verification_code" in error.value.message_dict


def _fields():
    return {k: v for k, v in data().fields().items() if k != "verification_code"}


def test_max_level_follows_the_dates_in_settings(settings):
    settings.PIX_MAX_LEVEL_STEPS = ["2016-01-01:5", "2020-12-01:6", "2027-01-01:7"]
    assert pix.max_level_on(date(2019, 5, 1)) == 5
    assert pix.max_level_on(date(2026, 5, 1)) == 6
    assert pix.max_level_on(date(2027, 5, 1)) == 7


def test_codes_are_normalised():
    assert pix.normalize_code(" p-2bc4 df6g ") == "P-2BC4DF6G"
    assert pix.normalize_code("P2BC4DF6G") == "P-2BC4DF6G"


# --- Declare, verify, reject, delete ---------------------------------------------------------


def test_a_teacher_declares_and_the_same_code_is_refused_to_another(holder):
    certification = pix.declare_certification(
        user=holder, data=data(verification_code="P-2BC4DF6G")
    )
    assert (certification.status, certification.source) == (PixStatus.DECLARED, PixSource.SELF)
    with pytest.raises(ServiceError) as mine:
        pix.declare_certification(user=holder, data=data(verification_code="P-2BC4DF6G"))
    assert "déjà enregistré cette certification" in mine.value.message
    with pytest.raises(ServiceError) as theirs:
        pix.declare_certification(user=teacher(), data=data(verification_code="P-2BC4DF6G"))
    assert "ne peut pas être enregistré" in theirs.value.message
    assert PixCertification.objects.count() == 1


def test_the_final_pix_plus_edu_level_is_the_lower_part(holder):
    waiting = pix.declare_certification(
        user=holder, data=data(pix_plus_edu=pix.PixPlusEdu("2d", PixPlusEduLevel.AVANCE))
    )
    result = waiting.pix_plus_edu
    assert result.awaiting_jury and result.level is None
    assert str(result.status_label) == "en attente du volet jury"
    pix.update_jury_result(
        certification=waiting,
        jury_level=PixPlusEduLevel.CONFIRME,
        jury_on=date(2026, 6, 1),
        by=holder,
    )
    assert PixPlusEduResult.objects.get().level == PixPlusEduLevel.CONFIRME


def test_the_database_keeps_the_final_level_the_lower_one(holder):
    certification = pix.declare_certification(user=holder, data=data())
    with pytest.raises(IntegrityError), transaction.atomic():
        PixPlusEduResult.objects.create(
            certification=certification, scope="1d", automated_level=2, jury_level=3, level=3
        )


def test_verify_and_reject_are_idempotent_and_audited(holder, coordinator):
    certification = pix.declare_certification(user=holder, data=data())
    assert pix.verify_certifications(certifications=[certification], by=coordinator) == 1
    assert pix.verify_certifications(certifications=[certification], by=coordinator) == 0
    with pytest.raises(ServiceError):
        pix.reject_certifications(certifications=[certification], reason=" ", by=coordinator)
    assert (
        pix.reject_certifications(
            certifications=[certification], reason="Code introuvable sur pix.fr", by=coordinator
        )
        == 1
    )
    certification.refresh_from_db()
    assert certification.status == PixStatus.REJECTED
    assert certification.rejection_reason == "Code introuvable sur pix.fr"
    actions = set(
        ModelLogEntry.objects.filter(object_id=str(certification.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"entrepairs.declare_pix", "entrepairs.verify_pix", "entrepairs.reject_pix"} <= actions


def test_only_unverified_self_declared_certifications_can_be_deleted(holder, coordinator):
    kept = pix.declare_certification(user=holder, data=data())
    pix.verify_certifications(certifications=[kept], by=coordinator)
    with pytest.raises(ServiceError):
        pix.delete_certification(certification=kept, by=holder)
    gone = pix.declare_certification(user=holder, data=data())
    with pytest.raises(ServiceError):
        pix.delete_certification(certification=gone, by=coordinator)
    pix.delete_certification(certification=gone, by=holder)
    assert list(PixCertification.objects.all()) == [kept]
    assert ModelLogEntry.objects.filter(action="entrepairs.delete_pix").count() == 1


def test_staff_entering_a_result_records_it_verified(holder, coordinator):
    certification = pix.declare_certification(user=holder, data=data(), by=coordinator)
    assert (certification.status, certification.source) == (PixStatus.VERIFIED, PixSource.STAFF)


def test_an_expired_certification_stays_but_is_not_current(holder, settings):
    settings.PIX_VALIDITY_YEARS = 3
    old = pix.declare_certification(user=holder, data=data(taken_on=date(2021, 1, 5)))
    recent = pix.declare_certification(user=holder, data=data())
    assert not old.is_current and recent.is_current
    assert list(PixCertification.objects.current()) == [recent]
    settings.PIX_VALIDITY_YEARS = 0
    assert old.is_current
    assert PixCertification.objects.current().count() == 2


# --- The badge of a verified Pix+ Édu level -------------------------------------------------


def test_a_verified_pix_plus_edu_level_earns_its_badge_once(
    holder, coordinator, issuer, django_capture_on_commit_callbacks
):
    confirmed = make_badge_class(
        issuer, name="Pix+ Édu Confirmé", pix_plus_edu_scope="2d", pix_plus_edu_level=2
    )
    make_badge_class(issuer, name="Pix+ Édu Expert", pix_plus_edu_scope="2d", pix_plus_edu_level=4)
    make_badge_class(issuer, name="Pix+ Édu CPE", pix_plus_edu_scope="cpe", pix_plus_edu_level=1)
    certification = pix.declare_certification(
        user=holder,
        data=data(pix_plus_edu=pix.PixPlusEdu("2d", 3, 3, date(2026, 6, 1))),
    )
    assert not Assertion.objects.exists()  # declared only
    with django_capture_on_commit_callbacks(execute=True):
        pix.verify_certifications(certifications=[certification], by=coordinator)
    assertion = Assertion.objects.get()
    assert assertion.badge_class == confirmed and assertion.recipient == holder
    assert "Pix+ Édu" in assertion.evidence[0]["narrative"]
    pix.award_pix_plus_edu_badges(certification_id=certification.pk)  # a retry
    assert Assertion.objects.count() == 1
    pix.reject_certifications(certifications=[certification], reason="Erreur", by=coordinator)
    assertion.refresh_from_db()
    # Revoked with a public reason that does not quote the staff's (private) one.
    assert assertion.revoked and "refusée" in assertion.revocation_reason
    assert "Erreur" not in assertion.revocation_reason


# --- Who sees what ---------------------------------------------------------------------------


def test_visibility_rules(holder, school, coordinator):
    certification = pix.declare_certification(user=holder, data=data())
    colleague = teacher(establishment=school)
    head = UserFactory()
    grant_role(user=head, role=Role.SCHOOL_HEAD, establishment=school)
    other_head = UserFactory()
    grant_role(user=other_head, role=Role.SCHOOL_HEAD, establishment=EstablishmentFactory())
    elsewhere = UserFactory()
    grant_role(
        user=elsewhere,
        role=Role.COORDINATOR,
        academie=other_academie_departement().academie,
    )
    reader = UserFactory()
    grant_role(user=reader, role=Role.INDICATOR_READER, academie=academie("13"))

    def sees(person):
        return visible_certifications(person).filter(pk=certification.pk).exists()

    def reviews(person):
        return reviewable_certifications(person).filter(pk=certification.pk).exists()

    assert sees(holder) and not reviews(holder)
    assert sees(coordinator) and reviews(coordinator)
    assert sees(head) and not reviews(head)
    for outsider in (colleague, other_head, elsewhere, reader):
        assert not sees(outsider) and not reviews(outsider)
    # An indicator reader given the permission reviews their territory.
    from django.contrib.auth.models import Permission

    reader.user_permissions.add(Permission.objects.get(codename="verify_pixcertification"))
    reader = type(reader).objects.get(pk=reader.pk)  # fresh permission cache
    assert sees(reader) and reviews(reader)


def test_the_attestation_is_served_to_allowed_people_only(client, holder, coordinator, settings):
    pdf = _pdf()
    certification = pix.declare_certification(
        user=holder, data=data(), attestation=SimpleUploadedFile("a.pdf", pdf)
    )
    url = reverse("badges:pix_attestation", args=[certification.pk])
    with pytest.raises(ValueError):
        certification.attestation.url  # noqa: B018 (never a public URL)
    assert certification.attestation.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    client.force_login(teacher())
    assert client.get(url).status_code == 404
    client.force_login(holder)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_a_file_that_is_not_a_pdf_is_refused(holder):
    from badges.validators import validate_attestation_pdf

    with pytest.raises(ValidationError):
        validate_attestation_pdf(SimpleUploadedFile("a.pdf", b"%PDF-1.4 not really"))
    with pytest.raises(ValidationError):
        validate_attestation_pdf(SimpleUploadedFile("a.pdf", b"PK\x03\x04zip"))


def _pdf():
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# --- Pages -----------------------------------------------------------------------------------


def _form(**changes):
    values = {
        "taken_on": "2026-03-12",
        "score": "400",
        "max_level": "",
        "verification_code": "p-2bc4df6g",
        **{level_field(code): "3" for code in CRCN_CODES},
        "pix_plus_edu_scope": "",
    }
    values.update(changes)
    return values


def test_a_teacher_declares_in_the_page_and_sees_it_in_mon_parcours(client, holder):
    client.force_login(holder)
    assert client.get(reverse("badges:declare_certification")).status_code == 200
    response = client.post(reverse("badges:declare_certification"), _form())
    assert response.status_code == 302
    certification = PixCertification.objects.get(user=holder)
    assert certification.verification_code == "P-2BC4DF6G" and certification.max_level == 6
    page = client.get(reverse("badges:my_certifications")).content.decode()
    assert "P-2BC4DF6G" in page and "Niveau obtenu par compétence" in page
    journey = client.get(reverse("cotraining:my_journey")).content.decode()
    assert "Ma certification PIX" in journey and "1.1 Mener une recherche" in journey


def test_bad_input_in_the_page_changes_nothing(client, holder):
    client.force_login(holder)
    response = client.post(
        reverse("badges:declare_certification"), _form(score="2000", **{"level_1_1": "9"})
    )
    assert response.status_code == 422
    assert PixCertification.objects.count() == 0
    response = client.post(reverse("badges:declare_certification"), _form(level_3_4="7"))
    assert response.status_code == 422
    assert "dépasse le niveau maximal" in response.content.decode()


def test_a_coordinator_verifies_in_one_click_and_a_head_only_reads(
    client, holder, school, coordinator
):
    certification = pix.declare_certification(user=holder, data=data())
    client.force_login(coordinator)
    page = client.get(reverse("badges:pix_review"), {"establishment": school.pk})
    assert certification.verification_code in page.content.decode()
    response = client.post(reverse("badges:pix_review"), {"verify_one": certification.pk})
    assert response.status_code == 302
    certification.refresh_from_db()
    assert certification.status == PixStatus.VERIFIED
    head = UserFactory()
    grant_role(user=head, role=Role.SCHOOL_HEAD, establishment=school)
    client.force_login(head)
    listing = client.get(reverse("badges:pix_review"), {"status": ""})
    assert certification.verification_code in listing.content.decode()
    # A head opens on the school's verified results, not on an empty "to check" list.
    default = client.get(reverse("badges:pix_review"))
    assert certification.verification_code in default.content.decode()
    assert client.post(reverse("badges:pix_review"), {"verify_one": 1}).status_code == 403
    client.force_login(holder)
    assert client.get(reverse("badges:pix_review")).status_code == 403


def test_bulk_reject_needs_a_reason_and_skips_other_territories(client, holder, coordinator):
    mine = pix.declare_certification(user=holder, data=data())
    far = EstablishmentFactory(departement=other_academie_departement(), uai="0750654D")
    theirs = pix.declare_certification(user=teacher(establishment=far), data=data())
    client.force_login(coordinator)
    ids = {"ids": [mine.pk, theirs.pk], "action": "reject"}
    client.post(reverse("badges:pix_review"), {**ids, "reason": ""})
    assert PixCertification.objects.filter(status=PixStatus.REJECTED).count() == 0
    client.post(reverse("badges:pix_review"), {**ids, "reason": "Doublon"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (PixStatus.REJECTED, PixStatus.DECLARED)


def test_staff_record_a_certificate_for_a_person_of_their_territory(client, holder, coordinator):
    client.force_login(coordinator)
    url = reverse("badges:pix_record")
    assert client.get(url).status_code == 200
    far = EstablishmentFactory(departement=other_academie_departement(), uai="0750654D")
    outsider = teacher(establishment=far)
    response = client.post(url, {**_form(), "email": outsider.email})
    assert response.status_code == 422 and not PixCertification.objects.exists()
    response = client.post(url, {**_form(), "email": holder.email.upper()})
    assert response.status_code == 302
    certification = PixCertification.objects.get()
    assert (certification.user, certification.status, certification.source) == (
        holder,
        PixStatus.VERIFIED,
        PixSource.STAFF,
    )
    assert certification.recorded_by == coordinator
    client.force_login(holder)
    assert client.get(url).status_code == 403


def test_the_holder_hears_of_the_review_imports_stay_silent(
    holder, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    verified = pix.declare_certification(user=holder, data=data())
    refused = pix.declare_certification(user=holder, data=data())
    with django_capture_on_commit_callbacks(execute=True):
        pix.verify_certifications(certifications=[verified], by=coordinator)
        pix.reject_certifications(
            certifications=[refused], reason="Code introuvable sur pix.fr", by=coordinator
        )
    assert [m.to for m in mailoutbox] == [[holder.email], [holder.email]]
    assert "vérifiée" in mailoutbox[0].subject
    assert "n'a pas été validée" in mailoutbox[1].subject
    assert "Code introuvable sur pix.fr" in mailoutbox[1].body
    mailoutbox.clear()
    entered = pix.declare_certification(user=holder, data=data(), by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        pix.reject_certifications(certifications=[entered], reason="Erreur", by=coordinator)
    assert mailoutbox == []  # staff entries (and imports) are nobody's pending declaration
