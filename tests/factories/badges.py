"""Open Badges and PIX: issuers, badge classes and their versions, assertions, bulk awards, PIX
certifications.

    IssuerFactory()                               # the DANE of Poitiers
    BadgeClassFactory(issuer=issuer, svg=True)    # a PNG badge unless svg=True
    make_badge_class(issuer, name="…")            # the same, the issuer first
    BadgeClassVersionFactory(badge_class=badge)   # published by the service (publish_version)
    AssertionFactory(badge_class=badge, recipient=person)  # not baked, not emailed
    BulkAwardFactory(badge_class=badge, total=40, status=BulkAward.Status.RUNNING)
    PixCertificationFactory(user=person, status=PixStatus.VERIFIED, level_1_1=3)

An assertion made here skips the award service (no baked image, no email, no audit entry): use
`award_badge` when the award itself is under test.
"""

import io
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from badges.constants import PIX_CODE_ALPHABET, AwardRights, PixPlusEduScope, PixStatus
from badges.models import (
    Assertion,
    BadgeClass,
    BadgeClassVersion,
    BulkAward,
    Issuer,
    PixCertification,
    PixPlusEduResult,
)
from badges.services.versions import publish_version

from .territory import academie
from .users import TeacherFactory

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
    b'<circle cx="50" cy="50" r="45" fill="#000091"/></svg>'
)


def png_bytes(size=(128, 128)):
    """A square PNG in DSFR blue."""
    output = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 145, 255)).save(output, format="PNG")
    return output.getvalue()


def _publish(badge_class):
    # The service every award goes through: the version says what the badge class says now.
    return publish_version(badge_class=badge_class)


class IssuerFactory(factory.django.DjangoModelFactory):
    """The DANE of the académie of Poitiers (give name, url, email and academie for another)."""

    class Meta:
        model = Issuer

    name = "DANE de l'académie de Poitiers"
    url = "https://www.ac-poitiers.fr"
    email = "dane@ac-poitiers.fr"
    academie = factory.LazyFunction(academie)


class BadgeClassFactory(factory.django.DjangoModelFactory):
    """A participant badge of the DANE, with a PNG image (an SVG one with svg=True).

    A Pix+ Édu badge (pix_plus_edu_scope=…) is awarded automatically only, as the model requires.
    """

    class Meta:
        model = BadgeClass
        skip_postgeneration_save = True

    class Params:
        svg = False

    issuer = factory.SubFactory(IssuerFactory)
    name = "Co-formateur numérique"
    description = "A suivi un atelier de co-formation."
    criteria_narrative = "Présence à l'atelier, relevée par le formateur."
    pix_plus_edu_scope = ""
    award_rights = factory.LazyAttribute(
        lambda o: AwardRights.AUTOMATIC if o.pix_plus_edu_scope else AwardRights.TRAINERS
    )
    # Stored through the field (an SVG sanitised) when the badge class is saved.
    image = factory.LazyAttribute(
        lambda o: (
            ContentFile(SVG, name="badge.svg")
            if o.svg
            else ContentFile(png_bytes(), name="badge.png")
        )
    )

    @factory.post_generation
    def competences(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.competences.set(extracted)


def make_badge_class(issuer, *, svg=False, **fields):
    """A badge class of `issuer`: BadgeClassFactory(issuer=issuer, svg=svg, **fields)."""
    return BadgeClassFactory(issuer=issuer, svg=svg, **fields)


class BadgeClassVersionFactory(factory.django.DjangoModelFactory):
    """The current version of a badge class, published by the service (its Open Badges
    document and a copy of its image)."""

    class Meta:
        model = BadgeClassVersion

    badge_class = factory.SubFactory(BadgeClassFactory)

    @classmethod
    def _create(cls, model_class, *args, badge_class, **kwargs):
        return _publish(badge_class)


class AssertionFactory(factory.django.DjangoModelFactory):
    """A badge held by a person, against the badge class's current version: not baked, not
    emailed (award_badge does both)."""

    class Meta:
        model = Assertion

    badge_class = factory.SubFactory(BadgeClassFactory)
    version = factory.LazyAttribute(lambda o: _publish(o.badge_class))
    recipient = factory.SubFactory(TeacherFactory)
    recipient_email = factory.LazyAttribute(
        lambda o: o.recipient.email if o.recipient else "titulaire@ac-test.fr"
    )
    source = factory.Sequence(lambda n: f"manual:{n}")
    issued_on = factory.LazyFunction(timezone.now)
    expires = factory.LazyAttribute(lambda o: o.badge_class.expiry_for(o.issued_on))


class BulkAwardFactory(factory.django.DjangoModelFactory):
    """A CSV file of recipients for a badge, recorded and waiting for its job."""

    class Meta:
        model = BulkAward

    badge_class = factory.SubFactory(BadgeClassFactory)
    uploaded_by = None
    filename = "f.csv"
    rows = factory.LazyFunction(list)
    total = factory.LazyAttribute(lambda o: len(o.rows))


def _pix_code(n):
    """A distinct well-formed verification code for each n ("P-" and 8 characters)."""
    base = len(PIX_CODE_ALPHABET)
    digits = []
    for _ in range(8):
        n, rest = divmod(n, base)
        digits.append(PIX_CODE_ALPHABET[rest])
    return "P-" + "".join(reversed(digits))


class PixCertificationFactory(factory.django.DjangoModelFactory):
    """A PIX certification a teacher declared a month ago (levels at 0: pass level_1_1=3…).
    A rejected one carries its reason."""

    class Meta:
        model = PixCertification

    user = factory.SubFactory(TeacherFactory)
    taken_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    score = 400
    max_level = 6
    verification_code = factory.Sequence(lambda n: _pix_code(n + 1000))
    status = PixStatus.DECLARED
    rejection_reason = factory.LazyAttribute(
        lambda o: "illisible" if o.status == PixStatus.REJECTED else ""
    )


class PixPlusEduResultFactory(factory.django.DjangoModelFactory):
    """The Pix+ Édu part of a certification, awaiting its jury (give jury_level to rule)."""

    class Meta:
        model = PixPlusEduResult

    certification = factory.SubFactory(PixCertificationFactory)
    scope = PixPlusEduScope.SECOND
    automated_level = 2
    jury_level = None
    level = factory.LazyAttribute(
        lambda o: PixPlusEduResult.final_level(o.automated_level, o.jury_level)
    )
