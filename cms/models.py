from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cotraining.constants import Degree, Theme

from .blocks import StandardBodyBlock
from .constants import Licence


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


# --- Site pages: resources, RETEX, standard pages -------------------------------------------


class StandardPage(Page):
    """Any other page of the site (legal notices, accessibility statement, about)."""

    intro = models.TextField(_("introduction"), blank=True)
    body = StreamField(StandardBodyBlock(), blank=True, verbose_name=_("contenu"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    class Meta:
        verbose_name = _("page standard")


class ResourceIndexPage(Page):
    """The shared resources and experience reports; one section per académie below it."""

    intro = models.TextField(_("introduction"), blank=True)
    academie = models.ForeignKey(
        "cotraining.Academie",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resource_sections",
        verbose_name=_("académie"),
        help_text=_(
            "Vide pour la médiathèque générale ; renseignée pour la section d'une académie."
        ),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("academie")]
    parent_page_types = ["cms.HomePage", "cms.ResourceIndexPage"]
    subpage_types = ["cms.ResourceIndexPage", "cms.ResourcePage", "cms.RetexPage"]

    class Meta:
        verbose_name = _("médiathèque")
        verbose_name_plural = _("médiathèques")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        descendants = Page.objects.live().public().descendant_of(self)
        resources = (
            ResourcePage.objects.filter(pk__in=descendants.type(ResourcePage).values("pk"))
            .select_related("document")
            .order_by("-first_published_at")
        )
        retex = RetexPage.objects.filter(pk__in=descendants.type(RetexPage).values("pk")).order_by(
            "-first_published_at"
        )
        context["resources"] = Paginator(resources, 24).get_page(request.GET.get("page"))
        context["retex_pages"] = retex[:12]
        return context


class ResourcePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "cms.ResourcePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ResourcePageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        needed = {
            ResourcePage.Kind.DOCUMENT: ("document", _("Choisissez le document à partager.")),
            ResourcePage.Kind.LINK: ("link_url", _("Indiquez l'adresse du site ou de l'outil.")),
            ResourcePage.Kind.VIDEO: ("link_url", _("Indiquez l'adresse de la vidéo.")),
        }
        if kind in needed:
            field, message = needed[kind]
            if not cleaned.get(field):
                self.add_error(field, message)
        return cleaned


class ResourcePage(Page):
    """A shared resource: a document, a link or a video, with its licence and audience."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        LINK = "link", _("Lien")
        VIDEO = "video", _("Vidéo")

    kind = models.CharField(_("type de ressource"), max_length=20, choices=Kind.choices)
    description = RichTextField(_("description"), features=["bold", "italic", "ul", "ol", "link"])
    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    # Not `url`: Page.url is the page's own address.
    link_url = models.URLField(_("adresse"), blank=True)
    licence = models.CharField(
        _("licence"), max_length=20, choices=Licence.choices, default=Licence.CC_BY_SA
    )
    degree = models.CharField(
        _("degré"),
        max_length=1,
        choices=Degree.choices,
        blank=True,
        help_text=_("Vide : les deux."),
    )
    disciplines = ParentalManyToManyField(
        "cotraining.Discipline", blank=True, related_name="+", verbose_name=_("disciplines")
    )
    competences = ParentalManyToManyField(
        "cotraining.Competence", blank=True, related_name="+", verbose_name=_("compétences")
    )
    authors = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("auteurs")
    )
    other_authors = models.CharField(
        _("autres auteurs"),
        max_length=255,
        blank=True,
        help_text=_("Auteurs sans compte sur la plateforme, séparés par des virgules."),
    )
    academie = models.ForeignKey(
        "cotraining.Academie",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("académie"),
    )
    workshops = ParentalManyToManyField(
        "cotraining.WorkshopPage",
        blank=True,
        related_name="resources",
        verbose_name=_("ateliers liés"),
        help_text=_("La ressource s'affiche sur la page de ces ateliers."),
    )
    tags = ClusterTaggableManager(through=ResourcePageTag, blank=True, verbose_name=_("mots-clés"))

    base_form_class = ResourcePageForm
    parent_page_types = ["cms.ResourceIndexPage"]
    subpage_types = []
    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("description"),
        FieldPanel("document"),
        FieldPanel("link_url"),
        FieldPanel("licence"),
        MultiFieldPanel(
            [
                FieldPanel("degree"),
                FieldPanel("disciplines"),
                FieldPanel("competences"),
                FieldPanel("academie"),
                FieldPanel("workshops"),
            ],
            heading=_("Public et compétences"),
        ),
        MultiFieldPanel([FieldPanel("authors"), FieldPanel("other_authors")], heading=_("Auteurs")),
        FieldPanel("tags"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("description"),
        index.SearchField("other_authors"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]

    class Meta:
        verbose_name = _("ressource")
        verbose_name_plural = _("ressources")

    @property
    def target_url(self):
        return self.document.url if self.document_id else self.link_url


class ActionPlanItemBlock(blocks.StructBlock):
    what = blocks.CharBlock(label=_("Quoi"), max_length=300)
    # A context, or Wagtail's own French catalogue turns the word into the verb "Commenter".
    how = blocks.TextBlock(label=pgettext_lazy("action plan: how", "Comment"), required=False)
    who = blocks.CharBlock(label=_("Qui"), required=False, max_length=200)
    when = blocks.CharBlock(label=_("Quand"), required=False, max_length=100)
    indicators = blocks.TextBlock(label=_("Indicateurs"), required=False)

    class Meta:
        icon = "tasks"
        label = _("action")


RETEX_FEATURES = ["bold", "italic", "ul", "ol", "link"]


class RetexPage(Page):
    """A structured experience report (retour d'expérience) of a workshop or a school project."""

    theme = models.CharField(_("thème"), max_length=20, choices=Theme.choices)
    date = models.DateField(_("date de l'expérience"), null=True, blank=True)
    context = RichTextField(_("contexte"), features=RETEX_FEATURES)
    strong_points = RichTextField(_("points forts"), features=RETEX_FEATURES)
    irritants = RichTextField(_("irritants"), features=RETEX_FEATURES)
    needs = RichTextField(_("besoins"), features=RETEX_FEATURES, blank=True)
    improvement_axes = RichTextField(_("axes d'amélioration"), features=RETEX_FEATURES)
    action_plan = StreamField(
        [("action", ActionPlanItemBlock())], blank=True, verbose_name=_("plan d'action")
    )
    workshop = models.ForeignKey(
        "cotraining.WorkshopPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retex_pages",
        verbose_name=_("atelier concerné"),
    )
    academie = models.ForeignKey(
        "cotraining.Academie",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("académie"),
    )
    authors = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("auteurs")
    )

    parent_page_types = ["cms.ResourceIndexPage"]
    subpage_types = []
    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("theme"), FieldPanel("date")]),
        FieldPanel("context"),
        FieldPanel("strong_points"),
        FieldPanel("irritants"),
        FieldPanel("needs"),
        FieldPanel("improvement_axes"),
        FieldPanel("action_plan"),
        MultiFieldPanel(
            [FieldPanel("workshop"), FieldPanel("academie"), FieldPanel("authors")],
            heading=_("Rattachement"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("context"),
        index.SearchField("strong_points"),
        index.SearchField("irritants"),
        index.SearchField("needs"),
        index.SearchField("improvement_axes"),
    ]

    class Meta:
        verbose_name = _("retour d'expérience (RETEX)")
        verbose_name_plural = _("retours d'expérience (RETEX)")


# --- Reports of inappropriate content -------------------------------------------------------


class ContentReport(models.Model):
    """Someone flagged a public page; coordinators of its académie handle it in the admin."""

    class Reason(models.TextChoices):
        INAPPROPRIATE = "inappropriate", _("Contenu inapproprié ou offensant")
        INACCURATE = "inaccurate", _("Information erronée ou obsolète")
        PERSONAL_DATA = "personal_data", _("Données personnelles exposées")
        COPYRIGHT = "copyright", _("Atteinte au droit d'auteur")
        SPAM = "spam", _("Publicité ou spam")
        OTHER = "other", _("Autre")

    class Status(models.TextChoices):
        OPEN = "open", _("À traiter")
        RESOLVED = "resolved", _("Traité")
        DISMISSED = "dismissed", _("Sans suite")

    page = models.ForeignKey(
        Page, on_delete=models.CASCADE, related_name="content_reports", verbose_name=_("page")
    )
    academie = models.ForeignKey(
        "cotraining.Academie",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("académie"),
    )
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices)
    message = models.TextField(_("précisions"), max_length=2000, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signalé par"),
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    resolution_note = models.TextField(_("suite donnée"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("traité par"),
    )
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    created_at = models.DateTimeField(_("signalé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="report_status_created")]

    def __str__(self):
        return f"{self.page.title} — {self.get_reason_display()}"
