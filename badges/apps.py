from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Reconnaissance et indicateurs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allauth.account.signals import email_confirmed

        from cotraining.signals import completion_withdrawn, workshop_completed

        from . import checks  # noqa: F401  (registers the origin check)
        from .receivers import (
            award_on_completion,
            link_awards_on_email_confirmed,
            redact_pix_codes_after_migrate,
            revoke_on_withdrawal,
        )

        # dispatch_uid: imported twice (tests, autoreload), the receiver still runs once.
        workshop_completed.connect(award_on_completion, dispatch_uid="badges.award_on_completion")
        completion_withdrawn.connect(
            revoke_on_withdrawal, dispatch_uid="badges.revoke_on_withdrawal"
        )
        email_confirmed.connect(
            link_awards_on_email_confirmed, dispatch_uid="badges.link_awards_on_email_confirmed"
        )
        post_migrate.connect(
            redact_pix_codes_after_migrate, sender=self, dispatch_uid="badges.redact_pix_codes"
        )
