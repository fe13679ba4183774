"""Public forms of the badges layer: award by hand, award from a file, revoke."""

from django import forms
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cotraining.folding import fold
from cotraining.models import Competence, User

from .constants import (
    CRCN_CODES,
    PIX_MAX_SCORE,
    PIX_TOP_LEVEL,
    PixPlusEduLevel,
    PixPlusEduScope,
    level_field,
)
from .models import Assertion, BadgeClass
from .services import pix
from .validators import validate_attestation_pdf

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_SEARCH_RESULTS = 20
MAX_PIX_IMPORT_BYTES = 50 * 1024 * 1024  # 200,000 lines of a Pix Orga export: about 20 MB


def search_people(term, *, within):
    """People of `within` whose name or address holds every word of the term (at most 20, by
    name), accents and letter case aside: "lea mar" finds Léa Marchand (User.search_name)."""
    words = fold(term).split()
    if len("".join(words)) < 2:
        return User.objects.none()
    query = Q()
    for word in words[:4]:
        query &= Q(search_name__contains=word)
    # Ids first: a sliced queryset cannot be combined with the posted choices later.
    ids = list(
        within.filter(query, is_active=True)
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

    def __init__(self, *args, badge_classes, candidates, findable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["badge_class"].queryset = badge_classes
        chosen = []
        if self.is_bound:
            chosen = [pk for pk in self.data.getlist("recipients") if str(pk).isdigit()]
        # People listed by the search, plus those already ticked (kept across a failed POST),
        # never anyone the search could not have found.
        self.fields["recipients"].queryset = findable.filter(
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
            "UTF-8 ou Windows-1252, séparateur « ; », « , » ou tabulation. Colonnes : email "
            "(obligatoire), evidence_url, narrative, issued_on et expires (dates JJ/MM/AAAA ou "
            "AAAA-MM-JJ ; une date d'expiration déjà passée est refusée). 2 Mo au plus."
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


# --- PIX certifications -----------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PixCertificationForm(DsfrBaseForm):
    """A certification as printed on the PIX certificate (its 16 levels, score and code)."""

    taken_on = forms.DateField(label=_("Date de la certification"), widget=DateInput())
    score = forms.IntegerField(
        label=_("Score (nombre de pix)"),
        min_value=0,
        max_value=PIX_MAX_SCORE,
        help_text=_("Entre 0 et 1024."),
    )
    max_level = forms.IntegerField(
        label=_("Niveau maximal atteignable"),
        required=False,
        min_value=1,
        max_value=PIX_TOP_LEVEL,
        help_text=_("Indiqué sur le certificat ; vide : celui en vigueur à cette date."),
    )
    verification_code = forms.CharField(
        label=_("Code de vérification"),
        max_length=12,
        help_text=_("Sur le certificat : P- suivi de 8 caractères, par exemple P-2BC4DF6G."),
    )
    attestation = forms.FileField(
        label=_("Attestation (PDF)"),
        required=False,
        validators=[validate_attestation_pdf],
        help_text=_("Facultative : le certificat téléchargé depuis Pix, 2 Mo au plus."),
        widget=forms.FileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
    pix_plus_edu_scope = forms.ChoiceField(
        label=_("Pix+ Édu : volet"),
        required=False,
        choices=[("", _("Pas de Pix+ Édu"))] + list(PixPlusEduScope.choices),
    )
    pix_plus_edu_automated = forms.TypedChoiceField(
        label=_("Pix+ Édu : niveau du volet automatisé"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + list(PixPlusEduLevel.choices),
    )
    pix_plus_edu_jury = forms.TypedChoiceField(
        label=_("Pix+ Édu : niveau du volet jury"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("En attente du jury"))] + list(PixPlusEduLevel.choices),
    )
    pix_plus_edu_jury_on = forms.DateField(
        label=_("Pix+ Édu : date du jury"), required=False, widget=DateInput()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        names = Competence.objects.crcn_names()
        for code in CRCN_CODES:
            self.fields[level_field(code)] = forms.IntegerField(
                label=f"{code} {names.get(code, '')}".strip(),
                min_value=0,
                max_value=PIX_TOP_LEVEL,
                initial=0,
            )

    def competence_fields(self):
        return [self[level_field(code)] for code in CRCN_CODES]

    def general_fields(self):
        return [self[name] for name in ("taken_on", "score", "max_level", "verification_code")]

    def pix_plus_edu_fields(self):
        return [
            self[name]
            for name in (
                "pix_plus_edu_scope",
                "pix_plus_edu_automated",
                "pix_plus_edu_jury",
                "pix_plus_edu_jury_on",
            )
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        edu = None
        if cleaned.get("pix_plus_edu_scope"):
            if cleaned.get("pix_plus_edu_automated") is None:
                self.add_error(
                    "pix_plus_edu_automated", _("Indiquez le niveau du volet automatisé.")
                )
                return cleaned
            edu = pix.PixPlusEdu(
                cleaned["pix_plus_edu_scope"],
                cleaned["pix_plus_edu_automated"],
                cleaned.get("pix_plus_edu_jury"),
                cleaned.get("pix_plus_edu_jury_on"),
            )
        data = pix.CertificationData(
            taken_on=cleaned["taken_on"],
            score=cleaned["score"],
            max_level=cleaned.get("max_level") or pix.max_level_on(cleaned["taken_on"]),
            levels={code: cleaned[level_field(code)] for code in CRCN_CODES},
            verification_code=pix.normalize_code(cleaned["verification_code"]),
            pix_plus_edu=edu,
        )
        for problem in pix.check_certification(data):
            self.add_error(None, problem)
        self.certification = data
        return cleaned


class JuryResultForm(DsfrBaseForm):
    jury_level = forms.TypedChoiceField(
        label=_("Niveau décidé par le jury"),
        coerce=int,
        choices=list(PixPlusEduLevel.choices),
    )
    jury_on = forms.DateField(label=_("Date du jury"), widget=DateInput())


class PixRejectForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=255,
        help_text=_("L'enseignant le lit dans « Mes certifications »."),
    )


class PixImportForm(DsfrBaseForm):
    file = forms.FileField(
        label=_("Export Pix Orga (CSV)"),
        help_text=_(
            "Séparateur « ; », UTF-8 (avec ou sans BOM) ou Windows-1252, 50 Mo au plus. "
            "Colonnes décrites ci-dessous."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_PIX_IMPORT_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 50 Mo."), code="too_large")
        return file


class StaffPixCertificationForm(PixCertificationForm):
    """Staff record a certificate for a person of their territory (then counted as verified)."""

    email = forms.EmailField(
        label=_("Adresse électronique de la personne"),
        help_text=_("Une personne de votre territoire, inscrite sur Entrepairs."),
    )
    field_order = ["email"]

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = people

    def general_fields(self):
        return [self["email"], *super().general_fields()]

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        person = self.people.filter(email__iexact=email).first()
        if person is None:
            raise forms.ValidationError(
                _("Aucune personne de votre territoire n'a cette adresse sur Entrepairs."),
                code="unknown_person",
            )
        self.person = person
        return email
