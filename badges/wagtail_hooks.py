from django.forms import modelform_factory
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from cotraining.admin_views import ScopedModelViewSet, TerritoryScopedPolicy
from cotraining.models import Academie, WorkshopPage
from cotraining.permissions import coordinated_academies

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
        AuditAction.MOVE_ORIGIN,
        _("Badges déplacés vers une nouvelle adresse du site"),
        _("Nouvelle adresse du site"),
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
        AuditAction.PIX_CODE_CONFLICT,
        _("Code de vérification saisi pour une autre personne"),
        _("Code saisi par un tiers"),
    )
    actions.register_action(
        START_BULK_AWARD, _("Attribution de badges par fichier"), _("Attribution par fichier")
    )


# --- Object-level rights: coordinators run their académie's issuers, platform admins all ---


class AcademieScopedPolicy(TerritoryScopedPolicy):
    """Model permissions from the role groups, narrowed to the académies a person coordinates
    (`academie_path` leads from the model to its académie). Every view of these viewsets, the
    history, usage, inspect and copy pages included, keeps to it (cotraining.admin_views)."""

    def __init__(self, model, academie_path):
        super().__init__(model)
        self.academie_path = academie_path

    def scope(self, user):
        everything = self.model._default_manager.all()
        if user.is_superuser:
            return everything
        return everything.filter(**{f"{self.academie_path}__in": coordinated_academies(user)})


class ScopedChoicesForm(WagtailAdminModelForm):
    """Choices limited to what the person runs: their issuers, their académies' workshops."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is None or user.is_superuser:
            return
        academies = coordinated_academies(user)
        limits = {
            "issuer": Issuer.objects.filter(academie__in=academies),
            "workshop": WorkshopPage.objects.filter(academie__in=academies),
            "academie": academies_of(academies),
        }
        for name, queryset in limits.items():
            if name in self.fields:
                self.fields[name].queryset = queryset


def academies_of(ids):
    return Academie.objects.filter(pk__in=ids)


register_permission_policy(Issuer, AcademieScopedPolicy(Issuer, "academie"))
register_permission_policy(BadgeClass, AcademieScopedPolicy(BadgeClass, "issuer__academie"))
register_permission_policy(
    Assertion, AcademieScopedPolicy(Assertion, "badge_class__issuer__academie")
)


class ScopedViewSet(ScopedModelViewSet):
    def get_form_class(self, for_update=False):
        return modelform_factory(
            self.model,
            form=ScopedChoicesForm,
            formfield_callback=self.formfield_for_dbfield,
            fields=self.get_form_fields(),
        )


class IssuerViewSet(ScopedViewSet):
    model = Issuer
    icon = "site"
    menu_label = _("Émetteurs")
    list_display = ["name", "academie", "email"]
    form_fields = ["name", "url", "email", "description", "image", "academie"]


class BadgeClassViewSet(ScopedViewSet):
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
        "award_rights",
        "pix_plus_edu_scope",
        "pix_plus_edu_level",
        "expiry_rule",
        "expires_on",
        "expires_after_months",
    ]


class AssertionViewSet(ScopedViewSet):
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
