from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, StatusTagColumn, Table
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import services
from .admin_views import (
    ReadOnlyScopedPolicy,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelViewSet,
    ScopedObjectMixin,
    TerritoryScopedPolicy,
    visible_instances,
)
from .choosers import establishment_chooser_viewset
from .constants import AuditAction, NotificationStatus
from .exceptions import ServiceError
from .forms import SessionAdminForm
from .models import (
    Competence,
    DataImport,
    Establishment,
    Notification,
    RoleAssignment,
    SearchSynonym,
    Session,
    User,
    WorkshopPage,
)
from .permissions import academie_people, visible_notifications, visible_role_assignments


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    actions.register_action(
        AuditAction.IMPORT_ESTABLISHMENTS, _("Import d'établissements"), _("Fichier importé")
    )
    actions.register_action(AuditAction.GRANT_ROLE, _("Rôle attribué"), _("Rôle attribué"))
    actions.register_action(AuditAction.REVOKE_ROLE, _("Rôle retiré"), _("Rôle retiré"))
    actions.register_action(AuditAction.UPDATE_PROFILE, _("Profil modifié"), _("Profil modifié"))
    actions.register_action(AuditAction.CREATE_SESSION, _("Séance créée"), _("Séance créée"))
    actions.register_action(AuditAction.UPDATE_SESSION, _("Séance modifiée"), _("Séance modifiée"))
    actions.register_action(AuditAction.CANCEL_SESSION, _("Séance annulée"), _("Séance annulée"))
    actions.register_action(
        AuditAction.DELETE_SESSION, _("Séance supprimée"), _("Séance supprimée")
    )
    for action, label in (
        (AuditAction.ENROLL, _("Inscription")),
        (AuditAction.CANCEL_ENROLLMENT, _("Inscription annulée")),
        (AuditAction.REMOVE_PARTICIPANT, _("Participant désinscrit")),
        (AuditAction.PROMOTE, _("Liste d'attente : place attribuée")),
        (AuditAction.APPROVE_ENROLLMENT, _("Inscription accordée")),
        (AuditAction.REFUSE_ENROLLMENT, _("Inscription refusée")),
        (AuditAction.RECORD_ATTENDANCE, _("Présence relevée")),
        (AuditAction.CHECK_IN, _("Émargement en ligne")),
        (AuditAction.CHECK_IN_WRONG_CODE, _("Émargement : code erroné")),
        (AuditAction.CHECK_IN_LOCKED, _("Émargement bloqué (trop de codes erronés)")),
        (AuditAction.CHECK_IN_SESSION_LOCKED, _("Émargement de la séance bloqué")),
        (AuditAction.COMPLETE_WORKSHOP, _("Atelier validé")),
        (AuditAction.WITHDRAW_COMPLETION, _("Validation retirée")),
        (AuditAction.RESEND_NOTIFICATION, _("Courriel renvoyé")),
        (AuditAction.CHANGE_EMAIL, _("Adresse électronique corrigée")),
        (AuditAction.RESET_CALENDAR_FEED, _("Agenda personnel : nouvelle adresse")),
        (AuditAction.LINK_IDENTITY, _("Connexion par un fournisseur d'identité reliée")),
    ):
        actions.register_action(action, label, label)
    actions.register_action(
        AuditAction.PROVISION_ACADEMIE,
        _("Espace d'académie préparé"),
        _("Groupes, droits et circuit de validation de l'académie"),
    )


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


class RoleAssignmentDeleteView(ScopedObjectMixin, generic.DeleteView):
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


class RoleAssignmentPermissionPolicy(TerritoryScopedPolicy):
    """Granted and revoked by the services (never changed in place); a coordinator reads the
    assignments of their académie only."""

    forbidden = ("change",)


# Registered here rather than on the viewsets (Wagtail 9 drops the viewset attribute).
register_permission_policy(
    RoleAssignment, RoleAssignmentPermissionPolicy(RoleAssignment, visible_role_assignments)
)
register_permission_policy(DataImport, ReadOnlyRecordPermissionPolicy(DataImport))
register_permission_policy(Competence, ReadOnlyRecordPermissionPolicy(Competence))
register_permission_policy(Notification, ReadOnlyScopedPolicy(Notification, visible_notifications))
# Replaces wagtail.users' policy: a coordinator reads the people of their académie only.
register_permission_policy(User, TerritoryScopedPolicy(User, academie_people))


