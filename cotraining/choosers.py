"""Choosers for the Wagtail admin: search a few among thousands, limited to the académie."""

from django import forms
from django.db.models import Q, TextField, Value
from django.db.models.functions import Concat
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import (
    ChooseResultsView,
    ChooseView,
    ChosenView,
)
from wagtail.admin.viewsets.chooser import ChooserViewSet

from .folding import Fold, fold
from .models import Establishment
from .permissions import choosable_establishments
from .validators import normalize_uai


class EstablishmentSearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Nom, UAI ou commune")}),
    )

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            # Accents and case folded as typed ("lycee" finds "Lycée"): the académie's few
            # thousand rows at most, since the chooser's list is scoped first.
            folded = objects.annotate(
                _folded=Fold(Concat("name", Value(" "), "commune", output_field=TextField()))
            )
            objects = folded.filter(
                Q(_folded__contains=fold(query)) | Q(uai__istartswith=normalize_uai(query))
            )
        return objects


def _label(name):
    return capfirst(Establishment._meta.get_field(name).verbose_name)


class EstablishmentChooseMixin:
    """Only the establishments of the person's académies, searchable by name, UAI, commune."""

    filter_form_class = EstablishmentSearchForm
    ordering = ["name", "uai"]

    def get_object_list(self):
        return choosable_establishments(self.request.user).select_related("departement")

    @property
    def columns(self):
        title = self.title_column
        title.label = capfirst(Establishment._meta.verbose_name)
        return [title, *(Column(name, label=_label(name)) for name in ("commune", "departement"))]


class EstablishmentChooseView(EstablishmentChooseMixin, ChooseView):
    pass


class EstablishmentChooseResultsView(EstablishmentChooseMixin, ChooseResultsView):
    pass


class EstablishmentChosenView(ChosenView):
    def get_object(self, pk):
        return choosable_establishments(self.request.user).get(pk=pk)


class EstablishmentChooserViewSet(ChooserViewSet):
    model = Establishment
    icon = "home"
    choose_one_text = _("Choisir un établissement")
    choose_another_text = _("Choisir un autre établissement")
    edit_item_text = _("Modifier l'établissement")
    page_title = _("Choisir un établissement")
    per_page = 20
    choose_view_class = EstablishmentChooseView
    choose_results_view_class = EstablishmentChooseResultsView
    chosen_view_class = EstablishmentChosenView
    # Establishments come from the annuaire import: none is created from a chooser.
    creation_form_class = None
    form_fields = None


establishment_chooser_viewset = EstablishmentChooserViewSet(
    "establishment_chooser", url_prefix="choisir-etablissement"
)
EstablishmentChooserWidget = establishment_chooser_viewset.widget_class
