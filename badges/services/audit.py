"""Audit entries written many at a time (Wagtail's log, Reports → Site history)."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.log_actions import get_active_log_context
from wagtail.log_actions import registry as log_registry


def log_many(instances, action, *, user=None, data=None):
    """`wagtail.log_actions.log` for many objects of one model, in one INSERT.

    The entries are those `log` writes one by one (same action, user, label, data and the
    active log context's uuid), without its per-entry `full_clean` (two queries) and INSERT:
    the action is checked once instead. Objects whose model has no log entry model are not
    logged, as with `log`.
    """
    instances = list(instances)
    if not instances:
        return []
    model = type(instances[0])
    entry_model = log_registry.get_log_model_for_model(model)
    if entry_model is None:
        return []
    if not log_registry.action_exists(action):
        raise ValueError(f"The log action {action!r} has not been registered.")
    context = get_active_log_context()
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    timestamp = timezone.now()
    return entry_model.objects.bulk_create(
        entry_model(
            content_type=content_type,
            object_id=str(instance.pk),
            label=entry_model.objects.get_instance_title(instance),
            action=action,
            timestamp=timestamp,
            data=data or {},
            user=user or context.user,
            uuid=context.uuid,
        )
        for instance in instances
    )