class ReadOnlyRecordMixin:
    """List rows link to the inspect view, since nobody may edit them."""

    inspect_view_enabled = True

    def get_index_view_kwargs(self, **kwargs):
        return {**super().get_index_view_kwargs(**kwargs), "edit_url_name": None}


class RoleAssignmentViewSet(ReadOnlyRecordMixin, ScopedModelViewSet):
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


# --- Sessions ----------------------------------------------------------------------------------


class SessionPermissionPolicy(TerritoryScopedPolicy):
    """Model permissions from the role groups, narrowed to the workshops a person may edit.

    A trainer manages the sessions of workshops in their académie's section (page permissions),
    never those of another académie.
    """

    def _editable_workshops(self, user):
        editable = PagePermissionPolicy().instances_user_has_permission_for(user, "change")
        return WorkshopPage.objects.filter(pk__in=editable.values("pk"))

    def scope(self, user):
        return Session.objects.filter(workshop__in=self._editable_workshops(user))

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        return self._editable_workshops(user).filter(pk=instance.workshop_id).exists()


register_permission_policy(Session, SessionPermissionPolicy(Session))


def _field_errors(form, error):
    """Put a service's ValidationError beside the fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class SessionObjectPermissionMixin:
    """Wagtail's generic views check model permissions; this adds the workshop's."""

    object_permission = "change"

    def get_object(self, queryset=None):
        session = super().get_object(queryset)
        if not self.user_has_permission_for_instance(self.object_permission, session):
            raise PermissionDenied
        return session


class SessionSaveMixin:
    def save_instance(self):
        data = {name: self.form.cleaned_data.get(name) for name in self.form.Meta.fields}
        if self.form.fields["workshop"].disabled:
            data.pop("workshop")
        session = None if self.form.instance.pk is None else self.form.instance
        return services.save_session(session=session, by=self.request.user, **data)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            _field_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        return self.form_invalid(form)

    def get_success_url(self):
        workshop_id = self.object.workshop_id if self.object else None
        if workshop_id:
            return reverse("wagtailadmin_pages:edit", args=[workshop_id]) + "#tab-seances"
        return super().get_success_url()


class SessionIndexView(generic.IndexView):
    def get_base_queryset(self):
        # Only the sessions of workshops the person may edit (object-level visibility).
        visible = SessionPermissionPolicy(Session).instances_user_has_any_permission_for(
            self.request.user, ["change", "view"]
        )
        return super().get_base_queryset().filter(pk__in=visible.values("pk"))


class SessionCreateView(SessionSaveMixin, generic.CreateView):
    def get_initial(self):
        initial = super().get_initial()
        workshop = self.request.GET.get("workshop", "")
        if workshop.isdigit():
            page = WorkshopPage.objects.filter(pk=workshop).first()
            if page is not None:
                initial.update({"workshop": page.pk, "modality": page.modality})
        return initial


class SessionEditView(SessionObjectPermissionMixin, SessionSaveMixin, generic.EditView):
    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if not self.object.is_cancelled:
            buttons.append(
                HeaderButton(
                    _("Annuler la séance"),
                    url=reverse("sessions:cancel", args=[self.object.pk]),
                    icon_name="cross",
                )
            )
        return buttons


class SessionDeleteView(SessionObjectPermissionMixin, generic.DeleteView):
    """A session with enrolments is never deleted: the person is sent to cancellation."""

    object_permission = "delete"

    def dispatch(self, request, *args, **kwargs):
        session = get_object_or_404(Session, pk=kwargs.get("pk"))
        if session.enrollments.exists():
            messages.error(
                request,
                _(
                    "Cette séance a des inscriptions : elle ne peut pas être supprimée. "
                    "Vous pouvez l'annuler ; les personnes inscrites en seront informées."
                ),
            )
            return redirect("sessions:cancel", session.pk)
        return super().dispatch(request, *args, **kwargs)

    def delete_action(self):
        services.delete_session(session=self.object, by=self.request.user)

    def get_success_url(self):
        return reverse("wagtailadmin_pages:edit", args=[self.object.workshop_id])


class CancelSessionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=255,
        help_text=_("Communiqué aux personnes inscrites."),
    )


def cancel_session_view(request, pk):
    session = get_object_or_404(Session.objects.select_related("workshop"), pk=pk)
    policy = SessionPermissionPolicy(Session)
    if not policy.user_has_permission_for_instance(request.user, "change", session):
        raise PermissionDenied
    form = CancelSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.cancel_session(
            session=session, reason=form.cleaned_data["reason"], by=request.user
        )
        messages.success(
            request,
            _("La séance est annulée ; les personnes inscrites ou en attente en sont prévenues."),
        )
        return redirect(reverse("wagtailadmin_pages:edit", args=[session.workshop_id]))
    return TemplateResponse(
        request,
        "cotraining/admin/cancel_session.html",
        {"session": session, "form": form, "has_enrollments": session.enrollments.exists()},
    )


class SessionViewSet(ScopedModelViewSet):
    model = Session
    icon = "date"
    menu_label = _("Séances")
    add_to_admin_menu = True
    menu_order = 210
    index_view_class = SessionIndexView
    add_view_class = SessionCreateView
    edit_view_class = SessionEditView
    delete_view_class = SessionDeleteView
    list_display = ["workshop", "start", "modality", "capacity", "status"]
    list_filter = ["status", "modality"]
    search_fields = ["workshop__title", "address", "room"]
    ordering = ["-start"]
    edit_handler = ObjectList(
        [
            FieldPanel("workshop"),
            FieldPanel("modality"),
            FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
            MultiFieldPanel(
                [FieldPanel("establishment"), FieldPanel("address"), FieldPanel("room")],
                heading=_("Lieu (présentiel, hybride)"),
            ),
            FieldPanel("visio_url"),
            FieldPanel("capacity"),
            FieldRowPanel([FieldPanel("enrollment_opens"), FieldPanel("enrollment_closes")]),
        ],
        base_form_class=SessionAdminForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("cancel/<int:pk>/", cancel_session_view, name="cancel"),
        ]


# --- Emails sent about enrolments ------------------------------------------------------------


def _paris_time(value):
    """A moment as people in the académie read it (Europe/Paris), or a dash."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _field_label(name):
    return capfirst(Notification._meta.get_field(name).verbose_name)


