"""Awarding, for the issuer's trainers and coordinators: by hand (people found by name or typed
addresses) or from a CSV file awarded by a job (badges.permissions decides who may award what).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from cotraining.exceptions import ServiceError

from .. import permissions
from ..forms import AwardForm, AwardSearchForm, BulkAwardForm, search_people
from ..services import bulk as bulk_awards
from ..services.awards import award_manually


def or_404(queryset):
    """The page exists only for people who have something to do on it."""
    if not queryset.exists():
        raise Http404
    return queryset


@login_required
def award(request):
    """ "Décerner un badge": choose a badge and people (search, or typed addresses)."""
    badge_classes = or_404(
        permissions.awardable_badge_classes(request.user)
        .select_related("issuer")
        .order_by("issuer__name", "name")
    )
    search = AwardSearchForm(request.GET or None, badge_classes=badge_classes)
    badge, term = None, ""
    if search.is_bound and search.is_valid():
        badge, term = search.cleaned_data["badge"], search.cleaned_data["q"]
    form = None
    if request.method == "POST":
        badge = _posted_badge(request, badge_classes)
    findable = permissions.findable_people(badge)
    candidates = search_people(term, within=findable)
    if request.method == "POST":
        form = AwardForm(
            request.POST, badge_classes=badge_classes, candidates=candidates, findable=findable
        )
        if form.is_valid():
            data = form.cleaned_data
            badge = data["badge_class"]
            try:
                awarded, already_had = award_manually(
                    badge_class=badge,
                    people=data["recipients"],
                    emails=data["emails"],
                    evidence_url=data["evidence_url"],
                    narrative=data["narrative"],
                    by=request.user,
                )
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                _report_award(request, badge, awarded, already_had)
                return redirect(f"{reverse('badges:award')}?{urlencode({'badge': badge.pk})}")
    elif badge is not None:
        form = AwardForm(
            initial={"badge_class": badge},
            badge_classes=badge_classes,
            candidates=candidates,
            findable=findable,
        )
    return render(
        request,
        "badges/award.html",
        {"search": search, "form": form, "badge": badge, "term": term, "candidates": candidates},
    )


def _posted_badge(request, badge_classes):
    """The badge a form names, None if none; one out of the person's reach is a 404."""
    posted = request.POST.get("badge_class", "").strip()
    if not posted:
        return None
    if not posted.isdigit():
        raise Http404
    return get_object_or_404(badge_classes, pk=posted)


def _report_award(request, badge, awarded, already_had):
    if awarded:
        messages.success(
            request,
            ngettext(
                "Badge « %(badge)s » décerné à %(count)s personne : %(people)s.",
                "Badge « %(badge)s » décerné à %(count)s personnes : %(people)s.",
                len(awarded),
            )
            % {
                "badge": badge.name,
                "count": len(awarded),
                "people": ", ".join(a.recipient_email for a in awarded),
            },
        )
    if already_had:
        messages.info(
            request,
            _("Déjà titulaires de ce badge, rien n'a changé pour eux : %(people)s.")
            % {"people": ", ".join(a.recipient_email for a in already_had)},
        )


@login_required
def bulk_award(request):
    """Award from a CSV file: the whole file is checked first, then a job awards it."""
    badge_classes = or_404(
        permissions.awardable_badge_classes(request.user)
        .select_related("issuer")
        .order_by("issuer__name", "name")
    )
    refused = None
    if request.method == "POST":
        _posted_badge(request, badge_classes)
        form = BulkAwardForm(request.POST, request.FILES, badge_classes=badge_classes)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = bulk_awards.validate_bulk_award_csv(upload)
            except bulk_awards.CsvInvalid as exc:
                refused = exc
            else:
                bulk = bulk_awards.start_bulk_award(
                    badge_class=form.cleaned_data["badge_class"],
                    rows=rows,
                    filename=upload.name,
                    by=request.user,
                )
                return redirect("badges:bulk_award_detail", pk=bulk.pk)
    else:
        form = BulkAwardForm(
            initial={"badge_class": request.GET.get("badge")}, badge_classes=badge_classes
        )
    recent = (
        permissions.visible_bulk_awards(request.user)
        .select_related("badge_class")
        .defer("rows")[:10]
    )
    return render(
        request,
        "badges/bulk_award.html",
        {"form": form, "refused": refused, "recent": recent},
        status=422 if refused else 200,
    )


def _bulk(request, pk):
    return get_object_or_404(
        permissions.visible_bulk_awards(request.user)
        .select_related("badge_class__issuer", "uploaded_by")
        .defer("rows"),
        pk=pk,
    )


@login_required
def bulk_award_detail(request, pk):
    return render(request, "badges/bulk_award_detail.html", {"bulk": _bulk(request, pk)})


@login_required
@require_GET
def bulk_award_progress(request, pk):
    """The progress fragment that the detail page polls (htmx) until the job is finished."""
    return render(request, "badges/includes/bulk_progress.html", {"bulk": _bulk(request, pk)})
