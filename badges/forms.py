"""Public forms of the badges layer: award by hand, award from a file, revoke."""

from django import forms
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cotraining.models import User

from .models import Assertion, BadgeClass

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_SEARCH_RESULTS = 20


def search_people(term):
    """Active people whose name or address contains the term (at most 20, by name)."""
    term = (term or "").strip()
    if len(term) < 2:
        return User.objects.none()
    query = Q(email__icontains=term)
    for word in term.split():
        query |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    # Ids first: a sliced queryset cannot be combined with the posted choices later.
    ids = list(
        User.objects.filter(query, is_active=True)
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", flat=True)[:MAX_SEARCH_RESULTS]
    )
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "pk")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} — {obj.email}" if name else obj.email


class EmailListField(forms.CharField):
    """Addresses typed one per line (or separated by commas or semicolons)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        value = super().to_python(value)
        parts = [p.strip().lower() for p in value.replace(";", "\n").replace(",", "\n").split()]
        return list(dict.fromkeys(p for p in parts if p))

    def validate(self, value):
        super().validate(value)
        bad = []
        for email in value:
            try:
                validate_email(email)
            except forms.ValidationError:
                bad.append(email)
        if bad:
            raise forms.ValidationError(
                _("Adresses invalides : %(emails)s"),
                code="invalid",
                params={"emails": ", ".join(bad)},
            )


class AwardSearchForm(DsfrBaseForm):
    """Step one, a GET form: which badge, and whom to look for."""

    badge = forms.ModelChoiceField(
        label=_("Badge"), queryset=BadgeClass.objects.none(), empty_label=_("Choisir un badge")
    )
    q = forms.CharField(
        label=_("Rechercher une personne"),
        required=False,
        max_length=100,
        help_text=_("Nom, prénom ou adresse électronique (2 caractères au moins)."),
    )

    def __init__(self, *args, badge_classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["badge"].queryset = badge_classes


class AwardForm(DsfrBaseForm):
    """Step two: the chosen people and addresses, with what they did."""

    badge_class = forms.ModelChoiceField(
        queryset=BadgeClass.objects.none(), widget=forms.HiddenInput
    )
    recipients = PersonChoiceField(
        label=_("Personnes trouvées"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    emails = EmailListField(
        label=_("Autres adresses électroniques"),
        required=False,
        help_text=_("Pour les personnes sans compte : une adresse par ligne."),
    )
    evidence_url = forms.URLField(
        label=_("Lien vers une preuve"),
        required=False,
        assume_scheme="https",
        help_text=_("Facultatif : une production, une page, un document en ligne."),
    )
    narrative = forms.CharField(
        label=_("Ce que la personne a fait pour l'obtenir"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, badge_classes, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["badge_class"].queryset = badge_classes
        chosen = []
        if self.is_bound:
            chosen = [pk for pk in self.data.getlist("recipients") if str(pk).isdigit()]
        # People listed by the search, plus those already ticked (kept across a failed POST).
        self.fields["recipients"].queryset = User.objects.filter(
            Q(pk__in=candidates.values("pk")) | Q(pk__in=chosen), is_active=True
        ).order_by("last_name", "first_name", "pk")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("recipients") and not cleaned.get("emails") and not self.errors:
            raise forms.ValidationError(
                _("Cochez au moins une personne ou saisissez une adresse."), code="no_recipient"
            )
        return cleaned


class BulkAwardForm(DsfrBaseForm):
    badge_class = forms.ModelChoiceField(
        label=_("Badge"), queryset=BadgeClass.objects.none(), empty_label=_("Choisir un badge")
    )
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_(
            "UTF-8, séparateur « ; » ou « , ». Colonnes : email (obligatoire), evidence_url, "
            "narrative, issued_on et expires (dates AAAA-MM-JJ). 2 Mo au plus."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, badge_classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["badge_class"].queryset = badge_classes

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 2 Mo."), code="too_large")
        return file


class RevokeForm(DsfrBaseForm):
    assertions = forms.ModelMultipleChoiceField(
        label=_("Badges à révoquer"),
        queryset=Assertion.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Cochez au moins un badge décerné.")},
    )
    reason = forms.CharField(
        label=_("Motif de la révocation"),
        max_length=255,
        help_text=_("Visible des vérificateurs du badge."),
    )

    def __init__(self, *args, assertions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assertions"].queryset = assertions


class AwardedFilterForm(DsfrBaseForm):
    badge = forms.ModelChoiceField(
        label=_("Badge"),
        queryset=BadgeClass.objects.none(),
        required=False,
        empty_label=_("Tous les badges"),
    )
    q = forms.CharField(label=_("Adresse du titulaire"), required=False, max_length=100)

    def __init__(self, *args, badge_classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["badge"].queryset = badge_classes
