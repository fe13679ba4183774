"""Hosted Open Badges 2.0: one URL per issuer, badge class and assertion, JSON-LD for machines
and a page for people; the teacher's backpack ("Mes badges"); and, for the issuer's trainers and
coordinators, awarding by hand or from a file and revoking (badges.permissions decides who).

Verifiers, backpacks and LinkedIn previews hit the assertion URL often: the JSON answers carry an
ETag (a repeat gets 304), a short public cache lifetime and open CORS for GET.
"""

import hashlib
import json
import uuid as uuid_module
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache, caches
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from cotraining.confirmation import confirmation_page
from cotraining.exceptions import ServiceError

from .. import permissions, services
from ..forms import (
    AwardedFilterForm,
    AwardForm,
    AwardSearchForm,
    BulkAwardForm,
    RevokeForm,
    search_people,
)
from ..models import Assertion, BadgeClass, BadgeClassVersion, Issuer
from ..services import bulk as bulk_awards

JSON_LD = "application/ld+json"
# Machines first: a client that accepts anything (*/*) gets JSON; browsers ask for text/html.
OFFERED = [JSON_LD, "application/json", "text/html"]


def wants_json(request, suffix=""):
    if suffix == ".json" or request.GET.get("format") == "json":
        return True
    return request.get_preferred_type(OFFERED) != "text/html"


def serialized(document):
    """(body, ETag) of a JSON-LD document."""
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def json_response(request, document, *, status=200):
    return body_response(request, *serialized(document), status=status)


def body_response(request, body, etag, *, status=200):
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=f"{JSON_LD}; charset=utf-8")
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=300)
    patch_vary_headers(response, ["Accept"])
    return response


# Uploaded images open in a sandbox: even a file that escaped sanitising runs nothing.
sandboxed = csp_override(settings.UPLOADED_FILES_CSP)

HOSTED_METHODS = ["GET", "HEAD", "OPTIONS"]


def _cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    return response


def hosted(view):
    """A hosted Open Badges URL, read by verifiers and backpacks from any origin: GET and HEAD,
    OPTIONS answered as a CORS preflight, other methods 405; a JSON client asking for
    something that does not exist gets a JSON 404 (a browser, the site's page)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ", ".join(HOSTED_METHODS)
            response["Access-Control-Allow-Methods"] = ", ".join(HOSTED_METHODS)
            response["Access-Control-Allow-Headers"] = "Accept, If-None-Match"
            response["Access-Control-Max-Age"] = "86400"
            return _cors(response)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(HOSTED_METHODS)
        try:
            if "uuid" in kwargs:  # an upper-case UUID is the same UUID
                try:
                    kwargs["uuid"] = str(uuid_module.UUID(str(kwargs["uuid"])))
                except ValueError:
                    raise Http404 from None
            return view(request, *args, **kwargs)
        except Http404:
            if not wants_json(request, kwargs.get("suffix") or ""):
                raise
            return json_error(404, "not_found", _("Aucun document Open Badges à cette adresse."))

    return wrapper


def json_error(status, code, message):
    body = json.dumps({"error": code, "message": message}, ensure_ascii=False)
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    patch_vary_headers(response, ["Accept"])
    return _cors(response)


def canonical(response, url):
    """The `.json` variant and `?format=json` serve the document whose `id` is the canonical
    URL (Open Badges 2.0: an object's id is its one canonical URL); they say so."""
    response["Link"] = f'<{url}>; rel="canonical"'
    return response


def _image(field, *, cors=True):
    field.open("rb")
    name = field.name.lower()
    response = FileResponse(
        field, content_type="image/svg+xml" if name.endswith(".svg") else "image/png"
    )
    if cors:
        response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    return response


@hosted
def issuer(request, uuid, suffix=""):
    obj = get_object_or_404(Issuer, uuid=uuid)
    if wants_json(request, suffix):
        return canonical(json_response(request, services.issuer_document(obj)), obj.public_url)
    badge_classes = obj.badge_classes.order_by("name")
    return render(request, "badges/issuer.html", {"issuer": obj, "badge_classes": badge_classes})


@sandboxed
@hosted
def issuer_image(request, uuid):
    obj = get_object_or_404(Issuer.objects.exclude(image=""), uuid=uuid)
    return _image(obj.image)


@hosted
def badge_class(request, uuid, suffix=""):
    obj = get_object_or_404(BadgeClass.objects.select_related("issuer"), uuid=uuid)
    if wants_json(request, suffix):
        return canonical(json_response(request, services.badge_class_document(obj)), obj.public_url)
    return render(
        request,
        "badges/badge_class.html",
        {"badge": obj, "document": services.badge_class_document(obj)},
    )


@hosted
def badge_class_version(request, uuid, number, suffix=""):
    version = get_object_or_404(
        BadgeClassVersion.objects.select_related("badge_class__issuer"),
        badge_class__uuid=uuid,
        number=number,
    )
    if wants_json(request, suffix):
        return canonical(json_response(request, version.document), version.document["id"])
    return render(
        request,
        "badges/badge_class.html",
        {"badge": version.badge_class, "document": version.document, "version": version},
    )


@sandboxed
@hosted
def badge_class_image(request, uuid):
    return _image(get_object_or_404(BadgeClass, uuid=uuid).image)


@sandboxed
@hosted
def badge_class_version_image(request, uuid, number):
    version = get_object_or_404(
        BadgeClassVersion.objects.select_related("badge_class"),
        badge_class__uuid=uuid,
        number=number,
    )
    return _image(version.image_file)


def linkedin_url(assertion):
    """LinkedIn's "add a certification to your profile" link, prefilled."""
    issued = timezone.localtime(assertion.issued_on)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": assertion.badge_class.name,
        "organizationName": assertion.badge_class.issuer.name,
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": assertion.public_url,
        "certId": str(assertion.uuid),
    }
    if assertion.expires:
        expires = timezone.localtime(assertion.expires)
        params.update(expirationYear=expires.year, expirationMonth=expires.month)
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


