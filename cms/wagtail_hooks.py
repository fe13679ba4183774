from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from cotraining.admin_views import TerritoryScopedPolicy
from cotraining.exceptions import ServiceError

from . import services
from .forms import ContentReportAdminForm
from .models import ContentReport


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    actions.register_action(services.REPORT_CONTENT, _("Contenu signalé"), _("Contenu signalé"))
    actions.register_action(
        services.HANDLE_REPORT, _("Signalement traité"), _("Signalement traité")
    )


# --- Reports of inappropriate content -------------------------------------------------------


class ContentReportPermissionPolicy(TerritoryScopedPolicy):
    """Reports come from the site (cms.services.report_content), never from the admin, and
    stay as the trace of what was decided: nobody adds or deletes one here. A coordinator sees
    and handles only the reports of the académies they coordinate (services.reports_visible_to).
    """

    forbidden = ("add", "delete")

    def scope(self, user):
        return services.reports_visible_to(user=user)


# Registered here rather than on the viewset (Wagtail 8 deprecates the viewset attribute).
register_permission_policy(ContentReport, ContentReportPermissionPolicy(ContentReport))


class VisibleReportsMixin:
    """Views of one report: a report outside the person's académies is a 404."""

    def get_base_object_queryset(self):
        return self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ["view", "change"]
        )


class ContentReportIndexView(generic.IndexView):
    def get_base_queryset(self):
        return (
            self.permission_policy.instances_user_has_any_permission_for(
                self.request.user, ["view", "change"]
            )
            .select_related("page", "academie")
            .order_by("-created_at")
        )


class ContentReportEditView(generic.EditView):
    def get_queryset(self):
        return self.permission_policy.instances_user_has_permission_for(
            self.request.user, "change"
        ).select_related("page", "academie", "reporter", "handled_by")

    def save_instance(self):
        data = self.form.cleaned_data
        return services.handle_report(
            report=self.object,
            status=data["status"],
            note=data["resolution_note"],
            by=self.request.user,
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ServiceError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)


class ContentReportHistoryView(VisibleReportsMixin, HistoryView):
    pass


class ContentReportUsageView(VisibleReportsMixin, UsageView):
    pass


def live_page_link(report):
    """The reported page as a link to its public URL (plain title once unpublished)."""
    page = report.page
    url = page.url if page.live else None
    if not url:
        return page.title
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, page.title)


class ContentReportViewSet(ModelViewSet):
    model = ContentReport
    url_prefix = "signalements"
    icon = "warning"
    menu_label = _("Signalements")
    menu_order = 900
    add_to_admin_menu = True
    copy_view_enabled = False
    index_view_class = ContentReportIndexView
    edit_view_class = ContentReportEditView
    history_view_class = ContentReportHistoryView
    usage_view_class = ContentReportUsageView
    list_display = [
        "reason",
        Column("page", label=_("Page signalée"), accessor=live_page_link),
        "academie",
        "status",
        "created_at",
    ]
    list_filter = ["status", "reason"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("page", read_only=True),
                    FieldPanel("reason", read_only=True),
                    FieldPanel("message", read_only=True),
                    FieldPanel("reporter", read_only=True),
                    FieldPanel("created_at", read_only=True),
                ],
                heading=_("Signalement"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("status"),
                    FieldPanel("resolution_note"),
                    FieldPanel("handled_by", read_only=True),
                    FieldPanel("handled_at", read_only=True),
                ],
                heading=_("Suite donnée"),
            ),
        ],
        base_form_class=ContentReportAdminForm,
    )


@hooks.register("register_admin_viewset")
def register_viewsets():
    return ContentReportViewSet("contentreport")
