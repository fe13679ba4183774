"""Workshops as Wagtail pages: the catalogue (and its académie sections) and the workshop itself.

A workshop's description is page content that goes through revisions and moderation; its sessions
and the people enrolled are operational state that must survive every revision, unpublishing or
move of the page, so they are plain models (.sessions, .enrollments) pointing at the page with
on_delete=PROTECT.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from ..blocks import WorkshopBodyBlock
from ..constants import Degree, EnrollmentMode, Modality, Role, Theme, TrainingPlan
from ..panels import SessionsPanel
from ..validators import validate_school_year
from .reference import Competence, Discipline
from .territory import Academie, Departement


class WorkshopIndexPage(Page):
    """The catalogue of upcoming workshops: every workshop below it, filtered and searchable.

    The site's catalogue (/ateliers/) holds one section per académie; a section is itself a
    catalogue restricted to its workshops, and the unit that page permissions and the moderation
    workflow apply to. Its template renders the listing (`{% workshop_catalogue page %}`, from
    cotraining.catalogue): the catalogue reads these models, so they never import it.
    """

    intro = models.TextField(_("introduction"), blank=True)
    academie = models.ForeignKey(
        Academie,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workshop_sections",
        verbose_name=_("académie"),
        help_text=_("Vide pour le catalogue général ; renseignée pour la section d'une académie."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("academie")]
    parent_page_types = ["cms.HomePage", "cotraining.WorkshopIndexPage"]
    subpage_types = ["cotraining.WorkshopIndexPage", "cotraining.WorkshopPage"]
    page_description = _("Catalogue des ateliers, ou section d'une académie.")

    class Meta:
        verbose_name = _("catalogue d'ateliers")
        verbose_name_plural = _("catalogues d'ateliers")


class WorkshopPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "cotraining.WorkshopPage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class WorkshopPageForm(WagtailAdminPageForm):
    """Cross-field rules a trainer gets told about in the admin form, nothing saved."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.section_academie = self._section_academie()
        trainers = self.fields["trainers"].queryset.filter(role_assignments__role=Role.TRAINER)
        if self.section_academie is not None:
            trainers = trainers.filter(role_assignments__academie=self.section_academie)
            if not self.instance.academie_id and not self.initial.get("academie"):
                # The model form's initial already holds academie=None: replace it.
                self.initial["academie"] = self.section_academie.pk
            self.fields["academie"].queryset = Academie.objects.filter(pk=self.section_academie.pk)
            # The académie's few départements as boxes to tick, not the country's 101 in a list.
            # (the widget first: setting the queryset hands its choices to the widget)
            self.fields["departements"].widget = forms.CheckboxSelectMultiple()
            self.fields["departements"].queryset = Departement.objects.filter(
                academie=self.section_academie
            ).order_by("code")
        # The académie's trainers as boxes to tick, with a search box above them
        # (cotraining/static/cotraining/admin-filter-choices.js), not every user in a select.
        self.fields["trainers"].widget = forms.CheckboxSelectMultiple(
            attrs={"data-filter-placeholder": _("Rechercher un formateur")}
        )
        self.fields["trainers"].queryset = trainers.distinct().order_by("last_name", "first_name")

    def _section_academie(self):
        """The académie of the nearest catalogue section above the page, if any."""
        parent = self.parent_page
        if parent is None:
            return None
        sections = WorkshopIndexPage.objects.ancestor_of(parent, inclusive=True).filter(
            academie__isnull=False
        )
        section = sections.order_by("-depth").select_related("academie").first()
        return section.academie if section else None

    def clean(self):
        cleaned = super().clean()
        academie = cleaned.get("academie")
        if self.section_academie is not None and academie not in (None, self.section_academie):
            self.add_error(
                "academie",
                _("Un atelier de cette section appartient à l'académie de %(name)s.")
                % {"name": self.section_academie.name},
            )
        plan = cleaned.get("training_plan")
        if (cleaned.get("plan_identifier") or cleaned.get("school_year")) and not plan:
            self.add_error(
                "training_plan",
                _("Choisissez le plan (PAF ou PDF) auquel cet identifiant se rapporte."),
            )
        if plan and not cleaned.get("school_year"):
            self.add_error("school_year", _("Indiquez l'année scolaire du plan de formation."))
        return cleaned


