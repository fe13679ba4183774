"""Identities at OpenID providers (ProConnect, an académie's own) that log a person in."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import User


class FederatedIdentity(models.Model):
    """A person's identifier at an OpenID provider, the key single sign-on finds them by.

    ProConnect gives one `sub` per service and identity provider: an agent whose académie
    changes identity provider arrives with a new `sub`, so a person may hold several. Only what
    finding them again needs is kept (no siret, no uid): the issuer, the `sub`, and ProConnect's
    `idp_id` (which identity provider stands behind it).
    """

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="federated_identities",
        verbose_name=_("personne"),
    )
    issuer = models.CharField(_("fournisseur OpenID"), max_length=255)
    sub = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    idp_id = models.CharField(_("fournisseur d'identité"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("reliée le"), default=timezone.now)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("identité fédérée")
        verbose_name_plural = _("identités fédérées")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "sub"], name="federated_identity_unique_sub")
        ]

    def __str__(self):
        return f"{self.issuer} {self.sub}"
