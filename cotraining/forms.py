from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.permission_policies.pages import PagePermissionPolicy

from .constants import Degree, Role
from .models import Discipline, Establishment, Session, WorkshopPage
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
    """A session in the admin: only workshops the person may edit can be chosen."""

    class Meta:
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
            self.fields["workshop"].queryset = WorkshopPage.objects.filter(
                pk__in=editable.values("pk")
            ).order_by("title")
        if self.instance.pk:
            # A session belongs to its workshop: moving it would move its enrolments.
            self.fields["workshop"].disabled = True
