"""What the badges layer does when the co-training layer announces something."""


def award_on_completion(sender, completion, **kwargs):
    """A workshop was completed (sent after commit): award its badges in a Celery task."""
    from .tasks import award_completion_badges

    award_completion_badges.delay(completion.pk)
