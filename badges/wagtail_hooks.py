from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from .constants import AuditAction
from .models import Assertion, BadgeClass, Issuer
from .services.bulk import START_BULK_AWARD


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    actions.register_action(AuditAction.AWARD_BADGE, _("Badge décerné"), _("Badge décerné"))
    actions.register_action(AuditAction.REVOKE_ASSERTION, _("Badge révoqué"), _("Badge révoqué"))
    actions.register_action(
        AuditAction.PUBLISH_BADGE_VERSION,
        _("Nouvelle version d'un badge"),
        _("Nouvelle version d'un badge"),
    )
    actions.register_action(
        AuditAction.DECLARE_PIX, _("Certification PIX enregistrée"), _("Certification PIX")
    )
    actions.register_action(
        AuditAction.VERIFY_PIX, _("Certification PIX vérifiée"), _("Certification vérifiée")
    )
    actions.register_action(
        AuditAction.REJECT_PIX, _("Certification PIX refusée"), _("Certification refusée")
    )
    actions.register_action(
        AuditAction.DELETE_PIX, _("Certification PIX supprimée"), _("Certification supprimée")
    )
    actions.register_action(AuditAction.IMPORT_PIX, _("Import de résultats PIX"), _("Import PIX"))
    actions.register_action(
        START_BULK_AWARD, _("Attribution de badges par fichier"), _("Attribution par fichier")
    )


class IssuerViewSet(ModelViewSet):
    model = Issuer
    icon = "site"
    menu_label = _("Émetteurs")
    list_display = ["name", "academie", "email"]
    form_fields = ["name", "url", "email", "description", "image", "academie"]


class BadgeClassViewSet(ModelViewSet):
    model = BadgeClass
    icon = "pick"
    menu_label = _("Badges")
    list_display = ["name", "issuer", "workshop", "kind"]
    list_filter = ["issuer", "kind"]
    search_fields = ["name", "description"]
    form_fields = [
        "issuer",
        "name",
        "description",
        "image",
        "criteria_narrative",
        "criteria_url",
        "competences",
        "tags",
        "kind",
        "workshop",
        "pix_plus_edu_scope",
        "pix_plus_edu_level",
        "expiry_rule",
        "expires_on",
        "expires_after_months",
    ]


class AssertionViewSet(ModelViewSet):
    model = Assertion
    icon = "success"
    menu_label = _("Badges décernés")
    list_display = ["badge_class", "recipient_email", "issued_on", "revoked"]
    list_filter = ["revoked", "badge_class"]
    search_fields = ["recipient_email"]
    inspect_view_enabled = True
    form_fields = ["narrative"]


class BadgesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Open Badges")
    menu_icon = "pick"
    menu_order = 230
    items = (IssuerViewSet, BadgeClassViewSet, AssertionViewSet)


@hooks.register("register_admin_viewset")
def register_badges_viewsets():
    return BadgesViewSetGroup()
