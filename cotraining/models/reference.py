"""Reference data: the disciplines taught and the competences (CRCN, Pix+ Édu) workshops aim at.

Loaded by migrations from cotraining/data/*.csv (cotraining.reference) and read everywhere.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..constants import Framework


class Discipline(models.Model):
    """A subject taught (2nd degré) or the polyvalent teaching of the 1er degré."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CompetenceQuerySet(models.QuerySet):
    def crcn_names(self):
        """{"1.1": "Mener une recherche et une veille d'information", …}: the 16 CRCN names."""
        return dict(self.filter(framework=Framework.CRCN).values_list("code", "name"))


class Competence(models.Model):
    """A competence of the CRCN (1.1 … 5.2, what PIX certifies) or a Pix+ Édu scope.

    Reference data loaded by a migration from cotraining/data/competences.csv.
    """

    framework = models.CharField(_("référentiel"), max_length=20, choices=Framework.choices)
    code = models.CharField(_("code"), max_length=10)
    domain = models.CharField(_("domaine"), max_length=100)
    name = models.CharField(_("nom"), max_length=150)

    objects = CompetenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["framework", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="competence_unique_code")
        ]

    def __str__(self):
        if self.framework == Framework.CRCN:
            return f"{self.code} {self.name}"
        return self.name
