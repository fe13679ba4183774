"""Single sign-on: which account a person signing in through an OpenID provider gets.

The provider (ProConnect, an académie's own) proves who the person is; the platform decides
which account that is, and never what they may do: roles come from role assignments only.
"""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..constants import AuditAction, Role
from ..exceptions import ServiceError
from ..models import FederatedIdentity, User
from .people import grant_role

NAME_MAX_LENGTH = 150


def sign_in_with_identity(*, issuer, claims):
    """The account for the identity `claims` describe (verified userinfo of `issuer`).

    In this order:
    1. an identity already linked (issuer + sub) → its account;
    2. an active account holding the address **verified** (its login, or an address allauth
       has verified) → linked to it: the provider has proved the address is theirs, and so had
       the account's holder. A second provider, or ProConnect's new `sub` when an agent changes
       identity provider, lands here and adds an identity to the same account;
    3. no account uses the address in any way → a new teacher account (the role a local
       sign-up gets), its address verified since the provider vouches for it.
    An account or allauth address holding the same address **unverified** is never merged:
    anyone may sign up with someone else's address and keep its password, and merging would
    let that person into the real owner's account. Nothing is created either (the address is
    taken): the person is told to confirm the address first (`identity_address_unverified`).

    Returns the user; raises ServiceError (`identity_incomplete`, `identity_address_unverified`,
    `identity_inactive`). Idempotent: a second sign-in finds the identity of the first.
    """
    sub = str(claims.get("sub") or "").strip()
    email = User.objects.normalize_email(claims.get("email"))
    if not sub or not email:
        raise ServiceError(
            "identity_incomplete",
            _("Le fournisseur d'identité n'a pas transmis votre adresse électronique."),
        )
    try:
        return _sign_in(issuer=issuer, sub=sub, email=email, claims=claims)
    except IntegrityError:
        # The same person's first sign-in twice at once (a double click): the other request
        # created the identity or the account; this pass finds them.
        return _sign_in(issuer=issuer, sub=sub, email=email, claims=claims)


def _sign_in(*, issuer, sub, email, claims):
    idp_id = str(claims.get("idp_id") or "")[:255]
    now = timezone.now()
    with transaction.atomic():
        identity = (
            FederatedIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, sub=sub)
            .first()
        )
        if identity is not None:
            _refuse_inactive(identity.user)
            identity.idp_id = idp_id or identity.idp_id
            identity.last_login_at = now
            identity.save(update_fields=["idp_id", "last_login_at"])
            return identity.user

        user = _account_with_verified_address(email)
        created = user is None
        if created:
            if (
                User.objects.filter(email__iexact=email).exists()
                or EmailAddress.objects.filter(email__iexact=email).exists()
            ):
                raise ServiceError(
                    "identity_address_unverified",
                    _(
                        "Un compte Entrepairs utilise déjà cette adresse sans l'avoir "
                        "confirmée : il n'est pas relié automatiquement. Confirmez d'abord "
                        "l'adresse (connectez-vous avec votre mot de passe, ou demandez « Mot "
                        "de passe oublié » : le lien reçu la confirme), puis identifiez-vous "
                        "de nouveau."
                    ),
                )
            user, address = _create_teacher(email, claims)
        else:
            _refuse_inactive(user)
            _fill_missing_names(user, claims)
        identity = FederatedIdentity.objects.create(
            user=user, issuer=issuer, sub=sub, idp_id=idp_id, created_at=now, last_login_at=now
        )
        log(
            identity,
            AuditAction.LINK_IDENTITY,
            user=user,
            data={"issuer": issuer, "idp_id": idp_id, "new_account": created},
        )
        if created:
            # What waited for this address (badges awarded to it) reaches the new account, as
            # when allauth confirms an address.
            transaction.on_commit(
                lambda: email_confirmed.send(
                    sender=EmailAddress, request=None, email_address=address
                )
            )
    return user


def _account_with_verified_address(email):
    """The account whose holder proved `email`: as its login, else as an address allauth
    verified. An inactive one is returned too (and refused), never replaced by a new one."""
    user = User.objects.with_verified_email([email]).first()
    if user is not None:
        return user
    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True)
        .select_related("user")
        .order_by("-primary", "pk")
        .first()
    )
    return address.user if address else None


def _names(claims):
    first = str(claims.get("given_name") or "").strip()[:NAME_MAX_LENGTH]
    last = str(claims.get("usual_name") or claims.get("family_name") or "").strip()
    return first, last[:NAME_MAX_LENGTH]


def _create_teacher(email, claims):
    first_name, last_name = _names(claims)
    # No usable password: the provider is their way in (a password can be set by reset).
    user = User.objects.create_user(email, first_name=first_name, last_name=last_name)
    address = EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    grant_role(user=user, role=Role.TEACHER, by=user)
    return user, address


def _fill_missing_names(user, claims):
    first_name, last_name = _names(claims)
    changed = []
    if not user.first_name and first_name:
        user.first_name = first_name
        changed.append("first_name")
    if not user.last_name and last_name:
        user.last_name = last_name
        changed.append("last_name")
    if changed:
        user.save(update_fields=changed)


def _refuse_inactive(user):
    if not user.is_active:
        raise ServiceError(
            "identity_inactive",
            _("Ce compte est désactivé. Adressez-vous à la coordination de votre académie."),
        )
