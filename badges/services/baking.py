"""Baked badges: the badge class image with the assertion inside (PNG or SVG), built in memory.

An SVG is sanitised again each time it is read for baking (badges.validators.sanitize_svg).
"""

import io
import json

from django.core.files.base import ContentFile
from openbadges_bakery import bake, unbake

from ..validators import sanitize_svg
from .openbadges import assertion_document


def badge_image(badge_class, *, version=None):
    """The bytes of a badge class's image — of `version`'s own copy when given — read once
    through the storage API; an SVG is sanitised again, so that a file stored before
    sanitising existed is never baked as is."""
    field = version.image_file if version is not None else badge_class.image
    field.open("rb")
    try:
        content = field.read()
    finally:
        field.close()
    if field.name.lower().endswith(".svg"):
        content = sanitize_svg(content)
    return content


def bake_image(assertion, *, image=None):
    """The badge class image with the assertion baked in, built in memory (PNG or SVG).

    `image` is the badge class image's bytes when the caller already read them (a bulk award
    reads them once for a whole chunk); otherwise they are read here.
    """
    if image is None:
        image = badge_image(assertion.badge_class, version=assertion.version)
    source = image
    output = io.BytesIO()
    bake(io.BytesIO(source), json.dumps(assertion_document(assertion)), output)
    return output.getvalue()


def store_baked_image(assertion, *, image=None):
    """Bake the assertion and store the image through the storage API (no temporary file),
    before the row's first INSERT: its uuid and identity exist already."""
    version = assertion.version if assertion.version_id else None
    source = (version.image_file if version else assertion.badge_class.image).name
    ext = "svg" if source.lower().endswith(".svg") else "png"
    assertion.image.save(
        f"{assertion.uuid}.{ext}", ContentFile(bake_image(assertion, image=image)), save=False
    )


def image_extension(badge_class):
    return "svg" if badge_class.image.name.lower().endswith(".svg") else "png"


def read_baked(content):
    """What a baked image carries: the assertion JSON (PNG), or, for SVG as the Open Badges
    baking specification says of hosted badges, the assertion's URL (its `verify` attribute)."""
    baked = unbake(io.BytesIO(content))
    return baked if baked.startswith("http") else json.loads(baked)
