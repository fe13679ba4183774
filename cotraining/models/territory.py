"""Territory: académies, départements, circonscriptions and bassins, establishments (UAI)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..constants import Degree, EstablishmentType, SectorKind
from ..validators import validate_uai


class Academie(models.Model):
    """A rectorat's territory. Codes are those of the annuaire de l'éducation (Poitiers = 13)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("académie")
        verbose_name_plural = _("académies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Departement(models.Model):
    """Codes on three characters as in the annuaire and UAIs: 016, 075, 02A, 971."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    academie = models.ForeignKey(
        Academie, on_delete=models.PROTECT, related_name="departements", verbose_name=_("académie")
    )

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code.lstrip('0') or self.code} — {self.name}"


class Sector(models.Model):
    """A circonscription (1er degré, led by an IEN) or a bassin (2nd degré)."""

    kind = models.CharField(_("type"), max_length=20, choices=SectorKind.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("nom"), max_length=150)
    departement = models.ForeignKey(
        Departement, on_delete=models.PROTECT, related_name="sectors", verbose_name=_("département")
    )

    class Meta:
        verbose_name = _("circonscription ou bassin")
        verbose_name_plural = _("circonscriptions et bassins")
        ordering = ["departement__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["departement", "kind", "code"], name="sector_unique_code"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class Establishment(models.Model):
    """A school, identified by its UAI (ex-RNE)."""

    uai = models.CharField(_("UAI"), max_length=8, unique=True, validators=[validate_uai])
    name = models.CharField(_("nom"), max_length=200)
    type = models.CharField(
        _("type"), max_length=20, choices=EstablishmentType.choices, default=EstablishmentType.OTHER
    )
    degree = models.CharField(_("degré"), max_length=1, choices=Degree.choices, blank=True)
    commune = models.CharField(_("commune"), max_length=150, blank=True)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="establishments",
        verbose_name=_("département"),
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="establishments",
        verbose_name=_("circonscription ou bassin"),
    )

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name"]
        indexes = [models.Index(fields=["departement", "type"])]

    def __str__(self):
        return f"{self.name} ({self.commune}) — {self.uai}" if self.commune else self.name
