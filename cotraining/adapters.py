from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import oidc
from .origin import public_url


class AccountAdapter(DefaultAccountAdapter):
    """Local accounts; sign-up can be closed (SIGNUP_OPEN=false) when an académie uses SSO."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "password_login_closed": _(
            "Ce compte se connecte avec %(provider)s : utilisez le bouton « S'identifier avec "
            "%(provider)s »."
        ),
    }

    def is_open_for_signup(self, request):
        return settings.SIGNUP_OPEN

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.lower()
        if commit:
            user.save()
        return user

    def get_email_confirmation_url(self, request, emailconfirmation):
        # The platform's one public origin, with or without a request (an address corrected by
        # a coordinator is confirmed from a link built after the admin's transaction commits).
        return public_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def authenticate(self, request, **credentials):
        """allauth's login form, the one password login (cms/auth.py). With
        OIDC_ONLY_FOR_LINKED_ACCOUNTS, an account that has signed in through the provider is
        refused here. Said only once the password is right: whoever does not know it learns
        nothing about the account (the usual "incorrect" message and rate limits apply)."""
        user = super().authenticate(request, **credentials)
        if (
            user is not None
            and settings.OIDC_ENABLED
            and settings.OIDC_ONLY_FOR_LINKED_ACCOUNTS
            and user.federated_identities.exists()
        ):
            raise ValidationError(
                self.error_messages["password_login_closed"]
                % {"provider": settings.OIDC_PROVIDER_NAME},
                code="password_login_closed",
            )
        return user

    def get_logout_redirect_url(self, request):
        # Signed in through the provider: its end_session ends its session too, then back here.
        return oidc.provider_logout_url(request) or super().get_logout_redirect_url(request)

    def logout(self, request):
        super().logout(request)
        oidc.remember_logout_state(request)
