import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from badges.constants import AwardRights
from badges.models import BadgeClass, Issuer
from tests.factories import academie


def png_bytes(size=(128, 128)):
    output = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 145, 255)).save(output, format="PNG")
    return output.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
    b'<circle cx="50" cy="50" r="45" fill="#000091"/></svg>'
)


@pytest.fixture(autouse=True)
def _eager(eager_tasks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return


@pytest.fixture
def issuer(db):
    return Issuer.objects.create(
        name="DANE de l'académie de Poitiers",
        url="https://www.ac-poitiers.fr",
        email="dane@ac-poitiers.fr",
        academie=academie("13"),
    )


def make_badge_class(issuer, *, svg=False, **fields):
    badge_class = BadgeClass(
        issuer=issuer,
        name=fields.pop("name", "Co-formateur numérique"),
        description="A suivi un atelier de co-formation.",
        criteria_narrative="Présence à l'atelier, relevée par le formateur.",
        **fields,
    )
    if badge_class.pix_plus_edu_scope:
        badge_class.award_rights = AwardRights.AUTOMATIC  # as the model requires
    name, content = ("badge.svg", SVG) if svg else ("badge.png", png_bytes())
    badge_class.image.save(name, ContentFile(content), save=False)
    badge_class.save()
    return badge_class


@pytest.fixture
def coordinator(db):
    """A coordinator of the académie "13" (the issuer's)."""
    from cotraining.constants import Role
    from cotraining.services import grant_role
    from tests.factories import UserFactory

    person = UserFactory()
    grant_role(user=person, role=Role.COORDINATOR, academie=academie("13"))
    return person
