from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from .origin import public_url


class AccountAdapter(DefaultAccountAdapter):
    """Local accounts; sign-up can be closed (SIGNUP_OPEN=false) when an académie uses SSO."""

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