class WorkshopPage(Page):
    """A co-training workshop: what it is for, for whom, how, and how it counts (PAF/PDF)."""

    summary = models.TextField(
        _("résumé"), max_length=400, help_text=_("Deux ou trois phrases, affichées au catalogue.")
    )
    body = StreamField(WorkshopBodyBlock(), blank=True, verbose_name=_("contenu"))
    theme = models.CharField(_("thème"), max_length=20, choices=Theme.choices)
    degree = models.CharField(
        _("degré"),
        max_length=1,
        choices=Degree.choices,
        blank=True,
        help_text=_("Vide : ouvert aux deux degrés."),
    )
    disciplines = ParentalManyToManyField(
        Discipline,
        blank=True,
        related_name="workshops",
        verbose_name=_("disciplines"),
        help_text=_("Aucune : toutes disciplines."),
    )
    modality = models.CharField(_("modalité"), max_length=20, choices=Modality.choices)
    competences = ParentalManyToManyField(
        Competence, blank=True, related_name="workshops", verbose_name=_("compétences visées")
    )
    duration_hours = models.DecimalField(
        _("durée totale (heures)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    training_plan = models.CharField(
        _("plan de formation"), max_length=3, choices=TrainingPlan.choices, blank=True
    )
    plan_identifier = models.CharField(
        _("identifiant du dispositif"),
        max_length=60,
        blank=True,
        help_text=_("Tel qu'il figure dans GAIA (dispositif / module), par exemple 26A0130012."),
    )
    school_year = models.CharField(
        _("année scolaire"),
        max_length=9,
        blank=True,
        validators=[validate_school_year],
        help_text=_("Par exemple 2026-2027."),
    )
    academie = models.ForeignKey(
        Academie,
        on_delete=models.PROTECT,
        related_name="workshops",
        verbose_name=_("académie"),
    )
    departements = ParentalManyToManyField(
        Departement,
        blank=True,
        related_name="workshops",
        verbose_name=_("départements"),
        help_text=_("Aucun : toute l'académie."),
    )
    trainers = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="workshops_trained",
        verbose_name=_("formateurs"),
    )
    tags = ClusterTaggableManager(through=WorkshopPageTag, blank=True, verbose_name=_("mots-clés"))
    approval_required = models.BooleanField(
        _("accord du supérieur hiérarchique requis"),
        default=False,
        help_text=_("L'inscription doit être validée par le chef d'établissement ou l'IEN."),
    )
    enrollment_mode = models.CharField(
        _("inscription"),
        max_length=10,
        choices=EnrollmentMode.choices,
        default=EnrollmentMode.PER_SESSION,
    )
    completion_threshold = models.PositiveSmallIntegerField(
        _("présence requise pour valider (%)"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Parcours en plusieurs dates : part des séances à suivre pour valider l'atelier "
            "(100 : toutes)."
        ),
    )

    base_form_class = WorkshopPageForm
    parent_page_types = ["cotraining.WorkshopIndexPage"]
    subpage_types = []

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("theme"),
                FieldRowPanel([FieldPanel("degree"), FieldPanel("modality")]),
                FieldPanel("disciplines"),
                FieldPanel("competences"),
                FieldPanel("duration_hours"),
            ],
            heading=_("Public et objectifs"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("academie"),
                FieldPanel("departements"),
                FieldPanel("trainers"),
                FieldPanel("approval_required"),
            ],
            heading=_("Territoire et formateurs"),
        ),
        MultiFieldPanel(
            [FieldPanel("enrollment_mode"), FieldPanel("completion_threshold")],
            heading=_("Inscription et validation"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("training_plan"), FieldPanel("school_year")]),
                FieldPanel("plan_identifier"),
            ],
            heading=_("Plan de formation (PAF / PDF)"),
        ),
        FieldPanel("tags"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Contenu")),
            ObjectList([SessionsPanel(heading=_("Séances"))], heading=_("Séances")),
            ObjectList(Page.promote_panels, heading=_("Promotion")),
            ObjectList(Page.settings_panels, heading=_("Paramètres")),
        ]
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("plan_identifier"),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.RelatedFields("competences", [index.SearchField("name")]),
        index.FilterField("theme"),
        index.FilterField("modality"),
        index.FilterField("degree"),
    ]

    class Meta:
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sessions = list(
            self.sessions.select_related("establishment").with_seats().order_by("start")
        )
        mine = self._enrollments_of(request.user)
        for session in sessions:
            session.mine = mine.get(session.pk)  # the visitor's enrolment, if any
        context["sessions"] = sessions
        context["enrolled"] = any(e.is_active for e in mine.values())
        context["trainers"] = self.trainers.all()
        context["competences"] = self.competences.all()
        context["disciplines"] = self.disciplines.all()
        context["departements"] = self.departements.all()
        context["tags"] = self.tags.all()
        context["now"] = timezone.now()
        return context

    def _enrollments_of(self, user):
        """The visitor's own enrolments on this workshop's sessions, by session id."""
        if not user.is_authenticated:
            return {}
        rows = user.enrollments.filter(session__workshop=self).with_waitlist_position()
        return {row.session_id: row for row in rows}
