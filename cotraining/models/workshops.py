"""Workshops (Wagtail pages: what is offered), their sessions and enrolments (plain models).

A workshop's description is page content that goes through revisions and moderation; its sessions
and the people enrolled are operational state that must survive every revision, unpublishing or
move of the page, so they are plain models pointing at the page with on_delete=PROTECT.
"""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q
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
from ..constants import (
    Degree,
    EnrollmentMode,
    EnrollmentStatus,
    Modality,
    Role,
    SessionStatus,
    Theme,
    TrainingPlan,
)
from ..panels import SessionsPanel
from .people import Academie, Competence, Departement, Discipline, Establishment

SCHOOL_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


def validate_school_year(value):
    match = SCHOOL_YEAR_RE.match(value or "")
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValidationError(
            _("Indiquez l'année scolaire sous la forme 2026-2027."), code="school_year"
        )


class WorkshopIndexPage(Page):
    """The catalogue of upcoming workshops: every workshop below it, filtered and searchable.

    The site's catalogue (/ateliers/) holds one section per académie; a section is itself a
    catalogue restricted to its workshops, and the unit that page permissions and the moderation
    workflow apply to.
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

    def get_context(self, request, *args, **kwargs):
        # filters.py imports this module: a late import avoids the cycle.
        from ..filters import catalogue_context

        context = super().get_context(request, *args, **kwargs)
        context.update(catalogue_context(request, index_page=self))
        return context


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

    @property
    def in_training_plan(self):
        return bool(self.training_plan)

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
        from .enrollments import Enrollment  # defined after this module

        rows = Enrollment.objects.filter(user=user, session__workshop=self).with_waitlist_position()
        return {row.session_id: row for row in rows}


class SessionQuerySet(models.QuerySet):
    def with_seats(self):
        """Annotate `confirmed` (people holding a seat) and `seats_left` in the same query."""
        return self.annotate(
            confirmed=Count(
                "enrollments", filter=Q(enrollments__status=EnrollmentStatus.CONFIRMED)
            ),
        ).annotate(seats_left=F("capacity") - F("confirmed"))

    def upcoming(self, now=None):
        return self.filter(status=SessionStatus.SCHEDULED, start__gt=now or timezone.now())

    def with_free_seats(self):
        return self.with_seats().filter(seats_left__gt=0)


class Session(models.Model):
    """One occurrence of a workshop: when, where (or the visio link), how many seats."""

    workshop = models.ForeignKey(
        WorkshopPage,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("atelier"),
    )
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    modality = models.CharField(_("modalité"), max_length=20, choices=Modality.choices)
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("établissement d'accueil"),
    )
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    room = models.CharField(_("salle"), max_length=100, blank=True)
    visio_url = models.URLField(
        _("lien de visioconférence"),
        blank=True,
        help_text=_("Communiqué aux seules personnes inscrites."),
    )
    capacity = models.PositiveIntegerField(_("nombre de places"), validators=[MinValueValidator(1)])
    enrollment_opens = models.DateTimeField(_("ouverture des inscriptions"), null=True, blank=True)
    enrollment_closes = models.DateTimeField(
        _("clôture des inscriptions"),
        null=True,
        blank=True,
        help_text=_("Vide : jusqu'au début de la séance."),
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancellation_reason = models.CharField(_("motif d'annulation"), max_length=255, blank=True)
    # iCalendar SEQUENCE: raised whenever what an invitation says (time, place, link) changes.
    ical_sequence = models.PositiveIntegerField(_("version de l'invitation"), default=0)
    # Seed of the rotating check-in code (TOTP); created the first time the code is shown.
    checkin_secret = models.CharField(max_length=32, blank=True, editable=False)
    # When completion was worked out for its participants, once it had ended (beat's
    # complete_ended_sessions): the database remembers what is still owed.
    completion_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["status", "start"], name="session_status_start"),
            # A workshop's upcoming sessions: the catalogue's EXISTS and next-session lookups.
            models.Index(fields=["workshop", "status", "start"], name="session_workshop_upcoming"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="session_end_after_start",
                violation_error_message=_("La fin de la séance doit suivre son début."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="session_capacity_positive",
                violation_error_message=_("Le nombre de places doit être au moins 1."),
            ),
            models.CheckConstraint(
                condition=Q(enrollment_closes__isnull=True) | Q(enrollment_closes__lte=F("start")),
                name="session_enrollment_closes_before_start",
                violation_error_message=_(
                    "Les inscriptions doivent être closes au plus tard au début de la séance."
                ),
            ),
            models.CheckConstraint(
                condition=Q(enrollment_opens__isnull=True)
                | Q(enrollment_closes__isnull=True)
                | Q(enrollment_opens__lt=F("enrollment_closes")),
                name="session_enrollment_opens_before_closes",
                violation_error_message=_(
                    "L'ouverture des inscriptions doit précéder leur clôture."
                ),
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.start)
        return f"{self.workshop.title} — {start:%d/%m/%Y %H:%M}"

    def clean(self):
        super().clean()
        errors = {}
        remote = self.modality in (Modality.REMOTE, Modality.HYBRID)
        on_site = self.modality in (Modality.IN_PERSON, Modality.HYBRID)
        if remote and not self.visio_url:
            errors["visio_url"] = _("Une séance à distance ou hybride demande un lien de visio.")
        if on_site and not (self.establishment_id or self.address):
            errors["address"] = _(
                "Une séance en présentiel demande un lieu : un établissement ou une adresse."
            )
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("La fin de la séance doit suivre son début.")
        if self.start and self.enrollment_closes and self.enrollment_closes > self.start:
            errors["enrollment_closes"] = _(
                "Les inscriptions doivent être closes au plus tard au début de la séance."
            )
        if (
            self.enrollment_opens
            and self.enrollment_closes
            and self.enrollment_opens >= self.enrollment_closes
        ):
            errors["enrollment_opens"] = _(
                "L'ouverture des inscriptions doit précéder leur clôture."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_cancelled(self):
        return self.status == SessionStatus.CANCELLED

    @property
    def duration(self):
        return self.end - self.start

    @property
    def is_remote(self):
        return self.modality in (Modality.REMOTE, Modality.HYBRID)

    @property
    def hours(self):
        """Length in hours, as attendance counts it."""
        return Decimal(self.duration.total_seconds() / 3600).quantize(Decimal("0.01"))

    @property
    def venue(self):
        parts = [str(self.establishment) if self.establishment_id else "", self.address, self.room]
        return " — ".join(p for p in parts if p)


def upcoming_session_exists(now=None):
    """An EXISTS over a workshop's upcoming, scheduled sessions (for catalogue filters)."""
    return Exists(Session.objects.upcoming(now).filter(workshop=OuterRef("pk")))
