"""Sessions: the dated occurrences of a workshop, with their place and seats (plain models)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import EnrollmentStatus, Modality, SessionStatus
from .pages import WorkshopPage
from .territory import Establishment


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
    def hours(self):
        """Length in hours, as attendance counts it."""
        return Decimal(self.duration.total_seconds() / 3600).quantize(Decimal("0.01"))

    @property
    def venue(self):
        parts = [str(self.establishment) if self.establishment_id else "", self.address, self.room]
        return " — ".join(p for p in parts if p)
