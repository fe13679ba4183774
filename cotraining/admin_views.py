"""The Wagtail admin, narrowed to the territory a person works in.

Wagtail's generic views check model permissions (may this person see badges at all?) and then
fetch one object with the model's default manager: a coordinator holding `change_issuer` opened
the history and usage pages of every académie's issuers, the inspect page of any email, and read
every user and every audit entry of the country. Here each list and each single-object view
(edit, delete, inspect, copy, history, usage) looks objects up in the permission policy's
instances for this person — the same querysets as the front office (cotraining.permissions,
badges.permissions) — and refuses anything outside them. The site history report keeps, besides
page entries (page permissions), only the entries about objects a scoped policy lets them see.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, IntegerField, Q, Value
from django.db.models.functions import Cast
from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.views.reports import audit_logging
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import registry as log_registry
from wagtail.models import PageLogEntry
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry
from wagtail.users.views import users as wagtail_users

from .models import User

ANY_ACTION = ["add", "change", "delete", "view"]


class TerritoryScopedPolicy(ModelPermissionPolicy):
    """Model permissions from the role groups, narrowed to `scope(user)`: the objects of the
    territory this person works in (everything for a platform admin). Actions named in
    `forbidden` are refused to everyone (records that only services write)."""

    forbidden = ()

    def __init__(self, model, scope=None):
        super().__init__(model)
        self._scope = scope

    def scope(self, user):
        if user.is_superuser:
            return self.model._default_manager.all()
        if self._scope is None:
            return self.model._default_manager.none()
        return self._scope(user)

    def user_has_permission(self, user, action):
        return action not in self.forbidden and super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return (
            self.user_has_permission(user, action)
            and self.scope(user).filter(pk=instance.pk).exists()
        )

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.scope(user)


class ReadOnlyScopedPolicy(TerritoryScopedPolicy):
    forbidden = ("add", "change", "delete")


def visible_instances(user, policy):
    """What the person may see in the admin, by the model's permission policy."""
    return policy.instances_user_has_any_permission_for(user, ANY_ACTION)


# --- Views -------------------------------------------------------------------------------------


class ScopedObjectMixin:
    """A single-object view refuses (403) an object outside the person's visible instances."""

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        policy = self.permission_policy
        if instance is not None and policy:
            if not visible_instances(self.request.user, policy).filter(pk=instance.pk).exists():
                raise PermissionDenied
        return instance


class ScopedIndexView(generic.IndexView):
    def get_base_queryset(self):
        visible = visible_instances(self.request.user, self.permission_policy)
        return super().get_base_queryset().filter(pk__in=visible.values("pk"))


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    pass


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedCopyView(ScopedObjectMixin, generic.CopyView):
    pass


class ScopedHistoryView(ScopedObjectMixin, HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, UsageView):
    pass


class ScopedModelViewSet(ModelViewSet):
    """A model viewset whose every view keeps to the permission policy's instances."""

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    copy_view_class = ScopedCopyView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView


# --- Users: a coordinator reads the people of their académie; only platform admins edit ------


class UserIndexView(wagtail_users.IndexView):
    def get_base_queryset(self):
        visible = visible_instances(self.request.user, self.permission_policy)
        return super().get_base_queryset().filter(pk__in=visible.values("pk"))


class UserEditView(ScopedObjectMixin, wagtail_users.EditView):
    pass


class UserDeleteView(ScopedObjectMixin, wagtail_users.DeleteView):
    pass


class UserHistoryView(ScopedObjectMixin, wagtail_users.HistoryView):
    pass


class UserViewSet(wagtail_users.UserViewSet):
    """Wagtail's users viewset (set in cotraining.apps.WagtailUsersConfig), scoped."""

    index_view_class = UserIndexView
    edit_view_class = UserEditView
    delete_view_class = UserDeleteView
    history_view_class = UserHistoryView
    copy_view_class = ScopedCopyView
    usage_view_class = ScopedUsageView


# --- Reports → Site history -----------------------------------------------------------------


def scoped_log_entries(user, entries):
    """Audit entries this person may read: all for a platform admin; page entries as Wagtail
    filters them (page permissions); otherwise only entries about an object of a model with a
    territory-scoped policy that lets them see it. A model without one is left out."""
    if user.is_superuser or entries.model is PageLogEntry:
        return entries
    allowed = Q(pk__in=[])
    content_type_ids = entries.order_by().values_list("content_type_id", flat=True).distinct()
    for content_type_id in content_type_ids:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        policy = policy_registry.get_by_type(model) if model is not None else None
        if not isinstance(policy, TerritoryScopedPolicy):
            continue
        keys = visible_instances(user, policy).annotate(key=Cast("pk", CharField()))
        allowed |= Q(content_type_id=content_type_id, object_id__in=keys.values("key"))
    return entries.filter(allowed)


def visible_log_entries(user):
    """One queryset per log entry model (pages, other models), scoped."""
    return [
        (log_model, scoped_log_entries(user, log_model.objects.viewable_by_user(user)))
        for log_model in log_registry.get_log_entry_models()
    ]


def _log_users(request):
    ids = set()
    for _model, entries in visible_log_entries(request.user):
        ids.update(entries.get_user_ids())
    return User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD)


def _log_content_types(request):
    ids = set()
    for _model, entries in visible_log_entries(request.user):
        ids.update(entries.get_content_type_ids())
    return ContentType.objects.filter(pk__in=ids).order_by("model")


class ScopedSiteHistoryFilterSet(audit_logging.SiteHistoryReportFilterSet):
    """The report's filters offer only the people, types and actions of the visible entries."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["object_type"].queryset = _log_content_types

    def get_user_choices(self):
        return _log_users(self.request)

    def get_action_choices(self):
        actions = set()
        for _model, entries in visible_log_entries(self.request.user):
            actions.update(entries.get_actions())
        return [choice for choice in log_registry.get_choices() if choice[0] in actions]

    class Meta(audit_logging.SiteHistoryReportFilterSet.Meta):
        pass


class ScopedLogEntriesView(audit_logging.LogEntriesView):
    """Wagtail's site history with the entries of `visible_log_entries` only."""

    filterset_class = ScopedSiteHistoryFilterSet

    def get_filtered_queryset(self):
        # As LogEntriesView.get_filtered_queryset, on the scoped querysets.
        self.log_models = []
        queryset = None
        for index, (log_model, entries) in enumerate(visible_log_entries(self.request.user)):
            self.log_models.append(log_model)
            sub_queryset = entries.values("pk", "timestamp").annotate(
                log_model_index=Value(index, output_field=IntegerField())
            )
            sub_queryset = self.filter_queryset(sub_queryset).order_by()
            queryset = sub_queryset if queryset is None else queryset.union(sub_queryset, all=True)
        return queryset.order_by("-timestamp")


def _admin_view(view):
    return never_cache(require_admin_access(view))


# Included in cms/urls.py before Wagtail's admin URLs, so that these paths answer first (the
# names stay Wagtail's: links and pagination reverse to the same paths).
site_history_urlpatterns = [
    path("reports/site-history/", _admin_view(ScopedLogEntriesView.as_view())),
    path(
        "reports/site-history/results/",
        _admin_view(ScopedLogEntriesView.as_view(results_only=True)),
    ),
]