def _sent_at(notification):
    if notification.sent_at is None:
        return _("Pas encore envoyée")
    return _paris_time(notification.sent_at)


def explain_error(last_error):
    """The last delivery error in words a coordinator can act on (the technical line kept)."""
    if not last_error:
        return "—"
    kind = last_error.split(":", 1)[0]
    if kind in {"SMTPRecipientsRefused", "SMTPSenderRefused"} or "5.1.1" in last_error:
        words = _(
            "Le serveur de messagerie a refusé l'adresse du destinataire : elle est sans doute "
            "erronée. Corrigez-la, puis renvoyez le courriel."
        )
    elif kind == "SMTPAuthenticationError":
        words = _(
            "Le serveur d'envoi a refusé la connexion de la plateforme : prévenez "
            "l'administration de la plateforme (configuration de la messagerie)."
        )
    elif kind in {
        "SMTPServerDisconnected",
        "SMTPConnectError",
        "ConnectionRefusedError",
        "TimeoutError",
        "OSError",
        "gaierror",
    }:
        words = _(
            "Le serveur d'envoi était injoignable à chaque tentative. Renvoyez le courriel "
            "une fois le service rétabli."
        )
    else:
        words = _("L'envoi a échoué à chaque tentative. Vous pouvez le renvoyer.")
    return format_html("{}<br><small>{}</small>", words, last_error)


class NotificationTable(Table):
    def get_row_classname(self, instance):
        return "entrepairs-failed" if instance.status == NotificationStatus.FAILED else ""


