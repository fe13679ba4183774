from django.db import models
from django.utils.translation import gettext_lazy as _


class Licence(models.TextChoices):
    """Creative Commons licences (and the default French public-sector open licence)."""

    CC_BY = "cc-by", _("CC BY — Attribution")
    CC_BY_SA = "cc-by-sa", _("CC BY-SA — Attribution, partage dans les mêmes conditions")
    CC_BY_NC = "cc-by-nc", _("CC BY-NC — Attribution, pas d'utilisation commerciale")
    CC_BY_NC_SA = (
        "cc-by-nc-sa",
        _(
            "CC BY-NC-SA — Attribution, pas d'utilisation commerciale, "
            "partage dans les mêmes conditions"
        ),
    )
    CC_BY_ND = "cc-by-nd", _("CC BY-ND — Attribution, pas de modification")
    CC_BY_NC_ND = (
        "cc-by-nc-nd",
        _("CC BY-NC-ND — Attribution, pas d'utilisation commerciale, pas de modification"),
    )
    CC0 = "cc0", _("CC0 — Domaine public")
    ETALAB = "etalab-2.0", _("Licence Ouverte / Etalab 2.0")
    ALL_RIGHTS = "all-rights", _("Tous droits réservés")
