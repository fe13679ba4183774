"""The demo's Open Badges and PIX: the DANE's issuer and badge classes, awards through the badges
services (baked images written to MEDIA_ROOT, a handful of emails), one revoked; PIX
certifications for every role, the demo teacher's verified one earning its Pix+ Édu badge."""

from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from badges.constants import CRCN_CODES, AwardRights, BadgeKind, ExpiryRule
from badges.models import Assertion, BadgeClass, Issuer, PixCertification, site_url
from badges.services import pix
from badges.services.awards import award_badge, award_completion_badges
from badges.services.revocation import revoke_assertion
from cms.demo_enrolments import (
    TEACHER_ATTENDED_LAST_YEAR,
    TEACHER_ATTENDED_PARTLY,
    TEACHER_CONFIRMED,
)
from cms.demo_people import DEMO_DOMAIN, colleague_by_local
from cotraining.models import Completion, User

# Open Badges: the issuer, its badge images (cms/data/badges/) and its badge classes.
BADGE_IMAGES = Path(__file__).resolve().parent / "data" / "badges"
ISSUER_NAME = "DANE de l'académie de Poitiers"
ISSUER = {
    "url": "https://www.ac-poitiers.fr",
    "email": "dane@ac-poitiers.fr",
    "description": (
        "Délégation académique au numérique éducatif : elle reconnaît les compétences "
        "numériques acquises et partagées entre pairs dans l'académie de Poitiers."
    ),
}
# Participant badges: (workshop slug, short name). The demo teacher completed the first two.
PARTICIPANT_BADGES = [
    (TEACHER_ATTENDED_LAST_YEAR, "Forge des communs numériques"),
    (TEACHER_ATTENDED_PARTLY, "Accompagnement Pix"),
    (TEACHER_CONFIRMED, "Cybersécurité en établissement"),
    ("ia-generative-enseignants", "IA générative"),
]
PUBLIC_BADGE_WORKSHOP = TEACHER_ATTENDED_LAST_YEAR  # the demo teacher shows her name on it
TRAINER_BADGE = ("Formateur·rice co-formation numérique", TEACHER_ATTENDED_LAST_YEAR)
STANDALONE_BADGE = "Référent·e numérique d'établissement"
STANDALONE_SOURCE = "manual"  # as an award by hand: once per badge and person
REVOKED_BADGE_TO = "collegue009"
REVOCATION_REASON = "Attribué par erreur"

# PIX: (person, code, score, levels (one for all, or the 16 of the CRCN in order), Pix+ Édu (scope,
# automated, jury) or None, what happens to it). The demo teacher's is verified and earns the
# Pix+ Édu badge.
PIX_DEMO = [
    (
        "enseignant",
        "P-2BC4DF6G",
        495,
        (5, 4, 4, 5, 4, 3, 4, 5, 4, 3, 2, 3, 4, 3, 4, 4),
        ("2d", 2, 2),
        "verified",
    ),
    ("collegue001", "P-3HJK7MPQ", 400, 3, None, "declared"),
    ("collegue002", "P-4RTV8WXY", 650, 5, ("2d", 3, None), "declared"),
    ("collegue003", "P-6CDF9GHJ", 270, 2, None, "declared"),
    ("collegue004", "P-7KMP2QRT", 140, 1, None, "rejected"),
]
PIX_PLUS_EDU_BADGE = "Pix+ Édu 2nd degré — Confirmé"


def seed_badges(academie, offer):
    """The DANE's badges, awarded through the services for the demo completions.

    Every row is looked up before it is written and awards are idempotent (one assertion per
    badge, person and source), so a second run writes nothing and sends no email.
    """
    issuer = _issuer(academie)
    for slug, short_name in PARTICIPANT_BADGES:
        workshop = offer[slug]
        _badge_class(
            issuer,
            f"{short_name} — participant",
            "participant.svg",
            description=(
                f"Décerné aux enseignantes et enseignants qui ont validé l'atelier de "
                f"co-formation « {workshop.title} »."
            ),
            criteria_narrative=(
                f"Avoir suivi l'atelier « {workshop.title} » ({workshop.duration_hours:g} h) "
                "et y avoir été présent·e : émargement en ligne ou présence relevée par le "
                "formateur ou la formatrice."
            ),
            criteria_url=site_url(workshop.url),
            tags="co-formation, numérique, CRCN",
            kind=BadgeKind.PARTICIPANT,
            workshop=workshop,
            competences=workshop.competences.all(),
        )
    name, slug = TRAINER_BADGE
    workshop = offer[slug]
    _badge_class(
        issuer,
        name,
        "formateur.svg",
        description=(
            "Décerné aux formateurs et formatrices qui animent entre pairs un atelier de "
            "co-formation au numérique éducatif."
        ),
        criteria_narrative=(
            f"Avoir animé l'atelier « {workshop.title} » jusqu'à la validation d'au moins "
            "un ou une participante."
        ),
        tags="co-formation, formateur, numérique",
        kind=BadgeKind.TRAINER,
        workshop=workshop,
        competences=workshop.competences.all(),
    )
    standalone = _badge_class(
        issuer,
        STANDALONE_BADGE,
        "referent.svg",
        description=(
            "Reconnaît l'enseignante ou l'enseignant qui accompagne ses collègues dans les "
            "usages du numérique de son établissement."
        ),
        criteria_narrative=(
            "Être désigné·e référent·e numérique par son chef d'établissement et avoir animé "
            "au moins deux temps d'échange entre pairs dans l'année scolaire. Décerné par la "
            "DANE, valable deux ans."
        ),
        tags="référent numérique, établissement",
        expiry_rule=ExpiryRule.MONTHS,
        expires_after_months=24,
    )
    _awards(standalone, offer)