class NotificationIndexView(ScopedIndexView):
    """Coordinators see the emails of their académie's sessions (the policy's scope); failed
    ones stand out and are counted at the top, with a button to send them all again."""

    table_class = NotificationTable

    def get_base_queryset(self):
        return (
            super().get_base_queryset().select_related("recipient", "enrollment__session__workshop")
        )

    @cached_property
    def failed_count(self):
        visible = visible_instances(self.request.user, self.permission_policy)
        return visible.filter(status=NotificationStatus.FAILED).count()

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.failed_count:
            buttons.append(
                HeaderButton(
                    ngettext(
                        "Voir l'envoi en échec (%(count)s)",
                        "Voir les envois en échec (%(count)s)",
                        self.failed_count,
                    )
                    % {"count": self.failed_count},
                    url=reverse("notifications:index") + f"?status={NotificationStatus.FAILED}",
                    icon_name="warning",
                )
            )
            buttons.append(
                HeaderButton(
                    _("Renvoyer les envois en échec"),
                    url=reverse("notifications:resend_failed"),
                    icon_name="redirect",
                )
            )
        return buttons


class NotificationInspectView(ScopedInspectView):
    """None becomes words: not sent yet, no error; times in Europe/Paris."""

    def get_sent_at_display_value(self):
        return _sent_at(self.object)

    def get_created_at_display_value(self):
        return _paris_time(self.object.created_at)

    def get_last_error_display_value(self):
        return explain_error(self.object.last_error)

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if self.object.status in (NotificationStatus.FAILED, NotificationStatus.SKIPPED):
            buttons.append(
                HeaderButton(
                    _("Renvoyer"),
                    url=reverse("notifications:resend", args=[self.object.pk]),
                    icon_name="redirect",
                )
            )
        if self.object.status == NotificationStatus.FAILED:
            buttons.append(
                HeaderButton(
                    _("Corriger l'adresse et renvoyer"),
                    url=reverse("notifications:correct_address", args=[self.object.pk]),
                    icon_name="edit",
                )
            )
        return buttons


def _visible_notification(request, pk):
    """The notification if this person may see it (the policy's scope), else 403."""
    policy = policy_registry.get_by_type(Notification)
    notification = get_object_or_404(Notification, pk=pk)
    if not visible_instances(request.user, policy).filter(pk=notification.pk).exists():
        raise PermissionDenied
    return notification


def resend_notification_view(request, pk):
    notification = _visible_notification(request, pk)
    inspect_url = reverse("notifications:inspect", args=[notification.pk])
    if request.method == "POST":
        try:
            services.resend_notification(notification=notification, by=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Le courriel est renvoyé à %(email)s.") % {"email": notification.recipient.email},
            )
        return redirect(inspect_url)
    return TemplateResponse(
        request,
        "cotraining/admin/resend_notification.html",
        {"notification": notification, "back_url": inspect_url},
    )


class CorrectAddressForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique corrigée"),
        help_text=_(
            "C'est aussi l'identifiant de connexion de la personne. La nouvelle adresse reste à "
            "vérifier : un lien de vérification lui est envoyé."
        ),
    )


def correct_address_view(request, pk):
    notification = _visible_notification(request, pk)
    inspect_url = reverse("notifications:inspect", args=[notification.pk])
    form = CorrectAddressForm(request.POST or None, initial={"email": notification.recipient.email})
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_address_and_resend(
                notification=notification,
                email=form.cleaned_data["email"],
                by=request.user,
                request=request,
            )
        except ServiceError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(
                request,
                _(
                    "Adresse corrigée et courriel renvoyé à %(email)s ; un lien de vérification "
                    "lui a été envoyé."
                )
                % {"email": form.cleaned_data["email"].lower()},
            )
            return redirect(inspect_url)
    return TemplateResponse(
        request,
        "cotraining/admin/correct_address.html",
        {"notification": notification, "form": form, "back_url": inspect_url},
    )


