from allauth.account.views import logout as allauth_logout
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cotraining.admin_views import site_history_urlpatterns
from indicators.api import api as indicators_api

from . import views
from .auth import to_allauth

# One way in (cms/auth.py): the other login and password-reset pages only lead to allauth's.
# Before the apps' own URLs, which they replace.
login_paths = [
    path("admin/login/", to_allauth("account_login", default_next="/admin/")),
    re_path(r"^admin/password_reset/", to_allauth("account_reset_password")),
    path("django-admin/login/", to_allauth("account_login", default_next="/django-admin/")),
    path("_util/login/", to_allauth("account_login")),
    # And one way out: allauth's logout, which also ends a single sign-on provider's session.
    path("admin/logout/", allauth_logout),
    path("django-admin/logout/", allauth_logout),
]

urlpatterns = [
    *login_paths,
    path("health/", views.health, name="health"),
    path("i18n/setlang/", set_language, name="set_language"),
    # The site history report scoped to the coordinator's territory, ahead of Wagtail's own.
    path("admin/", include(site_history_urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    # Single sign-on (ProConnect, an académie's provider): 404 unless configured.
    path("comptes/oidc/", include("cotraining.oidc")),
    path("comptes/", include("allauth.urls")),
    path("signaler/<int:page_id>/", views.report_content, name="report_content"),
    path("", include("cotraining.urls")),
    path("", include("badges.urls")),
    path("", include("indicators.urls")),
    path("api/indicateurs/", indicators_api.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving last: it catches every remaining path.
urlpatterns += [path("", include(wagtail_urls))]
