"""The workshop catalogue's filters: a django-filter FilterSet over the workshop pages.

Search goes through cotraining.search (stems, parts of words, synonyms); computed filters
(degree, département, dates, free seats) use `method=`. The catalogue page itself (facets with
counts, results, cache) is cotraining.catalogue.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from .constants import Degree, Modality, Theme, TrainingPlan
from .models import Competence, Departement, Discipline, Session, WorkshopPage
from .search import search_workshops, synonym_groups


class CatalogueForm(DsfrBaseForm):
    """The filter form, rendered by hand in the catalogue template (facets with counts)."""


class WorkshopFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Rechercher"), method="filter_search")
    # distinct=False: these filter the workshop's own columns, no join can repeat a row (and a
    # DISTINCT over every page column is what made filtered facet counts slow).
    theme = django_filters.MultipleChoiceFilter(
        label=_("Thème"), choices=Theme.choices, distinct=False
    )
    degree = django_filters.MultipleChoiceFilter(
        label=_("Degré"), choices=Degree.choices, method="filter_degree"
    )
    discipline = django_filters.ModelMultipleChoiceFilter(
        label=_("Discipline"),
        field_name="disciplines__code",
        queryset=Discipline.objects.all(),
        to_field_name="code",
        distinct=True,
    )
    modality = django_filters.MultipleChoiceFilter(
        label=_("Modalité"), choices=Modality.choices, distinct=False
    )
    departement = django_filters.ModelMultipleChoiceFilter(
        label=_("Département"),
        field_name="departements",
        queryset=Departement.objects.all(),
        to_field_name="code",
        method="filter_departement",
    )
    competence = django_filters.ModelMultipleChoiceFilter(
        label=_("Compétence"),
        field_name="competences__code",
        queryset=Competence.objects.all(),
        to_field_name="code",
        distinct=True,
    )
    date_from = django_filters.DateFilter(
        label=_("Séance à partir du"),
        method="filter_date_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Séance jusqu'au"),
        method="filter_date_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    seats = django_filters.BooleanFilter(
        label=_("Places disponibles"),
        method="filter_seats",
        widget=forms.CheckboxInput,
    )
    plan = django_filters.MultipleChoiceFilter(
        label=_("Inscrit au plan de formation"),
        field_name="training_plan",
        choices=TrainingPlan.choices,
        distinct=False,
    )

    class Meta:
        model = WorkshopPage
        fields = []
        form = CatalogueForm

    def __init__(self, *args, academie=None, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.academie = academie
        if academie is not None:
            # Only the académie's own départements are offered as choices.
            self.filters["departement"].queryset = Departement.objects.filter(academie=academie)
            self.form.fields["departement"].queryset = self.filters["departement"].queryset

    def _upcoming(self):
        return Session.objects.upcoming(self.now).filter(workshop=OuterRef("pk"))

    def filter_search(self, queryset, name, value):
        # Stems, parts of words and synonyms (cotraining.search), in the same SQL query as the
        # other filters; annotates `search_rank` (full-text matches first).
        return search_workshops(
            queryset, value, searchable=WorkshopPage.objects.live(), groups=self.synonym_groups
        )

    @cached_property
    def synonym_groups(self):
        # Read once: the facets apply this filter again, once each.
        return synonym_groups()

    def filter_degree(self, queryset, name, value):
        # A workshop without a degree is open to both.
        return queryset.filter(Q(degree__in=value) | Q(degree="")) if value else queryset

    def filter_departement(self, queryset, name, value):
        # A workshop without départements is offered to its whole académie.
        if not value:
            return queryset
        academies = {departement.academie_id for departement in value}
        return queryset.filter(
            Q(departements__in=value) | Q(departements__isnull=True, academie__in=academies)
        ).distinct()

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(Exists(self._upcoming().filter(start__date__gte=value)))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(Exists(self._upcoming().filter(start__date__lte=value)))

    def filter_seats(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(self._upcoming().with_free_seats()))