@hosted
def assertion(request, uuid, suffix=""):
    if wants_json(request, suffix):
        return _assertion_json(request, uuid)
    obj = get_object_or_404(
        Assertion.objects.select_related("badge_class__issuer", "version", "recipient"),
        uuid=uuid,
    )
    return render(
        request,
        "badges/assertion.html",
        {
            "assertion": obj,
            "badge": obj.version.document,
            "issuer": obj.badge_class.issuer,
            "mine": request.user.is_authenticated and obj.recipient_id == request.user.pk,
            "linkedin_url": linkedin_url(obj),
        },
        status=410 if obj.revoked else 200,
    )


def _assertion_json(request, uuid):
    """The hosted assertion, the URL every verifier and preview hits: its serialized response
    is cached, shared and per process (revocation clears both after commit,
    badges.services.forget_assertion), so a repeat costs no query; another web process may lag
    by ASSERTION_LOCAL_SECONDS."""
    key = services.assertion_cache_key(uuid)
    local = caches["local"]
    cached = local.get(key)
    if cached is None:
        cached = cache.get(key)
        if cached is None:
            obj = get_object_or_404(Assertion.objects.select_related("version"), uuid=uuid)
            if obj.revoked:
                cached = (410, *serialized(services.revoked_document(obj)))
            else:
                cached = (200, *serialized(services.assertion_document(obj)))
            cache.set(key, cached, services.ASSERTION_CACHE_SECONDS)
        local.set(key, cached, services.ASSERTION_LOCAL_SECONDS)
    status, body, etag = cached
    return canonical(
        body_response(request, body, etag, status=status),
        services.site_url(reverse("badges:assertion", kwargs={"uuid": uuid})),
    )


@sandboxed
@hosted
def assertion_image(request, uuid):
    obj = get_object_or_404(Assertion.objects.exclude(image=""), uuid=uuid, revoked=False)
    response = _image(obj.image)
    ext = services.image_extension(obj.badge_class)
    response["Content-Disposition"] = f'inline; filename="badge-{obj.uuid}.{ext}"'
    return response


# --- The backpack -------------------------------------------------------------------------


def _mine(user):
    return Assertion.objects.filter(recipient=user).select_related("badge_class__issuer")


@login_required
def my_badges(request):
    return render(request, "badges/my_badges.html", {"assertions": _mine(request.user)})


@login_required
@require_POST
def toggle_public(request, uuid):
    obj = get_object_or_404(_mine(request.user), uuid=uuid)
    obj.public = not obj.public
    obj.save(update_fields=["public"])
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
        services.assertion_document(a)
        for a in _mine(request.user).select_related("version").filter(revoked=False)
    ]
    response = HttpResponse(
        json.dumps(documents, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="mes-badges.json"'
    return response


# --- Awarding and revoking, for the issuer's trainers and coordinators ----------------------


def _or_404(queryset):
    """The page exists only for people who have something to do on it."""
    if not queryset.exists():
        raise Http404
    return queryset


@login_required
def award(request):
    """ "Décerner un badge": choose a badge and people (search, or typed addresses)."""
    badge_classes = _or_404(
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
                awarded, already_had = bulk_awards.award_manually(
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
    badge_classes = _or_404(
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


AWARDED_PER_PAGE = 50


@login_required
def awarded_list(request):
    """ "Badges décernés": the issuer's admins find assertions and revoke them with a reason."""
    badge_classes = _or_404(
        permissions.revocable_badge_classes(request.user)
        .select_related("issuer")
        .order_by("issuer__name", "name")
    )
    filters = AwardedFilterForm(request.GET or None, badge_classes=badge_classes)
    assertions = permissions.revocable_assertions(request.user).select_related(
        "badge_class", "recipient"
    )
    if filters.is_bound and filters.is_valid():
        if filters.cleaned_data["badge"]:
            assertions = assertions.filter(badge_class=filters.cleaned_data["badge"])
        if filters.cleaned_data["q"]:
            assertions = assertions.filter(recipient_email__icontains=filters.cleaned_data["q"])
    page = Paginator(assertions.order_by("-issued_on", "-pk"), AWARDED_PER_PAGE).get_page(
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
    count = services.revoke_assertions(
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
