from django.utils.functional import SimpleLazyObject

from .permissions import awardable_badge_classes, can_read_pix_list, revocable_badge_classes


def badge_rights(request):
    """Whether the person may award or revoke badges (for the navigation), queried only when a
    template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_award": SimpleLazyObject(lambda: awardable_badge_classes(user).exists()),
        "can_revoke": SimpleLazyObject(lambda: revocable_badge_classes(user).exists()),
        "can_read_pix": SimpleLazyObject(lambda: can_read_pix_list(user)),
    }
