"""What search needs besides the index: the synonyms people use for the same thing."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..folding import fold


class SearchSynonym(models.Model):
    """Words or phrases that mean the same in a search: "visio, visioconférence, classe virtuelle".

    Typing any of them finds what mentions any other (cotraining.search). Coordinators and
    platform administrators edit the list in the admin ("Synonymes de recherche").
    """

    terms = models.CharField(
        _("termes équivalents"),
        max_length=500,
        unique=True,
        help_text=_(
            "Mots ou expressions de même sens, séparés par des virgules : "
            "« visio, visioconférence, classe virtuelle »."
        ),
    )

    class Meta:
        verbose_name = _("synonymes de recherche")
        verbose_name_plural = _("synonymes de recherche")
        ordering = ["terms"]

    def __str__(self):
        return self.terms

    @staticmethod
    def split(terms):
        """The distinct terms of a comma-separated list, spaces tidied, in order."""
        parts = (" ".join(part.split()) for part in (terms or "").split(","))
        return list(dict.fromkeys(part for part in parts if part))

    def clean(self):
        super().clean()
        terms = self.split(self.terms)
        if len({fold(term) for term in terms}) < 2:
            raise ValidationError(
                {"terms": _("Indiquez au moins deux termes différents, séparés par des virgules.")}
            )
        self.terms = ", ".join(terms)
