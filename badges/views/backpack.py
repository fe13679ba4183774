"""The holder's backpack ("Mes badges"): their badges, their downloads, what they show."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Assertion
from ..services.backpack import set_assertion_public
from ..services.openbadges import assertion_document


def _mine(user):
    return Assertion.objects.filter(recipient=user).select_related("badge_class__issuer")


@login_required
def my_badges(request):
    return render(request, "badges/my_badges.html", {"assertions": _mine(request.user)})


@login_required
@require_POST
def toggle_public(request, uuid):
    obj = get_object_or_404(_mine(request.user), uuid=uuid)
    set_assertion_public(assertion=obj, public=not obj.public, by=request.user)
    messages.success(
        request,
        _("Votre nom apparaît désormais sur la page publique de ce badge.")
        if obj.public
        else _("Votre nom n'apparaît plus sur la page publique de ce badge."),
    )
    return redirect("badges:my_badges")


@login_required
def export_badges(request):
    """All the person's assertions as a JSON list of Open Badges 2.0 assertions."""
    documents = [
        assertion_document(a)
        for a in _mine(request.user).select_related("version").filter(revoked=False)
    ]
    response = HttpResponse(
        json.dumps(documents, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="mes-badges.json"'
    return response
