"""A person's place on a session, what they attended, what they completed, what they were told.

Every row here is state that must survive page revisions, so none of it lives on a page. The rules
(capacity, waiting list, approval, completion) are in cotraining.services.enrollments.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import (
    ACTIVE_ENROLLMENT_STATUSES,
    Attendance,
    EnrollmentStatus,
    NotificationKind,
    NotificationStatus,
    SessionStatus,
)
from .pages import WorkshopPage
from .sessions import Session


class EnrollmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_ENROLLMENT_STATUSES)

    def with_waitlist_position(self):
        """Annotate `waitlist_position` (1 = next in line) on waitlisted rows, in one query.

        The queue order is (waitlisted_at, id): the id breaks ties between people who joined in
        the same microsecond, so positions are always 1..n without gaps or repeats.
        """
        ahead = (
            Enrollment.objects.filter(
                session=OuterRef("session"), status=EnrollmentStatus.WAITLISTED
            )
            .filter(
                Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
                | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lt=OuterRef("pk"))
            )
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            waitlist_position=models.Case(
                models.When(
                    status=EnrollmentStatus.WAITLISTED,
                    then=Coalesce(Subquery(ahead), Value(0)) + 1,
                ),
                default=None,
                output_field=models.IntegerField(),
            )
        )

    def counted_for(self, *, user, workshop):
        """The enrolments that count towards a person's completion of a workshop: confirmed,
        marked present or partly present, on a session that was held: over, not cancelled (a
        check-in before the start is presence, not yet training done).
        Completion, its certificate and its badge evidence all read this one definition."""
        return self.filter(
            user=user,
            session__workshop=workshop,
            session__end__lte=timezone.now(),
            status=EnrollmentStatus.CONFIRMED,
            attendance__in=[Attendance.PRESENT, Attendance.PARTIAL],
        ).exclude(session__status=SessionStatus.CANCELLED)

    def waiting_queue(self):
        """The waiting list of the sessions in scope, first in line first."""
        return self.filter(status=EnrollmentStatus.WAITLISTED).order_by("waitlisted_at", "pk")


class Enrollment(models.Model):
    """One person on one session: waiting for approval, confirmed, waitlisted, refused or cancelled.

    One row per person and session whatever happens: cancelling and enrolling again reuses it, so
    the history is in the audit log and the uniqueness holds in the database.
    """

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("séance")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("personne"),
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.CONFIRMED,
    )
    waitlisted_at = models.DateTimeField(_("en liste d'attente depuis"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accord donné ou refusé par"),
    )
    decided_at = models.DateTimeField(_("accord donné ou refusé le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulée par"),
    )
    attendance = models.CharField(
        _("présence"), max_length=10, choices=Attendance.choices, blank=True
    )
    hours_attended = models.DecimalField(
        _("heures suivies"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    checked_in_at = models.DateTimeField(_("émargement en ligne le"), null=True, blank=True)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("présence relevée par"),
    )
    attendance_recorded_at = models.DateTimeField(_("présence relevée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="enrollment_unique_person"),
            models.CheckConstraint(
                condition=Q(status=EnrollmentStatus.WAITLISTED, waitlisted_at__isnull=False)
                | ~Q(status=EnrollmentStatus.WAITLISTED),
                name="enrollment_waitlist_has_time",
            ),
            models.CheckConstraint(
                condition=Q(hours_attended__isnull=True) | Q(hours_attended__gte=0),
                name="enrollment_hours_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"], name="enrollment_session_status"),
            models.Index(
                fields=["session", "waitlisted_at"],
                name="enrollment_waiting_queue",
                condition=Q(status=EnrollmentStatus.WAITLISTED),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.session}"

    @property
    def is_active(self):
        return self.status in ACTIVE_ENROLLMENT_STATUSES

    @property
    def attended(self):
        return self.attendance in (Attendance.PRESENT, Attendance.PARTIAL)


class Completion(models.Model):
    """A person completed a workshop: attended the required share of its sessions.

    Announced to the rest of the platform by cotraining.signals.workshop_completed; the badges
    layer awards from it. One row per person and workshop (idempotent).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="completions",
        verbose_name=_("personne"),
    )
    workshop = models.ForeignKey(
        WorkshopPage,
        on_delete=models.PROTECT,
        related_name="completions",
        verbose_name=_("atelier"),
    )
    hours = models.DecimalField(_("heures suivies"), max_digits=6, decimal_places=2)
    sessions_attended = models.PositiveSmallIntegerField(_("séances suivies"))
    completed_at = models.DateTimeField(_("validé le"))
    # The school year of the last session attended (YYYY-YYYY): totals per year in "Mon parcours".
    school_year = models.CharField(_("année scolaire"), max_length=9)
    certificate_number = models.CharField(
        _("numéro d'attestation"), max_length=32, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("atelier validé")
        verbose_name_plural = _("ateliers validés")
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "workshop"], name="completion_unique_person"),
        ]

    def __str__(self):
        return f"{self.user} — {self.workshop.title}"

    def save(self, *args, **kwargs):
        if not self.certificate_number:
            self.certificate_number = f"EP-{secrets.token_hex(6).upper()}"
        super().save(*args, **kwargs)


class NotificationQuerySet(models.QuerySet):
    def due(self):
        return self.filter(status=NotificationStatus.PENDING)


class Notification(models.Model):
    """One email owed to one person about one enrolment; sent once, retried, failures visible.

    The unique key (enrolment, recipient, kind, key) is what makes sending idempotent: a reminder
    is keyed by the session's start, a change notice by the invitation's sequence, a convocation
    by the confirmation time. Beat running twice or a worker retrying finds the row already there.
    """

    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("inscription"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("destinataire"),
    )
    kind = models.CharField(_("type"), max_length=30, choices=NotificationKind.choices)
    key = models.CharField(_("clé"), max_length=64, blank=True)
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "recipient", "kind", "key"], name="notification_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status")]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


def new_feed_token():
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private iCalendar feed: the secret token is the only credential; reset revokes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("personne"),
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(_("créé le"), auto_now=True)

    class Meta:
        verbose_name = _("agenda personnel")
        verbose_name_plural = _("agendas personnels")

    def __str__(self):
        return str(self.user)
