"""Hosted Open Badges 2.0: one URL per issuer, badge class (and version) and assertion, JSON-LD
for machines and a page for people, and their images.

Verifiers, backpacks and LinkedIn previews hit the assertion URL often: the JSON answers carry an
ETag (a repeat gets 304), a short public cache lifetime and open CORS for GET.
"""

import hashlib
import json
import uuid as uuid_module
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override

from ..models import Assertion, BadgeClass, BadgeClassVersion, Issuer, site_url
from ..services.baking import image_extension
from ..services.openbadges import (
    ASSERTION_CACHE_SECONDS,
    ASSERTION_LOCAL_SECONDS,
    assertion_cache_key,
    assertion_document,
    badge_class_document,
    issuer_document,
    revoked_document,
)

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
        return canonical(json_response(request, issuer_document(obj)), obj.public_url)
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
        return canonical(json_response(request, badge_class_document(obj)), obj.public_url)
    return render(
        request,
        "badges/badge_class.html",
        {"badge": obj, "document": badge_class_document(obj)},
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
    is cached, shared and per process (revocation clears both after commit:
    badges.services.openbadges.forget_assertion), so a repeat costs no query; another web
    process may lag by ASSERTION_LOCAL_SECONDS."""
    key = assertion_cache_key(uuid)
    local = caches["local"]
    cached = local.get(key)
    if cached is None:
        cached = cache.get(key)
        if cached is None:
            obj = get_object_or_404(Assertion.objects.select_related("version"), uuid=uuid)
            if obj.revoked:
                cached = (410, *serialized(revoked_document(obj)))
            else:
                cached = (200, *serialized(assertion_document(obj)))
            cache.set(key, cached, ASSERTION_CACHE_SECONDS)
        local.set(key, cached, ASSERTION_LOCAL_SECONDS)
    status, body, etag = cached
    return canonical(
        body_response(request, body, etag, status=status),
        site_url(reverse("badges:assertion", kwargs={"uuid": uuid})),
    )


@sandboxed
@hosted
def assertion_image(request, uuid):
    obj = get_object_or_404(Assertion.objects.exclude(image=""), uuid=uuid, revoked=False)
    response = _image(obj.image)
    ext = image_extension(obj.badge_class)
    response["Content-Disposition"] = f'inline; filename="badge-{obj.uuid}.{ext}"'
    return response
