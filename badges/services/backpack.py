"""The holder's own badges ("Mes badges"): what they choose to show of them."""

from django.db import transaction
from wagtail.log_actions import log

from ..models import Assertion

# Wagtail's own "edited" action: the entry says what changed in its data ({"public": …}).
EDIT = "wagtail.edit"


def set_assertion_public(*, assertion, public, by):
    """Show the holder's name on the badge's public page, or hide it again; returns whether
    anything changed.

    Public pages never show what the holder did not choose to publish: only the holder decides
    (the caller looks the assertion up among theirs). Idempotent: asking for what is already so
    writes nothing and logs nothing; two requests racing write once (a conditional UPDATE).
    """
    public = bool(public)
    with transaction.atomic():
        changed = (
            Assertion.objects.filter(pk=assertion.pk).exclude(public=public).update(public=public)
        )
        if changed:
            log(assertion, EDIT, user=by, data={"public": public})
    assertion.public = public
    return bool(changed)