def resend_failed_view(request):
    policy = policy_registry.get_by_type(Notification)
    if not policy.user_has_permission(request.user, "view"):
        raise PermissionDenied
    visible = visible_instances(request.user, policy)
    index_url = reverse("notifications:index")
    if request.method == "POST":
        resent, refused = services.resend_failed_notifications(
            notifications=visible, by=request.user
        )
        messages.success(
            request,
            ngettext("%(count)s courriel renvoyé.", "%(count)s courriels renvoyés.", resent)
            % {"count": resent},
        )
        if refused:
            messages.warning(
                request,
                ngettext(
                    "%(count)s courriel n'a plus d'objet (place rendue, séance annulée ou "
                    "passée) : il n'est pas renvoyé.",
                    "%(count)s courriels n'ont plus d'objet (place rendue, séance annulée ou "
                    "passée) : ils ne sont pas renvoyés.",
                    refused,
                )
                % {"count": refused},
            )
        return redirect(index_url)
    return TemplateResponse(
        request,
        "cotraining/admin/resend_failed.html",
        {
            "failed_count": visible.filter(status=NotificationStatus.FAILED).count(),
            "back_url": index_url,
        },
    )


class NotificationViewSet(ReadOnlyRecordMixin, ScopedModelViewSet):
    """Emails owed about enrolments: sent, pending a retry, or failed after every attempt."""

    model = Notification
    index_view_class = NotificationIndexView
    inspect_view_class = NotificationInspectView
    icon = "mail"
    menu_label = _("Envois de courriels")
    add_to_admin_menu = True
    menu_order = 220
    list_display = [
        "kind",
        "recipient",
        "enrollment",
        StatusTagColumn(
            "status",
            label=_field_label("status"),
            accessor="get_status_display",
            primary=lambda notification: notification.status == NotificationStatus.FAILED,
        ),
        "attempts",
        Column(
            "created_at",
            label=_field_label("created_at"),
            accessor=lambda notification: _paris_time(notification.created_at),
        ),
        Column("sent_at", label=_field_label("sent_at"), accessor=_sent_at),
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__email", "recipient__last_name"]
    ordering = ["-created_at"]
    form_fields = ["status"]
    inspect_view_fields = [
        "kind",
        "recipient",
        "enrollment",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("resend/<int:pk>/", resend_notification_view, name="resend"),
            path("correct-address/<int:pk>/", correct_address_view, name="correct_address"),
            path("resend-failed/", resend_failed_view, name="resend_failed"),
        ]


@hooks.register("register_admin_viewset")
def register_notification_viewset():
    return NotificationViewSet("notifications", url_prefix="envois")


@hooks.register("before_delete_page")
def keep_workshops_that_have_sessions(request, page):
    """Sessions (and their enrolments) outlive the page: a workshop with any is unpublished,
    not deleted; the same holds for a section that contains one."""
    sessions = Session.objects.filter(workshop__path__startswith=page.path)
    if sessions.exists():
        messages.error(
            request,
            _(
                "« %(title)s » ne peut pas être supprimé : des séances y sont rattachées "
                "(%(count)s). Dépubliez-le pour le retirer du catalogue, ou annulez ses séances."
            )
            % {"title": page.get_admin_display_title(), "count": sessions.count()},
        )
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("register_admin_viewset")
def register_viewsets():
    return TerritoryViewSetGroup()


@hooks.register("register_admin_viewset")
def register_session_viewset():
    return SessionViewSet("sessions", url_prefix="seances")


# --- Search synonyms ---------------------------------------------------------------------------


class SearchSynonymViewSet(SnippetViewSet):
    """The catalogue search's synonyms ("visio, visioconférence"), edited by coordinators and
    platform administrators (role permissions); every change is in the snippet's history."""

    model = SearchSynonym
    icon = "search"
    menu_label = _("Synonymes de recherche")
    add_to_admin_menu = False
    list_display = ["terms"]
    search_fields = ["terms"]
    form_fields = ["terms"]


register_snippet(SearchSynonymViewSet)


@hooks.register("insert_global_admin_css")
def entrepairs_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("cotraining/admin.css"))


@hooks.register("register_admin_viewset")
def register_establishment_chooser():
    return establishment_chooser_viewset


@hooks.register("insert_editor_js")
def entrepairs_editor_js():
    return format_html('<script src="{}"></script>', static("cotraining/admin-filter-choices.js"))
