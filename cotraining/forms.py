from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.permission_policies.pages import PagePermissionPolicy

from .choosers import EstablishmentChooserWidget
from .constants import Degree, Role
from .models import Discipline, Establishment, Session, WorkshopPage
from .permissions import choosable_establishments
from .services import grant_role
from .validators import normalize_uai, validate_uai


class SignupExtraForm(DsfrBaseForm):
    """Fields allauth adds to its sign-up form; a new account is a teacher."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)

    def signup(self, request, user):
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.save(update_fields=["first_name", "last_name"])
        grant_role(user=user, role=Role.TEACHER, by=user)


class EstablishmentByUaiField(forms.Field):
    """An establishment typed by its UAI: a select of 60,000 schools helps nobody."""

    widget = forms.TextInput(attrs={"maxlength": 8, "autocomplete": "off"})

    def to_python(self, value):
        value = normalize_uai(value or "")
        if not value:
            return None
        validate_uai(value)
        try:
            return Establishment.objects.select_related("departement").get(uai=value)
        except Establishment.DoesNotExist:
            raise ValidationError(
                _("Aucun établissement n'a le code UAI %(uai)s dans l'annuaire."),
                code="uai_unknown",
                params={"uai": value},
            ) from None

    def prepare_value(self, value):
        if isinstance(value, Establishment):
            return value.uai
        if isinstance(value, int):
            establishment = Establishment.objects.filter(pk=value).first()
            return establishment.uai if establishment else ""
        return value


class ProfileForm(DsfrBaseForm):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    degree = forms.ChoiceField(
        label=_("Degré"), choices=[("", _("Non renseigné")), *Degree.choices], required=False
    )
    disciplines = forms.ModelMultipleChoiceField(
        label=_("Disciplines"),
        queryset=Discipline.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    establishment = EstablishmentByUaiField(
        label=_("Établissement d'exercice (code UAI)"),
        required=False,
        help_text=_("7 chiffres et une lettre, par exemple 0860034V."),
    )


class SessionAdminForm(WagtailAdminModelForm):
    """A session in the admin: only workshops the person may edit can be chosen, and its venue
    among the establishments of their académies, through a searchable chooser (thousands of
    schools in a select helped nobody)."""

    # Meta inherits WagtailAdminModelForm's: its formfield_callback is what gives the admin's
    # widgets (AdminDateTimeInput's date pickers, choosers); a bare Meta lost them.
    class Meta(WagtailAdminModelForm.Meta):
        model = Session
        fields = [
            "workshop",
            "modality",
            "start",
            "end",
            "establishment",
            "address",
            "room",
            "visio_url",
            "capacity",
            "enrollment_opens",
            "enrollment_closes",
        ]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and "workshop" in self.fields:
            editable = PagePermissionPolicy().instances_user_has_permission_for(for_user, "change")
            # A list of the workshops this person may edit, not the page chooser's whole tree.
            self.fields["workshop"].widget = forms.Select()
            self.fields["workshop"].queryset = WorkshopPage.objects.filter(
                pk__in=editable.values("pk")
            ).order_by("title")
        if self.instance.pk:
            # A session belongs to its workshop: moving it would move its enrolments.
            self.fields["workshop"].disabled = True
        if "establishment" in self.fields:
            field = self.fields["establishment"]
            field.widget = EstablishmentChooserWidget()
            if for_user is not None:
                # The venue already chosen stays valid when the session is edited.
                current = Q(pk=self.instance.establishment_id) if self.instance.pk else Q()
                field.queryset = Establishment.objects.filter(
                    Q(pk__in=choosable_establishments(for_user).values("pk")) | current
                )

    def clean(self):
        cleaned = super().clean()
        workshop = cleaned.get("workshop") or (self.instance.pk and self.instance.workshop)
        establishment = cleaned.get("establishment")
        if (
            workshop
            and establishment
            and workshop.academie_id
            and establishment.departement.academie_id != workshop.academie_id
            and establishment.pk != self.instance.establishment_id
        ):
            self.add_error(
                "establishment",
                _("Choisissez un établissement de l'académie de l'atelier (%(academie)s).")
                % {"academie": workshop.academie},
            )
        return cleaned
