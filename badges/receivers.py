"""What the badges layer does when the co-training layer announces something."""


def award_on_completion(sender, completion, **kwargs):
    """A workshop was completed (sent after commit): award its badges in a Celery task."""
    from .tasks import award_completion_badges

    award_completion_badges.delay(completion.pk)


def revoke_on_withdrawal(sender, user, workshop, **kwargs):
    """Attendance corrected so that a completion no longer stands: revoke what it earned."""
    from .tasks import revoke_withdrawn_completion_badges

    revoke_withdrawn_completion_badges.delay(user.pk, workshop.pk)


def link_awards_on_email_confirmed(sender, request, email_address, **kwargs):
    """allauth confirmed an address: the badges awarded to it before now reach its owner."""
    from .services import link_awards_to_verified_address

    link_awards_to_verified_address(user=email_address.user, email=email_address.email)
