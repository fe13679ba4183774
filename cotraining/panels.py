"""Admin panels of the workshop edit screen."""

from django.urls import reverse
from wagtail.admin.panels import Panel


class SessionsPanel(Panel):
    """The workshop's sessions, with links to add, change or cancel them.

    Sessions are plain models saved at once (not page revisions), so they are managed in their
    own admin views; this panel lists them on the workshop's edit screen.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "cotraining/admin/sessions_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            workshop = self.instance
            context["workshop"] = workshop
            if workshop.pk:
                context["sessions"] = workshop.sessions.with_seats().select_related("establishment")
                context["add_url"] = reverse("sessions:add") + f"?workshop={workshop.pk}"
            return context
