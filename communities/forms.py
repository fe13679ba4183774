from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cotraining.constants import Framework
from cotraining.models import Competence

from .constants import EscalationCategory
from .models import Escalation, Question


class QuestionForm(DsfrBaseForm):
    title = forms.CharField(
        label=_("Titre de la question"),
        max_length=Question._meta.get_field("title").max_length,
        help_text=_("Une phrase, par exemple : un outil pour les élèves dyslexiques ?"),
    )
    text = forms.CharField(
        label=_("Votre question"),
        max_length=Question._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Le contexte, ce que vous avez essayé. Texte simple."),
    )
    tags = forms.CharField(
        label=_("Mots-clés (facultatif)"),
        max_length=Question._meta.get_field("tags").max_length,
        required=False,
        help_text=_("Séparés par des virgules, par exemple : dyslexie, évaluation."),
    )
    competences = forms.ModelMultipleChoiceField(
        label=_("Compétences du CRCN (facultatif)"),
        queryset=Competence.objects.filter(framework=Framework.CRCN),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AnswerForm(DsfrBaseForm):
    text = forms.CharField(
        label=_("Votre réponse"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class CommentForm(DsfrBaseForm):
    text = forms.CharField(
        label=_("Votre commentaire"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EscalationForm(DsfrBaseForm):
    category = forms.ChoiceField(label=_("Catégorie"), choices=EscalationCategory.choices)
    title = forms.CharField(
        label=_("Objet"), max_length=Escalation._meta.get_field("title").max_length
    )
    text = forms.CharField(
        label=_("Description de la difficulté"),
        max_length=Escalation._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Ce que vous observez sur le terrain et ce qui vous aiderait. L'inspection qui anime "
            "la communauté vous répondra."
        ),
    )


class EscalationResponseForm(DsfrBaseForm):
    response = forms.CharField(
        label=_("Réponse de l'inspection"),
        max_length=Escalation._meta.get_field("response").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class SearchForm(DsfrBaseForm):
    q = forms.CharField(label=_("Rechercher une question"), max_length=200, required=False)
