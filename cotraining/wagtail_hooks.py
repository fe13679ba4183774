from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import services
from .constants import AuditAction
from .exceptions import ServiceError
from .models import Competence, DataImport, Establishment, RoleAssignment


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    actions.register_action(
        AuditAction.IMPORT_ESTABLISHMENTS, _("Import d'établissements"), _("Fichier importé")
    )
    actions.register_action(AuditAction.GRANT_ROLE, _("Rôle attribué"), _("Rôle attribué"))
    actions.register_action(AuditAction.REVOKE_ROLE, _("Rôle retiré"), _("Rôle retiré"))
    actions.register_action(AuditAction.UPDATE_PROFILE, _("Profil modifié"), _("Profil modifié"))


class EstablishmentViewSet(ModelViewSet):
    model = Establishment
    icon = "home"
    menu_label = _("Établissements")
    list_display = ["name", "uai", "type", "commune", "departement"]
    list_filter = ["type", "degree", "departement__academie"]
    search_fields = ["name", "uai", "commune"]
    form_fields = ["uai", "name", "type", "degree", "commune", "departement", "sector"]
    inspect_view_enabled = True


class RoleAssignmentCreateView(generic.CreateView):
    def get_success_url(self):
        return reverse(self.index_url_name)

    def save_instance(self):
        data = self.form.cleaned_data
        return services.grant_role(
            user=data["user"],
            role=data["role"],
            academie=data.get("academie"),
            departement=data.get("departement"),
            establishment=data.get("establishment"),
            by=self.request.user,
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ServiceError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)


class RoleAssignmentDeleteView(generic.DeleteView):
    def delete_action(self):
        services.revoke_role(assignment=self.object, by=self.request.user)


class NoChangePermissionPolicy(ModelPermissionPolicy):
    """Objects recorded by services: never changed in place, and `forbidden` actions refused."""

    forbidden = ("change",)

    def user_has_permission(self, user, action):
        return action not in self.forbidden and super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)


class ReadOnlyRecordPermissionPolicy(NoChangePermissionPolicy):
    forbidden = ("add", "change", "delete")


# Registered here rather than on the viewsets (Wagtail 9 drops the viewset attribute).
register_permission_policy(RoleAssignment, NoChangePermissionPolicy(RoleAssignment))
register_permission_policy(DataImport, ReadOnlyRecordPermissionPolicy(DataImport))
register_permission_policy(Competence, ReadOnlyRecordPermissionPolicy(Competence))


class ReadOnlyRecordMixin:
    """List rows link to the inspect view, since nobody may edit them."""

    inspect_view_enabled = True

    def get_index_view_kwargs(self, **kwargs):
        return {**super().get_index_view_kwargs(**kwargs), "edit_url_name": None}


class RoleAssignmentViewSet(ReadOnlyRecordMixin, ModelViewSet):
    """Granting and revoking go through the services so that groups follow the roles."""

    model = RoleAssignment
    add_view_class = RoleAssignmentCreateView
    delete_view_class = RoleAssignmentDeleteView
    icon = "group"
    menu_label = _("Rôles attribués")
    list_display = ["user", "role", "academie", "departement", "establishment"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__last_name"]
    form_fields = ["user", "role", "academie", "departement", "establishment"]


class DataImportViewSet(ReadOnlyRecordMixin, ModelViewSet):
    model = DataImport
    icon = "upload"
    menu_label = _("Imports")
    list_display = [
        "filename",
        "kind",
        "status",
        "lines",
        "created",
        "updated",
        "error_count",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    form_fields = ["filename"]


class CompetenceViewSet(ReadOnlyRecordMixin, ModelViewSet):
    """The CRCN and Pix+ Édu reference: read here, changed only by a migration."""

    model = Competence
    icon = "tasks"
    menu_label = _("Compétences (CRCN, Pix+ Édu)")
    list_display = ["code", "name", "domain", "framework"]
    list_filter = ["framework"]
    search_fields = ["code", "name"]
    form_fields = ["code"]


class TerritoryViewSetGroup(ModelViewSetGroup):
    menu_label = _("Territoire et personnes")
    menu_icon = "site"
    items = (EstablishmentViewSet, RoleAssignmentViewSet, DataImportViewSet, CompetenceViewSet)


@hooks.register("register_admin_viewset")
def register_viewsets():
    return TerritoryViewSetGroup()
