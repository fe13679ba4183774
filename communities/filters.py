"""Filters of the communities' lists (visibility is enforced in the queryset given to them)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from .constants import EscalationCategory, EscalationStatus
from .models import Community, Escalation
from .permissions import animated_communities, visible_escalations


def _communities(request):
    """Only the communities whose escalations this person sees (never others' names)."""
    if request is None:
        return Community.objects.none()
    user = request.user
    return Community.objects.filter(
        Q(pk__in=animated_communities(user).values("pk"))
        | Q(pk__in=visible_escalations(user).values("community"))
    ).order_by("name")


class EscalationFilterSet(django_filters.FilterSet):
    """The escalations list (/communautes/remontees/): an inspector's across the communities
    they animate, a teacher's own."""

    community = django_filters.ModelChoiceFilter(
        label=_("Communauté"), queryset=_communities, empty_label=_("Toutes")
    )
    category = django_filters.ChoiceFilter(
        label=_("Catégorie"), choices=EscalationCategory.choices, empty_label=_("Toutes")
    )
    status = django_filters.ChoiceFilter(
        label=_("Statut"), choices=EscalationStatus.choices, empty_label=_("Tous")
    )
    since = django_filters.DateFilter(
        label=_("Depuis le"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(label=_("Mot de l'objet ou du texte"), method="search")

    class Meta:
        model = Escalation
        fields = ["community", "category", "status", "since", "q"]
        form = DsfrBaseForm

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(text__icontains=value))

    def filter_queryset(self, queryset):
        # A querystring that does not validate filters nothing (the form shows the error).
        if not self.form.is_valid():
            return queryset
        return super().filter_queryset(queryset)
