"""StreamField blocks of a workshop's description."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock


class AgendaItemBlock(blocks.StructBlock):
    time = blocks.CharBlock(label=_("horaire"), required=False, max_length=40)
    title = blocks.CharBlock(label=_("étape"), max_length=200)
    description = blocks.TextBlock(label=_("détail"), required=False)

    class Meta:
        icon = "time"
        label = _("étape du programme")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(label=_("intitulé"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        label = _("document")
        template = "cotraining/blocks/document.html"


class WorkshopBodyBlock(blocks.StreamBlock):
    objectives = blocks.ListBlock(
        blocks.CharBlock(max_length=300, label=_("objectif")),
        label=_("objectifs"),
        icon="tick",
        template="cotraining/blocks/objectives.html",
    )
    agenda = blocks.ListBlock(
        AgendaItemBlock(),
        label=_("programme"),
        icon="list-ol",
        template="cotraining/blocks/agenda.html",
    )
    prerequisites = blocks.RichTextBlock(
        label=_("prérequis"),
        features=["bold", "italic", "ul", "link"],
        template="cotraining/blocks/prerequisites.html",
    )
    paragraph = blocks.RichTextBlock(
        label=_("paragraphe"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link"]
    )
    image = ImageBlock(label=_("image"))
    video = EmbedBlock(
        label=_("vidéo"), help_text=_("Adresse de la vidéo (PeerTube, Dailymotion…)")
    )
    document = DocumentBlock()
