from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page


class HomePage(Page):
    """The site's root page: what Entrepairs is, for whom, and where to start."""

    intro = RichTextField(_("introduction"), blank=True)
    body = StreamField(
        [
            ("heading", blocks.CharBlock(label=_("Titre"), form_classname="title")),
            ("paragraph", blocks.RichTextBlock(label=_("Paragraphe"))),
        ],
        blank=True,
        verbose_name=_("contenu"),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("page d'accueil")


@register_setting(icon="site")
class PlatformSettings(BaseSiteSetting):
    """Which académie this site serves: its name is shown in the header."""

    academie = models.ForeignKey(
        "cotraining.Academie",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("académie"),
    )
    tagline = models.CharField(
        _("accroche"),
        max_length=200,
        blank=True,
        default=_("Co-formation entre pairs et reconnaissance des compétences"),
    )

    panels = [FieldPanel("academie"), FieldPanel("tagline")]

    class Meta:
        verbose_name = _("paramètres de la plateforme")
