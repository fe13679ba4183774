"""Filters of the badges layer's lists (visibility is enforced in the queryset given to them)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cotraining.folding import fold
from cotraining.models import Establishment

from .constants import PixSource, PixStatus
from .models import Assertion, BadgeClass, PixCertification
from .permissions import revocable_badge_classes, visible_certifications


def _establishments(request):
    """Only the schools of people whose results this person may read (never others' names)."""
    if request is None:
        return Establishment.objects.none()
    return Establishment.objects.filter(
        pk__in=visible_certifications(request.user).values("user__establishment")
    ).order_by("name")


def _revocable_badge_classes(request):
    """The badges whose awards this person may revoke: the only ones they may filter by."""
    if request is None:
        return BadgeClass.objects.none()
    return (
        revocable_badge_classes(request.user)
        .select_related("issuer")
        .order_by("issuer__name", "name")
    )


class AssertionFilterSet(django_filters.FilterSet):
    """The awarded-badges list (/badges/decernes/): by badge and by the recipient's address.

    Given the assertions the person may revoke (badges.permissions.revocable_assertions).
    """

    badge = django_filters.ModelChoiceFilter(
        label=_("Badge"),
        field_name="badge_class",
        queryset=_revocable_badge_classes,
        empty_label=_("Tous les badges"),
    )
    q = django_filters.CharFilter(
        label=_("Adresse du titulaire"),
        field_name="recipient_email",
        lookup_expr="icontains",
        max_length=100,
    )

    class Meta:
        model = Assertion
        fields = ["badge", "q"]
        form = DsfrBaseForm

    def filter_queryset(self, queryset):
        # A querystring that does not validate (a badge out of the person's reach) filters
        # nothing: the whole list, with the form's error beside the field.
        if not self.form.is_valid():
            return queryset
        return super().filter_queryset(queryset)


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
