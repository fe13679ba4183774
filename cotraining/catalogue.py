"""The workshop catalogue, as a catalogue page shows it: filters, facets with counts, results.

Every facet shows how many workshops each of its options would give with the *other* facets
applied (the usual "disjunctive" faceting: ticking a theme does not hide the other themes). Each
facet's counts come from one aggregate query, so a catalogue page costs the same number of
queries whatever the number of workshops, sessions or filters.

The page's template asks for it (`{% workshop_catalogue page %}`, cotraining_tags): this module
reads the page models, so the page models never import it.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from .catalogue_cache import cached_fragment
from .filters import WorkshopFilterSet
from .models import Session, WorkshopPage

PAGE_SIZE = 12


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


def render_catalogue(request, *, index_page, now=None):
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
    return mark_safe(html)  # noqa: S308 — our own template's autoescaped output
