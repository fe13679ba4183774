"""Badge images must be real, square PNG or SVG files of reasonable size (backpacks refuse
others, and the image is baked into every assertion).

An SVG is a document that can carry script (`<script>`, `onload=`, `javascript:` links,
`<foreignObject>` HTML) and fetch other origins. Served from the site's origin it ran as whoever
opened it, an administrator included. Every SVG is therefore rewritten by an allow-list
sanitiser (Cloudflare's svg-hush, through py-svg-hush) before it is stored or baked: only
drawing elements and attributes survive, links point inside the document, and `data:` URLs
are kept for raster images only.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_IMAGE_BYTES = 512 * 1024
MIN_SIDE = 90  # LinkedIn and backpacks show badges at 90 px and more
# data: URLs an SVG may keep (embedded raster pictures); any other data: URL is dropped.
SVG_DATA_URL_TYPES = {"image": ["png", "jpeg", "gif", "webp"]}
ACTIVE_SVG_ELEMENTS = {
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
    "audio",
    "video",
}
# svg-hush turns a reference to another origin into a path on ours (`/x.png`); a badge needs
# neither: only references inside the document (`#id`) and raster data: URLs are kept. Its
# output is normalised (double-quoted, escaped attribute values), which these rely on.
OUTSIDE_REFERENCE_ATTR = re.compile(
    r'\s(?:href|src)="(?!#|data:image/(?:png|jpeg|gif|webp)[;,])[^"]*"', re.IGNORECASE
)
OUTSIDE_CSS_URL = re.compile(r"url\(\s*(?!['\"]?\s*#)[^)]*\)", re.IGNORECASE)
SAFE_REFERENCE = re.compile(r"^\s*(#|data:image/(png|jpeg|gif|webp)[;,])", re.IGNORECASE)
CSS_REFERENCE = re.compile(r"@import|url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


def sanitize_svg(content):
    """The SVG `content` (bytes) with everything active or external removed.

    Raises ValidationError when the file cannot be read as SVG. Idempotent: cleaning a clean
    file gives the same bytes.
    """
    from py_svg_hush import filter_svg

    try:
        clean = filter_svg(bytes(content), SVG_DATA_URL_TYPES).decode("utf-8")
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            _("Ce fichier n'est pas une image PNG ou SVG lisible."), code="unreadable"
        ) from exc
    clean = OUTSIDE_REFERENCE_ATTR.sub("", clean)
    return OUTSIDE_CSS_URL.sub("none", clean).encode("utf-8")


def _local(name):
    return name.rsplit("}", 1)[-1].lower()


def svg_threats(content):
    """What in an SVG could run script or reach another origin: a list of short English
    descriptions, empty when the file is clean. Used to flag stored files; the fix is
    sanitize_svg, not this list."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(bytes(content))
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return ["unreadable or uses XML entities"]
    threats = []
    for element in root.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag in ACTIVE_SVG_ELEMENTS:
            threats.append(f"<{tag}> element")
        if tag == "style" and CSS_REFERENCE.search(element.text or ""):
            threats.append("external reference in <style>")
        for name, value in element.attrib.items():
            attr = _local(name)
            if attr.startswith("on"):
                threats.append(f"{attr} event handler")
            elif attr in {"href", "src"} and "javascript:" in re.sub(r"\s", "", value).lower():
                threats.append(f"javascript: URL in {attr}")
            elif attr in {"href", "src"} and not SAFE_REFERENCE.match(value):
                threats.append(f"external reference in {attr}")
            elif attr == "style" and CSS_REFERENCE.search(value):
                threats.append("external reference in style")
            elif attr == "attributename" and (
                value.lower().startswith("on") or _local(value) == "href"
            ):
                threats.append(f"animation of {value}")
    return threats


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


def _svg_size(content):
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(content)
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
        # What is measured is what will be stored: the sanitised file (BadgeImageField).
        size = _svg_size(sanitize_svg(upload.read()))
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
