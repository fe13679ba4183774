from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm
from wagtail.admin.forms import WagtailAdminModelForm

from .models import ContentReport


class ContentReportForm(DsfrBaseForm):
    """What a visitor says when flagging a page; cms.services.report_content records it."""

    reason = forms.ChoiceField(
        label=_("Motif du signalement"),
        choices=ContentReport.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le motif du signalement.")},
    )
    message = forms.CharField(
        label=_("Précisions"),
        required=False,
        max_length=ContentReport._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Ce qui pose problème et où, dans la page. Ne recopiez pas ici de données personnelles."
        ),
    )


class ContentReportAdminForm(WagtailAdminModelForm):
    """Handling a report in the admin: close it as resolved or dismissed, with a note."""

    status = forms.ChoiceField(
        label=_("Décision"),
        choices=[
            ("", _("Choisir…")),
            (ContentReport.Status.RESOLVED, ContentReport.Status.RESOLVED.label),
            (ContentReport.Status.DISMISSED, ContentReport.Status.DISMISSED.label),
        ],
    )

    class Meta:
        model = ContentReport
        fields = ["status", "resolution_note"]
