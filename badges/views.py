"""Hosted Open Badges 2.0: one URL per issuer, badge class and assertion, JSON-LD for machines
and a page for people; and the teacher's backpack ("Mes badges").

Verifiers, backpacks and LinkedIn previews hit the assertion URL often: the JSON answers carry an
ETag (a repeat gets 304), a short public cache lifetime and open CORS for GET.
"""

import hashlib
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import services
from .models import Assertion, BadgeClass, BadgeClassVersion, Issuer

JSON_LD = "application/ld+json"
# Machines first: a client that accepts anything (*/*) gets JSON; browsers ask for text/html.
OFFERED = [JSON_LD, "application/json", "text/html"]


def wants_json(request, suffix=""):
    if suffix == ".json" or request.GET.get("format") == "json":
        return True
    return request.get_preferred_type(OFFERED) != "text/html"


def json_response(request, document, *, status=200):
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=f"{JSON_LD}; charset=utf-8")
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=300)
    patch_vary_headers(response, ["Accept"])
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


@require_GET
def issuer(request, uuid, suffix=""):
    obj = get_object_or_404(Issuer, uuid=uuid)
    if wants_json(request, suffix):
        return json_response(request, services.issuer_document(obj))
    badge_classes = obj.badge_classes.order_by("name")
    return render(request, "badges/issuer.html", {"issuer": obj, "badge_classes": badge_classes})


@require_GET
def issuer_image(request, uuid):
    obj = get_object_or_404(Issuer.objects.exclude(image=""), uuid=uuid)
    return _image(obj.image)


@require_GET
def badge_class(request, uuid, suffix=""):
    obj = get_object_or_404(BadgeClass.objects.select_related("issuer"), uuid=uuid)
    if wants_json(request, suffix):
        return json_response(request, services.badge_class_document(obj))
    return render(
        request,
        "badges/badge_class.html",
        {"badge": obj, "document": services.badge_class_document(obj)},
    )


@require_GET
def badge_class_version(request, uuid, number, suffix=""):
    version = get_object_or_404(
        BadgeClassVersion.objects.select_related("badge_class__issuer"),
        badge_class__uuid=uuid,
        number=number,
    )
    if wants_json(request, suffix):
        return json_response(request, version.document)
    return render(
        request,
        "badges/badge_class.html",
        {"badge": version.badge_class, "document": version.document, "version": version},
    )


@require_GET
def badge_class_image(request, uuid):
    return _image(get_object_or_404(BadgeClass, uuid=uuid).image)


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


@require_GET
def assertion(request, uuid, suffix=""):
    obj = get_object_or_404(
        Assertion.objects.select_related("badge_class__issuer", "version", "recipient"),
        uuid=uuid,
    )
    if wants_json(request, suffix):
        if obj.revoked:
            return json_response(request, services.revoked_document(obj), status=410)
        return json_response(request, services.assertion_document(obj))
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


@require_GET
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
