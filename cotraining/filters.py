"""The workshop catalogue: django-filter facets with counts, French full-text search, pages.

Every facet shows how many workshops each of its options would give with the *other* facets
applied (the usual "disjunctive" faceting: ticking a theme does not hide the other themes). Each
facet's counts come from one aggregate query, so a catalogue page costs the same number of
queries whatever the number of workshops, sessions or filters.
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from .catalogue_cache import cached_fragment
from .constants import Degree, Modality, Theme, TrainingPlan
from .models import Competence, Departement, Discipline, Session, WorkshopPage
from .search import search_workshops, synonym_groups

PAGE_SIZE = 12


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


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list

    @property
    def active(self):
        return any(option.selected for option in self.options)


# Facets shown as lists of options with counts (the dates and "places" are plain fields).
CHOICE_FACETS = {
    "theme": "theme",
    "degree": "degree",
    "modality": "modality",
    "plan": "training_plan",
}
RELATED_FACETS = {
    "discipline": "disciplines",
    "departement": "departements",
    "competence": "competences",
}


def _choice_counts(queryset, name, choices):
    """{value: count} for a choice facet, in one aggregate query."""
    field = CHOICE_FACETS[name]
    aggregates = {}
    for value, _label in choices:
        condition = Q(**{field: value})
        if name == "degree":
            condition |= Q(degree="")  # open to both degrees
        aggregates[f"c_{value}"] = Count("pk", filter=condition)
    row = queryset.aggregate(**aggregates)
    return {value: row[f"c_{value}"] for value, _label in choices}


def _related_counts(queryset, name):
    """{code: count} for a many-to-many facet, in one grouped query."""
    relation = RELATED_FACETS[name]
    rows = (
        queryset.filter(**{f"{relation}__isnull": False})
        .values(f"{relation}__code")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    return {row[f"{relation}__code"]: row["n"] for row in rows}


def build_facets(filterset, base):
    """Every facet with its options and counts; each count applies the other facets only."""
    data = filterset.data
    cleaned = filterset.form.cleaned_data if filterset.is_valid() else {}
    facets = []
    for name in (*CHOICE_FACETS, *RELATED_FACETS):
        # The form is validated once; each facet re-applies the other filters' cleaned values.
        others = base
        for other, value in cleaned.items():
            if other != name:
                others = filterset.filters[other].filter(others, value)
        others = others.order_by()
        selected = set(data.getlist(name)) if cleaned else set()
        field = filterset.filters[name]
        if name in CHOICE_FACETS:
            counts = _choice_counts(others, name, field.extra["choices"])
            options = [
                FacetOption(value, label, counts[value], value in selected)
                for value, label in field.extra["choices"]
            ]
        else:
            counts = _related_counts(others, name)
            everywhere = {}
            if name == "departement":
                # Workshops offered to a whole académie count in each of its départements.
                rows = (
                    others.filter(departements__isnull=True)
                    .values("academie")
                    .annotate(n=Count("pk"))
                    .order_by()
                )
                everywhere = {row["academie"]: row["n"] for row in rows}
            options = []
            for obj in field.queryset:
                count = counts.get(obj.code, 0) + everywhere.get(
                    getattr(obj, "academie_id", None), 0
                )
                if count or obj.code in selected:
                    options.append(FacetOption(obj.code, str(obj), count, obj.code in selected))
        facets.append(Facet(name, field.label, options))
    return facets


def catalogue_queryset(index_page, now):
    """Live, public workshops below `index_page` with at least one upcoming session."""
    upcoming = Session.objects.upcoming(now).filter(workshop=OuterRef("pk"))
    workshops = (
        WorkshopPage.objects.live().public().descendant_of(index_page).filter(Exists(upcoming))
    )
    return workshops, upcoming


def _with_next_sessions(workshops, upcoming):
    return workshops.annotate(
        next_start=Subquery(upcoming.order_by("start").values("start")[:1]),
        upcoming_count=Coalesce(
            Subquery(
                upcoming.order_by().values("workshop").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
        has_seats=Exists(upcoming.with_free_seats()),
    )


def _listing_context(request, index_page, now):
    """Filters applied, facets counted, one page of workshops with their next sessions."""
    base, upcoming = catalogue_queryset(index_page, now)
    filterset = WorkshopFilterSet(request.GET, queryset=base, academie=index_page.academie, now=now)
    valid = filterset.is_valid()
    workshops = filterset.qs if valid else base.none()
    ordering = ("next_start", "title")
    if "search_rank" in workshops.query.annotations:  # a search: full-text matches first
        ordering = ("search_rank", *ordering)
    ordered = _with_next_sessions(workshops, upcoming).order_by(*ordering)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": index_page,
        "filterset": filterset,
        "filter_errors": [] if valid else [(f.label, e) for f in filterset.form for e in f.errors],
        "workshops": Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page")),
        "facets": build_facets(filterset, base),
        "querystring": query.urlencode(),
        "has_filters": bool(query),
    }


def catalogue_context(request, *, index_page, now=None):
    """The catalogue's form, facets and results, as HTML cached per query string.

    The fragment depends only on the query string and the catalogue's data (never on who asks),
    so it is cached under the catalogue version (cotraining.catalogue_cache): a warm request
    costs one cache read instead of the facet counts and a page of workshops.
    """
    now = now or timezone.now()
    html = cached_fragment(
        index_page.pk,
        request.GET,
        lambda: render_to_string(
            "cotraining/includes/catalogue.html",
            _listing_context(request, index_page, now),
            request=request,
        ),
    )
    return {"catalogue_html": mark_safe(html)}  # noqa: S308 — our own template's autoescaped output
