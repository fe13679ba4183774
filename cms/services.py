"""Use cases of the site layer. Views, tasks and the admin call these; they hold no rules."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Page

from cotraining.constants import Role
from cotraining.exceptions import TRANSIENT_ERRORS, ServiceError
from cotraining.models import WorkshopPage
from cotraining.origin import public_url

from .models import ContentReport, ResourcePage, RetexPage

# Audit-log action types, registered in wagtail_hooks.py.
REPORT_CONTENT = "entrepairs.report_content"
HANDLE_REPORT = "entrepairs.handle_report"

# What a visitor may flag: the pages that people of the académies publish.
REPORTABLE_PAGE_TYPES = (WorkshopPage, ResourcePage, RetexPage)
MESSAGE_MAX_LENGTH = ContentReport._meta.get_field("message").max_length


# --- Reports of inappropriate content -------------------------------------------------------


def reportable_pages():
    """The pages a report may be about: live workshops, resources and RETEX."""
    return Page.objects.live().type(*REPORTABLE_PAGE_TYPES)


def reports_visible_to(*, user):
    """The reports a person handles: every one for a platform admin (superuser), those of the
    académies they coordinate for a coordinator, none for anybody else."""
    if not (user.is_authenticated and user.is_active):
        return ContentReport.objects.none()
    if user.is_superuser:
        return ContentReport.objects.all()
    return ContentReport.objects.filter(
        academie__in=user.role_assignments.filter(role=Role.COORDINATOR).values("academie")
    )


def report_content(*, page, reason, message="", reporter=None):
    """Record that someone (anonymous when `reporter` is None) flags a public page, and tell
    the people who handle it once the report is saved.

    A signed-in person sending the same report again while it is still open gets the open one
    back: a double submission neither duplicates the report nor the email.
    """
    page = reportable_pages().filter(pk=page.pk).first()
    if page is None:
        raise ServiceError(
            "page_not_reportable",
            _("Seuls les ateliers, ressources et RETEX publiés peuvent être signalés."),
        )
    page = page.specific
    try:
        reason = ContentReport.Reason(reason)
    except ValueError:
        raise ServiceError("report_reason", _("Choisissez le motif du signalement.")) from None
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ServiceError(
            "report_message_too_long",
            _("Les précisions tiennent en %(max)d caractères au plus.")
            % {"max": MESSAGE_MAX_LENGTH},
        )
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    with transaction.atomic():
        if reporter is not None:
            existing = ContentReport.objects.filter(
                page=page, reporter=reporter, reason=reason, status=ContentReport.Status.OPEN
            ).first()
            if existing is not None:
                return existing
        report = ContentReport.objects.create(
            page=page,
            academie_id=page.academie_id,
            reason=reason,
            message=message,
            reporter=reporter,
        )
        log(report, REPORT_CONTENT, user=reporter, data={"page": page.pk, "reason": reason.value})
        send_report_notification.enqueue_on_commit(report.pk)
    return report


def handle_report(*, report, status, note="", by):
    """Close a report as resolved or dismissed, saying what was done. Only someone who sees the
    report (reports_visible_to) may; the same decision twice changes nothing."""
    try:
        status = ContentReport.Status(status)
    except ValueError:
        status = None
    if status not in (ContentReport.Status.RESOLVED, ContentReport.Status.DISMISSED):
        raise ServiceError(
            "report_status", _("Un signalement se clôt comme « Traité » ou « Sans suite ».")
        )
    note = (note or "").strip()
    with transaction.atomic():
        report = reports_visible_to(user=by).select_for_update().filter(pk=report.pk).first()
        if report is None:
            raise ServiceError(
                "report_forbidden",
                _("Ce signalement relève de la coordination d'une autre académie."),
            )
        if report.status == status and report.resolution_note == note:
            return report
        report.status = status
        report.resolution_note = note
        report.handled_by = by
        report.handled_at = timezone.now()
        report.save(update_fields=["status", "resolution_note", "handled_by", "handled_at"])
        log(report, HANDLE_REPORT, user=by, data={"status": status.value})
    return report


def report_recipients(*, academie):
    """Who hears of a report: the académie's coordinators; the platform admins when the
    académie has none (a report must always reach somebody)."""
    active = get_user_model().objects.filter(is_active=True)
    coordinators = (
        active.filter(role_assignments__role=Role.COORDINATOR, role_assignments__academie=academie)
        if academie is not None
        else active.none()
    )
    emails = set(coordinators.values_list("email", flat=True))
    if not emails:
        emails = set(active.filter(is_superuser=True).values_list("email", flat=True))
    return sorted(email for email in emails if email)


@shared_task(
    name="cms.tasks.send_report_notification",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=60,
    soft_time_limit=50,
)
def send_report_notification(report_id):
    """Email the coordinators of a new content report; nothing when the report is gone."""
    report = ContentReport.objects.select_related("page", "academie").filter(pk=report_id).first()
    if report is None:
        return 0
    return email_report(report=report)


def email_report(*, report):
    """Email the people who handle `report` (run by send_report_notification)."""
    recipients = report_recipients(academie=report.academie)
    if not recipients:
        return 0
    # The coordinators read French, whatever language the reporter browsed in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Entrepairs] Contenu signalé : %(title)s") % {"title": report.page.title}
        lines = [
            _("Une page de votre académie a été signalée."),
            "",
            _("Page : %(title)s") % {"title": report.page.title},
            _("Adresse : %(url)s") % {"url": report.page.get_full_url() or "-"},
            _("Motif : %(reason)s") % {"reason": report.get_reason_display()},
            _("Précisions : %(message)s") % {"message": report.message or "-"},
        ]
        admin_url = _report_admin_url(report)
        if admin_url:
            lines += ["", _("Traiter le signalement : %(url)s") % {"url": admin_url}]
        send_mail(subject, "\n".join(lines), None, recipients)
    return len(recipients)


def _report_admin_url(report):
    try:
        path = reverse("contentreport:edit", args=[report.pk])
    except NoReverseMatch:  # the admin viewset is not registered (e.g. a stripped-down site)
        return ""
    return public_url(path)
