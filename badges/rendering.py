"""PNG renderings of SVG badge images, for the places that cannot show an SVG: the baked PNG a
holder downloads, emails, LinkedIn and link previews (OpenGraph / Twitter cards).

CairoSVG (Kozea, the WeasyPrint team) draws the image. The SVG was sanitised at upload
(badges/validators.py); the renderer still runs in its safe mode: it loads nothing outside the
document (only `data:` URLs), refuses XML entities and bounds the number of references.
"""

import cairosvg

# Wide enough for LinkedIn and OpenGraph previews (at least 400 px), small enough for emails.
PNG_WIDTH = 600


class RenderingError(ValueError):
    """The SVG cannot be drawn (malformed, or refers to what is not fetched)."""


def svg_to_png(svg, *, width=PNG_WIDTH):
    """The PNG drawing of `svg` (bytes), `width` pixels wide, its proportions kept."""
    try:
        return cairosvg.svg2png(bytestring=svg, output_width=width, unsafe=False)
    except Exception as exc:  # CairoSVG raises what its XML and CSS parsers raise
        raise RenderingError(str(exc)) from exc
