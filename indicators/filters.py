"""The dashboard's filters: a django-filter FilterSet over the establishments a person reads.

The FilterSet's queryset is the territory: the establishments in the reader's scope narrowed by
the académie, département, bassin / circonscription and establishment chosen. Territory filters
are free-text fields shown as lists of what the reader may read: a value from elsewhere (an
edited URL) is not an error that names anything, it simply matches nothing in scope, so the
figures are empty. A UAI typed by hand is checked like everywhere else (cotraining.validators:
7 digits and the right check letter), so a typo is an error that says so, never zeros. The
other filters (period, degree, discipline, theme, modality, plan) do not narrow
establishments: `criteria()` hands them to the indicator queries with the territory.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cotraining.constants import Degree, Modality, Theme, TrainingPlan
from cotraining.models import Academie, Discipline, Establishment
from cotraining.validators import normalize_uai, validate_uai

from .queries import Criteria, Period, school_year_period, school_year_start
from .scope import academies_in, departements_in, establishments_in, sectors_in

YEARS_OFFERED = 6


class IndicatorFilterForm(DsfrBaseForm):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("La date de fin doit suivre la date de début."))
        return cleaned


def _select(label):
    """A text value chosen from a list: choices set per request, any other value matches nothing."""
    return django_filters.CharFilter(
        label=label, method="filter_territory", widget=forms.Select(choices=[])
    )


def school_years(today=None):
    first = school_year_start(today or timezone.localdate())
    return [(f"{y}-{y + 1}", f"{y}-{y + 1}") for y in range(first, first - YEARS_OFFERED, -1)]


class IndicatorFilterSet(django_filters.FilterSet):
    school_year = django_filters.ChoiceFilter(
        label=_("Année scolaire"), choices=school_years, method="keep", empty_label=None
    )
    date_from = django_filters.DateFilter(
        label=_("Du"), method="keep", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("Au"), method="keep", widget=forms.DateInput(attrs={"type": "date"})
    )
    academie = _select(_("Académie"))
    departement = _select(_("Département"))
    sector = _select(_("Bassin ou circonscription"))
    establishment = django_filters.CharFilter(
        label=_("Établissement (UAI)"),
        method="filter_territory",
        validators=[validate_uai],  # the profile's rule: same code, same message
        widget=forms.TextInput(attrs={"placeholder": "0860034M", "maxlength": 8}),
    )
    degree = django_filters.ChoiceFilter(
        label=_("Degré"), choices=Degree.choices, method="keep", empty_label=_("Tous")
    )
    discipline = django_filters.CharFilter(
        label=_("Discipline"), method="keep", widget=forms.Select(choices=[])
    )
    theme = django_filters.ChoiceFilter(
        label=_("Thème"), choices=Theme.choices, method="keep", empty_label=_("Tous")
    )
    modality = django_filters.ChoiceFilter(
        label=_("Modalité"), choices=Modality.choices, method="keep", empty_label=_("Toutes")
    )
    plan = django_filters.ChoiceFilter(
        label=_("Plan de formation"),
        choices=TrainingPlan.choices,
        method="keep",
        empty_label=_("Tous"),
    )

    class Meta:
        model = Establishment
        fields = []
        form = IndicatorFilterForm

    def __init__(self, data=None, *, scope, today=None, **kwargs):
        self.scope = scope
        self.today = today or timezone.localdate()
        super().__init__(data, queryset=establishments_in(scope), **kwargs)
        fields = self.form.fields
        fields["school_year"].initial = school_years(self.today)[0][0]
        everyone = [("", _("Toutes"))]
        # Choices of the reader's territory only (one small query each, at render time).
        fields["academie"].widget.choices = everyone + [
            (a.code, a.name) for a in academies_in(scope).only("code", "name")
        ]
        fields["departement"].widget.choices = [("", _("Tous"))] + [
            (d.code, str(d)) for d in departements_in(scope).only("code", "name")
        ]
        fields["sector"].widget.choices = [("", _("Tous"))] + [
            (str(s.pk), f"{s.name} ({s.departement_id})")
            for s in sectors_in(scope).only("pk", "name", "departement_id")
        ]
        fields["discipline"].widget.choices = everyone + list(
            Discipline.objects.values_list("code", "name")
        )

    def default_school_year(self):
        return school_years(self.today)[0][0]

    # Territory: narrow the establishments in scope (never widen them).
    def filter_territory(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        if name == "academie":
            return queryset.filter(departement__academie__code=value)
        if name == "departement":
            return queryset.filter(departement__code=value)
        if name == "sector":
            return queryset.filter(sector_id=int(value)) if value.isdigit() else queryset.none()
        return queryset.filter(uai=normalize_uai(value))

    def keep(self, queryset, name, value):
        return queryset  # read by criteria(), not a property of establishments

    def error_text(self):
        """The filters' errors as one line of text (for the API): "Label : message"."""
        lines = []
        for name, messages in self.form.errors.items():
            field = self.form.fields.get(name)
            label = f"{field.label} : " if field is not None else ""
            lines += [f"{label}{message}" for message in messages]
        return " ".join(lines)

    def describe(self):
        """The filters applied, in words (label, value), for the exports' header: the names of
        the territories, degree, discipline…, not their codes."""
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        dates = data.get("date_from") or data.get("date_to")
        lines = []
        if not dates:
            year = data.get("school_year") or self.default_school_year()
            lines.append((self.form.fields["school_year"].label, year))
        territory = False
        for name, field in self.form.fields.items():
            value = data.get(name)
            if name == "school_year" or value in (None, ""):
                continue
            if name in ("date_from", "date_to"):
                shown = date_format(value, "DATE_FORMAT")
            elif name == "establishment":
                uai = normalize_uai(value)
                school = self.queryset.filter(uai=uai).only("name", "uai").first()
                shown = f"{school.name} ({school.uai})" if school else uai
            else:
                value = str(value).strip()
                choices = getattr(field, "choices", None) or getattr(field.widget, "choices", ())
                shown = str(dict(choices).get(value, value))
            if name in ("academie", "departement", "sector", "establishment"):
                territory = True
            lines.append((field.label, shown))
        if not territory:
            lines.append((_("Territoire"), _("tout votre périmètre")))
        return [(str(label), str(value)) for label, value in lines]

    # --- What the indicator queries receive --------------------------------------------------

    def period(self):
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        start, end = data.get("date_from"), data.get("date_to")
        if start or end:
            # One bound only: the other one is that of the school year it falls in.
            year = school_year_period(school_year_start(start or end))
            return Period(start or year.start, end + timedelta(days=1) if end else year.end)
        year = data.get("school_year") or school_years(self.today)[0][0]
        return school_year_period(int(year[:4]))

    def criteria(self):
        """The filters as Criteria; an invalid form gives no figures (never another scope)."""
        if self.is_bound and not self.is_valid():
            return Criteria.empty(self.period())
        data = self.form.cleaned_data if self.is_bound else {}
        territory_filtered = any(
            (data.get(name) or "").strip()
            for name in ("academie", "departement", "sector", "establishment")
        )
        if self.scope.everything and not territory_filtered:
            establishments = academies = None  # the whole country, people without a school too
        else:
            establishments = self.qs.values("pk")
            finer = any(
                (data.get(name) or "").strip()
                for name in ("departement", "sector", "establishment")
            )
            # Sessions held without a host school count for the académies read as a whole.
            academies = Academie.objects.none() if finer else academies_in(self.scope)
            if (data.get("academie") or "").strip() and not finer:
                academies = academies.filter(code=data["academie"].strip())
            academies = academies.values("pk")
        return Criteria(
            period=self.period().until(self.today),
            establishments=establishments,
            academies=academies,
            degree=data.get("degree") or "",
            discipline=(data.get("discipline") or "").strip(),
            theme=data.get("theme") or "",
            modality=data.get("modality") or "",
            plan=data.get("plan") or "",
            scope=self.scope,
            territory=tuple(
                (name, (data.get(name) or "").strip())
                for name in ("academie", "departement", "sector", "establishment")
                if (data.get(name) or "").strip()
            ),
        )
