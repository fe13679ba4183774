"""Badge images must be real, square PNG or SVG files of reasonable size (backpacks refuse
others, and the image is baked into every assertion)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_IMAGE_BYTES = 512 * 1024
MIN_SIDE = 90  # LinkedIn and backpacks show badges at 90 px and more


def _png_size(upload):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            if image.format != "PNG":
                return None
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError):
        return None


def _svg_size(upload):
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.parse(upload).getroot()
    except (ElementTree.ParseError, DefusedXmlException):
        return None
    if not root.tag.endswith("svg"):
        return None
    view_box = root.get("viewBox", "").replace(",", " ").split()
    try:
        if len(view_box) == 4:
            return float(view_box[2]), float(view_box[3])
        return float(root.get("width", "").rstrip("px")), float(root.get("height", "").rstrip("px"))
    except ValueError:
        return None


def validate_badge_image(upload):
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("L'image pèse %(size)s Ko : 512 Ko au plus.") % {"size": upload.size // 1024}
        )
    name = upload.name.lower()
    upload.seek(0)
    if name.endswith(".png"):
        size = _png_size(upload)
    elif name.endswith(".svg"):
        size = _svg_size(upload)
    else:
        raise ValidationError(_("Une image de badge est un fichier PNG ou SVG."))
    upload.seek(0)
    if size is None:
        raise ValidationError(_("Ce fichier n'est pas une image PNG ou SVG lisible."))
    width, height = size
    if abs(width - height) > 0.5:
        raise ValidationError(
            _("L'image doit être carrée (elle mesure %(w)s × %(h)s).")
            % {"w": f"{width:g}", "h": f"{height:g}"}
        )
    if name.endswith(".png") and width < MIN_SIDE:
        raise ValidationError(_("L'image doit mesurer au moins 90 × 90 pixels."))


def validate_attestation_pdf(upload):
    """A PIX attestation: a real PDF (read by pypdf, not just named .pdf) under the size limit."""
    from django.conf import settings
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    limit = settings.PIX_ATTESTATION_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Le fichier pèse %(size)s Ko : %(limit)s Ko au plus.")
            % {"size": upload.size // 1024, "limit": limit // 1024}
        )
    upload.seek(0)
    if upload.read(5) != b"%PDF-":
        raise ValidationError(_("L'attestation doit être un fichier PDF."))
    upload.seek(0)
    try:
        pages = len(PdfReader(upload).pages)
    except (PdfReadError, ValueError, OSError, KeyError):
        pages = 0
    upload.seek(0)
    if pages == 0:
        raise ValidationError(_("Ce fichier PDF est illisible ou vide."))
