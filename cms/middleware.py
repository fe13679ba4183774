from django.conf import settings
from django.http import HttpResponse
from django.middleware import csp
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.csp import CSP, build_policy
from django.utils.translation import gettext as _


class ChosenLanguageMiddleware:
    """French unless the visitor chose another language with the switch (its cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a French public
    service speaks French first, whatever the browser says.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's CSP middleware, with the policy chosen by what is served.

    - pages: settings.SECURE_CSP (scripts from our origin or carrying the request's nonce);
    - the Wagtail and Django admins: settings.SECURE_CSP_ADMIN (their inline scripts);
    - uploaded files that third-party views serve (Wagtail documents, MEDIA_URL when Django
      serves it): settings.UPLOADED_FILES_CSP, a sandbox, replacing whatever the view set.
      Our own views of uploaded files say so with `csp_override(UPLOADED_FILES_CSP)`.
    """

    UPLOAD_URL_NAMES = {"wagtaildocs_serve"}

    def process_request(self, request):
        super().process_request(request)
        # django-dsfr's {% dsfr_js %} reads the nonce under this name.
        request.csp_nonce = request._csp_nonce

    def process_response(self, request, response):
        if self.serves_upload(request):
            response.headers[CSP.HEADER_ENFORCE] = build_policy(settings.UPLOADED_FILES_CSP)
            response.headers["X-Content-Type-Options"] = "nosniff"
        elif request.path.startswith(settings.CSP_ADMIN_PATH_PREFIXES):
            if not hasattr(response, "_csp_config"):
                response._csp_config = settings.SECURE_CSP_ADMIN
        return super().process_response(request, response)

    def serves_upload(self, request):
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in self.UPLOAD_URL_NAMES:
            return True
        return bool(settings.MEDIA_URL) and request.path.startswith(settings.MEDIA_URL)


def _may_award(user):
    from badges.permissions import awardable_badge_classes

    return awardable_badge_classes(user).exists()


def _may_import_pix(user):
    from badges.permissions import can_review_pix

    return can_review_pix(user)


class RequestBodyLimitMiddleware:
    """413 for a request whose declared body is larger than its sender may send, answered
    before anything reads the body (Django would read up to DATA_UPLOAD_MAX_MEMORY_SIZE of a
    form, and stream a file of any size to disk).

    Anonymous: MAX_REQUEST_BODY_BYTES; signed in: MAX_REQUEST_BODY_BYTES_AUTHENTICATED (a PIX
    attestation); MAX_UPLOAD_BODY_BYTES for the staff who may upload big files where they do
    (the admins, bulk awards, Pix Orga imports). Rights are only looked up for a body past the
    smallest cap. A body without Content-Length is never read by Django's WSGI handler.
    """

    # url name → who may send a large file there (the view checks again, in detail).
    LARGE_UPLOADS = {"badges:bulk_award": _may_award, "badges:pix_import": _may_import_pix}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES and length > self.limit(request):
            return self.too_large()
        return self.get_response(request)

    def limit(self, request):
        user = request.user
        if not user.is_authenticated:
            return settings.MAX_REQUEST_BODY_BYTES
        if self.may_upload_large(request, user):
            return settings.MAX_UPLOAD_BODY_BYTES
        return settings.MAX_REQUEST_BODY_BYTES_AUTHENTICATED

    def may_upload_large(self, request, user):
        if request.path.startswith(settings.CSP_ADMIN_PATH_PREFIXES):
            return user.is_staff or user.has_perm("wagtailadmin.access_admin")
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        check = self.LARGE_UPLOADS.get(match.view_name)
        return check is not None and check(user)

    @staticmethod
    def too_large():
        return HttpResponse(
            _("La requête est trop volumineuse."),
            status=413,
            content_type="text/plain; charset=utf-8",
        )
