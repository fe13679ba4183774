import io

import pytest
from PIL import Image

from badges.rendering import RenderingError, svg_to_png

BADGE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
    b'<circle cx="50" cy="50" r="40" fill="#000091"/></svg>'
)


def test_an_svg_badge_is_drawn_as_a_png_of_the_width_asked():
    png = svg_to_png(BADGE, width=300)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (300, 300)
    # The circle is drawn: the centre is the DSFR blue, the corner is transparent.
    assert image.convert("RGBA").getpixel((150, 150))[:3] == (0, 0, 145)
    assert image.convert("RGBA").getpixel((2, 2))[3] == 0


def test_nothing_outside_the_document_is_fetched(tmp_path):
    secret = tmp_path / "secret.png"
    Image.new("RGB", (10, 10), "red").save(secret)
    hostile = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        b' width="10" height="10"><image xlink:href="file://' + str(secret).encode() + b'"'
        b' width="10" height="10"/></svg>'
    )
    try:
        png = svg_to_png(hostile, width=10)
    except RenderingError:
        return  # refused outright: fine
    # Or drawn without the file: nothing red in it.
    pixels = Image.open(io.BytesIO(png)).convert("RGBA").getdata()
    assert all(pixel[3] == 0 for pixel in pixels)


def test_xml_entities_are_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>'
    )
    with pytest.raises(RenderingError):
        svg_to_png(bomb, width=10)


def test_a_malformed_svg_is_a_rendering_error():
    with pytest.raises(RenderingError):
        svg_to_png(b"<svg", width=10)
