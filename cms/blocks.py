"""Blocks shared by the site's pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class StandardBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("Titre"), form_classname="title")
    paragraph = blocks.RichTextBlock(label=_("Paragraphe"))
    image = ImageBlock(label=_("image"))