def _issuer(academie):
    issuer = Issuer.objects.filter(name=ISSUER_NAME).first()
    if issuer is None:
        issuer = Issuer.objects.create(name=ISSUER_NAME, academie=academie, **ISSUER)
    if not issuer.image:
        issuer.image.save("dane-poitiers.svg", _badge_image("dane-poitiers.svg"))
    return issuer


def _badge_class(issuer, name, image, *, competences=(), **fields):
    badge_class = BadgeClass.objects.filter(issuer=issuer, name=name).first()
    if badge_class is not None:
        return badge_class
    badge_class = BadgeClass(issuer=issuer, name=name, **fields)
    badge_class.image.save(image, _badge_image(image), save=False)
    badge_class.save()
    badge_class.competences.set(competences)
    return badge_class


def _awards(standalone, offer):
    teacher = User.objects.get(email=f"enseignant@{DEMO_DOMAIN}")
    coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
    # The demo completions of workshops with badges: the demo teacher's (a handful of emails).
    completions = Completion.objects.filter(
        user__email__endswith=f"@{DEMO_DOMAIN}", workshop__badge_classes__isnull=False
    ).distinct()
    awarded = []
    for completion_id in completions.order_by("pk").values_list("pk", flat=True):
        awarded += award_completion_badges(completion_id=completion_id)
    # Her name on one public page, the first time only (she may hide it afterwards).
    Assertion.objects.filter(
        pk__in=[a.pk for a in awarded],
        recipient=teacher,
        badge_class__workshop=offer[PUBLIC_BADGE_WORKSHOP],
        badge_class__kind=BadgeKind.PARTICIPANT,
    ).update(public=True)
    # A stand-alone badge, awarded by hand: it expires in two years.
    award_badge(
        badge_class=standalone,
        email=teacher.email,
        recipient=teacher,
        source=STANDALONE_SOURCE,
        narrative="Référente numérique du lycée Camille Guérin depuis la rentrée.",
        awarded_by=coordinator,
    )
    # Awarded to the wrong colleague, then revoked (no email: it is revoked before commit).
    colleague = colleague_by_local(REVOKED_BADGE_TO)
    assertion, _ = award_badge(
        badge_class=standalone,
        email=colleague.email,
        recipient=colleague,
        source=STANDALONE_SOURCE,
        awarded_by=coordinator,
    )
    revoke_assertion(assertion=assertion, reason=REVOCATION_REASON, by=coordinator)


def seed_pix(academie):
    """PIX certifications for every role: the teacher's verified one (and its Pix+ Édu
    badge), colleagues' declarations waiting for the coordination, one refused."""
    issuer = _issuer(academie)
    _badge_class(
        issuer,
        PIX_PLUS_EDU_BADGE,
        "referent.svg",
        description=(
            "Reconnaît la certification Pix+ Édu 2nd degré au niveau Confirmé (ou au-delà), "
            "vérifiée par l'académie."
        ),
        criteria_narrative=(
            "Être certifié·e Pix+ Édu 2nd degré au niveau Confirmé au moins : volets "
            "automatisé et jury, certification vérifiée par la DANE."
        ),
        criteria_url="https://pix.fr/pix-edu",
        tags="Pix+ Édu, CRCN-Édu",
        pix_plus_edu_scope="2d",
        pix_plus_edu_level=2,
        award_rights=AwardRights.AUTOMATIC,
    )
    coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
    taken_on = timezone.localdate() - timedelta(days=60)
    for local, code, score, level, edu, outcome in PIX_DEMO:
        if PixCertification.objects.filter(verification_code=code).exists():
            continue
        person = colleague_by_local(local)
        data = pix.CertificationData(
            taken_on=taken_on,
            score=score,
            max_level=pix.max_level_on(taken_on),
            levels=dict(zip(CRCN_CODES, level, strict=True))
            if isinstance(level, tuple)
            else dict.fromkeys(CRCN_CODES, level),
            verification_code=code,
            pix_plus_edu=pix.PixPlusEdu(*edu, jury_on=taken_on if edu[2] else None)
            if edu
            else None,
        )
        certification = pix.declare_certification(user=person, data=data)
        if outcome == "verified":
            pix.verify_certifications(certifications=[certification], by=coordinator)
        elif outcome == "rejected":
            pix.reject_certifications(
                certifications=[certification],
                reason="Code introuvable sur pix.fr : vérifiez-le sur votre certificat.",
                by=coordinator,
            )


def _badge_image(name):
    """A demo badge image (a square SVG in DSFR blue), copied to MEDIA_ROOT when saved."""
    return ContentFile((BADGE_IMAGES / name).read_bytes())
