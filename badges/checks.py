"""System checks of the Open Badges origin.

Every id a verifier fetches (assertion, badge class version, issuer, baked image) was written on
SITE_URL when the badge was issued: started on another origin, the site would issue badges
that disagree with those already in people's backpacks, and old ones would stop verifying. The
check refuses to start (`check`, `runserver`, `migrate`, gunicorn through cms/wsgi.py in
production) until SITE_URL is set back, or the platform is moved with `move_site_origin`.
"""

from django.core.checks import Error, register
from django.db import DatabaseError

from cotraining.origin import public_url

BADGES_PATH = "/badges/"


def issued_origin():
    """The origin the badges already issued were built on (from the latest published badge
    class version's `id`), or None when none was published (or the table is not there yet:
    a fresh database before migrate, a database that does not answer)."""
    from .models import BadgeClassVersion

    try:
        badge_id = (
            BadgeClassVersion.objects.order_by("-pk").values_list("document__id", flat=True).first()
        )
    except DatabaseError:
        return None
    if not isinstance(badge_id, str) or BADGES_PATH not in badge_id:
        return None
    return badge_id.split(BADGES_PATH, 1)[0]


@register()
def site_url_matches_issued_badges(app_configs=None, **kwargs):
    issued = issued_origin()
    current = public_url("")
    if issued is None or issued == current:
        return []
    return [
        Error(
            f"SITE_URL ({current}) is not the origin of the Open Badges already issued ({issued}).",
            hint=(
                f"Set SITE_URL={issued} again, or move the platform to the new origin with "
                f"`manage.py move_site_origin --from {issued} --to {current}`."
            ),
            id="badges.E001",
        )
    ]
