"""Filters of the badges layer's lists (visibility is enforced in the queryset given to them)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cotraining.folding import fold
from cotraining.models import Establishment

from .constants import PixSource, PixStatus
from .models import PixCertification


def _establishments(request):
    """Only the schools of people whose results this person may read (never others' names)."""
    if request is None:
        return Establishment.objects.none()
    from .permissions import visible_certifications

    return Establishment.objects.filter(
        pk__in=visible_certifications(request.user).values("user__establishment")
    ).order_by("name")


class PixCertificationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Nom ou adresse"), method="search")
    establishment = django_filters.ModelChoiceFilter(
        label=_("Établissement"),
        field_name="user__establishment",
        queryset=_establishments,
        empty_label=_("Tous"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Statut"), choices=PixStatus.choices, empty_label=_("Tous")
    )
    source = django_filters.ChoiceFilter(
        label=_("Origine"), choices=PixSource.choices, empty_label=_("Toutes")
    )

    class Meta:
        model = PixCertification
        fields = ["q", "establishment", "status", "source"]
        form = DsfrBaseForm

    def search(self, queryset, name, value):
        words = value.split()[:4]
        for word in words:
            # The person's folded name and address: "lea" finds Léa.
            queryset = queryset.filter(
                Q(user__search_name__contains=fold(word)) | Q(verification_code__icontains=word)
            )
        return queryset
