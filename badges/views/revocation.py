"""The awarded badges of an issuer ("Badges décernés"): its coordinators find assertions and
revoke them with a reason (badges.permissions.revocable_assertions)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cotraining.confirmation import confirmation_page

from .. import permissions
from ..filters import AssertionFilterSet
from ..forms import RevokeForm
from ..services.revocation import revoke_assertions
from .awarding import or_404

AWARDED_PER_PAGE = 50


@login_required
def awarded_list(request):
    """ "Badges décernés": the issuer's admins find assertions and revoke them with a reason."""
    or_404(permissions.revocable_badge_classes(request.user))
    assertions = permissions.revocable_assertions(request.user).select_related(
        "badge_class", "recipient"
    )
    filters = AssertionFilterSet(request.GET or None, queryset=assertions, request=request)
    page = Paginator(filters.qs.order_by("-issued_on", "-pk"), AWARDED_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "badges/awarded_list.html",
        {
            "filters": filters,
            "page": page,
            "revoke_form": RevokeForm(assertions=assertions.none()),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_POST
def revoke(request):
    """Revoke the ticked assertions with one reason; one outside the person's reach is a 404."""
    allowed = permissions.revocable_assertions(request.user)
    ids = [pk for pk in request.POST.getlist("assertions") if pk.isdigit()]
    if len(ids) != len(request.POST.getlist("assertions")) or (
        allowed.filter(pk__in=ids).count() != len(set(ids))
    ):
        raise Http404
    form = RevokeForm(request.POST, assertions=allowed)
    back = reverse("badges:awarded_list")
    if request.POST.get("query"):
        back += "?" + request.POST["query"]
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    chosen = list(form.cleaned_data["assertions"].select_related("badge_class"))
    unconfirmed = confirmation_page(
        request,
        question=ngettext(
            "Révoquer définitivement %(count)s badge ?",
            "Révoquer définitivement %(count)s badges ?",
            len(chosen),
        )
        % {"count": len(chosen)},
        details=[
            *(f"{a.badge_class.name} — {a.recipient_email}" for a in chosen),
            _("Motif : %(reason)s") % {"reason": form.cleaned_data["reason"]},
        ],
        confirm_label=_("Oui, révoquer"),
        back_url=back,
        keep=["assertions", "reason", "query"],
    )
    if unconfirmed:
        return unconfirmed
    count = revoke_assertions(
        assertions=form.cleaned_data["assertions"],
        reason=form.cleaned_data["reason"],
        by=request.user,
    )
    messages.success(
        request,
        ngettext("%(count)s badge révoqué.", "%(count)s badges révoqués.", count)
        % {"count": count},
    )
    return redirect(back)
